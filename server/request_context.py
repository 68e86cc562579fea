"""Per-RPC context: request id and principal on every log line of the RPC, RPC metrics, access log.

`RequestContextInterceptor` is the outermost interceptor: it takes `x-request-id` from the call's
metadata (or makes one), returns it as initial metadata, keeps it in a contextvar for the duration of
the RPC (worker threads started with `asyncio.to_thread` inherit it) and records the RPC's metrics.
`install_log_context()` makes every log record carry `request_id` and `principal` attributes and
appends them to the formatted line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import grpc
from google.protobuf.message import DecodeError

from cavra_recovery.server.domain.errors import FieldViolation, InvalidArgument
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.json_logs import JsonLogFormatter
from cavra_recovery.server.log_throttle import LogThrottle
from cavra_recovery.server.metrics import ServiceMetrics, split_method
from cavra_recovery.server.rpc_status import abort_with, status_for

REQUEST_ID_HEADER = "x-request-id"
# A caller's request id is echoed and logged, so only a short, plain token is taken as is.
_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Codes that mean the server, not the caller, failed: logged at WARNING.
_SERVER_FAULTS = frozenset({"INTERNAL", "UNKNOWN", "DATA_LOSS", "UNIMPLEMENTED"})

request_id_var: ContextVar[str | None] = ContextVar("cavra_request_id", default=None)
principal_var: ContextVar[str | None] = ContextVar("cavra_principal", default=None)

log = logging.getLogger("cavra-recovery.rpc")
_malformed_log = LogThrottle()


def caller_identity() -> str | None:
    """The authenticated token's name for the current RPC (set by server/auth.py), None with auth off."""
    return principal_var.get()


def request_id_from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    for key, value in metadata or ():
        if (
            key.lower() == REQUEST_ID_HEADER
            and isinstance(value, str)
            and _REQUEST_ID_PATTERN.fullmatch(value)
        ):
            return value
    return uuid.uuid4().hex


class RequestContextFilter(logging.Filter):
    """Puts the current RPC's `request_id` and `principal` on every record ("-" outside an RPC)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.principal = principal_var.get() or "-"
        return True


class RequestContextFormatter(logging.Formatter):
    """Wraps a handler's formatter and appends ` request_id=… principal=…` inside an RPC, and
    ` trace_id=… span_id=…` inside a span when tracing is on."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        request_id = getattr(record, "request_id", "-")
        trace_id = getattr(record, "trace_id", None)
        if request_id == "-" and trace_id is None:
            return line
        principal = getattr(record, "principal", "-")
        suffix = f" request_id={request_id}" if request_id != "-" else ""
        suffix += f" principal={principal}" if principal != "-" else ""
        # Set by server/tracing.py's filter only when tracing is on and a span is current.
        suffix += f" trace_id={trace_id} span_id={getattr(record, 'span_id', '-')}" if trace_id else ""
        first, newline, rest = line.partition("\n")
        return first + suffix + newline + rest


def install_log_context(logger: logging.Logger | None = None) -> None:
    """Add the request context to every handler of `logger` (the root logger); safe to call twice."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
            handler.addFilter(RequestContextFilter())
        # A JSON formatter writes the context as fields of its own.
        if not isinstance(handler.formatter, RequestContextFormatter | JsonLogFormatter):
            handler.setFormatter(RequestContextFormatter(handler.formatter))


def _code_name(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), "UNKNOWN")
    return "UNKNOWN"


Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


class MalformedRequest:
    """Bytes that do not parse as the method's request message (bad wire format, truncated, invalid
    UTF-8 in a string): answered INVALID_ARGUMENT before any handler, auth included, runs."""

    __slots__ = ()

    @staticmethod
    def error() -> InvalidArgument:
        return InvalidArgument(
            [FieldViolation("request", "is not a valid protobuf encoding of the method's request message")],
            reason=Reason.MALFORMED_REQUEST,
        )


def tolerant_deserializer(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """gRPC answers a deserializer's exception with UNKNOWN and logs a traceback; hand the handler a
    `MalformedRequest` instead, so the caller gets INVALID_ARGUMENT and the log stays quiet."""
    if deserialize is None:
        return None
    parse = deserialize

    def deserialize_or_mark(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            return MalformedRequest()

    return deserialize_or_mark


@dataclass(frozen=True, slots=True)
class _MethodMetrics:
    """One method's metric children, looked up once (`labels()` costs a dict build and a lock per call)."""

    started: Any
    latency: Any
    handled: Callable[[str], Any]


def _method_metrics(metrics: ServiceMetrics, method: str) -> _MethodMetrics:
    service, name = split_method(method)
    labels = {"grpc_type": "unary", "grpc_service": service, "grpc_method": name}
    handled: dict[str, Any] = {}

    def handled_child(code: str) -> Any:
        child = handled.get(code)
        if child is None:
            child = handled[code] = metrics.rpc_handled.labels(**labels, grpc_code=code)
        return child

    return _MethodMetrics(
        started=metrics.rpc_started.labels(**labels),
        latency=metrics.rpc_latency.labels(**labels),
        handled=handled_child,
    )


class RequestContextInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Outermost interceptor: request id, RPC metrics and the access log line of every unary RPC.

    The wrapped handler is built once per method and reused: everything per call (the request id from
    the call's metadata) is read inside it, so an RPC costs no handler, closure or label lookup.
    """

    def __init__(self, metrics: ServiceMetrics | None, *, access_log_level: int = logging.DEBUG) -> None:
        self._metrics = metrics
        self._access_log_level = access_log_level
        self._handlers: dict[
            str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]
        ] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        if handler.unary_unary is None and handler.stream_unary is not None:
            # The auth interceptor's refusal, which never reads the request (server/auth.py); built per
            # call, so not cached.
            return grpc.stream_unary_rpc_method_handler(
                self._observe(cast(Behavior, handler.stream_unary), method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_unary is None:
            return handler
        cached = self._handlers.get(method)
        if cached is None or cached[0] is not handler:
            observed = self._observe(cast(Behavior, handler.unary_unary), method)
            wrapped = grpc.unary_unary_rpc_method_handler(
                observed,
                request_deserializer=tolerant_deserializer(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
            cached = self._handlers[method] = (handler, wrapped)
        return cached[1]

    def _observe(self, behavior: Behavior, method: str) -> Behavior:
        metrics = None if self._metrics is None else _method_metrics(self._metrics, method)
        access_level = self._access_log_level

        async def observed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            request_id = request_id_from_metadata(context.invocation_metadata())
            token = request_id_var.set(request_id)
            # The auth interceptor (inside this one) fills the principal in; reset with the request id.
            principal_token = principal_var.set(None)
            started = time.perf_counter()
            if metrics is not None:
                metrics.started.inc()
            code = "OK"
            try:
                await context.send_initial_metadata(((REQUEST_ID_HEADER, request_id),))
                if isinstance(request, MalformedRequest):
                    if _malformed_log.allow(method):
                        log.warning(
                            "malformed request bytes to %s from %s answered INVALID_ARGUMENT "
                            "(%d more since the last such line; at most one a minute per method)",
                            method,
                            context.peer(),
                            _malformed_log.take_suppressed(method),
                        )
                    await abort_with(context, status_for(request.error()))
                return await behavior(request, context)
            except grpc.aio.AbortError:
                code = _code_name(context)
                raise
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except BaseException:
                code = "UNKNOWN"
                raise
            finally:
                elapsed = time.perf_counter() - started
                if metrics is not None:
                    metrics.handled(code).inc()
                    metrics.latency.observe(elapsed)
                level = logging.WARNING if code in _SERVER_FAULTS else access_level
                if log.isEnabledFor(level):
                    latency_ms = round(elapsed * 1000, 1)
                    fields = {"method": method, "status": code, "latency_ms": latency_ms}
                    log.log(level, "rpc %s %s %.1f ms", method, code, latency_ms, extra=fields)
                principal_var.reset(principal_token)
                request_id_var.reset(token)

        return observed
