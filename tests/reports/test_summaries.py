"""Maintained summaries stay exact: reports read from them equal the oracle over the full history.

Random evidence in random order (duplicates, out-of-order and tied closures, back-filled executions)
goes through the evidence operation in batches; after every batch the SLO report, plan, executive
report and dashboard equal the in-memory reference. On PostgreSQL two replicas ingest the same stream
at once without a lost count or a deadlock. A database from the previous schema migrates and reports
exactly as the reference says.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from cavra.recovery.v1 import evidence_pb2
from cavra_recovery.server.domain.evidence import (
    BatchOutcome,
    ClosureState,
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    ExecutionStatus,
    RecoveryClosure,
    RetryExecution,
)
from cavra_recovery.server.domain.slo_report import RowStatus
from cavra_recovery.server.operations import evidence as evidence_operations
from cavra_recovery.server.storage import reports
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.migrate import migrate
from cavra_recovery.server.storage.models import (
    Base,
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)
from cavra_recovery.server.storage.summaries.rebuild import rebuild_dashboard_counters
from cavra_recovery.server.storage.summaries.tables import DashboardCounterRecord, ExecutionSummaryRecord
from tests.reports.evidence_streams import NOW, assert_reports_equal_the_oracle, cut, random_stream


def record_batch(database: Database, batch: Sequence[EvidenceRecord]) -> None:
    def respond(outcome: BatchOutcome) -> evidence_pb2.BatchRecordEvidenceResponse:
        return evidence_pb2.BatchRecordEvidenceResponse(
            created_count=outcome.created_count, unchanged_count=outcome.unchanged_count
        )

    asyncio.run(
        evidence_operations.record_batch(
            database,
            None,
            evidence_pb2.BatchRecordEvidenceResponse,
            now=NOW,
            records=batch,
            paths=[f"records[{i}]" for i in range(len(batch))],
            respond=respond,
        )
    )


def empty_every_table(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    playbooks=st.integers(0, 6),
    executions=st.integers(0, 25),
    closures=st.integers(0, 40),
    batches=st.integers(1, 5),
)
def test_reports_from_summaries_equal_the_oracle_after_every_batch(
    database: Database, seed: int, playbooks: int, executions: int, closures: int, batches: int
) -> None:
    database.run_sync(empty_every_table)
    rng = random.Random(seed)
    stream = random_stream(rng, playbooks=playbooks, executions=executions, closures=closures)
    for batch in cut(stream, rng, batches) if stream else []:
        record_batch(database, batch)
        database.run_sync(assert_reports_equal_the_oracle)


def test_resending_a_batch_changes_no_summary(database: Database) -> None:
    stream = random_stream(random.Random(5), playbooks=6, executions=30, closures=20)
    record_batch(database, stream)

    def summaries(session: Session) -> list[Any]:
        return [tuple(row) for row in session.execute(select(ExecutionSummaryRecord.__table__))]

    before = database.run_sync(summaries)
    record_batch(database, list(reversed(stream)))
    assert database.run_sync(summaries) == before
    database.run_sync(assert_reports_equal_the_oracle)


def test_an_older_closure_after_a_newer_one_leaves_the_newer_state(database: Database) -> None:
    book = next(
        r
        for r in random_stream(random.Random(11), playbooks=1, executions=0, closures=0)
        if isinstance(r, ConnectorRecoveryPlaybook)
    )
    provider = book.providers[0].provider
    at = book.generated_at
    newer = RecoveryClosure(
        "cl-new", book.playbook_id, provider, ClosureState.RESOLVED, at + timedelta(minutes=50)
    )
    older = RecoveryClosure(
        "cl-old", book.playbook_id, provider, ClosureState.REOPENED, at + timedelta(minutes=20)
    )
    record_batch(database, [book, newer])
    record_batch(database, [older])
    report = database.run_sync(
        lambda s: reports.compute_retry_recovery_report(s, now=NOW, recovery_slo_minutes=60)
    )
    row = next(r for r in report.rows if r.playbook_id == book.playbook_id and r.provider == provider)
    assert (row.status, row.closure_id, row.closure_minutes) == (RowStatus.CLOSED, "cl-new", 50)
    database.run_sync(assert_reports_equal_the_oracle)


def test_of_closures_with_equal_closed_at_the_one_recorded_last_wins_across_batches(
    database: Database,
) -> None:
    book = next(
        r
        for r in random_stream(random.Random(12), playbooks=1, executions=0, closures=0)
        if isinstance(r, ConnectorRecoveryPlaybook)
    )
    provider = book.providers[0].provider
    at = book.generated_at + timedelta(minutes=30)
    first = RecoveryClosure("cl-b", book.playbook_id, provider, ClosureState.RESOLVED, at)
    second = RecoveryClosure("cl-a", book.playbook_id, provider, ClosureState.REOPENED, at)
    record_batch(database, [book, first])
    record_batch(database, [second])
    report = database.run_sync(
        lambda s: reports.compute_retry_recovery_report(s, now=NOW, recovery_slo_minutes=60)
    )
    row = next(r for r in report.rows if r.playbook_id == book.playbook_id and r.provider == provider)
    assert (row.closure_id, row.closure_state, row.closure_minutes) == ("cl-a", "reopened", None)
    database.run_sync(assert_reports_equal_the_oracle)


def test_a_back_filled_old_execution_counts(database: Database) -> None:
    recent = RetryExecution("ex-new", "slack", ExecutionStatus.DELIVERED, NOW - timedelta(minutes=1))
    old = RetryExecution("ex-old", "slack", ExecutionStatus.FAILED, NOW - timedelta(days=400))
    record_batch(database, [recent])
    record_batch(database, [old])
    report = database.run_sync(
        lambda s: reports.compute_retry_recovery_report(s, now=NOW, recovery_slo_minutes=60)
    )
    (summary,) = report.provider_summaries
    assert (summary.executions, summary.delivered, summary.failed) == (2, 1, 1)
    assert summary.latest_execution_at == recent.executed_at
    database.run_sync(assert_reports_equal_the_oracle)


def ingest_at_once(url: str, streams: Sequence[list[list[EvidenceRecord]]]) -> None:
    """Each list of batches sent by its own replica (engine), all starting together; no deadlock or
    serialization failure may occur, not even one that a retry would have hidden."""
    replicas = [Database(url) for _ in streams]
    conflicts: list[str] = []

    def watch(context: Any) -> None:
        state = getattr(context.original_exception, "sqlstate", None)
        if state in {"40P01", "40001"}:
            conflicts.append(state)

    for replica in replicas:
        event.listen(replica.engine, "handle_error", watch)
    errors: list[BaseException] = []
    start = threading.Barrier(len(replicas))

    def ingest(replica: Database, batches: list[list[EvidenceRecord]]) -> None:
        start.wait()
        try:
            for batch in batches:
                record_batch(replica, batch)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=ingest, args=pair) for pair in zip(replicas, streams, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    try:
        assert errors == []
        assert conflicts == []
        replicas[0].run_sync(assert_reports_equal_the_oracle)
    finally:
        for replica in replicas:
            replica.dispose()


@pytest.mark.postgres
def test_two_replicas_ingesting_one_stream_at_once_lose_no_count_and_never_deadlock(
    postgres_url: str,
) -> None:
    migrate(postgres_url)
    stream = random_stream(random.Random(2026), playbooks=60, executions=400, closures=300)
    # Each replica cuts the same stream into its own batches.
    ingest_at_once(postgres_url, [cut(stream, random.Random(seed), 25) for seed in (1, 2)])


@pytest.mark.postgres
def test_two_replicas_closing_the_same_rows_at_once_keep_the_newest_closure_and_every_count(
    postgres_url: str,
) -> None:
    migrate(postgres_url)
    stream = random_stream(random.Random(2027), playbooks=8, executions=200, closures=400)
    playbooks = [r for r in stream if isinstance(r, ConnectorRecoveryPlaybook)]
    first = Database(postgres_url)
    try:
        record_batch(first, playbooks)
    finally:
        first.dispose()
    rest = [r for r in stream if not isinstance(r, ConnectorRecoveryPlaybook)]
    # Alternate records go to alternate replicas: both move the same few rows at the same time.
    halves = [rest[0::2], rest[1::2]]
    ingest_at_once(postgres_url, [cut(half, random.Random(seed), 40) for seed, half in enumerate(halves)])


def insert_history_with_the_previous_schema(session: Session, stream: Sequence[EvidenceRecord]) -> None:
    """Evidence as the previous release stored it (no summaries), including an orphan closure."""
    seen: set[str] = set()
    for record in stream:
        if record.record_id in seen:
            continue
        seen.add(record.record_id)
        if isinstance(record, RetryExecution):
            session.execute(
                insert(RetryExecutionRecord),
                [
                    {
                        "execution_id": record.execution_id,
                        "provider": record.provider,
                        "execution_status": record.execution_status.value,
                        "executed_at": record.executed_at,
                        "content_digest": record.content_digest(),
                        "recorded_at": NOW,
                    }
                ],
            )
        elif isinstance(record, ConnectorRecoveryPlaybook):
            session.execute(
                insert(PlaybookRecord),
                [
                    {
                        "playbook_id": record.playbook_id,
                        "generated_at": record.generated_at,
                        "content_digest": record.content_digest(),
                        "recorded_at": NOW,
                    }
                ],
            )
            session.execute(
                insert(PlaybookProviderRecord),
                [
                    {
                        "playbook_id": record.playbook_id,
                        "provider": entry.provider,
                        "category": entry.category.value,
                        "failure_count": entry.failure_count,
                        "status_codes": [],
                        "generated_at": record.generated_at,
                    }
                    for entry in record.providers
                ],
            )
        else:
            session.execute(insert(RecoveryClosureRecord), [closure_row(record)])
    orphan_of = next(r for r in stream if isinstance(r, ConnectorRecoveryPlaybook))
    orphan = RecoveryClosure(
        "cl-orphan", orphan_of.playbook_id, "teams", ClosureState.RESOLVED, NOW - timedelta(minutes=3)
    )
    session.execute(insert(RecoveryClosureRecord), [closure_row(orphan)])


def closure_row(closure: RecoveryClosure) -> dict[str, Any]:
    return {
        "closure_id": closure.closure_id,
        "playbook_id": closure.playbook_id,
        "provider": closure.provider,
        "closure_state": closure.closure_state.value,
        "closed_at": closure.closed_at,
        "verification_refs": [],
        "content_digest": closure.content_digest(),
        "recorded_at": NOW,
    }


def test_a_database_of_the_previous_schema_migrates_and_reports_exactly_as_the_oracle(
    database_url: str,
) -> None:
    migrate(database_url, "0003")
    database = Database(database_url)
    try:
        stream = random_stream(random.Random(77), playbooks=40, executions=200, closures=150)
        database.run_sync(lambda s: insert_history_with_the_previous_schema(s, stream))
        migrate(database_url)
        database.run_sync(assert_reports_equal_the_oracle)
        # Intake keeps the migrated summaries exact.
        more = random_stream(random.Random(78), playbooks=10, executions=50, closures=40)
        renamed = [rename(record) for record in more]
        record_batch(database, renamed)
        database.run_sync(assert_reports_equal_the_oracle)
    finally:
        database.dispose()


def rename(record: EvidenceRecord) -> EvidenceRecord:
    """The same record under ids that do not collide with the first stream's."""
    if isinstance(record, RetryExecution):
        return replace(record, execution_id=f"late-{record.execution_id}")
    if isinstance(record, ConnectorRecoveryPlaybook):
        return replace(record, playbook_id=f"late-{record.playbook_id}")
    assert isinstance(record, RecoveryClosure)
    return replace(record, closure_id=f"late-{record.closure_id}", playbook_id=f"late-{record.playbook_id}")


def test_a_batch_merges_each_summary_table_in_one_statement(database: Database) -> None:
    stream = random_stream(random.Random(31), playbooks=30, executions=300, closures=200)
    playbooks = [r for r in stream if isinstance(r, ConnectorRecoveryPlaybook)]
    record_batch(database, playbooks)
    statements: list[str] = []

    def seen(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()[:3]).lower())

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        record_batch(database, [r for r in stream if not isinstance(r, ConnectorRecoveryPlaybook)])
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    for table in ("execution_summaries", "provider_row_summaries", "closure_day_summaries"):
        assert statements.count(f"insert into {table}") == 1, statements
    assert statements.count("update recovery_row_summaries set") == 1, statements
    database.run_sync(assert_reports_equal_the_oracle)


def dashboard_counters(session: Session) -> dict[str, int]:
    return {row.name: row.value for row in session.execute(select(DashboardCounterRecord.__table__))}


def recounted_dashboard_counters(session: Session) -> dict[str, int]:
    """The dashboard totals counted over the whole execution and closure history."""
    delivered = RetryExecutionRecord.execution_status == ExecutionStatus.DELIVERED.value
    return {
        "closures": session.scalar(select(func.count()).select_from(RecoveryClosureRecord)) or 0,
        "retry_executions_ok": session.scalar(select(func.count()).where(delivered)) or 0,
        "retry_executions_failed": session.scalar(select(func.count()).where(~delivered)) or 0,
    }


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(seed=st.integers(0, 2**32 - 1), batches=st.integers(1, 6), resent=st.integers(0, 3))
def test_maintained_dashboard_counters_equal_a_full_recount_after_random_work(
    database: Database, seed: int, batches: int, resent: int
) -> None:
    database.run_sync(empty_every_table)
    rng = random.Random(seed)
    stream = random_stream(rng, playbooks=rng.randint(1, 6), executions=rng.randint(0, 40), closures=40)
    sent = cut(stream, rng, batches)
    # Re-sent batches (unchanged records) must not count twice.
    for batch in sent + [rng.choice(sent) for _ in range(resent)]:
        record_batch(database, batch)
        maintained = database.run_sync(dashboard_counters)
        recount = database.run_sync(recounted_dashboard_counters)
        # A counter row exists once something counted towards it; a missing one reads as 0.
        assert {name: maintained.get(name, 0) for name in recount} == recount
    rebuilt = database.run_sync(
        lambda session: (rebuild_dashboard_counters(session.connection()), dashboard_counters(session))[1]
    )
    assert rebuilt == database.run_sync(recounted_dashboard_counters)
