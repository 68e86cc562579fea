"""Connection settings shared by the sync and asyncio clients: credentials, keepalive, retries, methods."""

from __future__ import annotations

import ipaddress
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

import grpc
from google.protobuf.message import Message

from cavra_recovery_client._errors import StatusCode

Request = TypeVar("Request", bound=Message)
Response = TypeVar("Response", bound=Message)

DEFAULT_TIMEOUT = 30.0


class _MutatingRequest(Protocol):
    request_id: str


# The server accepts pings every 10 s or more even between calls; 30 s never earns too_many_pings.
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of every RPC on UNAVAILABLE: exponential backoff jittered by +/-20% (as gRPC's own
    retry policy), within the deadline. `max_attempts` counts the first attempt; 1 disables retries.

    Reads and writes follow the same policy. A write is safe to repeat because every attempt sends the
    same bytes, request_id included (filled once, before the first attempt), and the server answers a
    repeated request_id with the first response without acting again (docs/idempotency.md). No other
    code is retried: after DEADLINE_EXCEEDED the server may still have acted, so the caller decides,
    and may resend the same request (same request_id) safely.

    The default waits about 0.5, 1, 2, 4 and 5 s between 6 attempts: some 12.5 s (at least 10 s),
    enough to ride out a server restart within the default 30 s deadline.
    """

    max_attempts: int = 6
    initial_backoff: float = 0.5
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        nominal = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return nominal * random.uniform(0.8, 1.2)


DEFAULT_RETRY = RetryPolicy()

# The same for reads and writes: a write is retried with the same bytes, request_id included.
RETRYABLE_CODES = frozenset({StatusCode.UNAVAILABLE})


def retry_delay(policy: RetryPolicy, code: StatusCode, attempt: int, deadline: float | None) -> float | None:
    """Seconds to wait before retrying failed attempt number `attempt` (1-based), or None to give up:
    the code is not UNAVAILABLE, the attempts are spent, or the wait would reach the deadline
    (a `time.monotonic()` instant)."""
    delay = policy.backoff(attempt)  # asked once per failed attempt, retried or not
    if (
        code not in RETRYABLE_CODES
        or attempt >= policy.max_attempts
        or (deadline is not None and time.monotonic() + delay >= deadline)
    ):
        return None
    return delay


@dataclass(frozen=True, slots=True)
class UnaryMethod(Generic[Request, Response]):
    """One RPC: its path and message classes."""

    path: str
    request_type: type[Request]
    response_type: type[Response]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def deserialize(self) -> Callable[[bytes], Response]:
        return self.response_type.FromString


def method(
    service: str, name: str, request_type: type[Request], response_type: type[Response]
) -> UnaryMethod[Request, Response]:
    return UnaryMethod(f"/cavra.recovery.v1.{service}/{name}", request_type, response_type)


def fill_request_id(request: Message) -> None:
    """Give a mutating request a fresh UUID request_id when it has none (AIP-155)."""
    if "request_id" in request.DESCRIPTOR.fields_by_name:
        mutating = cast(_MutatingRequest, request)
        if not mutating.request_id:
            mutating.request_id = str(uuid.uuid4())


def is_loopback(target: str) -> bool:
    for scheme in ("dns:///", "ipv4:", "ipv6:", "unix:"):
        if target.startswith(scheme):
            if scheme == "unix:":
                return True
            target = target[len(scheme) :]
    host = target.rsplit(":", 1)[0] if target.count(":") == 1 or target.startswith("[") else target
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """Everything a client needs to open its channel; built once by the client's constructor."""

    target: str
    credentials: grpc.ChannelCredentials | None
    call_metadata: tuple[tuple[str, str], ...]
    options: tuple[tuple[str, Any], ...]
    timeout: float | None
    retry: RetryPolicy
    wait_for_ready: bool


def channel_settings(
    target: str,
    *,
    plaintext: bool,
    root_certificates: bytes | None,
    private_key: bytes | None,
    certificate_chain: bytes | None,
    token: str | None,
    allow_insecure_token: bool,
    timeout: float | None,
    retry: RetryPolicy,
    wait_for_ready: bool,
    options: Sequence[tuple[str, Any]],
) -> ChannelSettings:
    if token and plaintext and not allow_insecure_token and not is_loopback(target):
        raise ValueError(
            "a bearer token over plaintext is only allowed to a loopback target "
            "(use TLS, or allow_insecure_token=True if something else encrypts the connection)"
        )
    credentials = None
    if not plaintext:
        credentials = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    return ChannelSettings(
        target=target,
        credentials=credentials,
        call_metadata=metadata,
        options=(*KEEPALIVE_OPTIONS, *options),
        timeout=timeout,
        retry=retry,
        wait_for_ready=wait_for_ready,
    )
