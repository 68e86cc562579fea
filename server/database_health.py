"""Health follows the database, and an outage is told in a few log lines, not one per failed call.

A background check pings the database every `interval` seconds. After `failures` consecutive failed
checks the gRPC health of the server and of every service turns NOT_SERVING (so load balancers route
elsewhere, and the gateway's /readyz answers 503); the first successful check turns it SERVING again.

The log gets one WARNING when the database becomes unavailable (from a failed call or check), one
summary line every 30 s while it stays so (how many calls failed), and one INFO line when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.storage.database import Database

log = logging.getLogger("cavra-recovery.database")

SUMMARY_SECONDS = 30.0


class DatabaseHealth:
    def __init__(
        self,
        database: Database,
        *,
        interval_seconds: float,
        failures_to_fail: int,
        set_serving: Callable[[bool], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._interval = interval_seconds
        self._failures_to_fail = failures_to_fail
        self._set_serving = set_serving
        self._clock = clock
        self._consecutive_failures = 0
        self._serving = True
        self._down_since: float | None = None
        self._failed_calls = 0
        self._failed_since_summary = 0
        self._last_summary = 0.0
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        database.on_unavailable = self.call_failed

    @property
    def serving(self) -> bool:
        return self._serving

    def call_failed(self, cause: str) -> None:
        """A call failed on an unavailable database (called from worker threads)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._note_failure, cause, True)

    def _note_failure(self, cause: str, from_call: bool) -> None:
        if from_call:
            self._failed_calls += 1
            self._failed_since_summary += 1
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            self._last_summary = now
            log.warning("database unavailable: %s; answering UNAVAILABLE until it is back", cause)
        elif now - self._last_summary >= SUMMARY_SECONDS:
            log.warning(
                "database still unavailable (%s) after %.0f s: %d failed calls in the last %.0f s",
                cause,
                now - self._down_since,
                self._failed_since_summary,
                now - self._last_summary,
            )
            self._last_summary = now
            self._failed_since_summary = 0

    def _note_success(self) -> None:
        if self._down_since is not None:
            log.info(
                "database available again after %.1f s (%d calls failed meanwhile)",
                self._clock() - self._down_since,
                self._failed_calls,
            )
        self._down_since = None
        self._failed_calls = 0
        self._failed_since_summary = 0

    async def check_once(self) -> bool:
        try:
            await asyncio.to_thread(self._database.ping_sync)
        except Unavailable as error:
            self._consecutive_failures += 1
            self._note_failure(error.metadata.get("cause", "unreachable"), False)
            if self._serving and self._consecutive_failures >= self._failures_to_fail:
                self._serving = False
                await self._set_serving(False)
            return False
        self._consecutive_failures = 0
        self._note_success()
        if not self._serving:
            self._serving = True
            await self._set_serving(True)
        return True

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="database-health")

    async def _run(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception:
                log.exception("database health check failed unexpectedly")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
