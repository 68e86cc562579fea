"""The gateway's server span (docs/tracing.md), added only when tracing is on.

One SERVER span per HTTP request, a child of the caller's W3C `traceparent` header when it sends one.
The gRPC call it makes runs inside this span: the channel's OpenTelemetry client interceptor starts a
CLIENT span under it and forwards its `traceparent` as gRPC metadata.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from cavra_recovery.server.tracing import extract

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def tracing_middleware(tracer: trace.Tracer) -> Any:
    @web.middleware
    async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
        carrier = {key.lower(): value for key, value in request.headers.items()}
        with tracer.start_as_current_span(
            f"HTTP {request.method}",
            context=extract(carrier),
            kind=SpanKind.SERVER,
            # The path only: a query string may carry ids a trace backend need not see.
            attributes={"http.request.method": request.method, "url.path": request.path},
        ) as span:
            response = await handler(request)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    return traced
