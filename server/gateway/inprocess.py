"""In-process calls for the gateway that `serve` runs beside its own gRPC server.

A gateway in front of a remote server (`cavra-recovery gateway`) calls it over a grpc.aio channel.
The gateway inside `serve` used to do the same through a private socket, and that second gRPC call
(the client side here, the server side again, the transport in between) cost as much as the handler
itself. Here an HTTP request runs the server's own interceptor chain and handler on this event loop:
request id, metrics and access log, authentication, rate limit and error mapping apply exactly as for
a gRPC client, through a servicer context that carries what a transport would (the request metadata,
the deadline, the initial metadata, the code, details and trailing metadata an interceptor or handler
sets). A failed call comes back as `grpc.aio.AioRpcError`, so the gateway answers it as it answers a
remote server's.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any

import grpc

Metadata = tuple[tuple[str, str | bytes], ...]
# What a gRPC peer looks like to the interceptors (rate limit, logs): the caller is this process.
IN_PROCESS_PEER = "unix:in-process-gateway"


class _CallDetails(grpc.HandlerCallDetails):
    def __init__(self, method: str, invocation_metadata: Metadata) -> None:
        self.method = method
        self.invocation_metadata = invocation_metadata


class _Context:
    """The part of grpc.aio.ServicerContext this server's interceptors and handlers use."""

    def __init__(self, metadata: Metadata, deadline: float | None) -> None:
        self._metadata = metadata
        self._deadline = deadline
        self.initial: Metadata = ()
        self._trailing: Metadata = ()
        self._code: grpc.StatusCode | None = None
        self._details = ""

    def invocation_metadata(self) -> Metadata:
        return self._metadata

    async def send_initial_metadata(self, metadata: Sequence[tuple[str, str | bytes]]) -> None:
        self.initial = tuple(metadata)

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, str | bytes]]) -> None:
        self._trailing = tuple(metadata)

    def trailing_metadata(self) -> Metadata:
        return self._trailing

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Sequence[Any] = ()
    ) -> None:
        self._code = code
        self._details = details
        if trailing_metadata:
            self._trailing = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str:
        return self._details

    def peer(self) -> str:
        return IN_PROCESS_PEER

    def auth_context(self) -> Mapping[str, Any]:
        return {}

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)

    def cancelled(self) -> bool:
        return False

    def done(self) -> bool:
        return False

    def failure(self) -> grpc.aio.AioRpcError | None:
        if self._code is None or self._code == grpc.StatusCode.OK:
            return None
        return _error(self._code, self._details, self.initial, self._trailing)


def _error(
    code: grpc.StatusCode, details: str, initial: Metadata = (), trailing: Metadata = ()
) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        code,
        grpc.aio.Metadata(*initial),
        grpc.aio.Metadata(*trailing),
        details=details,
        debug_error_string=None,
    )


class InProcessServer:
    """The servicers' method handlers behind the server's interceptors, callable without a transport."""

    def __init__(
        self,
        *,
        interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]],
        handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]],
        max_receive_bytes: int,
    ) -> None:
        self._interceptors = tuple(interceptors)
        self._handlers = dict(handlers)
        self._max_receive_bytes = max_receive_bytes

    def unary_unary(self, method: str) -> Callable[..., InProcessCall]:
        """Like `channel.unary_unary(method)`: called with the request bytes, metadata and timeout."""

        def call(
            payload: bytes, *, metadata: Sequence[tuple[str, str]], timeout: float | None
        ) -> InProcessCall:
            return InProcessCall(self._invoke(method, payload, tuple(metadata), time_limit=timeout))

        return call

    async def _lookup(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any] | None:
        return self._handlers.get(details.method)

    async def _invoke(
        self, method: str, payload: bytes, metadata: Metadata, *, time_limit: float | None
    ) -> tuple[Any, Metadata]:
        if len(payload) > self._max_receive_bytes:
            raise _error(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"Received message larger than max ({len(payload)} vs. {self._max_receive_bytes})",
            )
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]] = self._lookup
        for interceptor in reversed(self._interceptors):
            continuation = functools.partial(interceptor.intercept_service, continuation)
        handler = await continuation(_CallDetails(method, metadata))
        if handler is None:
            raise _error(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        deadline = None if time_limit is None else time.monotonic() + time_limit
        context = _Context(metadata, deadline)
        deserialize = handler.request_deserializer
        request = payload if deserialize is None else deserialize(payload)
        if handler.unary_unary is not None:
            running = handler.unary_unary(request, context)
        elif handler.stream_unary is not None:
            running = handler.stream_unary(_one(request), context)
        else:
            raise _error(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        try:
            async with asyncio.timeout(time_limit):
                response = await running
        except grpc.aio.AbortError:
            raise context.failure() or _error(grpc.StatusCode.UNKNOWN, "", context.initial) from None
        except TimeoutError:
            raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded", context.initial) from None
        except Exception as error:
            # What grpc answers for an exception no interceptor mapped.
            raise _error(
                grpc.StatusCode.UNKNOWN, f"Unexpected {type(error)}: {error}", context.initial
            ) from None
        failure = context.failure()
        if failure is not None:
            raise failure
        if deadline is not None and time.monotonic() >= deadline:
            # A handler that never yielded to the loop ran past its deadline: the caller of a gRPC server
            # has given up by now, whatever the handler answers.
            raise _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded", context.initial)
        return response, context.initial


async def _one(request: Any) -> AsyncIterator[Any]:
    yield request


class InProcessCall:
    """Awaitable like a grpc.aio unary call: the response, then `initial_metadata()`."""

    def __init__(self, invocation: Awaitable[tuple[Any, Metadata]]) -> None:
        self._invocation = invocation
        self._initial: Metadata = ()

    def __await__(self) -> Generator[Any, None, Any]:
        response, self._initial = yield from self._invocation.__await__()
        return response

    async def initial_metadata(self) -> Metadata:
        return self._initial


def in_process_server(
    servicers: Sequence[tuple[Callable[[Any, Any], None], Any]],
    *,
    interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]],
    max_receive_bytes: int,
) -> InProcessServer:
    """The servicers (each with its generated `add_*Servicer_to_server`) behind `interceptors`."""
    recorder = HandlerRecorder()
    for add_servicer, servicer in servicers:
        add_servicer(servicer, recorder)
    return InProcessServer(
        interceptors=interceptors, handlers=recorder.handlers, max_receive_bytes=max_receive_bytes
    )


class HandlerRecorder:
    """Stands in for the server in `add_*Servicer_to_server`, keeping every method handler by its path."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    def add_generic_rpc_handlers(self, handlers: Sequence[Any]) -> None:
        """The generated code passes the same handlers to add_registered_method_handlers too."""

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, Any]) -> None:
        for name, handler in handlers.items():
            self.handlers[f"/{service}/{name}"] = handler
