"""The one connector interface and what a send reports.

A connector sends a notification ONCE and says how it went; it never retries, sleeps or counts.
Retries, backoff, circuit breaking, metrics and identity live in the delivery worker around it.

Errors and failures::

    ConnectorError                     raised only while loading or building, never by send()
     ├── ConnectorConfigError          the connector file is invalid (names file, receiver, field)
     └── BlockedDestinationError       the SSRF guard refused an address (caught inside send())

    send() never raises for a delivery problem; it returns SendResult(failure=FailureReason.…):

    FailureReason          retryable  raised by / answered with
    ─────────────────────  ─────────  ─────────────────────────────────────────────────────────
    AUTH                   no         401, 403; token endpoint refusal; SMTP 535
    RATE_LIMITED           yes        429 (retry_after_seconds from Retry-After)
    CLIENT_ERROR           no         other 4xx, any 3xx (redirects are not followed), SMTP 5xx
    SERVER_ERROR           yes        5xx (Retry-After honoured on 503), SMTP 4xx
    TIMEOUT                yes        httpx.TimeoutException, the per-receiver total deadline
    NETWORK                yes        httpx.TransportError (refused, reset, TLS), DNS failure
    CONFIGURATION          no         unusable receiver settings found at send time
    BLOCKED_DESTINATION    no         BlockedDestinationError: private/loopback/non-http target
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cavra_recovery.connectors.notification import Notification


class ConnectorError(Exception):
    """Base of the errors this package raises; messages never contain a secret."""


class ConnectorConfigError(ConnectorError):
    """The connector configuration is invalid; the message names the file, receiver and field."""


class BlockedDestinationError(ConnectorError):
    """A destination resolved to an address the receiver may not reach."""


class FailureReason(StrEnum):
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    CLIENT_ERROR = "client_error"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    NETWORK = "network"
    CONFIGURATION = "configuration"
    BLOCKED_DESTINATION = "blocked_destination"


RETRYABLE_REASONS = frozenset(
    {FailureReason.RATE_LIMITED, FailureReason.SERVER_ERROR, FailureReason.TIMEOUT, FailureReason.NETWORK}
)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """The auditable trace of one outgoing request: redacted, and the body only as a digest."""

    method: str
    url: str  # redacted
    headers: tuple[tuple[str, str], ...]  # redacted
    body_sha256: str  # hex digest of the exact bytes sent


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    failure: FailureReason | None = None
    retryable: bool = False
    http_status: int | None = None
    retry_after_seconds: float | None = None
    requests: tuple[RecordedRequest, ...] = ()
    error: str = ""  # short and redacted
    external_reference: str | None = None  # public id: Jira key, ServiceNow sys_id, PD dedup key

    @classmethod
    def success(
        cls,
        *,
        requests: tuple[RecordedRequest, ...],
        http_status: int | None,
        external_reference: str | None = None,
    ) -> SendResult:
        return cls(ok=True, http_status=http_status, requests=requests, external_reference=external_reference)

    @classmethod
    def failed(
        cls,
        reason: FailureReason,
        error: str,
        *,
        requests: tuple[RecordedRequest, ...] = (),
        http_status: int | None = None,
        retry_after_seconds: float | None = None,
        retryable: bool | None = None,
    ) -> SendResult:
        return cls(
            ok=False,
            failure=reason,
            retryable=reason in RETRYABLE_REASONS if retryable is None else retryable,
            http_status=http_status,
            retry_after_seconds=retry_after_seconds,
            requests=requests,
            error=error,
        )

    def with_requests(self, earlier: tuple[RecordedRequest, ...]) -> SendResult:
        """The same outcome, listing requests made before this one (multi-request connectors)."""
        return SendResult(
            ok=self.ok,
            failure=self.failure,
            retryable=self.retryable,
            http_status=self.http_status,
            retry_after_seconds=self.retry_after_seconds,
            requests=earlier + self.requests,
            error=self.error,
            external_reference=self.external_reference,
        )


class Connector(Protocol):
    """Sends a notification to one receiver, once."""

    async def send(self, notification: Notification) -> SendResult: ...
