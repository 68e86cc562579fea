"""Attempts: each send's outcome recorded as delivery evidence, and the row's next state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from cavra_recovery.server.storage.ledger.append import append as ledger_append
from cavra_recovery.server.storage.models import (
    DeliveryAttemptRecord,
    DeliveryRecord,
)


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
    recorded = session.execute(
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
    if getattr(recorded, "rowcount", 0):
        ledger_append(session, DeliveryAttemptRecord, [_attempt_row(delivery_id, attempt_number, outcome)])
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


def _attempt_row(delivery_id: str, attempt_number: int, outcome: AttemptOutcome) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "attempt_number": attempt_number,
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "success": outcome.success,
        "http_status": outcome.http_status,
        "failure_reason": outcome.failure_reason,
        "retryable": outcome.retryable,
        "latency_ms": outcome.latency_ms,
        "requests": [dict(request) for request in outcome.requests],
        "error": outcome.error[:512],
    }
