"""google.rpc.Status for every error answer, and the interceptor mapping DomainError to it.

`DomainErrorInterceptor` answers a DomainError with its code and google.rpc details (ErrorInfo,
BadRequest). Anything else a handler raises is logged and answered INTERNAL with no detail, so no
secret or stack trace leaves the process. The auth interceptor builds its denials with the same
ERROR_DOMAIN and `abort_with`; this module sits beside both, below neither.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from cavra_recovery.server.domain.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from cavra_recovery.server.domain.reasons import ERROR_DOMAIN, Reason

log = logging.getLogger(__name__)

_CODES: dict[type[DomainError], int] = {
    InvalidArgument: code_pb2.INVALID_ARGUMENT,
    NotFound: code_pb2.NOT_FOUND,
    AlreadyExists: code_pb2.ALREADY_EXISTS,
    FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    Unavailable: code_pb2.UNAVAILABLE,
    ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
}


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


# Error text echoes caller input; capped so a 10,000-character id cannot overflow the trailers.
MAX_MESSAGE_CHARS = 1024
MAX_DETAIL_CHARS = 256


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_for(error: DomainError) -> status_pb2.Status:
    code = next((c for cls, c in _CODES.items() if isinstance(error, cls)), code_pb2.UNKNOWN)
    metadata = {key: _capped(value, MAX_DETAIL_CHARS) for key, value in error.metadata.items()}
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata)
    details = [_pack(info)]
    if isinstance(error, Unavailable | ResourceExhausted):
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after_seconds * 1e9))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    if isinstance(error, InvalidArgument):
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=_capped(v.field, MAX_DETAIL_CHARS),
                            description=_capped(v.description, MAX_DETAIL_CHARS),
                        )
                        for v in error.violations
                    ]
                )
            )
        )
    return status_pb2.Status(code=code, message=_capped(error.message, MAX_MESSAGE_CHARS), details=details)


def simple_status(code: int, message: str, reason: Reason) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)
    return status_pb2.Status(code=code, message=message, details=[_pack(info)])


async def abort_with(context: grpc.aio.ServicerContext[Any, Any], status: status_pb2.Status) -> None:
    rich = rpc_status.to_status(status)
    await context.abort(rich.code, rich.details, rich.trailing_metadata)


Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
# A bug hit by every call must not flood the log: one traceback per method per window, then one line each.
TRACEBACK_WINDOW_SECONDS = 60.0
_last_traceback: dict[str, float] = {}


def _log_unhandled(method: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _last_traceback.get(method, -TRACEBACK_WINDOW_SECONDS) >= TRACEBACK_WINDOW_SECONDS:
        _last_traceback[method] = now
        log.error("unhandled error in %s", method, exc_info=error)
    else:
        log.error("unhandled error in %s: %s (traceback logged once a minute)", method, type(error).__name__)


def _guard(behavior: Behavior, method: str) -> Behavior:
    async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await behavior(request, context)
        except DomainError as error:
            await abort_with(context, status_for(error))
        except grpc.aio.AbortError:
            raise
        except NotImplementedError:
            # The generated servicer base raises this for an RPC this build does not serve.
            await abort_with(
                context, simple_status(code_pb2.UNIMPLEMENTED, "method not implemented", Reason.UNIMPLEMENTED)
            )
        except Exception as error:
            _log_unhandled(method, error)
            await abort_with(context, simple_status(code_pb2.INTERNAL, "internal error", Reason.INTERNAL))
        raise AssertionError("unreachable: abort raises")

    return guarded


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """Turns DomainError raised anywhere below a handler into the matching rich gRPC status (the guarded
    handler is built once per method)."""

    def __init__(self) -> None:
        self._handlers: dict[
            str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]
        ] = {}

    async def intercept_service(  # type: ignore[override]
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = handler_call_details.method
        cached = self._handlers.get(method)
        if cached is None or cached[0] is not handler:
            guarded = grpc.unary_unary_rpc_method_handler(
                _guard(handler.unary_unary, method),  # type: ignore[arg-type]
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
            cached = self._handlers[method] = (handler, guarded)
        return cached[1]
