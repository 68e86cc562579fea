"""Delivery metrics on the server's `ServiceMetrics`: outcomes per receiver, attempt latency, outbox
depth, dead letters and breaker state. Labels are receiver names and a closed set of outcomes only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cavra_recovery.server.metrics import BREAKER_CLOSED, BREAKER_HALF_OPEN, BREAKER_OPEN, ServiceMetrics
from cavra_recovery.server.storage.deliveries import AttemptOutcome


def observe_attempt(metrics: ServiceMetrics, receiver: str, outcome: AttemptOutcome, state: str) -> None:
    """One recorded attempt: outcome delivered | retrying | dead_lettered, and its latency."""
    metrics.deliveries.labels(receiver=receiver, outcome=state).inc()
    metrics.delivery_attempt_latency.labels(receiver=receiver).observe(outcome.latency_ms / 1000.0)


def observe_dry_run(metrics: ServiceMetrics, receiver: str) -> None:
    metrics.deliveries.labels(receiver=receiver, outcome="dry_run").inc()


def observe_outbox(
    metrics: ServiceMetrics,
    counts: Mapping[str, int],
    circuits: Mapping[str, tuple[int, datetime | None]],
    *,
    threshold: int,
    now: datetime,
) -> None:
    """Gauges set from database counts, so every replica reports the shared values."""
    metrics.outbox_depth.set(counts.get("pending", 0) + counts.get("retrying", 0))
    metrics.dead_letters.set(counts.get("dead_lettered", 0))
    for receiver, (failures, opened_until) in circuits.items():
        if opened_until is not None and opened_until > now:
            state = BREAKER_OPEN
        elif failures >= threshold:
            state = BREAKER_HALF_OPEN
        else:
            state = BREAKER_CLOSED
        metrics.breaker_state.labels(receiver=receiver).set(state)
