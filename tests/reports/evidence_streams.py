"""Random evidence streams for the summary tests, and the check of every report against the oracle.

A stream holds retry executions, playbooks and closures in random order, with identical re-sends,
closures older than ones already sent, equal `closed_at` values, back-filled old executions, and
executions and closures whose times straddle day and SLO boundaries. It is cut into batches so that
each closure is sent with or after its playbook (intake refuses a closure for an unknown playbook).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.evidence import (
    ClosureState,
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    ExecutionStatus,
    PlaybookProvider,
    RecoveryClosure,
    RetryExecution,
    category_for_provider,
)
from cavra_recovery.server.domain.executive_report import build_executive_report, plan_counts_for
from cavra_recovery.server.domain.slo_report import RetryRecoveryReport
from cavra_recovery.server.operations import plans as plan_operations
from cavra_recovery.server.operations.executive_reports import executive_report
from cavra_recovery.server.storage import dashboard, reports
from cavra_recovery.server.storage.models import PlaybookRecord
from tests.reports.evidence_rows import evidence_facts
from tests.reports.slo_oracle import compute_retry_recovery_report, plan_from_rows

NOW = datetime(2026, 3, 10, 0, 0, 30, 250_000, tzinfo=UTC)
PROVIDERS = ("slack", "jira", "webhook", "pagerduty", "Zeta", "émail")
STATES = tuple(ClosureState)
STATUSES = (
    ExecutionStatus.DELIVERED,
    ExecutionStatus.DELIVERED,
    ExecutionStatus.FAILED,
    ExecutionStatus.SKIPPED,
)
# Report parameters checked after every batch: (SLO minutes, row limit).
CHECKS = ((60, 1000), (1, 3), (240, 5))


def random_stream(
    rng: random.Random, *, playbooks: int, executions: int, closures: int
) -> list[EvidenceRecord]:
    """Evidence in random order with duplicates; every closure comes after its playbook."""
    books = []
    for i in range(playbooks):
        # Ages straddle the SLOs to the microsecond; midnight-near times split closures across days.
        generated_at = NOW - rng.choice(
            [
                timedelta(minutes=60, seconds=59, microseconds=999_999),
                timedelta(minutes=61),
                timedelta(minutes=rng.randint(0, 3000), microseconds=rng.randint(0, 999_999)),
            ]
        )
        providers = rng.sample(PROVIDERS, rng.randint(1, 3))
        books.append(
            ConnectorRecoveryPlaybook(
                playbook_id=f"pb-{i:03d}",
                generated_at=generated_at,
                providers=tuple(
                    PlaybookProvider(p, category_for_provider(p), failure_count=rng.randint(0, 3))
                    for p in providers
                ),
            )
        )
    records: list[EvidenceRecord] = [
        RetryExecution(
            execution_id=f"ex-{i:04d}",
            provider=rng.choice(PROVIDERS),
            execution_status=rng.choice(STATUSES),
            executed_at=NOW - timedelta(minutes=rng.randint(0, 5000), microseconds=rng.randint(0, 999_999)),
            skipped_reason="paused",
        )
        for i in range(executions)
    ]
    records.extend(books)
    for i in range(closures if books else 0):
        book = rng.choice(books)
        # A few fixed offsets make equal closed_at values (ties) common.
        offset = rng.choice(
            [
                timedelta(minutes=30),
                timedelta(minutes=30),
                timedelta(minutes=-3),
                timedelta(minutes=rng.randint(0, 500)),
            ]
        )
        records.append(
            RecoveryClosure(
                closure_id=f"cl-{i:04d}",
                playbook_id=book.playbook_id,
                provider=rng.choice(book.providers).provider,
                closure_state=rng.choice(STATES),
                closed_at=book.generated_at + offset,
                notes="private text",
            )
        )
    rng.shuffle(records)
    records.extend(rng.sample(records, len(records) // 4))
    rng.shuffle(records)
    # Move each playbook in front of the first closure that refers to it.
    first_use: dict[str, int] = {}
    for position, record in enumerate(records):
        if isinstance(record, RecoveryClosure):
            first_use.setdefault(record.playbook_id, position)
    ordered: list[EvidenceRecord] = []
    placed: set[str] = set()
    by_id = {b.playbook_id: b for b in books}
    for record in records:
        if isinstance(record, RecoveryClosure) and record.playbook_id not in placed:
            ordered.append(by_id[record.playbook_id])
            placed.add(record.playbook_id)
        if isinstance(record, ConnectorRecoveryPlaybook):
            placed.add(record.playbook_id)
        ordered.append(record)
    return ordered


def cut(records: Sequence[EvidenceRecord], rng: random.Random, batches: int) -> list[list[EvidenceRecord]]:
    """The stream in order, cut into `batches` batches of random sizes."""
    cuts = sorted(rng.sample(range(1, len(records)), min(batches - 1, max(0, len(records) - 1))))
    bounds = [0, *cuts, len(records)]
    return [list(records[a:b]) for a, b in itertools.pairwise(bounds) if b > a]


def oracle_report(session: Session, *, slo: int, row_limit: int) -> RetryRecoveryReport:
    executions, rows, closures = evidence_facts(session)
    return compute_retry_recovery_report(
        report_id="reference",
        now=NOW,
        recovery_slo_minutes=slo,
        executions=executions,
        rows=rows,
        closures=closures,
        row_limit=row_limit,
    )


def assert_reports_equal_the_oracle(session: Session, *, with_plan: bool = True) -> None:
    """SLO report, executive report, plan and dashboard read from summaries equal the full-history oracle."""
    for slo, row_limit in CHECKS:
        expected = oracle_report(session, slo=slo, row_limit=row_limit)
        actual = reports.compute_retry_recovery_report(
            session, now=NOW, recovery_slo_minutes=slo, row_limit=row_limit, report_id="reference"
        )
        assert actual.totals == expected.totals
        assert actual.provider_summaries == expected.provider_summaries
        assert actual.closure_trends == expected.closure_trends
        assert actual.rows == expected.rows
        assert actual == expected
    # The dashboard's maintained totals equal a recount of the history after every batch.
    executions, _, closures = evidence_facts(session)
    counts = dashboard.rollback_drill_dashboard(session.connection(), now=NOW)
    delivered = sum(1 for e in executions if e.execution_status == ExecutionStatus.DELIVERED)
    assert (counts.retry_executions_ok, counts.retry_executions_failed) == (
        delivered,
        len(executions) - delivered,
    )
    assert counts.closures == len(closures)
    assert counts.playbooks == len(session.scalars(select(PlaybookRecord.id)).all())
    if not with_plan:
        return
    plan = plan_operations.create_plan(session, now=NOW, recovery_slo_minutes=60, generated_by="ops")
    everything = oracle_report(session, slo=60, row_limit=1_000_000)
    stored = replace(everything, report_id=plan.recovery_report_id)
    expected_plan = plan_from_rows(
        stored, everything.rows, plan_id=plan.plan_id, generated_at=NOW, generated_by="ops"
    )
    assert plan == expected_plan
    executive = executive_report(session, now=NOW, recovery_slo_minutes=60, generated_by="exec")
    expected_executive = build_executive_report(
        replace(everything, report_id=executive.recovery_report_id, rows=(), rows_truncated=False),
        plan_counts_for(everything),
        report_id=executive.report_id,
        generated_at=executive.generated_at,
        generated_by=executive.generated_by,
        escalation_plan_id=executive.escalation_plan_id,
    )
    assert replace(executive, change=None) == replace(expected_executive, change=None)
