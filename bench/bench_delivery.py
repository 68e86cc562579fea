"""Delivery throughput: 1,000 escalation routes to 10 local PagerDuty receivers through the real
delivery path (deliver RPC → outbox → worker → connector → transport), against a bare httpx client
sending the same 10,000 requests with the same concurrency (one stream per receiver), in the same run.

PagerDuty sends one event per route, so each receiver gets 1,000 requests. Prints both times and the
ratio (delivery path / bare client).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import httpx
import yaml
from google.protobuf.timestamp_pb2 import Timestamp

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
)

RECEIVERS = int(os.environ.get("BENCH_DELIVERY_RECEIVERS", "10"))
ROUTES = int(os.environ.get("BENCH_DELIVERY_ROUTES", "1000"))
PLAYBOOKS = 10
ROUTING_KEY = "bench-routing-key-0000000000000001"
REPO_ROOT = Path(__file__).resolve().parent.parent


class CountingReceiver:
    """A keep-alive HTTP receiver on 127.0.0.1 answering 202 like PagerDuty."""

    def __init__(self) -> None:
        self.count = 0
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without NODELAY, Nagle and delayed ACKs add 40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.count += 1
                    if len(receiver.bodies) < ROUTES:
                        receiver.bodies.append(body)
                reply = b'{"status":"success","message":"Event processed"}'
                self.send_response(202)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_server(directory: Path, connectors: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        str(Path(sys.executable).parent / "cavra-recovery"),
        "serve",
        "--grpc-listen",
        "127.0.0.1:0",
        "--http-listen",
        "off",
        "--database-url",
        f"sqlite:///{directory / 'bench.db'}",
        "--migrate",
        "--connectors",
        str(connectors),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    env.update({"BENCH_PD_KEY": ROUTING_KEY, "CAVRA_DELIVERY_CONCURRENCY": str(RECEIVERS)})
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO_ROOT
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        match = re.search(r"grpc listening on (\S+)", line)
        if match:
            # Keep draining stderr so the server never blocks on a full pipe.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, match.group(1)
    process.kill()
    raise RuntimeError("server did not start")


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def seed(channel: grpc.Channel) -> None:
    evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
    generated_at = datetime.now(UTC) - timedelta(hours=12)
    per_playbook = ROUTES // PLAYBOOKS
    for playbook in range(PLAYBOOKS):
        evidence.RecordConnectorRecoveryPlaybook(
            evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
                playbook=evidence_pb2.ConnectorRecoveryPlaybook(
                    playbook_id=f"bench-playbook-{playbook:02d}",
                    generated_at=timestamp(generated_at),
                    providers=[
                        evidence_pb2.PlaybookProvider(
                            provider=f"provider-{playbook:02d}-{index:03d}", failure_count=2
                        )
                        for index in range(per_playbook)
                    ],
                )
            ),
            timeout=60,
        )


def deliver_through_service(channel: grpc.Channel, receivers: list[CountingReceiver]) -> float:
    escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
    plan = escalation.CreateRecoveryEscalationPlan(
        escalation_pb2.CreateRecoveryEscalationPlanRequest(), timeout=120
    ).plan
    assert len(plan.escalation_routes) == ROUTES, len(plan.escalation_routes)
    started = time.perf_counter()
    response = escalation.DeliverRecoveryEscalation(
        escalation_pb2.DeliverRecoveryEscalationRequest(
            plan_id=plan.plan_id, receivers=[f"pd-{i}" for i in range(RECEIVERS)], max_routes=ROUTES
        ),
        timeout=600,
    )
    pending = {result.delivery_id for result in response.results}
    while pending:
        for delivery_id in list(pending):
            delivery = escalation.GetRecoveryEscalationDelivery(
                escalation_pb2.GetRecoveryEscalationDeliveryRequest(delivery_id=delivery_id), timeout=30
            ).delivery
            if delivery.state == common_pb2.DELIVERY_STATE_DELIVERED:
                pending.discard(delivery_id)
            elif delivery.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED:
                raise RuntimeError(f"delivery {delivery_id} dead-lettered: {delivery.attempts[-1].error}")
        if pending:
            time.sleep(0.05)
    elapsed = time.perf_counter() - started
    sent = sum(receiver.count for receiver in receivers)
    assert sent == RECEIVERS * ROUTES, sent
    return elapsed


async def deliver_with_bare_httpx(receivers: list[CountingReceiver]) -> float:
    bodies = [json.loads(body) for body in receivers[0].bodies]

    async def stream(client: httpx.AsyncClient, receiver: CountingReceiver) -> None:
        for body in bodies:
            response = await client.post(f"{receiver.base_url}/v2/enqueue", json=body)
            response.raise_for_status()

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(stream(client, receiver) for receiver in receivers))
    return time.perf_counter() - started


def main() -> None:
    receivers = [CountingReceiver() for _ in range(RECEIVERS)]
    try:
        with tempfile.TemporaryDirectory() as directory:
            connectors = Path(directory) / "connectors.yaml"
            connectors.write_text(
                yaml.safe_dump(
                    {
                        "receivers": [
                            {
                                "name": f"pd-{index}",
                                "provider": "pagerduty",
                                "url": receiver.base_url,
                                "routing_key_env": "BENCH_PD_KEY",
                                "allow_networks": ["127.0.0.0/8", "::1/128"],
                            }
                            for index, receiver in enumerate(receivers)
                        ],
                        "routing": {"default": "pd-0"},
                    }
                )
            )
            process, address = start_server(Path(directory), connectors)
            try:
                with grpc.insecure_channel(address) as channel:
                    seed(channel)
                    service_seconds = deliver_through_service(channel, receivers)
            finally:
                process.terminate()
                process.wait(30)
        before = sum(receiver.count for receiver in receivers)
        bare_seconds = asyncio.run(deliver_with_bare_httpx(receivers))
        assert sum(receiver.count for receiver in receivers) - before == RECEIVERS * ROUTES
    finally:
        for receiver in receivers:
            receiver.close()
    requests = RECEIVERS * ROUTES
    print(f"routes: {ROUTES}, receivers: {RECEIVERS}, requests: {requests}, concurrency: {RECEIVERS}")
    print(f"delivery path: {service_seconds:.2f} s ({requests / service_seconds:.0f} req/s)")
    print(f"bare httpx:    {bare_seconds:.2f} s ({requests / bare_seconds:.0f} req/s)")
    print(f"ratio (delivery path / bare httpx): {service_seconds / bare_seconds:.2f}")


if __name__ == "__main__":
    main()
