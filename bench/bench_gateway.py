"""HTTP gateway throughput and latency against direct gRPC and the Go grpc-gateway, same run.

One real server (SQLite) with our gateway; the Go grpc-gateway from tests/gateway/gogateway in front
of the same gRPC port. The same cheap RPC (ListRetryExecutions, 10 stored records) is called at the
same concurrency through each path; ratios are printed against direct gRPC and against Go.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import grpc
from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parent.parent
GO_SOURCE = REPO_ROOT / "tests" / "gateway" / "gogateway"
PATH = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/retry-executions"
CONCURRENCY = int(os.environ.get("CAVRA_BENCH_CONCURRENCY", "16"))
SECONDS = float(os.environ.get("CAVRA_BENCH_SECONDS", "5"))
WARM_UP_SECONDS = 1.0


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def start_process(command: list[str], ready: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=REPO_ROOT
    )
    assert process.stderr is not None
    found: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        match = re.search(r"(grpc|http) listening on (\S+)", line)
        if match:
            found.append(f"{match.group(1)}={match.group(2)}")
            if all(any(f.startswith(r) for f in found) for r in ready.split(",")):
                # Keep reading the log so a full pipe never stalls the process under load.
                threading.Thread(target=process.stderr.read, daemon=True).start()
                return process, found
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


def build_go_gateway(directory: Path) -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    binary = directory / "gogateway"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=GO_SOURCE, check=True)
    return binary


async def drive(name: str, call: Callable[[], Awaitable[None]]) -> Result:
    latencies: list[float] = []
    stop_at = 0.0

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    stop_at = time.perf_counter() + WARM_UP_SECONDS
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    latencies.clear()
    started = time.perf_counter()
    stop_at = started + SECONDS
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Result(
        name=name, requests=len(latencies), seconds=time.perf_counter() - started, latencies=latencies
    )


async def measure(grpc_address: str, ours: str, go: str | None) -> list[Result]:
    results = []
    async with grpc.aio.insecure_channel(grpc_address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        for index in range(10):
            execution = evidence_pb2.RetryExecution(
                execution_id=f"bench-{index}",
                provider="slack",
                execution_status=common_pb2.EXECUTION_STATUS_FAILED,
                executed_at=timestamp_pb2.Timestamp(seconds=1_767_225_600 + index),
            )
            await stub.RecordRetryExecution(
                evidence_pb2.RecordRetryExecutionRequest(retry_execution=execution)
            )
        request = evidence_pb2.ListRetryExecutionsRequest(page_size=10)

        async def direct() -> None:
            await stub.ListRetryExecutions(request)

        results.append(await drive("direct gRPC", direct))

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        for name, base in (("our gateway", ours), ("Go grpc-gateway", go)):
            if base is None:
                continue
            url = f"http://{base}{PATH}?page_size=10"

            async def via_http(url: str = url) -> None:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url}: HTTP {response.status}")

            results.append(await drive(name, via_http))
    return results


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        server_command = [
            str(Path(sys.executable).parent / "cavra-recovery"),
            "serve",
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--database-url",
            f"sqlite:///{workdir / 'bench.db'}",
            "--migrate",
        ]
        server, found = start_process(server_command, "grpc,http")
        addresses = dict(item.split("=", 1) for item in found)
        go_process = None
        try:
            binary = build_go_gateway(workdir)
            go_address = None
            if binary is None:
                print("go toolchain not found: Go grpc-gateway column skipped")
            else:
                go_process, go_found = start_process(
                    [str(binary), "--grpc-target", addresses["grpc"], "--http-listen", "127.0.0.1:0"], "http"
                )
                go_address = go_found[0].split("=", 1)[1]
            results = asyncio.run(measure(addresses["grpc"], addresses["http"], go_address))
        finally:
            for process in (go_process, server):
                if process is not None:
                    process.terminate()
                    process.wait(20)
    print(f"ListRetryExecutions (10 records), concurrency {CONCURRENCY}, {SECONDS:.0f} s each")
    print(f"{'path':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for result in results:
        print(
            f"{result.name:<18} {result.throughput:>9.0f} {result.percentile(0.5):>8.2f} "
            f"{result.percentile(0.99):>8.2f}"
        )
    by_name = {r.name: r for r in results}
    ours = by_name["our gateway"]
    for baseline in ("direct gRPC", "Go grpc-gateway"):
        if baseline in by_name:
            base = by_name[baseline]
            print(
                f"our gateway / {baseline}: throughput x{ours.throughput / base.throughput:.2f}, "
                f"p50 latency x{ours.percentile(0.5) / base.percentile(0.5):.2f}, "
                f"mean latency x{statistics.fmean(ours.latencies) / statistics.fmean(base.latencies):.2f}"
            )
