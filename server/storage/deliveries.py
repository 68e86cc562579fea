"""The delivery outbox, its attempts (delivery evidence), deliver requests and receiver circuits.

Plain functions taking the caller's session; none of them commits. The worker composes the claim and
finish steps inside its own transactions; handlers enqueue inside the RPC's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.domain.errors import FailedPrecondition, NotFound
from server.domain.paging import PageCursor, PageRequest
from server.domain.reasons import Reason, Resource
from server.storage.models import (
    DeliveryAttemptRecord,
    DeliveryRecord,
    DeliveryRequestRecord,
    ReceiverCircuitRecord,
)

PENDING = "pending"
RETRYING = "retrying"
DELIVERED = "delivered"
DEAD_LETTERED = "dead_lettered"
DRY_RUN = "dry_run"
DELIVERY_STATES = (PENDING, RETRYING, DELIVERED, DEAD_LETTERED, DRY_RUN)
DUE_STATES = (PENDING, RETRYING)
FINAL_STATES = (DELIVERED, DEAD_LETTERED, DRY_RUN)

INTERRUPTED_ERROR = "attempt interrupted before its outcome was recorded (worker stopped or lease expired)"


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    attempt_number: int
    started_at: datetime
    finished_at: datetime
    success: bool
    http_status: int
    failure_reason: str
    retryable: bool
    latency_ms: int
    requests: tuple[Mapping[str, Any], ...]
    error: str


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    delivery_id: str
    delivery_evidence_id: str
    plan_id: str | None
    schedule_run_id: str | None
    receiver: str
    provider: str
    state: str
    attempt_count: int
    max_attempts: int
    round_count: int
    attempts_per_round: int
    timeout_seconds: float | None
    next_attempt_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    route_count: int
    notification: Mapping[str, Any]
    external_reference: str
    last_failure_reason: str
    last_http_status: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    attempts: tuple[StoredAttempt, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def finished_attempts(self, now: datetime) -> int:
        """Attempts whose outcome is recorded (an attempt in flight holds an unexpired lease)."""
        in_flight = (
            self.claimed_by is not None and self.claimed_until is not None and self.claimed_until > now
        )
        return self.attempt_count - (1 if in_flight else 0)


@dataclass(frozen=True, slots=True)
class StoredDeliveryRequest:
    delivery_evidence_id: str
    request_id: str | None
    plan_id: str | None
    schedule_run_id: str | None
    dry_run: bool
    created_at: datetime
    response_document: Mapping[str, Any] | None
    delivery_ids: tuple[str, ...]
    request_digest: str | None = None


def _attempt(record: DeliveryAttemptRecord) -> StoredAttempt:
    return StoredAttempt(
        attempt_number=record.attempt_number,
        started_at=record.started_at,
        finished_at=record.finished_at,
        success=record.success,
        http_status=record.http_status,
        failure_reason=record.failure_reason,
        retryable=record.retryable,
        latency_ms=record.latency_ms,
        requests=tuple(record.requests or ()),
        error=record.error,
    )


def _delivery(record: DeliveryRecord, attempts: Sequence[DeliveryAttemptRecord] = ()) -> StoredDelivery:
    return StoredDelivery(
        delivery_id=record.delivery_id,
        delivery_evidence_id=record.delivery_evidence_id,
        plan_id=record.plan_id,
        schedule_run_id=record.schedule_run_id,
        receiver=record.receiver,
        provider=record.provider,
        state=record.state,
        attempt_count=record.attempt_count,
        max_attempts=record.max_attempts,
        round_count=record.round_count,
        attempts_per_round=record.attempts_per_round,
        timeout_seconds=record.timeout_seconds,
        next_attempt_at=record.next_attempt_at,
        claimed_by=record.claimed_by,
        claimed_until=record.claimed_until,
        route_count=record.route_count,
        notification=dict(record.notification),
        external_reference=record.external_reference,
        last_failure_reason=record.last_failure_reason,
        last_http_status=record.last_http_status,
        last_error=record.last_error,
        created_at=record.created_at,
        updated_at=record.updated_at,
        attempts=tuple(_attempt(attempt) for attempt in attempts),
    )


def get_delivery_request(session: Session, *, delivery_evidence_id: str) -> StoredDeliveryRequest:
    record = session.scalars(
        select(DeliveryRequestRecord).where(
            DeliveryRequestRecord.delivery_evidence_id == delivery_evidence_id
        )
    ).one_or_none()
    if record is None:
        raise NotFound(Resource.DELIVERY_EVIDENCE, delivery_evidence_id)
    return _request(session, record)


def _request(session: Session, record: DeliveryRequestRecord) -> StoredDeliveryRequest:
    ids = session.scalars(
        select(DeliveryRecord.delivery_id)
        .where(DeliveryRecord.delivery_evidence_id == record.delivery_evidence_id)
        .order_by(DeliveryRecord.id)
    ).all()
    return StoredDeliveryRequest(
        delivery_evidence_id=record.delivery_evidence_id,
        request_id=record.request_id,
        plan_id=record.plan_id,
        schedule_run_id=record.schedule_run_id,
        dry_run=record.dry_run,
        created_at=record.created_at,
        response_document=record.response_document,
        delivery_ids=tuple(ids),
        request_digest=record.request_digest,
    )


def add_delivery_request(
    session: Session,
    *,
    delivery_evidence_id: str,
    request_id: str | None,
    plan_id: str | None,
    schedule_run_id: str | None,
    dry_run: bool,
    now: datetime,
    request_digest: str | None = None,
) -> None:
    session.add(
        DeliveryRequestRecord(
            delivery_evidence_id=delivery_evidence_id,
            request_id=request_id,
            request_digest=request_digest,
            plan_id=plan_id,
            schedule_run_id=schedule_run_id,
            dry_run=dry_run,
            created_at=now,
            response_document=None,
        )
    )
    # Flushed now so a racing request with the same request_id fails here, before any delivery row.
    session.flush()


def add_delivery(
    session: Session,
    *,
    delivery_id: str,
    delivery_evidence_id: str,
    plan_id: str | None,
    schedule_run_id: str | None,
    receiver: str,
    provider: str,
    max_attempts: int,
    timeout_seconds: float | None,
    notification: Mapping[str, Any],
    route_count: int,
    dry_run: bool,
    now: datetime,
) -> None:
    session.add(
        DeliveryRecord(
            delivery_id=delivery_id,
            delivery_evidence_id=delivery_evidence_id,
            plan_id=plan_id,
            schedule_run_id=schedule_run_id,
            receiver=receiver,
            provider=provider,
            state=DRY_RUN if dry_run else PENDING,
            attempt_count=0,
            max_attempts=max_attempts,
            round_count=1,
            attempts_per_round=max_attempts,
            timeout_seconds=timeout_seconds,
            next_attempt_at=None if dry_run else now,
            claimed_by=None,
            claimed_until=None,
            route_count=route_count,
            notification=dict(notification),
            external_reference="",
            last_failure_reason="",
            last_http_status=0,
            last_error="",
            created_at=now,
            updated_at=now,
        )
    )


def _due_condition(now: datetime) -> Any:
    return and_(
        DeliveryRecord.state.in_(DUE_STATES),
        DeliveryRecord.next_attempt_at <= now,
        or_(DeliveryRecord.claimed_until.is_(None), DeliveryRecord.claimed_until < now),
    )


@dataclass(frozen=True, slots=True)
class DueDelivery:
    key: int
    receiver: str
    provider: str
    route_count: int
    timeout_seconds: float | None


def due_deliveries(session: Session, *, now: datetime, limit: int, skip_locked: bool) -> list[DueDelivery]:
    """Rows due for an attempt, oldest first; on PostgreSQL rows another replica holds locked are
    skipped, so replicas claim disjoint batches."""
    query = (
        select(
            DeliveryRecord.id,
            DeliveryRecord.receiver,
            DeliveryRecord.provider,
            DeliveryRecord.route_count,
            DeliveryRecord.timeout_seconds,
        )
        .where(_due_condition(now))
        .order_by(DeliveryRecord.next_attempt_at, DeliveryRecord.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [DueDelivery(*row) for row in session.execute(query).all()]


def claim_delivery(
    session: Session, *, key: int, worker_id: str, now: datetime, claimed_until: datetime
) -> StoredDelivery | None:
    """Take the lease on one due row and count the attempt it starts; None if someone else got it.

    The conditional UPDATE is the claim itself: only one transaction can move `claimed_until` past now.
    The attempt row is written with the claim, so an attempt cut short by a crash stays on record.
    """
    result = session.execute(
        update(DeliveryRecord)
        .where(DeliveryRecord.id == key, _due_condition(now))
        .values(
            claimed_by=worker_id,
            claimed_until=claimed_until,
            attempt_count=DeliveryRecord.attempt_count + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    record = session.scalars(
        select(DeliveryRecord).where(DeliveryRecord.id == key).execution_options(populate_existing=True)
    ).one()
    session.add(
        DeliveryAttemptRecord(
            delivery_id=record.delivery_id,
            attempt_number=record.attempt_count,
            started_at=now,
            finished_at=now,
            success=False,
            http_status=0,
            failure_reason="",
            retryable=True,
            latency_ms=0,
            requests=[],
            error=INTERRUPTED_ERROR,
        )
    )
    return _delivery(record)


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one attempt did, ready to store: redacted requests and error, never a body."""

    started_at: datetime
    finished_at: datetime
    success: bool
    http_status: int
    failure_reason: str
    retryable: bool
    latency_ms: int
    requests: tuple[Mapping[str, Any], ...]
    error: str
    external_reference: str


def finish_attempt(
    session: Session,
    *,
    delivery_id: str,
    attempt_number: int,
    worker_id: str,
    outcome: AttemptOutcome,
    state: str,
    next_attempt_at: datetime | None,
    now: datetime,
) -> bool:
    """Record the attempt and move the delivery on; False when the lease was lost meanwhile (the attempt
    is still recorded, the row is left to its new owner)."""
    session.execute(
        update(DeliveryAttemptRecord)
        .where(
            DeliveryAttemptRecord.delivery_id == delivery_id,
            DeliveryAttemptRecord.attempt_number == attempt_number,
        )
        .values(
            started_at=outcome.started_at,
            finished_at=outcome.finished_at,
            success=outcome.success,
            http_status=outcome.http_status,
            failure_reason=outcome.failure_reason,
            retryable=outcome.retryable,
            latency_ms=outcome.latency_ms,
            requests=[dict(request) for request in outcome.requests],
            error=outcome.error[:512],
        )
        .execution_options(synchronize_session=False)
    )
    values: dict[str, Any] = {
        "state": state,
        "next_attempt_at": next_attempt_at,
        "claimed_by": None,
        "claimed_until": None,
        "last_failure_reason": outcome.failure_reason,
        "last_http_status": outcome.http_status,
        "last_error": outcome.error[:512],
        "updated_at": now,
    }
    if outcome.external_reference:
        values["external_reference"] = outcome.external_reference[:256]
    result = session.execute(
        update(DeliveryRecord)
        .where(DeliveryRecord.delivery_id == delivery_id, DeliveryRecord.claimed_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release_claim(
    session: Session, *, delivery_id: str, worker_id: str, now: datetime, send_started: bool
) -> bool:
    """Give a claimed row back on a graceful stop, due now, so another worker need not wait out the lease.

    A send that never started is uncounted (its attempt row deleted). A send cut short may have reached
    the receiver, so its attempt stays counted and on record as interrupted. False if the lease was
    already gone (the outcome was recorded, or another worker owns the row).
    """
    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "next_attempt_at": now,
        "updated_at": now,
    }
    if not send_started:
        values["attempt_count"] = DeliveryRecord.attempt_count - 1
    result = session.execute(
        update(DeliveryRecord)
        .where(
            DeliveryRecord.delivery_id == delivery_id,
            DeliveryRecord.claimed_by == worker_id,
            DeliveryRecord.state.in_(DUE_STATES),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    released = bool(getattr(result, "rowcount", 0))
    if released and send_started:
        session.execute(
            update(DeliveryAttemptRecord)
            .where(
                DeliveryAttemptRecord.delivery_id == delivery_id,
                DeliveryAttemptRecord.error == INTERRUPTED_ERROR,
            )
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )
    elif released:
        record = session.scalars(
            select(DeliveryRecord).where(DeliveryRecord.delivery_id == delivery_id)
        ).one()
        session.execute(
            delete(DeliveryAttemptRecord)
            .where(
                DeliveryAttemptRecord.delivery_id == delivery_id,
                DeliveryAttemptRecord.attempt_number > record.attempt_count,
            )
            .execution_options(synchronize_session=False)
        )
    return released


def next_due_at(session: Session) -> datetime | None:
    """When the earliest waiting row becomes due (the worker sleeps until then, or until woken)."""
    return session.scalar(
        select(func.min(DeliveryRecord.next_attempt_at)).where(DeliveryRecord.state.in_(DUE_STATES))
    )


def load_circuit(
    session: Session, *, receiver: str, now: datetime, lock: bool
) -> tuple[int, datetime | None]:
    """(consecutive failures, opened until) of a receiver's breaker; the row is created if missing and,
    on PostgreSQL, locked until the transaction ends so replicas update it one at a time."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ReceiverCircuitRecord)
        .values(receiver=receiver, consecutive_failures=0, opened_until=None, updated_at=now)
        .on_conflict_do_nothing(index_elements=["receiver"])
    )
    query = select(ReceiverCircuitRecord.consecutive_failures, ReceiverCircuitRecord.opened_until).where(
        ReceiverCircuitRecord.receiver == receiver
    )
    if lock and dialect == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).one()
    return int(row[0]), row[1]


def store_circuit(
    session: Session,
    *,
    receiver: str,
    consecutive_failures: int,
    opened_until: datetime | None,
    now: datetime,
) -> None:
    session.execute(
        update(ReceiverCircuitRecord)
        .where(ReceiverCircuitRecord.receiver == receiver)
        .values(consecutive_failures=consecutive_failures, opened_until=opened_until, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def circuits(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Every receiver's breaker: (consecutive failures, opened until)."""
    rows = session.execute(
        select(
            ReceiverCircuitRecord.receiver,
            ReceiverCircuitRecord.consecutive_failures,
            ReceiverCircuitRecord.opened_until,
        )
    ).all()
    return {str(receiver): (int(failures), opened_until) for receiver, failures, opened_until in rows}


def get_deliveries(
    session: Session, *, delivery_ids: Iterable[str], with_attempts: bool
) -> list[StoredDelivery]:
    """The deliveries named, in the order given (unknown ids are left out)."""
    wanted = list(dict.fromkeys(delivery_ids))
    if not wanted:
        return []
    records = {
        record.delivery_id: record
        for record in session.scalars(select(DeliveryRecord).where(DeliveryRecord.delivery_id.in_(wanted)))
    }
    attempts = _attempts_of(session, list(records)) if with_attempts else {}
    return [_delivery(records[i], attempts.get(i, ())) for i in wanted if i in records]


def get_delivery(session: Session, *, delivery_id: str) -> StoredDelivery:
    found = get_deliveries(session, delivery_ids=[delivery_id], with_attempts=True)
    if not found:
        raise NotFound(Resource.DELIVERY, delivery_id)
    return found[0]


def _attempts_of(session: Session, delivery_ids: list[str]) -> dict[str, list[DeliveryAttemptRecord]]:
    grouped: dict[str, list[DeliveryAttemptRecord]] = {}
    if not delivery_ids:
        return grouped
    for attempt in session.scalars(
        select(DeliveryAttemptRecord)
        .where(DeliveryAttemptRecord.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttemptRecord.delivery_id, DeliveryAttemptRecord.attempt_number)
    ):
        grouped.setdefault(attempt.delivery_id, []).append(attempt)
    return grouped


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: tuple[StoredDelivery, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_deliveries(
    session: Session,
    *,
    page: PageRequest,
    plan_id: str = "",
    receiver: str = "",
    state: str = "",
    schedule_runs: bool | None = None,
) -> DeliveryPage:
    """Deliveries newest first, filtered, keyset-paged on the surrogate id."""
    conditions: list[Any] = []
    if plan_id:
        conditions.append(DeliveryRecord.plan_id == plan_id)
    if receiver:
        conditions.append(DeliveryRecord.receiver == receiver)
    if state:
        conditions.append(DeliveryRecord.state == state)
    if schedule_runs is True:
        conditions.append(DeliveryRecord.schedule_run_id.is_not(None))
    elif schedule_runs is False:
        conditions.append(DeliveryRecord.plan_id.is_not(None))
    total = int(session.scalar(select(func.count()).select_from(DeliveryRecord).where(*conditions)) or 0)
    query = select(DeliveryRecord).where(*conditions)
    if page.after is not None:
        query = query.where(DeliveryRecord.id < page.after.row_id)
    records = list(session.scalars(query.order_by(DeliveryRecord.id.desc()).limit(page.page_size + 1)))
    more = len(records) > page.page_size
    records = records[: page.page_size]
    attempts = _attempts_of(session, [record.delivery_id for record in records])
    return DeliveryPage(
        deliveries=tuple(_delivery(record, attempts.get(record.delivery_id, ())) for record in records),
        next_cursor=PageCursor(records[-1].id) if more else None,
        total_size=total,
    )


def start_new_round(
    session: Session, *, delivery_id: str, now: datetime, allowed_states: Sequence[str]
) -> StoredDelivery:
    """Put a delivery back in the outbox for a fresh round of attempts (replay, retry worker)."""
    record = session.scalars(
        select(DeliveryRecord).where(DeliveryRecord.delivery_id == delivery_id).with_for_update()
    ).one_or_none()
    if record is None:
        raise NotFound(Resource.DELIVERY, delivery_id)
    if record.state not in allowed_states:
        raise FailedPrecondition(
            f"delivery {delivery_id!r} is {record.state}; "
            f"only {', '.join(allowed_states)} deliveries can be replayed",
            reason=Reason.DELIVERY_NOT_REPLAYABLE,
            metadata={"delivery_id": delivery_id, "state": record.state},
        )
    record.state = PENDING
    record.max_attempts = record.attempt_count + record.attempts_per_round
    record.round_count = record.round_count + 1
    record.next_attempt_at = now
    record.claimed_by = None
    record.claimed_until = None
    record.updated_at = now
    session.flush()
    return _delivery(record, _attempts_of(session, [delivery_id]).get(delivery_id, ()))


def delivery_counts(session: Session) -> dict[str, int]:
    """Deliveries per state (outbox depth is pending + retrying)."""
    rows = session.execute(select(DeliveryRecord.state, func.count()).group_by(DeliveryRecord.state)).all()
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    counts.update({str(state): int(count) for state, count in rows})
    return counts


def failed_escalation_deliveries(
    session: Session, *, plan_id: str, limit: int = 1000
) -> list[StoredDelivery]:
    """Escalation deliveries not delivered (dead-lettered, or still retrying), oldest first."""
    query = select(DeliveryRecord).where(
        DeliveryRecord.plan_id.is_not(None),
        DeliveryRecord.state.in_((RETRYING, DEAD_LETTERED)),
    )
    if plan_id:
        query = query.where(DeliveryRecord.plan_id == plan_id)
    records = session.scalars(query.order_by(DeliveryRecord.id).limit(limit)).all()
    return [_delivery(record) for record in records]
