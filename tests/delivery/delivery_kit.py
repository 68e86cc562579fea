"""Test kit for delivery: scripted local HTTP receivers, connector files, evidence seeding, polling.

Receivers are real HTTP servers on 127.0.0.1 (a thread each) answering from a script, and recording
every request they get (method, path, headers, body).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import grpc
import yaml
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
)
from tests.conftest import ServerProcess

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"delivery-test-webhook-signing-key").decode()

# Small delays so retries finish quickly; the breaker stays out of the way unless a test wants it.
FAST_DELIVERY_ENV = {
    "CAVRA_DELIVERY_BACKOFF_BASE_SECONDS": "0.05",
    "CAVRA_DELIVERY_BACKOFF_MAX_SECONDS": "0.2",
    "CAVRA_DELIVERY_POLL_SECONDS": "0.2",
    "CAVRA_DELIVERY_LEASE_GRACE_SECONDS": "1",
    "CAVRA_DELIVERY_BREAKER_THRESHOLD": "1000",
}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok":true}'
    delay_seconds: float = 0.0
    hold: threading.Event | None = None  # answer only once this is set


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LocalReceiver:
    """An HTTP receiver on 127.0.0.1 answering from `script` in order; then `default`."""

    def __init__(self, script: Sequence[Reply] = (), default: Reply | None = None, *, port: int = 0) -> None:
        self.script = list(script)
        self.default = default or Reply()
        self.requests: list[ReceivedRequest] = []
        self.first_request = threading.Event()
        self._lock = threading.Lock()
        self._holds: list[threading.Event] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without NODELAY, Nagle and delayed ACKs add 40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                reply = receiver._record(
                    ReceivedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if reply.hold is not None:
                    reply.hold.wait()
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.first_request.set()
            reply = self.script.pop(0) if self.script else self.default
            if reply.hold is not None:
                self._holds.append(reply.hold)
            return reply

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> LocalReceiver:
        self._thread.start()
        return self

    def close(self) -> None:
        for hold in self._holds:
            hold.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def local_receivers(*receivers: LocalReceiver) -> Iterator[tuple[LocalReceiver, ...]]:
    for receiver in receivers:
        receiver.start()
    try:
        yield receivers
    finally:
        for receiver in receivers:
            receiver.close()


def webhook_receiver(name: str, url: str, *, timeout_seconds: float = 2.0) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "webhook",
        "url": url,
        "secret_env": "DELIVERY_TEST_WEBHOOK_SECRET",
        "timeout_seconds": timeout_seconds,
        "allow_networks": ["127.0.0.0/8", "::1/128"],
    }


def write_connector_file(
    directory: Path, receivers: Sequence[dict[str, Any]], *, rules: Sequence[dict[str, Any]] = ()
) -> Path:
    path = directory / "connectors.yaml"
    document = {
        "receivers": list(receivers),
        "routing": {"default": receivers[0]["name"], "rules": list(rules)},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def delivery_env(**extra: str) -> dict[str, str]:
    return {**FAST_DELIVERY_ENV, "DELIVERY_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET, **extra}


class DeliveryServerFactory(Protocol):
    """The `delivery_server` fixture: a real server sending to `receivers`, as the tests start it.

    gRPC only, with `delivery_env(**env)`; the receivers (and routing `rules`) are written to a
    connector file passed with `--connectors`, and with no receivers the server has no connector file.
    """

    def __call__(
        self, database_url: str, *receivers: dict[str, Any], rules: Sequence[dict[str, Any]] = (), **env: str
    ) -> ServerProcess: ...


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


@dataclass
class Clients:
    channel: grpc.Channel
    evidence: evidence_pb2_grpc.EvidenceServiceStub
    escalation: escalation_pb2_grpc.EscalationServiceStub

    def close(self) -> None:
        self.channel.close()


@contextmanager
def clients(address: str) -> Iterator[Clients]:
    channel = grpc.insecure_channel(address)
    try:
        yield Clients(
            channel=channel,
            evidence=evidence_pb2_grpc.EvidenceServiceStub(channel),
            escalation=escalation_pb2_grpc.EscalationServiceStub(channel),
        )
    finally:
        channel.close()


def seed_open_recovery(
    api: Clients,
    *,
    playbook_id: str = "pb-delivery-1",
    providers: Sequence[str] = ("slack",),
    age_hours: float = 8,
) -> None:
    """A playbook generated `age_hours` ago (breached under the 240-minute SLO) for `providers`."""
    generated_at = datetime.now(UTC) - timedelta(hours=age_hours)
    api.evidence.RecordConnectorRecoveryPlaybook(
        evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
            playbook=evidence_pb2.ConnectorRecoveryPlaybook(
                playbook_id=playbook_id,
                generated_at=timestamp(generated_at),
                lookback_hours=24,
                min_failure_count=1,
                providers=[
                    evidence_pb2.PlaybookProvider(provider=provider, failure_count=3)
                    for provider in providers
                ],
            )
        ),
        timeout=10,
    )


def deliver(
    api: Clients, *, timeout: float = 30, **fields: Any
) -> escalation_pb2.DeliverRecoveryEscalationResponse:
    fields.setdefault("plan_id", "latest")
    response: escalation_pb2.DeliverRecoveryEscalationResponse = api.escalation.DeliverRecoveryEscalation(
        escalation_pb2.DeliverRecoveryEscalationRequest(**fields), timeout=timeout
    )
    return response


def get_delivery(api: Clients, delivery_id: str) -> Any:
    return api.escalation.GetRecoveryEscalationDelivery(
        escalation_pb2.GetRecoveryEscalationDeliveryRequest(delivery_id=delivery_id), timeout=10
    ).delivery


FINAL_STATES = (
    common_pb2.DELIVERY_STATE_DELIVERED,
    common_pb2.DELIVERY_STATE_DEAD_LETTERED,
    common_pb2.DELIVERY_STATE_DRY_RUN,
)


def wait_for_delivery(
    api: Clients, delivery_id: str, *, until: Callable[[Any], bool] | None = None, within: float = 30
) -> Any:
    """Poll a delivery until it is final (or `until` holds); fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        delivery = get_delivery(api, delivery_id)
        if (until or (lambda found: found.state in FINAL_STATES))(delivery):
            return delivery
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery {delivery_id} did not settle: {delivery}")
        time.sleep(0.1)


@dataclass(frozen=True)
class RpcFailure:
    """A failed call's status code with its decoded google.rpc details."""

    code: grpc.StatusCode
    reason: str
    fields: tuple[str, ...]


def rpc_failure(error: grpc.RpcError) -> RpcFailure:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    reason, fields = "", list[str]()
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(violation.field for violation in bad.field_violations)
    return RpcFailure(error.code(), reason, tuple(fields))


def failure_of(call: Callable[[], Any]) -> RpcFailure:
    """Run `call`, which must fail, and decode its status."""
    try:
        call()
    except grpc.RpcError as error:
        return rpc_failure(error)
    raise AssertionError("the call succeeded")
