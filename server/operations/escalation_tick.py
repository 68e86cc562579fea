"""The in-server escalation scheduler: every tick (CAVRA_ESCALATION_TICK_SECONDS) one transaction runs
`advance_escalations`, then wakes the outbox worker if a step was enqueued. Every replica runs one;
the step claim makes each step happen once (server/operations/escalations.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.operations.escalations import TickOutcome, advance_escalations
from cavra_recovery.server.operations.periodic import PeriodicTask
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
        self._loop = PeriodicTask(
            "escalation-scheduler",
            self.tick,
            wait_seconds=lambda: tick_seconds,
            log=log,
            failure="escalation tick failed; trying again at the next tick",
        )

    async def start(self) -> None:
        self._loop.start()
        log.info(
            "escalation scheduler started (%d policies, tick %g s)",
            len(self._config.escalation_policies),
            self._tick_seconds,
        )

    async def stop(self) -> None:
        await self._loop.stop()

    async def tick(self) -> TickOutcome:
        config, now = self._config, self._clock()
        outcome = await self._database.run(
            lambda session: advance_escalations(session, config=config, now=now)
        )
        if outcome.enqueued:
            self._wake()
        return outcome
