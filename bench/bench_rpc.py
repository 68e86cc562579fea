"""Per-RPC cost against gRPC's own: ghz at 16 in flight against one real server, each RPC compared with
grpc.health.v1.Health/Check on the same server (the two alternate for three rounds; best run of each).

- GetRetryExecution (a primary-key read) and a single RecordRetryExecution, on SQLite;
- the gateway (wrk, HTTP/1.1 keep-alive, 16 connections) against direct gRPC for the same read;
- `--workers 2` against one process on PostgreSQL: server CPU seconds per 1,000 GetRetryExecution calls,
  summed over every server process (/proc/<pid>/stat), and throughput, each the best of two runs. ghz
  opens 4 connections in all runs, since SO_REUSEPORT spreads connections, not calls, over the processes.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
from google.protobuf import timestamp_pb2

from bench.harness import (
    HEALTH_CHECK,
    Ghz,
    Load,
    Server,
    postgres_database,
    running_server,
    scratch_directory,
    wrk,
)
from bench.results import Results
from bench.scale import Scale
from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc

GET = "cavra.recovery.v1.EvidenceService.GetRetryExecution"
RECORD = "cavra.recovery.v1.EvidenceService.RecordRetryExecution"
EXECUTION_ID = "bench-read-0001"
GATEWAY_PATH = (
    "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/retry-executions/"
    + EXECUTION_ID
)


def store_one_execution(server: Server) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        evidence_pb2_grpc.EvidenceServiceStub(channel).RecordRetryExecution(
            evidence_pb2.RecordRetryExecutionRequest(
                retry_execution=evidence_pb2.RetryExecution(
                    execution_id=EXECUTION_ID,
                    provider="slack",
                    execution_status=common_pb2.EXECUTION_STATUS_FAILED,
                    executed_at=timestamp_pb2.Timestamp(seconds=1_767_225_600),
                )
            ),
            timeout=30,
        )


ROUNDS = 3


def against_health(
    server: Server, ghz: Ghz, call: str, data: Callable[[int], object], seconds: float
) -> tuple[Load, Load]:
    """`call` and Health/Check, alternated for ROUNDS rounds: the best run of each (the machine's other
    load only ever slows a run down). Also prints the server's CPU time per call of both."""
    best: dict[str, tuple[Load, float]] = {}
    for round_number in range(ROUNDS):
        for name, request in ((HEALTH_CHECK, {}), (call, data(round_number))):
            cpu_before = server.cpu_seconds()
            load = ghz.run(name, request, seconds=seconds / ROUNDS * 2)
            cpu = (server.cpu_seconds() - cpu_before) / max(load.requests, 1) * 1e6
            if name not in best or load.throughput > best[name][0].throughput:
                best[name] = (load, cpu)
    (health, health_cpu), (measured, measured_cpu) = best[HEALTH_CHECK], best[call]
    print(
        f"  {call.rsplit('.', 1)[-1]}: {measured.throughput:,.0f} calls/s ({measured_cpu:,.0f} us server CPU"
        f" per call); Health/Check {health.throughput:,.0f} calls/s ({health_cpu:,.0f} us)",
        flush=True,
    )
    return measured, health


def record_data(run: int) -> dict[str, object]:
    return {
        "retry_execution": {
            "execution_id": f"bench-{run}-{{{{.RequestNumber}}}}",
            "provider": "slack",
            "execution_status": "EXECUTION_STATUS_FAILED",
            "executed_at": "2026-01-01T00:00:00Z",
        }
    }


def main(results: Results, scale: Scale) -> None:
    seconds = scale.load_seconds
    with scratch_directory() as scratch:
        with running_server(f"sqlite:///{scratch / 'rpc.db'}", http=True) as server:
            store_one_execution(server)
            ghz = Ghz(server.grpc_address, scratch)
            ghz.run(GET, {"execution_id": EXECUTION_ID}, seconds=1)  # warm-up: pools, caches
            read, health = against_health(server, ghz, GET, lambda _: {"execution_id": EXECUTION_ID}, seconds)
            results.record(
                "GetRetryExecution, 16 in flight (ghz, SQLite)",
                read.throughput,
                "calls/s",
                target=">= 0.6 x",
                better="higher",
                baseline="Health/Check, same server",
                baseline_value=health.throughput,
            )
            record, health = against_health(server, ghz, RECORD, record_data, seconds)
            results.record(
                "RecordRetryExecution (single), 16 in flight (ghz, SQLite)",
                record.throughput,
                "calls/s",
                target=">= 0.35 x",
                better="higher",
                baseline="Health/Check, same server",
                baseline_value=health.throughput,
            )
            assert server.http_address is not None
            direct = ghz.run(GET, {"execution_id": EXECUTION_ID}, seconds=seconds)
            gateway = wrk(f"http://{server.http_address}{GATEWAY_PATH}", seconds=seconds)
            print(f"  gateway {gateway.throughput:,.0f} calls/s, direct {direct.throughput:,.0f}", flush=True)
            results.record(
                "gateway GET retry-executions/{id}, 16 connections (wrk)",
                gateway.throughput,
                "calls/s",
                target=">= 0.7 x",
                better="higher",
                baseline="GetRetryExecution over direct gRPC, 16 in flight (ghz)",
                baseline_value=direct.throughput,
            )
        workers(results, scale, scratch)


def workers(results: Results, scale: Scale, scratch: object) -> None:
    cpu_name = "--workers 2 / 1 process, server CPU per 1,000 GetRetryExecution (PostgreSQL)"
    rate_name = "--workers 2 / 1 process, GetRetryExecution throughput (PostgreSQL)"
    if scale.postgres_url is None:
        reason = "set BENCH_POSTGRES_URL or CAVRA_TEST_POSTGRES_URL"
        results.not_measured(cpu_name, "x", target="<= 1.1 x", better="lower", reason=reason)
        results.not_measured(rate_name, "x", target=">= 1.0 x", better="higher", reason=reason)
        return
    measured: dict[int, tuple[float, float]] = {}
    with postgres_database(scale.postgres_url) as url, scratch_directory() as directory:
        # Alternated twice; the best of each (least CPU per call, most calls/s): other load only hurts.
        for count in (1, 2, 1, 2):
            with running_server(url, workers=count) as server:
                store_one_execution(server)
                ghz = Ghz(server.grpc_address, directory)
                ghz.run(GET, {"execution_id": EXECUTION_ID}, seconds=1, connections=4)
                cpu_before = server.cpu_seconds()
                load = ghz.run(
                    GET, {"execution_id": EXECUTION_ID}, seconds=scale.load_seconds * 2, connections=4
                )
                cpu = (server.cpu_seconds() - cpu_before) / load.requests * 1000
                best_cpu, best_rate = measured.get(count, (float("inf"), 0.0))
                measured[count] = (min(best_cpu, cpu), max(best_rate, load.throughput))
                print(
                    f"  --workers {count}: {load.throughput:,.0f} calls/s, {cpu:.2f} CPU s per 1,000 calls",
                    flush=True,
                )
    (cpu_one, rate_one), (cpu_two, rate_two) = measured[1], measured[2]
    results.record(
        cpu_name,
        cpu_two / cpu_one,
        "x",
        target="<= 1.1 x",
        better="lower",
        baseline="one process, CPU seconds per 1,000 calls",
        baseline_value=cpu_one,
        ratio=cpu_two / cpu_one,
    )
    results.record(
        rate_name,
        rate_two / rate_one,
        "x",
        target=">= 1.0 x",
        better="higher",
        baseline="one process, calls/s",
        baseline_value=rate_one,
        ratio=rate_two / rate_one,
    )
