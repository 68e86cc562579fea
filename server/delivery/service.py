"""`DeliveryService`: what handlers use of delivery — wake the worker after a commit, and wait (bounded)
for a round of attempts to be recorded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig, HttpTransport
from cavra_recovery.server.delivery import metrics as delivery_metrics
from cavra_recovery.server.delivery import resolve
from cavra_recovery.server.delivery.tuning import DeliveryTuning
from cavra_recovery.server.delivery.worker import DeliveryWorker
from cavra_recovery.server.metrics import ServiceMetrics
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.tracing import Tracing

log = logging.getLogger("cavra-recovery.delivery")

# Waiters re-read the database at least this often: another replica may be making the attempts.
_RECHECK_SECONDS = 0.25


class DeliveryService:
    def __init__(
        self,
        *,
        database: Database,
        config: ConnectorConfig | None,
        tuning: DeliveryTuning,
        clock: Callable[[], datetime],
        metrics: ServiceMetrics | None = None,
        transport: HttpTransport | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._database = database
        self._metrics = metrics
        self._config = config
        self.tuning = tuning
        self._clock = clock
        self._progress = asyncio.Event()
        self._worker: DeliveryWorker | None = None
        self._resolve_since: datetime | None = None
        if config is not None and tuning.worker:
            self._worker = DeliveryWorker(
                database=database,
                config=config,
                tuning=tuning,
                clock=clock,
                on_progress=self._notify_progress,
                on_outcome=self._observe,
                transport=transport,
                tracing=tracing,
            )
            if metrics is not None:
                self._worker.add_periodic(max(tuning.poll_seconds, 5.0), self._refresh_gauges)
            if any(receiver.provider == "pagerduty" for receiver in config.receivers):
                self._worker.add_periodic(max(tuning.poll_seconds, 1.0), self._enqueue_resolves)

    @property
    def worker_id(self) -> str | None:
        return None if self._worker is None else self._worker.worker_id

    async def start(self) -> None:
        if self._worker is not None:
            await self._worker.start()
            log.info(
                "delivery worker started (%d receivers)", len(self._config.receivers) if self._config else 0
            )
        elif self._config is not None:
            log.info(
                "delivery worker off (CAVRA_DELIVERY_WORKER=off): deliveries wait for a replica with it on"
            )

    async def stop(self) -> None:
        if self._worker is not None:
            await self._worker.stop()

    def wake(self) -> None:
        """Called after a transaction that enqueued deliveries has committed."""
        if self._worker is not None:
            self._worker.wake()

    def _notify_progress(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    def _observe(self, delivery: store.StoredDelivery, outcome: store.AttemptOutcome, state: str) -> None:
        if self._metrics is not None:
            delivery_metrics.observe_attempt(self._metrics, delivery.receiver, outcome, state)

    def observe_dry_run(self, receivers: Iterable[str]) -> None:
        if self._metrics is not None:
            for receiver in receivers:
                delivery_metrics.observe_dry_run(self._metrics, receiver)

    async def _refresh_gauges(self) -> None:
        if self._metrics is None:
            return
        counts, circuits = await self._database.run(
            lambda session: (store.delivery_counts(session), store.circuits(session))
        )
        delivery_metrics.observe_outbox(
            self._metrics, counts, circuits, threshold=self.tuning.breaker_threshold, now=self._clock()
        )

    async def wait_for_first_round(self, delivery_ids: Iterable[str], deadline: float) -> None:
        """Wait until each delivery has a recorded attempt (or is final), or until `deadline`
        (an event-loop time); never raises on timeout: callers answer with the state reached."""
        await self.wait_for_round(dict.fromkeys(delivery_ids, 0), deadline)

    async def wait_for_round(self, baselines: Mapping[str, int], deadline: float) -> None:
        """Wait until each delivery has more finished attempts than its baseline, or is final."""
        pending = dict(baselines)
        loop = asyncio.get_running_loop()
        while pending:
            progress = self._progress

            def check(session: Session) -> list[store.StoredDelivery]:
                return store.get_deliveries(session, delivery_ids=list(pending), with_attempts=False)

            now = self._clock()
            for delivery in await self._database.run(check):
                if delivery.is_final or delivery.finished_attempts(now) > pending[delivery.delivery_id]:
                    del pending[delivery.delivery_id]
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                return
            try:
                await asyncio.wait_for(progress.wait(), timeout=min(_RECHECK_SECONDS, remaining))
            except TimeoutError:
                pass

    async def _enqueue_resolves(self) -> None:
        if self._config is None:
            return
        config = self._config
        now = self._clock()
        since = self._resolve_since or now - timedelta(seconds=self.tuning.resolve_lookback_seconds)
        # Overlap the windows: an intake transaction may commit a little after its recorded_at.
        next_since = now - timedelta(seconds=60)

        def scan(session: Session) -> int:
            return resolve.enqueue_resolves_since(session, config=config, since=since, now=now)

        enqueued = await self._database.run(scan)
        self._resolve_since = max(since, next_since)
        if enqueued:
            log.info("enqueued %d PagerDuty resolve deliveries for closed recoveries", enqueued)
            self.wake()
