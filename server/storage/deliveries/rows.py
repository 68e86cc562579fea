"""Delivery states and the stored rows as plain dataclasses, read back with their attempts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.storage.models import (
    INTERRUPTED_ATTEMPT_ERROR,
    DeliveryAttemptRecord,
    DeliveryRecord,
    DeliveryRequestRecord,
)

PENDING = "pending"
RETRYING = "retrying"
DELIVERED = "delivered"
DEAD_LETTERED = "dead_lettered"
DRY_RUN = "dry_run"
# Not sent: an active silence, or an inhibit rule, matched every route of the notification.
SILENCED = "silenced"
INHIBITED = "inhibited"
SUPPRESSED_STATES = (SILENCED, INHIBITED)
DELIVERY_STATES = (PENDING, RETRYING, DELIVERED, DEAD_LETTERED, DRY_RUN, SILENCED, INHIBITED)
DUE_STATES = (PENDING, RETRYING)
FINAL_STATES = (DELIVERED, DEAD_LETTERED, DRY_RUN, SILENCED, INHIBITED)

INTERRUPTED_ERROR = INTERRUPTED_ATTEMPT_ERROR


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
    # The W3C trace context of the request that queued it (docs/tracing.md); None when tracing was off.
    traceparent: str | None = None

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
    delivery_ids: tuple[str, ...]


def stored_attempt(record: DeliveryAttemptRecord) -> StoredAttempt:
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


def stored_delivery(record: DeliveryRecord, attempts: Sequence[DeliveryAttemptRecord] = ()) -> StoredDelivery:
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
        attempts=tuple(stored_attempt(attempt) for attempt in attempts),
        traceparent=record.traceparent,
    )


def get_delivery_request(session: Session, *, delivery_evidence_id: str) -> StoredDeliveryRequest:
    record = session.scalars(
        select(DeliveryRequestRecord).where(
            DeliveryRequestRecord.delivery_evidence_id == delivery_evidence_id
        )
    ).one_or_none()
    if record is None:
        raise NotFound(Resource.DELIVERY_EVIDENCE, delivery_evidence_id)
    return stored_request(session, record)


def stored_request(session: Session, record: DeliveryRequestRecord) -> StoredDeliveryRequest:
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
        delivery_ids=tuple(ids),
    )


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
    attempts = attempts_of(session, list(records)) if with_attempts else {}
    return [stored_delivery(records[i], attempts.get(i, ())) for i in wanted if i in records]


def get_delivery(session: Session, *, delivery_id: str) -> StoredDelivery:
    found = get_deliveries(session, delivery_ids=[delivery_id], with_attempts=True)
    if not found:
        raise NotFound(Resource.DELIVERY, delivery_id)
    return found[0]


def attempts_of(session: Session, delivery_ids: list[str]) -> dict[str, list[DeliveryAttemptRecord]]:
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
