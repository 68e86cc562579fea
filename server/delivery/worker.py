"""The outbox worker: claim due rows with a lease, send once through the connector, record the attempt,
then schedule the next attempt or dead-letter. Retrying lives here and only here. One worker runs in
every process; replicas claim disjoint batches (PostgreSQL: `FOR UPDATE SKIP LOCKED` plus a conditional
UPDATE; SQLite: the conditional UPDATE). A lease covers the whole send budget, so a row a dead process
held is claimed again once its lease runs out: nothing committed is ever lost.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig, HttpTransport, build_connector
from cavra_recovery.connectors.base import Connector, FailureReason, SendResult
from cavra_recovery.server.delivery import backoff, outcomes
from cavra_recovery.server.delivery.notifications import notification_from_document
from cavra_recovery.server.delivery.tuning import DeliveryTuning
from cavra_recovery.server.domain.errors import Unavailable
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.tracing import Tracing, delivery_span

log = logging.getLogger("cavra-recovery.delivery")
# While the database is unavailable the worker retries with backoff from/to these delays.
DATABASE_RETRY_FIRST_SECONDS = 0.2
DATABASE_RETRY_MAX_SECONDS = 5.0
DATABASE_RETRY_RECORD_MAX_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    delivery: store.StoredDelivery
    admitted: bool  # False: the receiver's circuit is open, so nothing is sent this attempt
    circuit_open_until: datetime | None
    lease_seconds: float


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    def __init__(
        self,
        *,
        database: Database,
        config: ConnectorConfig,
        tuning: DeliveryTuning,
        clock: Callable[[], datetime],
        on_progress: Callable[[], None],
        on_outcome: Callable[[store.StoredDelivery, store.AttemptOutcome, str], None] | None = None,
        transport: HttpTransport | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._database, self._tracing = database, tracing
        self._config = config
        self._tuning = tuning
        self._clock = clock
        self._on_progress = on_progress
        self._on_outcome = on_outcome
        self._redactor = config.redactor()
        self._transport = transport
        self._owns_transport = transport is None
        self.worker_id = worker_identity()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        # Claimed deliveries whose outcome is not yet being recorded, by id; and those whose send began.
        self._unrecorded: dict[str, ClaimedDelivery] = {}
        # Sent attempts waiting for the database to record them: no claiming until they are stored.
        self._awaiting_record: set[str] = set()
        self._sends_started: set[str] = set()
        self._connectors: dict[tuple[str, float | None], Connector] = {}
        self._periodic: list[tuple[float, Callable[[], Any]]] = []

    def add_periodic(self, interval_seconds: float, job: Callable[[], Any]) -> None:
        """Run `job()` (a coroutine function) every `interval_seconds` from the worker loop."""
        self._periodic.append((interval_seconds, job))

    async def start(self) -> None:
        if self._transport is None:
            provider = None if self._tracing is None else self._tracing.provider
            self._transport = HttpTransport(redactor=self._redactor, tracer_provider=provider)
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, give in-flight sends `grace` seconds, then cancel them and give their rows back
        (due now), so another process sends them without waiting out the lease."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        await self._release_unsent()
        if self._transport is not None and self._owns_transport:
            await self._transport.aclose()

    async def _release_unsent(self) -> None:
        cut_short = [
            (item, item.admitted and key in self._sends_started) for key, item in self._unrecorded.items()
        ]
        self._unrecorded.clear()
        self._sends_started.clear()
        if not cut_short:
            return

        def release(session: Session) -> int:
            now = self._clock()
            return sum(
                store.release_claim(
                    session,
                    delivery_id=item.delivery.delivery_id,
                    worker_id=self.worker_id,
                    now=now,
                    send_started=send_started,
                )
                for item, send_started in cut_short
            )

        try:
            released = await self._database.run(release)
        except Exception:
            log.exception(
                "giving back %d interrupted deliveries failed; their leases will expire", len(cut_short)
            )
            return
        log.info("gave back %d deliveries interrupted by the stop, due now for another worker", released)

    async def _run(self) -> None:
        last_run = [0.0 for _ in self._periodic]
        database_delay = DATABASE_RETRY_FIRST_SECONDS
        while not self._stopping:
            self._wake.clear()
            free = self._tuning.concurrency - len(self._in_flight)
            claimed: list[ClaimedDelivery] = []
            if free > 0 and not self._awaiting_record:
                try:
                    claimed = await self._database.run(functools.partial(self._claim, limit=free))
                    database_delay = DATABASE_RETRY_FIRST_SECONDS
                except Unavailable:
                    # Told once by the database health monitor; back off quietly until it is back.
                    await asyncio.sleep(database_delay)
                    database_delay = min(database_delay * 2, DATABASE_RETRY_MAX_SECONDS)
                    continue
                except Exception:
                    log.exception("claiming due deliveries failed; retrying after the poll interval")
            for item in claimed:
                self._unrecorded[item.delivery.delivery_id] = item
                task = asyncio.create_task(self._attempt(item), name=f"delivery-{item.delivery.delivery_id}")
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            now_mono = time.monotonic()
            for index, (interval, job) in enumerate(self._periodic):
                if now_mono - last_run[index] >= interval:
                    last_run[index] = now_mono
                    try:
                        await job()
                    except Unavailable:
                        pass
                    except Exception:
                        log.exception("periodic delivery job failed")
            if claimed and len(claimed) == free:
                continue
            await self._sleep()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery attempt task failed: %s", type(task.exception()).__name__)
        # A freed slot may let the loop claim more.
        self._wake.set()

    async def _sleep(self) -> None:
        timeout = self._tuning.poll_seconds
        try:
            due = await self._database.run(store.next_due_at)
        except Exception:
            due = None
        if due is not None:
            timeout = max(0.0, min(timeout, (due - self._clock()).total_seconds()))
        if timeout <= 0 and self._tuning.concurrency - len(self._in_flight) <= 0:
            timeout = self._tuning.poll_seconds
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.005))
        except TimeoutError:
            pass

    def _lease_seconds(
        self, delivery_provider: str, receiver_name: str, route_count: int, timeout: float | None
    ) -> float:
        try:
            receiver_timeout = self._config.receiver(receiver_name).timeout_seconds
        except KeyError:
            receiver_timeout = 10.0
        return outcomes.lease_seconds(
            delivery_provider, route_count, timeout or receiver_timeout, self._tuning.lease_grace_seconds
        )

    def _claim(self, session: Session, limit: int) -> list[ClaimedDelivery]:
        now = self._clock()
        due = store.due_deliveries(
            session, now=now, limit=limit, skip_locked=session.get_bind().dialect.name == "postgresql"
        )
        claimed: list[ClaimedDelivery] = []
        for row in due:
            lease = self._lease_seconds(row.provider, row.receiver, row.route_count, row.timeout_seconds)
            delivery = store.claim_delivery(
                session,
                key=row.key,
                worker_id=self.worker_id,
                now=now,
                claimed_until=now + timedelta(seconds=lease),
            )
            if delivery is None:
                continue
            failures, opened_until = store.load_circuit(
                session, receiver=delivery.receiver, now=now, lock=True
            )
            admitted, circuit = backoff.admit(backoff.CircuitState(failures, opened_until), now, self._tuning)
            if circuit != backoff.CircuitState(failures, opened_until):
                store.store_circuit(
                    session,
                    receiver=delivery.receiver,
                    consecutive_failures=circuit.consecutive_failures,
                    opened_until=circuit.opened_until,
                    now=now,
                )
            claimed.append(
                ClaimedDelivery(
                    delivery=delivery,
                    admitted=admitted,
                    circuit_open_until=circuit.opened_until,
                    lease_seconds=lease,
                )
            )
        return claimed

    def _connector(self, receiver_name: str, timeout_seconds: float | None) -> Connector:
        key = (receiver_name, timeout_seconds)
        connector = self._connectors.get(key)
        if connector is None:
            receiver = self._config.receiver(receiver_name)
            if timeout_seconds:
                receiver = replace(receiver, timeout_seconds=timeout_seconds)
            assert self._transport is not None
            connector = build_connector(receiver, self._transport, clock=self._clock)
            self._connectors[key] = connector
        return connector

    async def _send(self, item: ClaimedDelivery) -> tuple[SendResult, datetime, datetime, int]:
        delivery = item.delivery
        started = self._clock()
        began = time.perf_counter()
        if not item.admitted:
            result = SendResult(ok=False, failure=None, retryable=True, error=outcomes.CIRCUIT_ERROR)
        else:
            try:
                connector = self._connector(delivery.receiver, delivery.timeout_seconds)
                notification = notification_from_document(delivery.notification)
                budget = max(1.0, item.lease_seconds - self._tuning.lease_grace_seconds)
                with delivery_span(self._tracing, delivery.traceparent, delivery.receiver):
                    async with asyncio.timeout(budget):
                        result = await connector.send(notification)
            except KeyError:
                result = SendResult.failed(
                    FailureReason.CONFIGURATION, "the receiver is no longer configured", retryable=False
                )
            except TimeoutError:
                result = SendResult.failed(FailureReason.TIMEOUT, "the send exceeded its time budget")
            except Exception as exc:
                # The message of an unexpected error might quote a credential: record only its type.
                log.error("connector for receiver %s raised %s", delivery.receiver, type(exc).__name__)
                result = SendResult.failed(
                    FailureReason.CONFIGURATION, f"connector error: {type(exc).__name__}", retryable=False
                )
        finished = self._clock()
        return result, started, finished, int((time.perf_counter() - began) * 1000)

    async def _record_until_stored(
        self, record: Callable[[Session], bool], item: ClaimedDelivery, attempt_number: int
    ) -> bool | None:
        """Record a sent attempt, retrying while the database is unavailable; until it is stored this
        worker claims nothing, so its own expired lease cannot make it send the row again."""
        delivery_id = item.delivery.delivery_id
        delay = DATABASE_RETRY_FIRST_SECONDS
        self._awaiting_record.add(delivery_id)
        try:
            while True:
                try:
                    return await self._database.run(record)
                except Unavailable:
                    if self._stopping:
                        log.warning("attempt %d of %s unrecorded at stop", attempt_number, delivery_id)
                        return None
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, DATABASE_RETRY_RECORD_MAX_SECONDS)
                except Exception:
                    log.exception("recording attempt %d of %s failed", attempt_number, delivery_id)
                    return None
        finally:
            self._awaiting_record.discard(delivery_id)

    async def _attempt(self, item: ClaimedDelivery) -> None:
        delivery = item.delivery
        self._sends_started.add(delivery.delivery_id)
        result, started, finished, latency_ms = await self._send(item)
        # From here the outcome is being recorded: a stop must not give the row back as well.
        self._unrecorded.pop(delivery.delivery_id, None)
        self._sends_started.discard(delivery.delivery_id)
        outcome = outcomes.attempt_outcome(
            result,
            started=started,
            finished=finished,
            latency_ms=latency_ms,
            admitted=item.admitted,
            redactor=self._redactor,
        )
        attempt_number = delivery.attempt_count
        state, next_attempt_at = outcomes.next_state(
            result,
            attempt_number=attempt_number,
            max_attempts=delivery.max_attempts,
            finished=finished,
            tuning=self._tuning,
            circuit_open_until=None if item.admitted else item.circuit_open_until,
        )

        def record(session: Session) -> bool:
            now = self._clock()
            owned = store.finish_attempt(
                session,
                delivery_id=delivery.delivery_id,
                attempt_number=attempt_number,
                worker_id=self.worker_id,
                outcome=outcome,
                state=state,
                next_attempt_at=next_attempt_at,
                now=now,
            )
            if owned:
                outcomes.record_background_decision(
                    session, delivery, result, state, started=finished, now=now
                )
            if item.admitted:
                failures, opened_until = store.load_circuit(
                    session, receiver=delivery.receiver, now=now, lock=True
                )
                before = backoff.CircuitState(failures, opened_until)
                after = backoff.after_attempt(
                    before,
                    success=result.ok,
                    counts_against_receiver=result.failure in outcomes.RECEIVER_HEALTH_FAILURES,
                    now=now,
                    tuning=self._tuning,
                )
                if after != before:
                    store.store_circuit(
                        session,
                        receiver=delivery.receiver,
                        consecutive_failures=after.consecutive_failures,
                        opened_until=after.opened_until,
                        now=now,
                    )
            return owned

        owned = await self._record_until_stored(record, item, attempt_number)
        if owned is None:
            return
        if owned and self._on_outcome is not None:
            self._on_outcome(delivery, outcome, state)
        if state == store.DEAD_LETTERED:
            log.warning(
                "delivery %s to receiver %s dead-lettered after attempt %d (%s)",
                delivery.delivery_id,
                delivery.receiver,
                attempt_number,
                outcome.failure_reason or "failed",
            )
        self._on_progress()
