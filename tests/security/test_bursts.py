"""Memory and latency under an unauthenticated burst (issue: bounded work before authentication).

Acceptance thresholds from the issue, against a real `serve --auth-config` process: the server's peak
RSS (VmHWM of the process started here) and gRPC health latency while callers with no token send
large requests. Each test bounds its own burst to 60 s.
"""

from __future__ import annotations

import hashlib
import http.client
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.settings import RequestLimits
from tests.conftest import ServerProcess
from tests.platform.evidence_builders import retry_execution

BATCH_PATH = (
    "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/evidence:batchRecord"
)
BATCH_METHOD = "/cavra.recovery.v1.EvidenceService/BatchRecordEvidence"
TOKEN = "burst-ingest-token"
BURST_SECONDS = 60
MIB = 1024 * 1024


def _auth_server(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> ServerProcess:
    config = tmp_path / "auth.yaml"
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    config.write_text(f"tokens:\n  - {{name: burst-ingest, sha256: {digest}, roles: [ingest]}}\n")
    return server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config)])


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in KiB, from /proc."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


class HealthProbe:
    """Checks gRPC health every 20 ms on its own channel and thread, keeping every latency."""

    def __init__(self, address: str) -> None:
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._channel = grpc.insecure_channel(address)
        self._stub = health_pb2_grpc.HealthStub(self._channel)
        self._thread = threading.Thread(target=self._run, name="health-probe", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                reply = self._stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
                if reply.status != health_pb2.HealthCheckResponse.SERVING:
                    self.failures.append(f"status {reply.status}")
            except grpc.RpcError as error:
                self.failures.append(str(error.code()))
            self.latencies.append(time.perf_counter() - started)
            self._stop.wait(0.02)

    def __enter__(self) -> HealthProbe:
        self._stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(15)
        self._channel.close()

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98]


def _json_batch(size: int) -> bytes:
    record = b'{"retryExecution":{"executionId":"exec-0000001","provider":"slack","runId":"run-1"}}'
    count = (size - 16) // (len(record) + 1)
    return b'{"records":[' + b",".join([record] * count) + b"]}"


def _post_without_token(address: str, body: bytes) -> int:
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=BURST_SECONDS)
    try:
        connection.request("POST", BATCH_PATH, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_20_unauthenticated_8_mb_gateway_posts_keep_health_fast_and_memory_bounded(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    server = _auth_server(server_factory, sqlite_url, tmp_path)
    assert server.http_address is not None
    body = _json_batch(8 * MIB)
    assert len(body) >= 8 * MIB - 200
    started = time.monotonic()
    with HealthProbe(server.grpc_address) as probe, ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: _post_without_token(server.http_address or "", body), range(20)))
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    memory = _memory_kib(server.process.pid)
    print(f"gateway burst: {elapsed:.1f} s, health p99 {probe.p99() * 1000:.0f} ms, memory {memory} KiB")
    assert statuses == [401] * 20
    assert elapsed < BURST_SECONDS
    assert not probe.failures
    assert len(probe.latencies) >= 5
    assert probe.p99() < 0.5, sorted(probe.latencies)[-5:]
    assert memory["VmHWM"] < 400 * 1024, memory
    assert "Traceback" not in server.log_text


def _send_raw(address: str, payload: bytes, token: str | None) -> grpc.StatusCode:
    options = [("grpc.max_send_message_length", 128 * MIB)]
    with grpc.insecure_channel(address, options=options) as channel:
        call = channel.unary_unary(
            BATCH_METHOD, request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        metadata = () if token is None else (("authorization", f"Bearer {token}"),)
        try:
            call(payload, timeout=BURST_SECONDS, metadata=metadata)
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code
    return grpc.StatusCode.OK


def test_8_unauthenticated_60_mb_grpc_messages_are_refused_and_memory_comes_back(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    server = _auth_server(server_factory, sqlite_url, tmp_path)
    payload = b"\x0a" * (60 * MIB)
    start = _memory_kib(server.process.pid)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: _send_raw(server.grpc_address, payload, None), range(8)))
    assert time.monotonic() - started < BURST_SECONDS
    assert set(codes) <= {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED}, codes
    peak = _memory_kib(server.process.pid)["VmHWM"]
    time.sleep(10)
    after = _memory_kib(server.process.pid)["VmRSS"]
    print(f"gRPC burst: {codes[0].name}, RSS {start['VmRSS']} -> peak {peak} -> {after} KiB 10 s later")
    assert peak < 400 * 1024, (start, peak)
    assert after - start["VmRSS"] < 50 * 1024, (start, after)
    assert "Traceback" not in server.log_text


def test_with_a_token_a_60_mb_message_is_resource_exhausted_and_a_5000_record_batch_fits(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    server = _auth_server(server_factory, sqlite_url, tmp_path)
    assert _send_raw(server.grpc_address, b"\x0a" * (60 * MIB), TOKEN) == grpc.StatusCode.RESOURCE_EXHAUSTED
    # Every id at its longest (128 characters): the largest plain batch of retry executions.
    long_id = "x" * 120
    batch = evidence_pb2.BatchRecordEvidenceRequest(
        request_id="burst-batch-5000",
        records=[
            evidence_pb2.EvidenceRecord(
                retry_execution=retry_execution(
                    i,
                    execution_id=f"{long_id}{i:08d}",
                    run_id=f"{long_id}{i // 100:08d}",
                    retry_plan_id=f"{long_id}{0:08d}",
                    delivery_id=f"{long_id}{i:08d}",
                    audit_id=f"{long_id}{i:08d}",
                )
            )
            for i in range(5000)
        ],
    )
    assert 3 * MIB < batch.ByteSize() < RequestLimits().grpc_max_receive_bytes
    with grpc.insecure_channel(server.grpc_address) as channel:
        reply = evidence_pb2_grpc.EvidenceServiceStub(channel).BatchRecordEvidence(
            batch, timeout=BURST_SECONDS, metadata=(("authorization", f"Bearer {TOKEN}"),)
        )
    assert reply.created_count == 5000
