"""Bulk evidence intake: 100,000 retry executions through BatchRecordEvidence against a real server
process on SQLite, compared with a bare SQLAlchemy `insert()` of the same rows into the same schema.

The ratio (server / bare insert) is the cost of the whole path — gRPC, validation, digests,
idempotent `ON CONFLICT DO NOTHING RETURNING` inserts and digest comparison — over the database's own
insert speed on this machine.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from sqlalchemy import Table, insert

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from server.domain.evidence import ExecutionStatus, RetryExecution
from server.storage.migrate import migrate
from server.storage.models import RetryExecutionRecord

TOTAL = 100_000
BATCH = 5_000
BASE_TIME = datetime(2026, 3, 1, tzinfo=UTC)
PROVIDERS = ("slack", "jira", "webhook", "splunk", "pagerduty")
STATUSES = (ExecutionStatus.DELIVERED, ExecutionStatus.FAILED, ExecutionStatus.SKIPPED)
STATUS_TO_PROTO = {
    ExecutionStatus.DELIVERED: common_pb2.EXECUTION_STATUS_DELIVERED,
    ExecutionStatus.FAILED: common_pb2.EXECUTION_STATUS_FAILED,
    ExecutionStatus.SKIPPED: common_pb2.EXECUTION_STATUS_SKIPPED,
}


def executions() -> list[RetryExecution]:
    return [
        RetryExecution(
            execution_id=f"bench-exec-{i:07d}",
            provider=PROVIDERS[i % len(PROVIDERS)],
            execution_status=STATUSES[i % 3],
            executed_at=BASE_TIME + timedelta(seconds=i),
            run_id=f"run-{i // 500}",
            retry_plan_id=f"plan-{i // 5000}",
            delivery_id=f"delivery-{i}",
            audit_id=f"audit-{i}",
            delivery_success=i % 3 == 0,
            skipped_reason="connector paused" if i % 3 == 2 else "",
        )
        for i in range(TOTAL)
    ]


def bare_insert_rate(records: list[RetryExecution], directory: Path) -> float:
    """Baseline: Core insert() executemany into the migrated schema, one transaction per 5,000 rows."""
    url = f"sqlite:///{directory / 'baseline.db'}"
    migrate(url)
    rows: list[dict[str, Any]] = [
        {
            "execution_id": r.execution_id,
            "provider": r.provider,
            "execution_status": r.execution_status.value,
            "executed_at": r.executed_at,
            "run_id": r.run_id,
            "retry_plan_id": r.retry_plan_id,
            "approval_decision_id": r.approval_decision_id,
            "delivery_id": r.delivery_id,
            "audit_id": r.audit_id,
            "delivery_success": r.delivery_success,
            "skipped_reason": r.skipped_reason,
            "content_digest": r.content_digest(),
            "recorded_at": BASE_TIME,
        }
        for r in records
    ]
    from server.storage.database import create_database_engine

    engine = create_database_engine(url)
    table: Table = RetryExecutionRecord.__table__  # type: ignore[assignment]
    started = time.perf_counter()
    for start in range(0, TOTAL, BATCH):
        with engine.begin() as connection:
            connection.execute(insert(table), rows[start : start + BATCH])
    elapsed = time.perf_counter() - started
    engine.dispose()
    return TOTAL / elapsed


def to_request(records: list[RetryExecution], start: int) -> evidence_pb2.BatchRecordEvidenceRequest:
    request = evidence_pb2.BatchRecordEvidenceRequest(request_id=f"bench-{start}")
    for r in records[start : start + BATCH]:
        executed_at = timestamp_pb2.Timestamp()
        executed_at.FromDatetime(r.executed_at)
        request.records.add().retry_execution.CopyFrom(
            evidence_pb2.RetryExecution(
                execution_id=r.execution_id,
                provider=r.provider,
                execution_status=STATUS_TO_PROTO[r.execution_status],
                executed_at=executed_at,
                run_id=r.run_id,
                retry_plan_id=r.retry_plan_id,
                delivery_id=r.delivery_id,
                audit_id=r.audit_id,
                delivery_success=r.delivery_success,
                skipped_reason=r.skipped_reason,
            )
        )
    return request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(directory: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    log_path = directory / "server.log"
    command = [
        str(Path(sys.executable).parent / "cavra-recovery"),
        "serve",
        "--grpc-listen",
        f"127.0.0.1:{free_port()}",
        "--http-listen",
        "off",
        "--database-url",
        f"sqlite:///{directory / 'server.db'}",
        "--migrate",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"grpc listening on (\S+)", log_path.read_text())
        if match:
            return process, match.group(1), log_path
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start:\n" + log_path.read_text())


def server_rate(records: list[RetryExecution], directory: Path) -> float:
    requests = [to_request(records, start) for start in range(0, TOTAL, BATCH)]
    process, address, log_path = start_server(directory)
    try:
        with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
            stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
            started = time.perf_counter()
            for number, request in enumerate(requests, start=1):
                response = stub.BatchRecordEvidence(request, timeout=300)
                if response.created_count != BATCH:
                    raise RuntimeError(f"batch {number}: created {response.created_count}, expected {BATCH}")
                done = number * BATCH
                elapsed = time.perf_counter() - started
                print(f"  server: {done:>7,} records  {done / elapsed:>9,.0f} records/s", flush=True)
            elapsed = time.perf_counter() - started
            total = stub.ListRetryExecutions(evidence_pb2.ListRetryExecutionsRequest(page_size=1)).total_size
            if total != TOTAL:
                raise RuntimeError(f"listed {total} records, expected {TOTAL}")
    finally:
        process.terminate()
        process.wait(30)
        if process.returncode not in (0, -15):
            print(log_path.read_text(), file=sys.stderr)
    return TOTAL / elapsed


def main() -> None:
    print(f"bulk import of {TOTAL:,} retry executions in batches of {BATCH:,} (SQLite)", flush=True)
    records = executions()
    with tempfile.TemporaryDirectory(prefix="cavra-bench-") as temporary:
        directory = Path(temporary)
        print("baseline: bare SQLAlchemy insert() of the same rows ...", flush=True)
        baseline = bare_insert_rate(records, directory)
        print(f"  baseline: {baseline:,.0f} records/s", flush=True)
        print("server: BatchRecordEvidence over gRPC ...", flush=True)
        served = server_rate(records, directory)
    print(f"BatchRecordEvidence: {served:,.0f} records/s")
    print(f"bare insert():       {baseline:,.0f} records/s")
    print(f"ratio server/bare:   {served / baseline:.2f}x")


if __name__ == "__main__":
    main()
