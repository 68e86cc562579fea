"""Evidence inserted straight through the SQLAlchemy models, and read back as facts for the reference.

Each helper applies what it inserted to the summaries the way intake does (`apply_new_evidence`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.evidence import category_for_provider
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)
from cavra_recovery.server.storage.summaries.maintain import (
    NewClosure,
    NewExecution,
    NewRecoveryRow,
    apply_new_evidence,
)
from tests.reports.slo_oracle import ClosureFact, ExecutionFact, PlaybookRowFact

CANARY = "CANARY-free-text-7f3a9c"


def add_execution(
    session: Session, execution_id: str, provider: str, status: str, executed_at: datetime
) -> None:
    session.add(
        RetryExecutionRecord(
            execution_id=execution_id,
            provider=provider,
            execution_status=status,
            executed_at=executed_at,
            skipped_reason=f"{CANARY} skipped",
            content_digest="0" * 64,
            recorded_at=executed_at,
        )
    )
    session.flush()
    apply_new_evidence(session, executions=[NewExecution(provider, status, executed_at)])


def add_playbook(
    session: Session, playbook_id: str, generated_at: datetime, providers: Iterable[tuple[str, int]]
) -> None:
    session.add(
        PlaybookRecord(
            playbook_id=playbook_id,
            generated_at=generated_at,
            content_digest="0" * 64,
            recorded_at=generated_at,
        )
    )
    session.flush()
    rows = []
    for provider, failure_count in providers:
        rows.append(
            NewRecoveryRow(
                playbook_id, provider, category_for_provider(provider).value, failure_count, generated_at
            )
        )
        session.add(
            PlaybookProviderRecord(
                playbook_id=playbook_id,
                provider=provider,
                category=category_for_provider(provider).value,
                failure_count=failure_count,
                latest_failure_at=generated_at,
                status_codes=[500],
                generated_at=generated_at,
            )
        )
    session.flush()
    apply_new_evidence(session, rows=rows)


def add_closure(
    session: Session, closure_id: str, playbook_id: str, provider: str, state: str, closed_at: datetime
) -> None:
    record = RecoveryClosureRecord(
        closure_id=closure_id,
        playbook_id=playbook_id,
        provider=provider,
        closure_state=state,
        closed_by=f"{CANARY} person",
        closed_at=closed_at,
        external_ref=f"{CANARY} ref",
        notes=f"{CANARY} notes",
        verification_refs=[],
        content_digest="0" * 64,
        recorded_at=closed_at,
    )
    session.add(record)
    session.flush()
    apply_new_evidence(
        session, closures=[NewClosure(closure_id, record.id, playbook_id, provider, state, closed_at)]
    )


def evidence_facts(session: Session) -> tuple[list[ExecutionFact], list[PlaybookRowFact], list[ClosureFact]]:
    """Everything stored, as the in-memory facts the reference implementation takes (tests only)."""
    executions = [
        ExecutionFact(r.provider, r.execution_status, r.executed_at)
        for r in session.scalars(select(RetryExecutionRecord))
    ]
    rows = [
        PlaybookRowFact(r.playbook_id, r.provider, r.category, r.generated_at, r.failure_count)
        for r in session.scalars(select(PlaybookProviderRecord))
    ]
    closures = [
        ClosureFact(r.closure_id, r.playbook_id, r.provider, r.closure_state, r.closed_at, r.id)
        for r in session.scalars(select(RecoveryClosureRecord))
    ]
    return executions, rows, closures
