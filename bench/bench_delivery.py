"""Delivery fan-out: N escalation routes (1,000; 200 quick) to 10 local PagerDuty receivers through the
real delivery path (deliver RPC → outbox → worker → connector → transport), against a bare httpx
client sending the same 10 x N requests with the same concurrency (one stream per receiver), same run.

PagerDuty sends one event per route, so each receiver gets N requests. The figure is the delivery
path's requests/s against bare httpx's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import httpx
import yaml
from google.protobuf.timestamp_pb2 import Timestamp

from bench.harness import running_server, scratch_directory
from bench.results import Results
from bench.scale import Scale
from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
)

RECEIVERS = 10
PLAYBOOKS = 10
ROUTING_KEY = "bench-routing-key-0000000000000001"


class CountingReceiver:
    """A keep-alive HTTP receiver on 127.0.0.1 answering 202 like PagerDuty."""

    def __init__(self, keep_bodies: int) -> None:
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
                    if len(receiver.bodies) < keep_bodies:
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


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def seed(channel: grpc.Channel, routes: int) -> None:
    evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
    generated_at = datetime.now(UTC) - timedelta(hours=12)
    per_playbook = routes // PLAYBOOKS
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


def deliver_through_service(channel: grpc.Channel, receivers: list[CountingReceiver], routes: int) -> float:
    escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
    plan = escalation.CreateRecoveryEscalationPlan(
        escalation_pb2.CreateRecoveryEscalationPlanRequest(), timeout=120
    ).plan
    assert len(plan.escalation_routes) == routes, len(plan.escalation_routes)
    started = time.perf_counter()
    response = escalation.DeliverRecoveryEscalation(
        escalation_pb2.DeliverRecoveryEscalationRequest(
            plan_id=plan.plan_id, receivers=[f"pd-{i}" for i in range(RECEIVERS)], max_routes=routes
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
    assert sent == RECEIVERS * routes, sent
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


def main(results: Results, scale: Scale) -> None:
    routes = scale.delivery_routes
    receivers = [CountingReceiver(routes) for _ in range(RECEIVERS)]
    try:
        with scratch_directory() as directory:
            connectors = directory / "connectors.yaml"
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
            environ = {"BENCH_PD_KEY": ROUTING_KEY, "CAVRA_DELIVERY_CONCURRENCY": str(RECEIVERS)}
            url = f"sqlite:///{directory / 'delivery.db'}"
            with (
                running_server(url, extra=["--connectors", str(connectors)], environ=environ) as server,
                grpc.insecure_channel(server.grpc_address) as channel,
            ):
                seed(channel, routes)
                service_seconds = deliver_through_service(channel, receivers, routes)
        before = sum(receiver.count for receiver in receivers)
        bare_seconds = asyncio.run(deliver_with_bare_httpx(receivers))
        assert sum(receiver.count for receiver in receivers) - before == RECEIVERS * routes
    finally:
        for receiver in receivers:
            receiver.close()
    requests = RECEIVERS * routes
    print(f"  delivery path {service_seconds:.2f} s, bare httpx {bare_seconds:.2f} s", flush=True)
    results.record(
        f"delivery fan-out, {routes:,} routes to {RECEIVERS} receivers",
        requests / service_seconds,
        "requests/s",
        target=">= 0.9 x",
        better="higher",
        baseline="bare httpx, same requests and concurrency",
        baseline_value=requests / bare_seconds,
    )
