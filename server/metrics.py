"""Prometheus metrics of one server instance, on its own CollectorRegistry.

Each running server owns a `ServiceMetrics` (on `ServiceDependencies.metrics`), so several servers
in one process never clash over the global registry. The gateway serves `render(metrics)` at
`/metrics`; the delivery worker updates the delivery metrics below.

RPC metrics follow the names of go-grpc-prometheus / grpc-ecosystem so existing dashboards apply:

    grpc_server_started_total{grpc_type,grpc_service,grpc_method}
    grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
    grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}        (histogram)

Service metrics:

    cavra_evidence_records_total{kind,outcome}        outcome: created | unchanged
    cavra_deliveries_total{receiver,outcome}          outcome: delivered | retrying | dead_lettered | dry_run
    cavra_delivery_attempt_seconds{receiver}          (histogram) one send attempt, connector call only
    cavra_outbox_depth                                deliveries pending or retrying (in the database)
    cavra_dead_letters                                deliveries dead-lettered and not replayed
    cavra_receiver_breaker_state{receiver}            0 closed, 1 half-open, 2 open
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# RPC latency buckets: evidence reads take milliseconds, a 5,000-record batch or a delivery seconds.
RPC_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DELIVERY_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

BREAKER_CLOSED = 0
BREAKER_HALF_OPEN = 1
BREAKER_OPEN = 2

_RPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")


@dataclass(frozen=True, eq=False)
class ServiceMetrics:
    """Every metric one server exposes; build with `create_metrics()`."""

    registry: CollectorRegistry = field(repr=False)
    rpc_started: Counter
    """RPCs received, by method (counted before authentication)."""
    rpc_handled: Counter
    """RPCs completed, by method and gRPC status code name (OK, INVALID_ARGUMENT, …)."""
    rpc_latency: Histogram
    """Seconds from receiving an RPC to its status, by method."""
    evidence_records: Counter
    """Evidence records taken in, by kind (retry_execution, connector_recovery_playbook,
    recovery_closure) and outcome (created, unchanged)."""
    deliveries: Counter
    """Delivery outcomes by receiver name and outcome: delivered, retrying (an attempt failed with a
    retryable reason), dead_lettered, dry_run. Increment once per outcome the worker records."""
    delivery_attempt_latency: Histogram
    """Seconds one connector send attempt took, by receiver."""
    outbox_depth: Gauge
    """Deliveries waiting in the outbox (pending or retrying). Set from a database count by the worker,
    so every replica reports the shared value."""
    dead_letters: Gauge
    """Deliveries dead-lettered and not yet replayed. Set from a database count by the worker."""
    breaker_state: Gauge
    """Per-receiver circuit breaker: BREAKER_CLOSED (0), BREAKER_HALF_OPEN (1) or BREAKER_OPEN (2)."""


def create_metrics() -> ServiceMetrics:
    """A fresh registry with every metric registered on it."""
    registry = CollectorRegistry(auto_describe=True)
    return ServiceMetrics(
        registry=registry,
        rpc_started=Counter(
            "grpc_server_started_total", "RPCs started on the server.", _RPC_LABELS, registry=registry
        ),
        rpc_handled=Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, regardless of success or failure.",
            (*_RPC_LABELS, "grpc_code"),
            registry=registry,
        ),
        rpc_latency=Histogram(
            "grpc_server_handling_seconds",
            "Response latency of RPCs handled by the server.",
            _RPC_LABELS,
            buckets=RPC_LATENCY_BUCKETS,
            registry=registry,
        ),
        evidence_records=Counter(
            "cavra_evidence_records_total",
            "Evidence records taken in, by kind and outcome (created or unchanged).",
            ("kind", "outcome"),
            registry=registry,
        ),
        deliveries=Counter(
            "cavra_deliveries_total",
            "Escalation deliveries by receiver and outcome.",
            ("receiver", "outcome"),
            registry=registry,
        ),
        delivery_attempt_latency=Histogram(
            "cavra_delivery_attempt_seconds",
            "Seconds one connector send attempt took.",
            ("receiver",),
            buckets=DELIVERY_LATENCY_BUCKETS,
            registry=registry,
        ),
        outbox_depth=Gauge(
            "cavra_outbox_depth", "Deliveries pending or retrying in the outbox.", registry=registry
        ),
        dead_letters=Gauge(
            "cavra_dead_letters", "Deliveries dead-lettered and not yet replayed.", registry=registry
        ),
        breaker_state=Gauge(
            "cavra_receiver_breaker_state",
            "Circuit breaker state per receiver: 0 closed, 1 half-open, 2 open.",
            ("receiver",),
            registry=registry,
        ),
    )


def split_method(full_method: str) -> tuple[str, str]:
    """'/pkg.Service/Method' -> ('pkg.Service', 'Method')."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service or "unknown", method or "unknown"


def render(metrics: ServiceMetrics) -> tuple[bytes, str]:
    """The Prometheus text exposition of `metrics` and its content type, for `/metrics`."""
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST
