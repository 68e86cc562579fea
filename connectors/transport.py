"""The one HTTP transport every HTTP connector sends through.

It owns what must be the same for every provider: the SSRF guard at send time (http/https only;
every DNS answer judged by `connectors/ssrf_guard.py`: non-public addresses, also inside 6to4, NAT64
and IPv4-mapped forms, refused unless the receiver lists their network in `allow_networks`),
connecting to the address that was checked (so a DNS answer
cannot change between the check and the connect), a total per-receiver deadline, no redirects, a cap
on how much of a response is read, the mapping of transport errors and status codes to
`FailureReason`, and the redacted `RecordedRequest` of every attempt.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import unquote

import httpx

from cavra_recovery.connectors.base import BlockedDestinationError, FailureReason, RecordedRequest, SendResult
from cavra_recovery.connectors.notification import Notification
from cavra_recovery.connectors.receiver import ProviderSpec, Receiver
from cavra_recovery.connectors.redaction import Redactor, short_error
from cavra_recovery.connectors.ssrf_guard import IPNetwork, literal_address, refusal

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "cavra-recovery-escalation/0.1"
_ERROR_BODY_CHARS = 200


async def system_resolver(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_blocked_address(address: str, allow_networks: Sequence[IPNetwork] = ()) -> bool:
    """True for every address a receiver may reach only when `allow_networks` lists its network."""
    return refusal(ipaddress.ip_address(address.split("%", 1)[0]), allow_networks) is not None


async def checked_address(
    host: str, port: int, *, allow_networks: Sequence[IPNetwork], resolver: Resolver
) -> str:
    """The address to connect to for `host`, after the SSRF guard; raises BlockedDestinationError."""
    literal = literal_address(host)
    addresses: Sequence[str] = [str(literal)] if literal is not None else await resolver(host, port)
    if not addresses:
        raise OSError(f"no address found for {host}")
    for address in addresses:
        kind = refusal(ipaddress.ip_address(address.split("%", 1)[0]), allow_networks)
        if kind is not None:
            # One non-public answer is enough to refuse: the resolver might hand it out next time.
            raise BlockedDestinationError(
                f"destination {host} resolves to a {kind} address ({address}); "
                "list its network in the receiver's allow_networks to allow it"
            )
    return addresses[0]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def json_body(document: Any) -> bytes:
    """Deterministic JSON bytes: the same notification gives the same body (and digest) on retry."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: httpx.Headers
    body: bytes  # at most the transport's max_response_bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and either its reply or the failure that prevented one."""

    recorded: RecordedRequest
    reply: HttpReply | None
    failure: SendResult | None


class _QuietHttpxRequestLines(logging.Filter):
    """httpx logs every request URL at INFO, and a chat webhook URL is itself a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_QUIET_HTTPX = _QuietHttpxRequestLines()


def _quiet_httpx_loggers() -> None:
    for name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2"):
        target = logging.getLogger(name)
        if _QUIET_HTTPX not in target.filters:
            target.addFilter(_QUIET_HTTPX)


class HttpTransport:
    """Shared by every HTTP connector; the `transport` argument is the seam for unit tests."""

    def __init__(
        self,
        *,
        redactor: Redactor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        tracer_provider: Any = None,
    ) -> None:
        _quiet_httpx_loggers()
        self.redactor = redactor or Redactor()
        self.resolver = resolver
        self._max_response_bytes = max_response_bytes
        # trust_env=False: no proxy from the environment can route around the SSRF guard.
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            # identity: an error body is read for diagnostics only, so no decompression bomb to defuse.
            headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
        )
        if tracer_provider is not None:
            # A client span per attempt, and the W3C `traceparent` of that span on the request.
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor.instrument_client(self._client, tracer_provider=tracer_provider)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpTransport:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    async def request(
        self,
        receiver: Receiver,
        method: str,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        redactor: Redactor,
    ) -> Exchange:
        """Send one request to `url` on behalf of `receiver`; never raises for a delivery problem."""
        outgoing = dict(headers)
        parsed = httpx.URL(url)
        if parsed.userinfo:
            # Userinfo becomes an explicit Basic header so the recorded request shows that auth was sent.
            user, _, password = parsed.userinfo.decode().partition(":")
            token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
            outgoing.setdefault("authorization", f"Basic {token}")
            parsed = parsed.copy_with(username=None, password=None)
        recorded = RecordedRequest(
            method=method,
            url=redactor.url(url),
            headers=redactor.headers(sorted(outgoing.items())),
            body_sha256=body_digest(body),
        )
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return _failed(
                recorded, FailureReason.BLOCKED_DESTINATION, "only http and https URLs are allowed"
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            async with asyncio.timeout(receiver.timeout_seconds):
                address = await checked_address(
                    parsed.host,
                    port,
                    allow_networks=receiver.allow_networks,
                    resolver=self.resolver,
                )
                request = self._client.build_request(
                    method,
                    parsed.copy_with(host=address),
                    content=body,
                    headers={**outgoing, "host": _host_header(parsed)},
                    timeout=httpx.Timeout(receiver.timeout_seconds),
                    extensions={"sni_hostname": parsed.host},
                )
                recorded = RecordedRequest(
                    method=method,
                    url=recorded.url,
                    headers=redactor.headers(sorted(request.headers.items())),
                    body_sha256=recorded.body_sha256,
                )
                response = await self._client.send(request, stream=True)
                try:
                    reply_body = await self._read_capped(response)
                finally:
                    await response.aclose()
        except BlockedDestinationError as exc:
            return _failed(recorded, FailureReason.BLOCKED_DESTINATION, short_error(redactor, str(exc)))
        except (TimeoutError, httpx.TimeoutException):
            return _failed(
                recorded, FailureReason.TIMEOUT, f"no response within {receiver.timeout_seconds:g}s"
            )
        except httpx.InvalidURL as exc:
            return _failed(
                recorded, FailureReason.CONFIGURATION, short_error(redactor, f"invalid URL: {exc}")
            )
        except (httpx.TransportError, OSError) as exc:
            return _failed(recorded, FailureReason.NETWORK, _describe(redactor, exc))
        return Exchange(
            recorded=recorded,
            reply=HttpReply(status=response.status_code, headers=response.headers, body=reply_body),
            failure=None,
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        if response.is_stream_consumed:  # a response built in memory (httpx.MockTransport)
            return response.content[: self._max_response_bytes]
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self._max_response_bytes:
                break
        return b"".join(chunks)[: self._max_response_bytes]


def _host_header(url: httpx.URL) -> str:
    default_port = 443 if url.scheme == "https" else 80
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port in (None, default_port) else f"{host}:{url.port}"


def _describe(redactor: Redactor, exc: BaseException) -> str:
    detail = str(exc) or type(exc).__name__
    return short_error(redactor, f"{type(exc).__name__}: {detail}")


def _failed(recorded: RecordedRequest, reason: FailureReason, error: str) -> Exchange:
    return Exchange(
        recorded=recorded, reply=None, failure=SendResult.failed(reason, error, requests=(recorded,))
    )


def classify_reply(
    exchange: Exchange,
    redactor: Redactor,
    *,
    external_reference: str | None = None,
) -> SendResult:
    """The standard status-code table shared by every HTTP connector (see connectors.base)."""
    if exchange.failure is not None:
        return exchange.failure
    reply = exchange.reply
    assert reply is not None  # an Exchange without failure always has a reply
    requests = (exchange.recorded,)
    status = reply.status
    if 200 <= status < 300:
        return SendResult.success(
            requests=requests, http_status=status, external_reference=external_reference
        )
    snippet = reply.body[:_ERROR_BODY_CHARS].decode("utf-8", errors="replace")
    detail = short_error(redactor, f"HTTP {status}: {snippet}" if snippet.strip() else f"HTTP {status}")
    retry_after = parse_retry_after(reply.headers.get("retry-after"))
    if 300 <= status < 400:
        return SendResult.failed(
            FailureReason.CLIENT_ERROR,
            short_error(redactor, f"HTTP {status}: redirect not followed"),
            requests=requests,
            http_status=status,
        )
    if status in (401, 403):
        reason = FailureReason.AUTH
    elif status == 429:
        reason = FailureReason.RATE_LIMITED
    elif 400 <= status < 500:
        reason = FailureReason.CLIENT_ERROR
    else:
        reason = FailureReason.SERVER_ERROR
    return SendResult.failed(
        reason,
        detail,
        requests=requests,
        http_status=status,
        retry_after_seconds=retry_after
        if reason in (FailureReason.RATE_LIMITED, FailureReason.SERVER_ERROR)
        else None,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


class HttpConnector:
    """What every HTTP provider module shares: its receiver, the transport and a redactor that knows
    this receiver's secrets on top of every configured one."""

    spec: ClassVar[ProviderSpec]  # the keys the provider accepts, checked by the configuration loader

    def __init__(
        self, receiver: Receiver, transport: HttpTransport, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.receiver = receiver
        self._transport = transport
        self._clock = clock
        self._redactor = transport.redactor.with_secrets(receiver.secret_values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(receiver={self.receiver.name!r})"

    async def send(self, notification: Notification) -> SendResult:
        raise NotImplementedError

    async def _post_json(self, url: str, document: Any, headers: Mapping[str, str] | None = None) -> Exchange:
        return await self._transport.request(
            self.receiver,
            "POST",
            url,
            body=json_body(document),
            headers={"content-type": "application/json", "accept": "application/json", **(headers or {})},
            redactor=self._redactor,
        )


def join_url(base: str, path: str) -> str:
    """`path` appended to a configured base URL, keeping any path prefix the base has."""
    return base.rstrip("/") + "/" + path.lstrip("/")
