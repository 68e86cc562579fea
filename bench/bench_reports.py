"""Reports over a large history: GetRetryRecoveryReport and GetRecoveryExecutiveReport at the large
and small history (SQLite) and their ratio, CreateRecoveryEscalationPlan with 1,000 escalated rows,
GetRollbackDrillDashboard against Health/Check (ghz, 16 in flight), the server's peak RSS, and the two
reports on PostgreSQL. Each RPC is timed as the best of 3 over gRPC against a real server process."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from bench.harness import HEALTH_CHECK, Ghz, Server, postgres_database, running_server, scratch_directory
from bench.results import Results, best_of
from bench.scale import Scale
from bench.seed import cached_sqlite_history, seed_history
from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, report_pb2, report_pb2_grpc

DASHBOARD = "cavra.recovery.v1.ReportService.GetRollbackDrillDashboard"


def report_times(server: Server) -> dict[str, float]:
    """Best-of-3 milliseconds of the two reports (and the plan, which builds a report too)."""
    with grpc.insecure_channel(server.grpc_address) as channel:
        reports = report_pb2_grpc.ReportServiceStub(channel)
        plans = escalation_pb2_grpc.EscalationServiceStub(channel)
        calls: dict[str, Callable[[], object]] = {
            "GetRetryRecoveryReport": lambda: reports.GetRetryRecoveryReport(
                report_pb2.GetRetryRecoveryReportRequest(), timeout=600
            ),
            "GetRecoveryExecutiveReport": lambda: reports.GetRecoveryExecutiveReport(
                report_pb2.GetRecoveryExecutiveReportRequest(generated_by="bench"), timeout=600
            ),
            "CreateRecoveryEscalationPlan": lambda: plans.CreateRecoveryEscalationPlan(
                escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="bench"), timeout=600
            ),
        }
        times = {name: best_of(3, call) * 1000 for name, call in calls.items()}
        plan = plans.CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="bench"), timeout=600
        ).plan
        print(f"  plan: {plan.escalation_count:,} routes", flush=True)
    for name, milliseconds in times.items():
        print(f"  {name:<32} {milliseconds:9.1f} ms", flush=True)
    return times


def main(results: Results, scale: Scale) -> None:
    large, small = scale.label(scale.large_executions), scale.label(scale.small_executions)
    measured: dict[int, dict[str, float]] = {}
    with scratch_directory() as scratch:
        for executions in (scale.small_executions, scale.large_executions):
            print(f"SQLite history of {executions:,} executions", flush=True)
            database = cached_sqlite_history(executions, scratch / f"history-{executions}.db")
            with running_server(f"sqlite:///{database}") as server:
                measured[executions] = report_times(server)
                if executions == scale.large_executions:
                    ghz = Ghz(server.grpc_address, scratch)
                    health = ghz.run(HEALTH_CHECK, {}, seconds=scale.load_seconds)
                    dashboard = ghz.run(DASHBOARD, {}, seconds=scale.load_seconds)
                    peak = server.peak_rss_mb()
            database.unlink()
    shape = (
        f"{large} executions, {scale.large_executions // 10:,} rows, {scale.large_executions // 5:,} closures"
    )
    for name in ("GetRetryRecoveryReport", "GetRecoveryExecutiveReport"):
        results.record(
            f"{name} at {shape} (SQLite)",
            measured[scale.large_executions][name],
            "ms",
            target="<= 100 ms",
            better="lower",
        )
    for name in ("GetRetryRecoveryReport", "GetRecoveryExecutiveReport"):
        ratio = measured[scale.large_executions][name] / measured[scale.small_executions][name]
        results.record(
            f"{name} at {large} / at {small} (SQLite)",
            ratio,
            "x",
            target="<= 1.5 x",
            better="lower",
            baseline=f"{name} at {small}, ms",
            baseline_value=measured[scale.small_executions][name],
            ratio=ratio,
        )
    results.record(
        f"CreateRecoveryEscalationPlan at {large} executions, 1,000 escalated rows (SQLite)",
        measured[scale.large_executions]["CreateRecoveryEscalationPlan"],
        "ms",
        target="<= 150 ms",
        better="lower",
    )
    results.record(
        f"GetRollbackDrillDashboard at {large}, 16 in flight (ghz)",
        dashboard.throughput,
        "calls/s",
        target=">= 0.5 x",
        better="higher",
        baseline="Health/Check, same server",
        baseline_value=health.throughput,
    )
    results.record(f"server peak RSS at {large} (VmHWM)", peak, "MB", target="<= 200 MB", better="lower")
    postgres(results, scale, shape)


def postgres(results: Results, scale: Scale, shape: str) -> None:
    names = ("GetRetryRecoveryReport", "GetRecoveryExecutiveReport")
    if scale.postgres_url is None:
        for name in names:
            results.not_measured(
                f"{name} at {shape} (PostgreSQL)",
                "ms",
                target="<= 150 ms",
                better="lower",
                reason="set BENCH_POSTGRES_URL or CAVRA_TEST_POSTGRES_URL",
            )
        return
    with postgres_database(scale.postgres_url) as url:
        print(f"PostgreSQL history of {scale.large_executions:,} executions", flush=True)
        seed_history(url, scale.large_executions)
        with running_server(url) as server:
            times = report_times(server)
    for name in names:
        results.record(
            f"{name} at {shape} (PostgreSQL)", times[name], "ms", target="<= 150 ms", better="lower"
        )
