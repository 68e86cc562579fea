"""The in-server escalation scheduler: every tick (CAVRA_ESCALATION_TICK_SECONDS) one transaction runs
`advance_escalations`, then wakes the outbox worker if a step was enqueued. Every replica runs one;
the step claim makes each step happen once (server/operations/escalations.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.operations.escalations import TickOutcome, advance_escalations
from cavra_recovery.server.storage.database import Database

log = logging.getLogger("cavra-recovery.escalation")


class EscalationScheduler:
    def __init__(
        self,
        *,
        database: Database,
        config: ConnectorConfig,
        tick_seconds: float,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self._database = database
        self._config = config
        self._tick_seconds = tick_seconds
        self._clock = clock
        self._wake = wake
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="escalation-scheduler")
        log.info(
            "escalation scheduler started (%d policies, tick %g s)",
            len(self._config.escalation_policies),
            self._tick_seconds,
        )

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def tick(self) -> TickOutcome:
        config, now = self._config, self._clock()
        outcome = await self._database.run(
            lambda session: advance_escalations(session, config=config, now=now)
        )
        if outcome.enqueued:
            self._wake()
        return outcome

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Unavailable:
                pass  # the database health monitor reports it; the next tick tries again
            except Exception:
                log.exception("escalation tick failed; trying again at the next tick")
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._tick_seconds)
            except TimeoutError:
                pass
