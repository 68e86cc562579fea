"""SLO report, plan and executive report over 1,000,000 executions, 100,000 playbook rows, 200,000 closures.

Generates the evidence once into a SQLite file under var/bench/ (keyed by DATA_VERSION, so re-runs
reuse it), then:

1. times the bare SQL aggregate queries the reports are made of (the baseline), straight on sqlite3;
2. starts a real `cavra-recovery serve` process on a copy of the file and times GetRetryRecoveryReport,
   CreateRecoveryEscalationPlan and GetRecoveryExecutiveReport over gRPC;
3. prints each time and its ratio to the baseline, and the server's peak RSS (VmHWM) against 300 MB.

Run with `make bench` or `python -m bench reports`.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import psutil

from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, report_pb2, report_pb2_grpc
from server.storage.migrate import migrate

DATA_VERSION = "reports-v1"
EXECUTIONS = 1_000_000
PLAYBOOKS = 50_000
PROVIDERS_PER_PLAYBOOK = 2
CLOSURES = 200_000
RSS_BUDGET_MB = 300
ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench"
PROVIDERS = [
    "slack",
    "teams",
    "pagerduty",
    "email",
    "jira",
    "servicenow",
    "splunk",
    "sentinel",
    "datadog",
    "webhook",
]
CATEGORIES = {
    "slack": "chatops",
    "teams": "chatops",
    "pagerduty": "chatops",
    "email": "chatops",
    "jira": "itsm",
    "servicenow": "itsm",
    "splunk": "siem",
    "sentinel": "siem",
    "datadog": "siem",
    "webhook": "webhook",
}
NOW = datetime.now(UTC).replace(microsecond=0)
BATCH = 50_000


def stamp(value: datetime) -> str:
    """SQLAlchemy's SQLite storage format for naive UTC datetimes."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def progress(label: str, done: int, total: int) -> None:
    print(f"\r  {label}: {done:,}/{total:,}", end="" if done < total else "\n", flush=True)


def _batched(rows: Iterator[tuple[object, ...]], size: int = BATCH) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(path: Path) -> None:
    """Write the evidence with plain executemany, one transaction per table (schema from Alembic)."""
    rng = random.Random(20260310)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    migrate(f"sqlite:///{partial}")
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    digest = "0" * 64

    def executions() -> Iterator[tuple[object, ...]]:
        for i in range(EXECUTIONS):
            roll = rng.random()
            status = "failed" if roll < 0.03 else "skipped" if roll < 0.05 else "delivered"
            at = stamp(NOW - timedelta(seconds=rng.randint(0, 365 * 86400)))
            yield (f"exe-{i:07d}", rng.choice(PROVIDERS), status, at, status == "delivered", digest, at)

    done = 0
    for batch in _batched(executions()):
        connection.executemany(
            "INSERT INTO retry_executions (execution_id, provider, execution_status, executed_at, run_id,"
            " retry_plan_id, approval_decision_id, delivery_id, audit_id, delivery_success, skipped_reason,"
            " content_digest, recorded_at) VALUES (?, ?, ?, ?, '', '', '', '', '', ?, '', ?, ?)",
            batch,
        )
        done += len(batch)
        progress("retry executions", done, EXECUTIONS)
    connection.commit()

    entries: list[tuple[str, str, datetime]] = []
    playbooks = []
    for i in range(PLAYBOOKS):
        generated_at = NOW - timedelta(seconds=rng.randint(0, 365 * 86400))
        playbook_id = f"pb-{i:06d}"
        playbooks.append((playbook_id, stamp(generated_at), digest, stamp(generated_at)))
        for provider in rng.sample(PROVIDERS, PROVIDERS_PER_PLAYBOOK):
            entries.append((playbook_id, provider, generated_at))
    connection.executemany(
        "INSERT INTO connector_recovery_playbooks (playbook_id, generated_at, lookback_hours,"
        " min_failure_count, content_digest, recorded_at) VALUES (?, ?, 24, 1, ?, ?)",
        playbooks,
    )
    connection.executemany(
        "INSERT INTO playbook_providers (playbook_id, provider, category, failure_count, latest_failure_at,"
        " status_codes, generated_at) VALUES (?, ?, ?, ?, ?, '[500]', ?)",
        [
            (pid, provider, CATEGORIES[provider], rng.randint(1, 20), stamp(at), stamp(at))
            for pid, provider, at in entries
        ],
    )
    connection.commit()
    progress("playbook rows", len(entries), len(entries))

    def closures() -> Iterator[tuple[object, ...]]:
        for i in range(CLOSURES):
            playbook_id, provider, generated_at = entries[i % len(entries)]
            # The second closure of a row is usually the closing one; some rows stay open or reopen.
            state = (
                rng.choice(["deferred", "escalated", "reopened"])
                if i < len(entries)
                else rng.choice(["resolved", "resolved", "mitigated", "reopened", "deferred"])
            )
            closed_at = generated_at + timedelta(minutes=rng.randint(1, 2000) + (i // len(entries)) * 2000)
            at = stamp(min(closed_at, NOW))
            yield (f"clo-{i:07d}", playbook_id, provider, state, "bench", at, digest, at)

    done = 0
    for batch in _batched(closures()):
        connection.executemany(
            "INSERT INTO recovery_closures (closure_id, playbook_id, provider, closure_state, closed_by,"
            " closed_at, external_ref, notes, verification_refs, content_digest, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, '', '', '[]', ?, ?)",
            batch,
        )
        done += len(batch)
        progress("closures", done, CLOSURES)
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(path)


def cached_database() -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{DATA_VERSION}.db"
    if path.exists():
        print(f"  using cached evidence {path.relative_to(ROOT)}")
    else:
        print(f"  generating evidence into {path.relative_to(ROOT)} (once per DATA_VERSION)")
        started = time.perf_counter()
        generate(path)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    return path


BASELINE_QUERIES = {
    "executions by provider and status": (
        "SELECT provider, execution_status, count(*), max(executed_at) FROM retry_executions"
        " GROUP BY provider, execution_status"
    ),
    "closures by day, provider and state": (
        "SELECT substr(closed_at, 1, 10), provider, closure_state, count(*), max(closed_at)"
        " FROM recovery_closures GROUP BY 1, 2, 3"
    ),
    "rows with latest closure, by provider": (
        "WITH ranked AS (SELECT playbook_id, provider, closure_state, ROW_NUMBER() OVER ("
        " PARTITION BY playbook_id, provider ORDER BY closed_at DESC, id DESC) AS position"
        " FROM recovery_closures) SELECT e.provider, count(*),"
        " sum(CASE WHEN r.closure_state IN ('resolved', 'mitigated') THEN 1 ELSE 0 END)"
        " FROM playbook_providers e LEFT JOIN ranked r ON r.playbook_id = e.playbook_id"
        " AND r.provider = e.provider AND r.position = 1 GROUP BY e.provider"
    ),
}


def baseline(path: Path) -> float:
    connection = sqlite3.connect(path)
    total = 0.0
    for name, sql in BASELINE_QUERIES.items():
        started = time.perf_counter()
        connection.execute(sql).fetchall()
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"  {name:<42} {elapsed * 1000:9.1f} ms")
    connection.close()
    print(f"  {'bare SQL aggregates (baseline)':<42} {total * 1000:9.1f} ms")
    return total


def start_server(database: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        str(Path(sys.executable).parent / "cavra-recovery"),
        "serve",
        "--grpc-listen",
        "127.0.0.1:0",
        "--http-listen",
        "off",
        "--database-url",
        f"sqlite:///{database}",
        "--migrate",
    ]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environ
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        match = re.search(r"grpc listening on (\S+)", line)
        if match:
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("the server did not start")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the kernel's record of the process's peak resident set."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return psutil.Process(pid).memory_info().rss / 2**20


def timed(label: str, call: Callable[[], object], reference: float) -> None:
    started = time.perf_counter()
    call()
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed * 1000:9.1f} ms   {elapsed / reference:6.1f}x baseline")


def page_all_routes(plans: escalation_pb2_grpc.EscalationServiceStub, plan_id: str) -> int:
    """Every route of the plan through ListRecoveryEscalationRoutes, 1,000 a page; returns the count."""
    count, token = 0, ""
    while True:
        page = plans.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(
                plan_id=plan_id, page_size=1000, page_token=token
            ),
            timeout=600,
        )
        count += len(page.routes)
        token = page.next_page_token
        if not token:
            return count


def main() -> None:
    source = cached_database()
    print("baseline: the aggregate queries alone (sqlite3, no server)")
    reference = baseline(source)
    with tempfile.TemporaryDirectory(prefix="cavra-bench-") as scratch:
        database = Path(scratch) / "bench.db"
        shutil.copyfile(source, database)
        process, address = start_server(database)
        try:
            print(f"server: real cavra-recovery process (pid {process.pid}) over gRPC")
            # Default client options (4 MB receive limit): plan responses are bounded by route_limit and
            # the routes are paged, so no call may need a raised limit.
            with grpc.insecure_channel(address) as channel:
                reports = report_pb2_grpc.ReportServiceStub(channel)
                plans = escalation_pb2_grpc.EscalationServiceStub(channel)
                timed(
                    "GetRetryRecoveryReport",
                    lambda: reports.GetRetryRecoveryReport(
                        report_pb2.GetRetryRecoveryReportRequest(), timeout=600
                    ),
                    reference,
                )
                created: list[escalation_pb2.RecoveryEscalationPlan] = []
                timed(
                    "CreateRecoveryEscalationPlan",
                    lambda: created.append(
                        plans.CreateRecoveryEscalationPlan(
                            escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="bench"),
                            timeout=600,
                        ).plan
                    ),
                    reference,
                )
                timed(
                    "GetRecoveryExecutiveReport",
                    lambda: reports.GetRecoveryExecutiveReport(
                        report_pb2.GetRecoveryExecutiveReportRequest(generated_by="bench"), timeout=600
                    ),
                    reference,
                )
                plan = created[0]
                timed(
                    "GetRecoveryEscalationPlan (route_limit 10000)",
                    lambda: plans.GetRecoveryEscalationPlan(
                        escalation_pb2.GetRecoveryEscalationPlanRequest(
                            plan_id=plan.plan_id, route_limit=10_000
                        ),
                        timeout=600,
                    ),
                    reference,
                )
                timed(
                    "ListRecoveryEscalationPlans",
                    lambda: plans.ListRecoveryEscalationPlans(
                        escalation_pb2.ListRecoveryEscalationPlansRequest(page_size=100), timeout=600
                    ),
                    reference,
                )
                paged: list[int] = []
                timed(
                    "ListRecoveryEscalationRoutes (every page)",
                    lambda: paged.append(page_all_routes(plans, plan.plan_id)),
                    reference,
                )
                print(
                    f"  plan routes: {plan.escalation_count:,}, listed in the response:"
                    f" {len(plan.escalation_routes):,}, paged: {paged[0]:,}"
                )
                if paged[0] != plan.escalation_count:
                    raise SystemExit(f"paged {paged[0]:,} routes, the plan holds {plan.escalation_count:,}")
            peak = peak_rss_mb(process.pid)
            verdict = "within" if peak < RSS_BUDGET_MB else "OVER"
            print(f"  server peak RSS: {peak:.0f} MB ({verdict} the {RSS_BUDGET_MB} MB budget)")
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
