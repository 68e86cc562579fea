"""Telling a plaintext/TLS mismatch from an outage, so a misconfigured client fails fast with the cause.

While the channel cannot connect, calls wait for a ready connection (or fail UNAVAILABLE and are
retried): right for a server that is down or restarting, useless when the client and the server speak
different transports, since that never heals by waiting. So until the server has answered once, the
target is probed over a raw TCP socket: by the asyncio client whenever its channel reports
TRANSIENT_FAILURE; by the sync client (grpc offers it connectivity only through a polling thread)
when a call fails UNAVAILABLE or has waited PROBE_AFTER, then every PROBE_INTERVAL while it waits:

- a TLS client sends the HTTP/2 client preface in the clear: a plaintext gRPC server answers with its
  own SETTINGS frame;
- a plaintext client sends a TLS ClientHello: a TLS server answers with a TLS record (a ServerHello
  or an alert).

When the probe shows the other transport, waiting calls are cancelled and every call fails at once
with UNAVAILABLE and a message naming the cause and the option to use, until the channel connects.
A server that is down refuses or ignores the probe, and calls keep waiting and retrying as before.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from typing import Any, Protocol

import grpc

from cavra_recovery_client._errors import RecoveryError, StatusCode

PROBE_TIMEOUT = 1.0
# The sync client, which has no connectivity events to follow, probes while a call waits this long,
# then every PROBE_INTERVAL, until the server has answered once.
PROBE_AFTER = 0.25
PROBE_INTERVAL = 1.0
# Codes a call can end with without the server having answered it.
NOT_ANSWERED = frozenset({StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED, StatusCode.CANCELLED})
MISMATCH_REASON = "TRANSPORT_MISMATCH"

# The HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113 section 3.4).
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_H2_SETTINGS = 0x04
_TLS_HANDSHAKE, _TLS_ALERT = 0x16, 0x15


class _Cancellable(Protocol):
    def cancel(self) -> bool: ...


def probe_address(target: str) -> tuple[str, int] | None:
    """The (host, port) a gRPC target dials, or None for targets the probe does not handle (unix:)."""
    if target.startswith("unix"):
        return None
    for scheme in ("dns:///", "ipv4:", "ipv6:", "passthrough:///"):
        if target.startswith(scheme):
            target = target[len(scheme) :]
            break
    else:
        if target.startswith("dns://"):  # dns://resolver/host:port
            target = target[len("dns://") :].split("/", 1)[-1]
    target = target.split(",", 1)[0]  # ipv4:a:port,b:port lists; the first address will do
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif target.count(":") == 1:
        host, port = target.split(":")
    else:
        host, port = target, ""
    if not host:
        return None
    try:
        return host, int(port) if port else 443
    except ValueError:
        return None


def _first_bytes(host: str, port: int, send: bytes, count: int, timeout: float) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(send)
        received = b""
        while len(received) < count:
            chunk = sock.recv(count - len(received))
            if not chunk:
                break
            received += chunk
        return received


def _client_hello(host: str) -> bytes:
    """The bytes of a TLS ClientHello for host, made by the ssl module without a socket."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=host)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def speaks_plaintext_http2(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether host:port answers the cleartext HTTP/2 preface with a SETTINGS frame on stream 0."""
    head = _first_bytes(host, port, _H2_PREFACE, 9, timeout)
    return len(head) == 9 and head[3] == _H2_SETTINGS and head[5:9] == b"\0\0\0\0"


def speaks_tls(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether host:port answers a TLS ClientHello with a TLS handshake or alert record."""
    head = _first_bytes(host, port, _client_hello(host), 2, timeout)
    return len(head) == 2 and head[0] in (_TLS_HANDSHAKE, _TLS_ALERT) and head[1] == 0x03


def mismatch_message(target: str, uses_tls: bool, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why the client cannot connect to target when the server speaks the other transport, or None
    (the server is down, unreachable, or speaks the same transport and fails for another reason)."""
    address = probe_address(target)
    if address is None:
        return None
    host, port = address
    try:
        if uses_tls and speaks_plaintext_http2(host, port, timeout):
            return (
                f"the server at {target} speaks plaintext gRPC but the client uses TLS: "
                "dial with plaintext=True, or serve with --tls-cert/--tls-key"
            )
        if not uses_tls and speaks_tls(host, port, timeout):
            return (
                f"the server at {target} speaks TLS but the client uses plaintext: "
                "dial without plaintext=True (TLS; root_certificates= for a private CA)"
            )
    except OSError:
        return None
    return None


class MismatchWatch:
    """The mismatch found on a client's channel, if any, and the calls to cancel when one is found.

    Thread-safe: the sync client feeds it from grpc's connectivity callback thread.
    """

    def __init__(self, target: str, uses_tls: bool) -> None:
        self.target = target
        self.uses_tls = uses_tls
        self._lock = threading.Lock()
        self._message: str | None = None
        self.answered = False  # the server answered a call: the transports match
        self._calls: set[_Cancellable] = set()
        self._aborted: set[_Cancellable] = set()

    def error(self, method: str) -> RecoveryError | None:
        """The error every call fails with while a mismatch stands, or None."""
        message = self._message
        if message is None:
            return None
        return RecoveryError(StatusCode.UNAVAILABLE, message, method=method, reason=MISMATCH_REASON)

    def needs_probe(self) -> bool:
        return self._message is None and not self.answered

    def probe(self) -> None:
        """Probe the target now (blocking, at most about 2 x PROBE_TIMEOUT) and record the result."""
        self.found(mismatch_message(self.target, self.uses_tls))

    def result(self, future: Any) -> Any:
        """The sync client's wait for a call's future: until the server has answered once, a call still
        waiting after PROBE_AFTER probes the target, then every PROBE_INTERVAL. A mismatch found cancels
        the (tracked) future, so result() raises grpc.FutureCancelledError."""
        wait = PROBE_AFTER
        while not self.answered:
            try:
                return future.result(timeout=wait)
            except grpc.FutureTimeoutError:
                if self.needs_probe():
                    self.probe()
                wait = PROBE_INTERVAL
        return future.result()

    async def follow(self, channel: grpc.aio.Channel) -> None:
        """The asyncio client's watch: probe on each TRANSIENT_FAILURE until READY, until shut down."""
        state = channel.get_state(try_to_connect=False)
        while state is not grpc.ChannelConnectivity.SHUTDOWN:
            if state is grpc.ChannelConnectivity.READY:
                self.connected()
            elif state is grpc.ChannelConnectivity.TRANSIENT_FAILURE and self.needs_probe():
                await asyncio.to_thread(self.probe)
            await channel.wait_for_state_change(state)
            state = channel.get_state(try_to_connect=False)

    def connected(self) -> None:
        """The channel is READY or the server answered: whatever was found no longer holds."""
        with self._lock:
            self._message = None
            self.answered = True

    def found(self, message: str | None) -> None:
        """Record a probe's result; on a mismatch, cancel every call in flight."""
        if message is None:
            return
        with self._lock:
            self._message = message
            calls = list(self._calls)
            self._aborted.update(calls)
        for call in calls:
            call.cancel()

    def track(self, call: _Cancellable) -> None:
        """Register a call in flight; it is cancelled at once when a mismatch already stands."""
        with self._lock:
            self._calls.add(call)
            cancel = self._message is not None
            if cancel:
                self._aborted.add(call)
        if cancel:
            call.cancel()

    def untrack(self, call: _Cancellable) -> bool:
        """Forget a finished call; True when it was cancelled because of a mismatch."""
        with self._lock:
            self._calls.discard(call)
            if call in self._aborted:
                self._aborted.discard(call)
                return True
            return False
