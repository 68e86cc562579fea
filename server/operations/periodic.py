"""One loop for the server's periodic work (ledger checkpoints, the escalation tick): run a step, wait,
and again, until stopped.

A step that finds the database unavailable is skipped quietly: the database health monitor reports the
outage, and the next round tries again. Any other failure is logged with its traceback, and the loop
goes on. `stop` lets the step in progress finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from cavra_recovery.server.domain.errors import Unavailable


class PeriodicTask:
    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        *,
        wait_seconds: Callable[[], float],
        log: logging.Logger,
        failure: str,
    ) -> None:
        """`wait_seconds()` is asked after each step; `failure` is the log line of a step that failed."""
        self._name = name
        self._step = step
        self._wait_seconds = wait_seconds
        self._log = log
        self._failure = failure
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._step()
            except Unavailable:
                pass  # reported by the database health monitor; the next round tries again
            except Exception:
                self._log.exception(self._failure)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._wait_seconds())
            except TimeoutError:
                pass
