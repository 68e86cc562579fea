"""Delivery records ⇄ proto messages (Delivery, DeliveryAttempt, ReceiverDeliveryResult)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cavra.recovery.v1 import common_pb2, delivery_pb2
from cavra_recovery.server.handlers.timestamps import to_optional_timestamp, to_timestamp
from cavra_recovery.server.storage.deliveries import StoredAttempt, StoredDelivery


def delivery_state(state: str) -> int:
    return int(common_pb2.DeliveryState.Value(f"DELIVERY_STATE_{state.upper()}"))


def delivery_state_name(value: int) -> str:
    return str(common_pb2.DeliveryState.Name(value)).removeprefix("DELIVERY_STATE_").lower()


def failure_reason(reason: str) -> int:
    name = f"DELIVERY_FAILURE_REASON_{reason.upper()}"
    if not reason or name not in common_pb2.DeliveryFailureReason.keys():
        return int(common_pb2.DELIVERY_FAILURE_REASON_UNSPECIFIED)
    return int(common_pb2.DeliveryFailureReason.Value(name))


def _request_message(request: Mapping[str, Any]) -> delivery_pb2.RedactedRequest:
    return delivery_pb2.RedactedRequest(
        method=str(request.get("method", "")),
        url=str(request.get("url", "")),
        headers=[
            delivery_pb2.RedactedHeader(name=str(header["name"]), value=str(header["value"]))
            for header in request.get("headers", [])
        ],
        body_sha256=str(request.get("body_sha256", "")),
    )


def attempt_message(attempt: StoredAttempt) -> delivery_pb2.DeliveryAttempt:
    return delivery_pb2.DeliveryAttempt(
        attempt_number=attempt.attempt_number,
        started_at=to_timestamp(attempt.started_at),
        finished_at=to_timestamp(attempt.finished_at),
        success=attempt.success,
        http_status=attempt.http_status,
        failure_reason=failure_reason(attempt.failure_reason),
        retryable=attempt.retryable,
        latency_ms=attempt.latency_ms,
        requests=[_request_message(request) for request in attempt.requests],
        error=attempt.error,
    )


def delivery_message(delivery: StoredDelivery) -> delivery_pb2.Delivery:
    return delivery_pb2.Delivery(
        delivery_id=delivery.delivery_id,
        delivery_evidence_id=delivery.delivery_evidence_id,
        plan_id=delivery.plan_id or "",
        schedule_run_id=delivery.schedule_run_id or "",
        receiver=delivery.receiver,
        provider=delivery.provider,
        state=delivery_state(delivery.state),
        attempt_count=delivery.attempt_count,
        max_attempts=delivery.max_attempts,
        next_attempt_at=to_optional_timestamp(delivery.next_attempt_at),
        created_at=to_timestamp(delivery.created_at),
        updated_at=to_timestamp(delivery.updated_at),
        route_count=delivery.route_count,
        external_reference=delivery.external_reference,
        attempts=[attempt_message(attempt) for attempt in delivery.attempts],
        suppressed_by=suppressed_by(delivery),
    )


def is_successful(delivery: StoredDelivery) -> bool:
    """Delivered, built on a dry run, or held back as configured (silenced or inhibited): nothing failed."""
    return delivery.state in ("delivered", "dry_run", "silenced", "inhibited")


def suppressed_by(delivery: StoredDelivery) -> str:
    """The silence id or inhibiting route of a SILENCED / INHIBITED delivery; else empty."""
    if delivery.state not in ("silenced", "inhibited"):
        return ""
    held = delivery.notification.get("suppressed_routes") or [{}]
    return str(held[0].get("by", ""))


def result_message(delivery: StoredDelivery) -> delivery_pb2.ReceiverDeliveryResult:
    return delivery_pb2.ReceiverDeliveryResult(
        receiver=delivery.receiver,
        provider=delivery.provider,
        delivery_id=delivery.delivery_id,
        state=delivery_state(delivery.state),
        success=is_successful(delivery),
        attempt_count=delivery.attempt_count,
        http_status=delivery.last_http_status,
        failure_reason=failure_reason(delivery.last_failure_reason),
        route_count=delivery.route_count,
        error=delivery.last_error,
        suppressed_by=suppressed_by(delivery),
    )
