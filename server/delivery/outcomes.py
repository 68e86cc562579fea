"""What one attempt did, as stored evidence, and the delivery's next state: retry later or stop."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cavra_recovery.connectors import FailureReason, RecordedRequest, Redactor, SendResult
from cavra_recovery.server.delivery import backoff
from cavra_recovery.server.delivery.tuning import DeliveryTuning
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage import retry_runs

# The failure reason of an attempt a receiver's open circuit breaker held back.
CIRCUIT_OPEN = "circuit_open"
CIRCUIT_ERROR = "circuit open: recent attempts to this receiver kept failing; not sent"
# Failures that say the endpoint is unhealthy, as opposed to a problem with what was sent.
RECEIVER_HEALTH_FAILURES = frozenset(
    {FailureReason.TIMEOUT, FailureReason.NETWORK, FailureReason.SERVER_ERROR, FailureReason.RATE_LIMITED}
)


def recorded_request(request: RecordedRequest, redactor: Redactor) -> dict[str, Any]:
    """The redacted request as delivery evidence: method, URL, headers and the body's digest only."""
    return {
        "method": request.method,
        "url": redactor.by_value(request.url),
        "headers": [
            {"name": name, "value": redactor.header_value(name, value)} for name, value in request.headers
        ],
        "body_sha256": request.body_sha256,
    }


def attempt_outcome(
    result: SendResult,
    *,
    started: datetime,
    finished: datetime,
    latency_ms: int,
    admitted: bool,
    redactor: Redactor,
) -> store.AttemptOutcome:
    failure_reason = CIRCUIT_OPEN if not admitted else (result.failure.value if result.failure else "")
    return store.AttemptOutcome(
        started_at=started,
        finished_at=finished,
        success=result.ok,
        http_status=result.http_status or 0,
        failure_reason=failure_reason,
        retryable=result.retryable,
        latency_ms=latency_ms,
        requests=tuple(recorded_request(request, redactor) for request in result.requests),
        error=redactor.by_value(result.error)[:512],
        external_reference=redactor.by_value(result.external_reference or ""),
    )


def next_state(
    result: SendResult,
    *,
    attempt_number: int,
    max_attempts: int,
    finished: datetime,
    tuning: DeliveryTuning,
    circuit_open_until: datetime | None,
) -> tuple[str, datetime | None]:
    """Delivered; retrying at a backoff time (never before an open circuit closes); or dead-lettered."""
    if result.ok:
        return store.DELIVERED, None
    if result.retryable and attempt_number < max_attempts:
        delay = backoff.retry_delay_seconds(
            attempt_number, tuning, retry_after_seconds=result.retry_after_seconds
        )
        next_attempt_at = finished + timedelta(seconds=delay)
        if circuit_open_until is not None:
            next_attempt_at = max(next_attempt_at, circuit_open_until)
        return store.RETRYING, next_attempt_at
    return store.DEAD_LETTERED, None


def record_background_decision(
    session: Any,
    delivery: store.StoredDelivery,
    result: SendResult,
    state: str,
    *,
    started: datetime,
    now: datetime,
) -> None:
    """Store the worker's decision after a failed attempt (another attempt, or a dead letter) as a
    background retry run, in the transaction that records the attempt. A success decides nothing."""
    if result.ok:
        return
    if state == store.DEAD_LETTERED:
        decision = retry_runs.delivery_decision(
            delivery,
            "suppress",
            "attempts_exhausted" if result.retryable else "not_retryable",
            outcome_state=state,
        )
    else:
        why = "circuit_open" if result.error == CIRCUIT_ERROR else "backoff_scheduled"
        decision = retry_runs.delivery_decision(delivery, "retry", why, outcome_state=state)
    retry_runs.record_retry_run(
        session,
        trigger=retry_runs.BACKGROUND,
        requested_by=None,
        dry_run=False,
        started_at=started,
        finished_at=now,
        decisions=[decision],
    )


def lease_seconds(provider: str, route_count: int, request_timeout: float, grace: float) -> float:
    """How long a claim holds a row: the whole send budget, so a live send is never claimed twice."""
    requests = max(1, route_count) if provider == "pagerduty" else 1
    # Token endpoints (Sentinel) and STARTTLS add round trips: budget two timeouts per request.
    return request_timeout * requests * 2 + grace
