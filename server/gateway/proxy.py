"""The aiohttp application: match a route, transcode, call the gRPC server, answer JSON.

Every call runs the gRPC server's own interceptors and handlers, so authentication, validation,
request ids and metrics apply exactly as for gRPC clients: over a grpc.aio channel to a (possibly
remote) server, or in process beside the server in `serve` (gateway/inprocess.py).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.descriptor import ServiceDescriptor
from google.rpc import code_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cavra_recovery.server.gateway.admission import Gate, GatewayLimits
from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.inprocess import InProcessServer
from cavra_recovery.server.gateway.metadata import ascii_printable, metadata_headers
from cavra_recovery.server.gateway.query import go_unescape, parse_query
from cavra_recovery.server.gateway.routes import HttpRoute, RouteMatch, RouteTable, routes_for_services
from cavra_recovery.server.gateway.status import (
    http_status_from_code,
    retry_after_seconds,
    status_body,
    status_from_rpc_error,
)
from cavra_recovery.server.gateway.transcode import build_request, message_json

PROBE_PATHS = frozenset({"/livez", "/readyz"})
PROBE_TIMEOUT_SECONDS = 2.0
log = logging.getLogger(__name__)

MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024
JSON_CONTENT_TYPE = "application/json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Content types a JSON body may arrive with: JSON itself, curl's default for -d, and none at all.
_JSON_BODY_TYPES = frozenset({"", JSON_CONTENT_TYPE, FORM_CONTENT_TYPE, "text/plain"})
# IANA permanent request headers grpc-gateway forwards as `grpcgateway-<name>` metadata.
_PERMANENT_HEADERS = frozenset(
    h.lower()
    for h in (
        "Accept",
        "Accept-Charset",
        "Accept-Language",
        "Accept-Ranges",
        "Cache-Control",
        "Content-Type",
        "Cookie",
        "Date",
        "Expect",
        "From",
        "Host",
        "If-Match",
        "If-Modified-Since",
        "If-None-Match",
        "If-Schedule-Tag-Match",
        "If-Unmodified-Since",
        "Max-Forwards",
        "Origin",
        "Pragma",
        "Referer",
        "User-Agent",
        "Via",
        "Warning",
    )
)
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_INT64_MAX = 2**63 - 1
# The largest timeout the gRPC wire format carries in seconds (eight digits).
MAX_DEADLINE_SECONDS = 99_999_999.0


@dataclass(frozen=True)
class StaticDocument:
    """A document served as is (the OpenAPI description, the console's files) with its own headers."""

    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


class GatewayRejection(Exception):
    """An answer the gateway gives without calling the server."""

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        status: status_pb2.Status | None = None,
    ):
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        # The whole status (with its ErrorInfo) when the refusal is the gRPC server's own decision.
        self.status = status


def error_response(
    http_status: int, status: status_pb2.Status, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=http_status,
        body=status_body(status),
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
    )


def parse_grpc_timeout(value: str) -> float | None:
    """grpc-gateway's timeoutDecode: digits and one unit (H M S m u n); seconds, None for no deadline.

    Like grpc-gateway, 0 means no deadline and the digits must fit an int64; a longer timeout than
    gRPC Python can carry is capped (a few billion seconds overflow its deadline, which expires at once).
    """
    digits, unit = value[:-1], value[-1:]
    if not digits or unit not in _TIMEOUT_UNITS or not (digits.isascii() and digits.isdigit()):
        raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, f"invalid grpc-timeout: {value}")
    amount = int(digits)
    if amount > _INT64_MAX:
        raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, f"invalid grpc-timeout: {value}")
    if amount == 0:
        return None
    return min(amount * _TIMEOUT_UNITS[unit], MAX_DEADLINE_SECONDS)


def _media_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def _is_json_body_type(media_type: str) -> bool:
    return media_type in _JSON_BODY_TYPES or media_type.endswith("+json")


class GatewayProxy:
    """Routes from the annotations, one grpc.aio channel, one aiohttp handler."""

    def __init__(
        self,
        *,
        services: Iterable[ServiceDescriptor],
        channel: grpc.aio.Channel,
        documents: Mapping[str, StaticDocument] | None = None,
        metrics_renderer: Callable[[], tuple[bytes, str]] | None = None,
        limits: GatewayLimits | None = None,
        gate: Gate | None = None,
        in_process: InProcessServer | None = None,
    ) -> None:
        self.limits = limits or GatewayLimits()
        self.gate = gate
        self._in_flight = 0
        self.routes: list[HttpRoute] = routes_for_services(services)
        self.table = RouteTable.of(self.routes)
        self.channel = channel
        self.documents = dict(documents or {})
        self.metrics_renderer = metrics_renderer
        # In process beside the server in `serve` (gateway/inprocess.py), else over the channel.
        self._calls: dict[str, Any] = {
            route.full_method: (
                in_process.unary_unary(route.full_method)
                if in_process is not None
                else channel.unary_unary(
                    route.full_method,
                    request_serializer=None,
                    response_deserializer=route.response_class.FromString,
                )
            )
            for route in self.routes
        }

    def application(self) -> web.Application:
        @web.middleware
        async def every_request(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            # Routing is ours (grpc-gateway's rules), so aiohttp's router never answers on its own.
            return await self.handle(request)

        return web.Application(client_max_size=self.limits.max_body_bytes, middlewares=[every_request])

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        if request.method in ("GET", "HEAD") and raw_path in PROBE_PATHS:
            return await self._probe(raw_path)
        if self._in_flight >= self.limits.max_in_flight:
            status = status_pb2.Status(
                code=code_pb2.UNAVAILABLE,
                message=f"the gateway is serving its limit of {self.limits.max_in_flight} requests; retry",
            )
            return error_response(503, status, {"Retry-After": "1"})
        self._in_flight += 1
        try:
            return await self._handle(request)
        except GatewayRejection as rejection:
            return error_response(
                rejection.http_status,
                rejection.status or status_pb2.Status(code=rejection.code, message=rejection.message),
                rejection.headers,
            )
        except Exception:
            log.exception("gateway failed on %s %s", request.method, request.rel_url.raw_path)
            return error_response(500, status_pb2.Status(code=code_pb2.INTERNAL, message="internal error"))
        finally:
            self._in_flight -= 1

    def _admit(self, request: web.Request, target: str) -> None:
        """Refuse from the headers alone (docs/security.md): no body byte is read before this."""
        if self.gate is not None:
            refusal = self.gate.check(target, request.headers.get("Authorization"))
            if refusal is not None:
                headers = (
                    {"WWW-Authenticate": refusal.message} if refusal.code == code_pb2.UNAUTHENTICATED else {}
                )
                raise GatewayRejection(
                    http_status_from_code(refusal.code), refusal.code, refusal.message, headers, refusal
                )
        if request.content_length is not None and request.content_length > self.limits.max_body_bytes:
            raise self._too_large()

    def _too_large(self) -> GatewayRejection:
        return GatewayRejection(
            413,
            code_pb2.RESOURCE_EXHAUSTED,
            f"request body is larger than the gateway's limit of {self.limits.max_body_bytes} bytes",
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        if request.method in ("GET", "HEAD"):
            served = self._serve_own_path(request, raw_path)
            if served is not None:
                return served
        if not raw_path.startswith("/"):
            raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, "Bad Request")
        try:
            path = go_unescape(raw_path, query=False)
            query = parse_query(request.rel_url.raw_query_string)
        except TranscodeError as error:
            raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, str(error)) from None
        components = path[1:].split("/")
        method = request.method
        media_type = _media_type(request)
        form_post = method == "POST" and media_type == FORM_CONTENT_TYPE
        override = request.headers.get("X-HTTP-Method-Override", "")
        if override and form_post:
            method = override.upper()
        match = self.table.match(method, components)
        body: bytes | None = None
        if match is None and form_post:
            # grpc-gateway's path length fallback: a form POST may stand for a GET with a long query.
            match = self.table.match("GET", components)
            if match is not None:
                self._admit(request, match.route.full_method)
                form = await self._read_body(request)
                try:
                    query = parse_query(form.decode("utf-8", "replace")) + query
                except TranscodeError as error:
                    raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, str(error)) from None
                body = b""
        if match is None:
            allowed = sorted(m for m in self.table.allowed_methods(components) if m != method)
            if allowed:
                raise GatewayRejection(
                    405, code_pb2.UNIMPLEMENTED, "Method Not Allowed", {"Allow": ", ".join(allowed)}
                )
            raise GatewayRejection(404, code_pb2.NOT_FOUND, "Not Found")
        if body is None:
            self._admit(request, match.route.full_method)
            body = await self._read_body(request)
        return await self._forward(request, match, body, query, media_type)

    async def _probe(self, raw_path: str) -> web.Response:
        """/livez: this process answers. /readyz: the server's gRPC health is SERVING (it follows the
        database), so an HTTP load balancer or a Kubernetes probe routes as a gRPC one would."""
        if raw_path == "/livez":
            return web.Response(text="ok\n", content_type="text/plain")
        try:
            reply = await health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=PROBE_TIMEOUT_SECONDS
            )
            ready = reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            ready = False
        if ready:
            return web.Response(text="ready\n", content_type="text/plain")
        return web.Response(status=503, text="not ready\n", content_type="text/plain")

    def _serve_own_path(self, request: web.Request, raw_path: str) -> web.Response | None:
        document = self.documents.get(raw_path)
        if document is not None:
            return web.Response(
                body=document.body, headers={"Content-Type": document.content_type, **document.headers}
            )
        if raw_path == "/metrics" and self.metrics_renderer is not None:
            self._admit(request, "/metrics")
            payload, content_type = self.metrics_renderer()
            return web.Response(body=payload, headers={"Content-Type": content_type})
        return None

    async def _read_body(self, request: web.Request) -> bytes:
        if not request.body_exists:
            return b""
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None

    def _metadata(self, request: web.Request) -> tuple[list[tuple[str, str]], str]:
        metadata: list[tuple[str, str]] = []
        for value in request.headers.getall("Authorization", ()):
            if ascii_printable(value):
                metadata.append(("authorization", value))
        request_id = request.headers.get(REQUEST_ID_HEADER, "")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        metadata.append(("x-request-id", request_id))
        for key, value in request.headers.items():
            lowered = key.lower()
            if lowered in _PERMANENT_HEADERS and ascii_printable(value):
                metadata.append((f"grpcgateway-{lowered}", value))
        host = request.headers.get("X-Forwarded-Host") or request.host
        if host and ascii_printable(host):
            metadata.append(("x-forwarded-host", host))
        forwarded = [v for v in request.headers.getall("X-Forwarded-For", ()) if ascii_printable(v)]
        if request.remote:
            forwarded.append(request.remote)
        if forwarded:
            metadata.append(("x-forwarded-for", ", ".join(forwarded)))
        return metadata, request_id

    async def _forward(
        self,
        request: web.Request,
        match: RouteMatch,
        body: bytes,
        query: list[tuple[str, list[str]]],
        media_type: str,
    ) -> web.StreamResponse:
        route = match.route
        timeout_header = request.headers.get("Grpc-Timeout", "")
        timeout = parse_grpc_timeout(timeout_header) if timeout_header else None
        if route.body and body.strip() and not _is_json_body_type(media_type):
            raise GatewayRejection(
                415,
                code_pb2.INVALID_ARGUMENT,
                f"unsupported content type {media_type!r}: send application/json",
            )
        try:
            message = build_request(route, match.bindings, body, query)
            payload = message.SerializeToString()
        except TranscodeError as error:
            raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, str(error)) from None
        except (ValueError, TypeError, UnicodeError) as error:
            raise GatewayRejection(400, code_pb2.INVALID_ARGUMENT, f"invalid request: {error}") from None
        metadata, request_id = self._metadata(request)
        call = self._calls[route.full_method](payload, metadata=metadata, timeout=timeout)
        headers = {REQUEST_ID_HEADER: request_id}
        try:
            response = await call
        except grpc.aio.AioRpcError as error:
            headers.update(metadata_headers(error.initial_metadata()))
            status = status_from_rpc_error(error)
            if status.code == code_pb2.UNAUTHENTICATED:
                headers["WWW-Authenticate"] = status.message
            retry_after = retry_after_seconds(status)
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            return error_response(http_status_from_code(status.code), status, headers)
        headers.update(metadata_headers(await call.initial_metadata()))
        if route.returns_http_body:
            headers["Content-Type"] = response.content_type
            return web.Response(body=response.data, headers=headers)
        headers["Content-Type"] = JSON_CONTENT_TYPE
        return web.Response(body=message_json(response), headers=headers)


def load_openapi_document(path: Path) -> StaticDocument | None:
    try:
        return StaticDocument(body=path.read_bytes(), content_type=JSON_CONTENT_TYPE)
    except OSError:
        return None
