"""Bulk intake: retry executions through BatchRecordEvidence against a real server process, compared
with a bare SQLAlchemy Core `insert()` of the same rows into the same freshly migrated schema, in
batches of the same size, one transaction per batch — on SQLite and on PostgreSQL.

The ratio (bare insert time / server time) is what the whole path keeps of the database's own insert
speed: gRPC, validation, digests, idempotent inserts and whatever intake maintains besides the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from sqlalchemy import Table, insert

from bench.harness import postgres_database, running_server, scratch_directory
from bench.results import Results, stopwatch
from bench.scale import Scale
from bench.seed import execution_rows
from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.domain.evidence import ExecutionStatus, RetryExecution
from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.migrate import migrate
from cavra_recovery.server.storage.models import RetryExecutionRecord

STATUS_TO_PROTO = {
    "delivered": common_pb2.EXECUTION_STATUS_DELIVERED,
    "failed": common_pb2.EXECUTION_STATUS_FAILED,
    "skipped": common_pb2.EXECUTION_STATUS_SKIPPED,
}


def bare_insert_seconds(url: str, rows: list[dict[str, Any]], batch: int) -> float:
    """Baseline: Core insert() executemany into the migrated schema, one transaction per batch."""
    migrate(url)
    engine = create_database_engine(url)
    table: Table = RetryExecutionRecord.__table__  # type: ignore[assignment]
    try:
        with stopwatch() as elapsed:
            for start in range(0, len(rows), batch):
                with engine.begin() as connection:
                    connection.execute(insert(table), rows[start : start + batch])
            return elapsed()
    finally:
        engine.dispose()


def requests(rows: list[dict[str, Any]], batch: int) -> list[evidence_pb2.BatchRecordEvidenceRequest]:
    built = []
    for start in range(0, len(rows), batch):
        request = evidence_pb2.BatchRecordEvidenceRequest(request_id=f"bench-intake-{start}")
        for row in rows[start : start + batch]:
            executed_at = timestamp_pb2.Timestamp()
            executed_at.FromDatetime(row["executed_at"])
            request.records.add().retry_execution.CopyFrom(
                evidence_pb2.RetryExecution(
                    execution_id=row["execution_id"],
                    provider=row["provider"],
                    execution_status=STATUS_TO_PROTO[row["execution_status"]],
                    executed_at=executed_at,
                    run_id=row["run_id"],
                    delivery_success=row["delivery_success"],
                    skipped_reason=row["skipped_reason"],
                )
            )
        built.append(request)
    return built


def server_seconds(url: str, rows: list[dict[str, Any]], batch: int) -> float:
    prepared = requests(rows, batch)
    with running_server(url) as server:
        options = [("grpc.max_send_message_length", 64 << 20)]
        with grpc.insecure_channel(server.grpc_address, options=options) as channel:
            stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
            with stopwatch() as elapsed:
                for request in prepared:
                    response = stub.BatchRecordEvidence(request, timeout=600)
                    if response.created_count != len(request.records):
                        raise RuntimeError(f"created {response.created_count} of {len(request.records)}")
                return elapsed()


def same_rows(count: int) -> list[dict[str, Any]]:
    """The rows both sides write, with the content digest intake computes for each."""
    rows = list(execution_rows(count, now=datetime.now(UTC).replace(microsecond=0), seed=7))
    for row in rows:
        row["content_digest"] = RetryExecution(
            execution_id=row["execution_id"],
            provider=row["provider"],
            execution_status=ExecutionStatus(row["execution_status"]),
            executed_at=row["executed_at"],
            run_id=row["run_id"],
            delivery_success=row["delivery_success"],
            skipped_reason=row["skipped_reason"],
        ).content_digest()
    return rows


@contextmanager
def two_sqlite_databases() -> Iterator[tuple[str, str]]:
    with scratch_directory() as scratch:
        yield f"sqlite:///{Path(scratch) / 'bare.db'}", f"sqlite:///{Path(scratch) / 'server.db'}"


@contextmanager
def two_postgres_databases(admin_url: str) -> Iterator[tuple[str, str]]:
    with postgres_database(admin_url) as bare, postgres_database(admin_url) as served:
        yield bare, served


def main(results: Results, scale: Scale) -> None:
    rows = same_rows(scale.intake_records)
    batch = scale.intake_batch
    databases = {"SQLite": two_sqlite_databases}
    for backend in ("SQLite", "PostgreSQL"):
        name = f"BatchRecordEvidence, {len(rows):,} executions in batches of {batch:,} ({backend})"
        if backend == "PostgreSQL" and scale.postgres_url is None:
            results.not_measured(
                name,
                "records/s",
                target=">= 0.6 x",
                better="higher",
                reason="set BENCH_POSTGRES_URL or CAVRA_TEST_POSTGRES_URL",
            )
            continue
        pair = (
            databases[backend]() if backend == "SQLite" else two_postgres_databases(str(scale.postgres_url))
        )
        with pair as (bare_url, server_url):
            bare = bare_insert_seconds(bare_url, rows, batch)
            served = server_seconds(server_url, rows, batch)
        print(
            f"  {backend}: server {len(rows) / served:,.0f} records/s, bare insert {len(rows) / bare:,.0f}",
            flush=True,
        )
        results.record(
            name,
            len(rows) / served,
            "records/s",
            target=">= 0.6 x",
            better="higher",
            baseline="bare Core insert() of the same rows, same batches",
            baseline_value=len(rows) / bare,
        )
