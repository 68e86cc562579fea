"""What the gateway checks before it reads a request body: the token, the declared size, the load.

A request is answered from its headers alone when it cannot go on: 401/403 when the token is
missing, unknown or lacks the role (the same decision and body as gRPC), 413 when `Content-Length`
is above `--http-max-body-bytes`, 503 when `--http-max-in-flight` requests are already being served.
The unread body is then drained and dropped by aiohttp (never buffered) for a few seconds at most.
A request line or header aiohttp cannot parse is answered 400 and logged as one WARNING line without
the raw bytes, at most once a minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from aiohttp import http_exceptions
from google.rpc import code_pb2, status_pb2

from cavra_recovery.server.auth import AuthConfig, authorize
from cavra_recovery.server.log_throttle import LogThrottle
from cavra_recovery.server.settings import RequestLimits


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    max_body_bytes: int = RequestLimits().http_max_body_bytes
    max_in_flight: int = RequestLimits().http_max_in_flight

    @classmethod
    def of(cls, limits: RequestLimits) -> GatewayLimits:
        return cls(max_body_bytes=limits.http_max_body_bytes, max_in_flight=limits.http_max_in_flight)


class Gate(Protocol):
    def check(self, target: str, authorization: str | None) -> status_pb2.Status | None:
        """None to let the request in; else the status to answer with. `target` is the gRPC method
        a route calls, or a path the gateway serves itself (`/metrics`)."""


class TokenGate:
    """`serve` with `--auth-config`: the gRPC server's own decision, made from the headers."""

    def __init__(self, config: AuthConfig) -> None:
        self._config = config

    def check(self, target: str, authorization: str | None) -> status_pb2.Status | None:
        metadata = [] if authorization is None else [("authorization", authorization)]
        decision = authorize(self._config, target, metadata)
        return decision if isinstance(decision, status_pb2.Status) else None


class HeaderGate:
    """`gateway --upstream-enforces-auth`: the tokens live upstream, but a request without a bearer
    token is sure to be refused there, so it is refused here before its body is read."""

    def check(self, target: str, authorization: str | None) -> status_pb2.Status | None:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return None
        return status_pb2.Status(
            code=code_pb2.UNAUTHENTICATED,
            message="missing bearer token (header `Authorization: Bearer <token>`)",
        )


_bad_request_log = LogThrottle()


class _BadRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse at ERROR with a traceback whose text echoes the raw
    bytes; turn that into one WARNING line that names only the error class, once a minute."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, http_exceptions.HttpProcessingError):
            return True
        kind = type(error).__name__
        if not _bad_request_log.allow(kind):
            return False
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "unparsable HTTP request answered 400: %s (%d more since the last such line)"
        record.args = (kind, _bad_request_log.take_suppressed(kind))
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def http_server_logger() -> logging.Logger:
    """The logger for aiohttp's request handler (errors only; the access log stays off)."""
    logger = logging.getLogger("cavra-recovery.http")
    if not any(isinstance(f, _BadRequestFilter) for f in logger.filters):
        logger.addFilter(_BadRequestFilter())
    return logger
