"""The outbox: deliver requests and their rows, due rows, claims (leases), new rounds, counts.

Plain functions taking the caller's session; none of them commits. The worker composes the claim and
finish steps inside its own transactions; operations enqueue inside the RPC's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import FailedPrecondition, NotFound
from cavra_recovery.server.domain.reasons import Reason, Resource
from cavra_recovery.server.storage.deliveries.rows import (
    DEAD_LETTERED,
    DELIVERY_STATES,
    DRY_RUN,
    DUE_STATES,
    INTERRUPTED_ERROR,
    PENDING,
    RETRYING,
    StoredDelivery,
    attempts_of,
    stored_delivery,
)
from cavra_recovery.server.storage.ledger.append import append as ledger_append
from cavra_recovery.server.storage.models import (
    DeliveryAttemptRecord,
    DeliveryRecord,
    DeliveryRequestRecord,
)

_ATTEMPT_COLUMNS = tuple(DeliveryAttemptRecord.__table__.columns)


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
    traceparent: str | None = None,
    suppressed_state: str | None = None,
) -> None:
    """One outbox row; with `suppressed_state` (silenced or inhibited) it is recorded final, never sent."""
    session.add(
        DeliveryRecord(
            delivery_id=delivery_id,
            delivery_evidence_id=delivery_evidence_id,
            plan_id=plan_id,
            schedule_run_id=schedule_run_id,
            receiver=receiver,
            provider=provider,
            state=suppressed_state or (DRY_RUN if dry_run else PENDING),
            attempt_count=0,
            max_attempts=max_attempts,
            round_count=1,
            attempts_per_round=max_attempts,
            timeout_seconds=timeout_seconds,
            next_attempt_at=None if dry_run or suppressed_state else now,
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
            traceparent=traceparent,
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
    return stored_delivery(record)


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
        interrupted = session.execute(
            select(*_ATTEMPT_COLUMNS).where(
                DeliveryAttemptRecord.delivery_id == delivery_id,
                DeliveryAttemptRecord.error == INTERRUPTED_ERROR,
            )
        ).mappings()
        ledger_append(session, DeliveryAttemptRecord, list(interrupted))
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
    return stored_delivery(record, attempts_of(session, [delivery_id]).get(delivery_id, ()))


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
    return [stored_delivery(record) for record in records]
