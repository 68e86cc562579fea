"""Optional OpenTelemetry tracing (docs/tracing.md): on with `--otel` or `OTEL_EXPORTER_OTLP_ENDPOINT`.

When it is off, nothing here runs: no tracer provider, no interceptor, no span, no log filter. When it
is on, one `Tracing` owns a TracerProvider (never the process-global one, so a test can run several
servers side by side) and hands tracers to the gateway, the gRPC interceptor, the storage layer and the
connectors' httpx client. Context crosses process boundaries as W3C `traceparent`: from the HTTP
request into gRPC metadata, and from the request's span onto the delivery row (the worker sends
later, so the row carries the context; see docs/tracing.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    # The SDK is imported only when tracing is on (start_tracing).
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

SERVICE_NAME = "cavra-recovery"
TRACEPARENT = "traceparent"
# The W3C form: version 00, 32 hex trace id, 16 hex span id, 2 hex flags.
TRACEPARENT_LENGTH = 55
_propagator = TraceContextTextMapPropagator()


@dataclass
class Tracing:
    provider: TracerProvider

    def tracer(self, name: str) -> trace.Tracer:
        return self.provider.get_tracer(name)

    def shutdown(self) -> None:
        self.provider.shutdown()


def start_tracing(endpoint: str | None, *, processor: SpanProcessor | None = None) -> Tracing | None:
    """A provider exporting OTLP/HTTP to `endpoint` (and to `processor`, for tests); None when both are
    None: tracing is off."""
    if endpoint is None and processor is None:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    if endpoint is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint))))
    if processor is not None:
        provider.add_span_processor(processor)
    install_trace_log_filter()
    return Tracing(provider)


def traces_url(endpoint: str) -> str:
    """OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to `/v1/traces` under it."""
    return endpoint.rstrip("/") + "/v1/traces"


def current_traceparent() -> str | None:
    """The current span's context as a W3C `traceparent` value, or None outside a sampled span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    value = carrier.get(TRACEPARENT)
    return value if value is not None and len(value) == TRACEPARENT_LENGTH else None


def inject_metadata(metadata: list[tuple[str, str]]) -> None:
    """Append the current context's `traceparent` (and `tracestate`) to gRPC metadata."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    metadata.extend(carrier.items())


def extract(carrier: dict[str, str]) -> otel_context.Context:
    """The context a W3C `traceparent` header (in a dict with lower-case keys) names."""
    return _propagator.extract(carrier)


class TraceContextFilter(logging.Filter):
    """Puts `trace_id` and `span_id` (hex) of the current span on every record, when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = trace.format_trace_id(span_context.trace_id)
            record.span_id = trace.format_span_id(span_context.span_id)
        return True


def install_trace_log_filter(logger: logging.Logger | None = None) -> None:
    """Trace ids on every line of the root logger's handlers (text and JSON); safe to call twice."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, TraceContextFilter) for f in handler.filters):
            handler.addFilter(TraceContextFilter())


@contextmanager
def delivery_span(tracing: Tracing | None, traceparent: str | None, receiver: str) -> Iterator[None]:
    """The span of one send attempt by the delivery worker: a child of the request that queued the
    delivery when its row carries a `traceparent`, else a new trace. Nothing at all with tracing off."""
    if tracing is None:
        yield
        return
    parent = extract({TRACEPARENT: traceparent}) if traceparent else None
    tracer = tracing.tracer("cavra-recovery.delivery")
    with tracer.start_as_current_span(
        f"deliver {receiver}", context=parent, attributes={"cavra.receiver": receiver}
    ):
        yield
