"""Evidence intake: idempotent recording of retry executions, playbooks and closures, one or in batches.

Every function takes the caller's session (one transaction per RPC) and never commits. Rows go in
through `storage.bulk.insert_new`, which inserts only ids not stored yet and says which it inserted; an
id not inserted (stored before, or a moment ago by a concurrent call) is re-read and its content digest
compared: equal is "unchanged", different is ALREADY_EXISTS, and a conflict anywhere rolls the whole
batch back. Inserted records reach the summaries (`summaries.maintain`) and the ledger in the same
transaction, once per call.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cavra_recovery.server.domain.errors import AlreadyExists, FailedPrecondition, NotFound
from cavra_recovery.server.domain.evidence import (
    BatchOutcome,
    ConnectorRecoveryPlaybook,
    EvidenceKind,
    EvidenceRecord,
    RecoveryClosure,
    RetryExecution,
)
from cavra_recovery.server.domain.reasons import Reason, Resource
from cavra_recovery.server.storage.bulk import insert_new, insert_new_with_ids, insert_rows
from cavra_recovery.server.storage.evidence.reads import chunks
from cavra_recovery.server.storage.ledger.append import append as ledger_append
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
    SummaryDeltas,
    add_recovery_rows,
    apply_closures,
    count_executions,
    flush,
)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A record to store and the proto path of the message it came from (for error metadata)."""

    record: EvidenceRecord
    path: str


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _insert_new(session: Session, model: type[Any], key: str, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows whose id is not stored yet; returns the ids inserted. They enter the ledger."""
    inserted = insert_new(session.connection(), _table(model), key, rows)
    ledger_append(session, model, (row for row in rows if row[key] in inserted))
    return inserted


def _stored_digests(
    session: Session, key_column: InstrumentedAttribute[str], digest_column: Any, ids: Sequence[str]
) -> dict[str, str]:
    digests: dict[str, str] = {}
    for chunk in chunks(ids):
        rows = session.execute(select(key_column, digest_column).where(key_column.in_(chunk)))
        digests.update((key, digest) for key, digest in rows)
    return digests


def _settle(
    session: Session,
    *,
    kind: EvidenceKind,
    key_name: str,
    key_column: InstrumentedAttribute[str],
    digest_column: Any,
    pending: Sequence[_Pending],
    inserted: Collection[str],
) -> int:
    """Compare every record not inserted with the stored one; return how many are unchanged."""
    others = [p for p in pending if p.record.record_id not in inserted]
    stored = _stored_digests(session, key_column, digest_column, [p.record.record_id for p in others])
    for item in others:
        record_id = item.record.record_id
        digest = stored.get(record_id)
        if digest is None:
            # ON CONFLICT skipped it yet it is gone: evidence is never deleted, so this is not expected.
            raise AlreadyExists(
                f"{kind.value.replace('_', ' ')} {record_id!r} is being recorded concurrently; retry",
                reason=Reason.EVIDENCE_RACE,
                metadata={"kind": kind.value, key_name: record_id},
            )
        if digest != item.record.content_digest():
            raise AlreadyExists(
                f"{kind.value.replace('_', ' ')} {record_id!r} already exists with different content",
                reason=Reason.EVIDENCE_CONFLICT,
                metadata={"kind": kind.value, key_name: record_id, "field": f"{item.path}.{key_name}"},
            )
    return len(others)


def _deduplicate(pending: Sequence[_Pending]) -> tuple[list[_Pending], int]:
    """First occurrence of each id; identical repeats inside one batch count as unchanged.

    The transport mapping already rejects the same id with different content inside one batch.
    """
    seen: set[str] = set()
    unique: list[_Pending] = []
    for item in pending:
        if item.record.record_id not in seen:
            seen.add(item.record.record_id)
            unique.append(item)
    return unique, len(pending) - len(unique)


def _store_retry_executions(
    session: Session, pending: Sequence[_Pending], now: datetime, deltas: SummaryDeltas
) -> BatchOutcome:
    unique, repeats = _deduplicate(pending)
    rows = []
    # Key order: concurrent batches wait on each other's unique keys in one order, never in a cycle.
    executions = sorted((cast(RetryExecution, item.record) for item in unique), key=lambda e: e.execution_id)
    for execution in executions:
        rows.append(
            {
                "execution_id": execution.execution_id,
                "provider": execution.provider,
                "execution_status": execution.execution_status.value,
                "executed_at": execution.executed_at,
                "run_id": execution.run_id,
                "retry_plan_id": execution.retry_plan_id,
                "approval_decision_id": execution.approval_decision_id,
                "delivery_id": execution.delivery_id,
                "audit_id": execution.audit_id,
                "delivery_success": execution.delivery_success,
                "skipped_reason": execution.skipped_reason,
                "content_digest": execution.content_digest(),
                "recorded_at": now,
            }
        )
    inserted = _insert_new(session, RetryExecutionRecord, "execution_id", rows)
    count_executions(
        deltas,
        (
            NewExecution(execution.provider, execution.execution_status.value, execution.executed_at)
            for execution in executions
            if execution.execution_id in inserted
        ),
    )
    unchanged = _settle(
        session,
        kind=EvidenceKind.RETRY_EXECUTION,
        key_name="execution_id",
        key_column=RetryExecutionRecord.execution_id,
        digest_column=RetryExecutionRecord.content_digest,
        pending=unique,
        inserted=inserted,
    )
    return BatchOutcome(
        created_count=len(inserted),
        unchanged_count=unchanged + repeats,
        created_ids=frozenset((EvidenceKind.RETRY_EXECUTION, record_id) for record_id in inserted),
    )


def _store_playbooks(
    session: Session, pending: Sequence[_Pending], now: datetime, deltas: SummaryDeltas
) -> BatchOutcome:
    unique, repeats = _deduplicate(pending)
    playbooks = sorted(
        (cast(ConnectorRecoveryPlaybook, item.record) for item in unique), key=lambda p: p.playbook_id
    )
    rows = [
        {
            "playbook_id": playbook.playbook_id,
            "generated_at": playbook.generated_at,
            "lookback_hours": playbook.lookback_hours,
            "min_failure_count": playbook.min_failure_count,
            "content_digest": playbook.content_digest(),
            "recorded_at": now,
        }
        for playbook in playbooks
    ]
    inserted = _insert_new(session, PlaybookRecord, "playbook_id", rows)
    provider_rows = [
        {
            "playbook_id": playbook.playbook_id,
            "provider": entry.provider,
            "category": entry.category.value,
            "failure_count": entry.failure_count,
            "latest_failure_at": entry.latest_failure_at,
            "status_codes": list(entry.status_codes),
            "generated_at": playbook.generated_at,
        }
        for playbook in playbooks
        if playbook.playbook_id in inserted
        for entry in playbook.providers
    ]
    if provider_rows:
        insert_rows(session.connection(), _table(PlaybookProviderRecord), provider_rows)
        ledger_append(session, PlaybookProviderRecord, provider_rows)
    add_recovery_rows(
        session,
        deltas,
        [
            NewRecoveryRow(
                playbook.playbook_id,
                entry.provider,
                entry.category.value,
                entry.failure_count,
                playbook.generated_at,
            )
            for playbook in playbooks
            if playbook.playbook_id in inserted
            for entry in playbook.providers
        ],
    )
    unchanged = _settle(
        session,
        kind=EvidenceKind.CONNECTOR_RECOVERY_PLAYBOOK,
        key_name="playbook_id",
        key_column=PlaybookRecord.playbook_id,
        digest_column=PlaybookRecord.content_digest,
        pending=unique,
        inserted=inserted,
    )
    return BatchOutcome(
        created_count=len(inserted),
        unchanged_count=unchanged + repeats,
        created_ids=frozenset(
            (EvidenceKind.CONNECTOR_RECOVERY_PLAYBOOK, record_id) for record_id in inserted
        ),
    )


def _playbook_providers(session: Session, playbook_ids: Sequence[str]) -> dict[str, set[str]]:
    """Stored playbooks among `playbook_ids`, each with its provider names."""
    found: dict[str, set[str]] = {}
    for chunk in chunks(playbook_ids):
        statement = (
            select(PlaybookRecord.playbook_id, PlaybookProviderRecord.provider)
            .outerjoin(
                PlaybookProviderRecord, PlaybookProviderRecord.playbook_id == PlaybookRecord.playbook_id
            )
            .where(PlaybookRecord.playbook_id.in_(chunk))
        )
        for playbook_id, provider in session.execute(statement):
            providers = found.setdefault(playbook_id, set())
            if provider is not None:
                providers.add(provider)
    return found


def _store_closures(
    session: Session, pending: Sequence[_Pending], now: datetime, deltas: SummaryDeltas
) -> BatchOutcome:
    unique, repeats = _deduplicate(pending)
    closures = [(cast(RecoveryClosure, item.record), item.path) for item in unique]
    known = _playbook_providers(session, sorted({closure.playbook_id for closure, _ in closures}))
    for closure, path in closures:
        providers = known.get(closure.playbook_id)
        if providers is None:
            raise NotFound(
                Resource.PLAYBOOK,
                closure.playbook_id,
                metadata={"closure_id": closure.closure_id, "field": path},
            )
        if closure.provider not in providers:
            raise FailedPrecondition(
                f"playbook {closure.playbook_id!r} has no entry for provider {closure.provider!r}",
                reason=Reason.PROVIDER_NOT_IN_PLAYBOOK,
                metadata={
                    "playbook_id": closure.playbook_id,
                    "provider": closure.provider,
                    "closure_id": closure.closure_id,
                    "field": f"{path}.provider",
                },
            )
    rows = [
        {
            "closure_id": closure.closure_id,
            "playbook_id": closure.playbook_id,
            "provider": closure.provider,
            "closure_state": closure.closure_state.value,
            "closed_by": closure.closed_by,
            "closed_at": closure.closed_at,
            "external_ref": closure.external_ref,
            "notes": closure.notes,
            "verification_refs": list(closure.verification_refs),
            "content_digest": closure.content_digest(),
            "recorded_at": now,
        }
        for closure, _ in closures
    ]
    # Closures need their rows' ids: they break ties between equal closed_at in the summaries.
    inserted = insert_new_with_ids(session.connection(), _table(RecoveryClosureRecord), "closure_id", rows)
    ledger_append(session, RecoveryClosureRecord, (row for row in rows if row["closure_id"] in inserted))
    apply_closures(
        session,
        deltas,
        [
            NewClosure(
                closure.closure_id,
                inserted[closure.closure_id],
                closure.playbook_id,
                closure.provider,
                closure.closure_state.value,
                closure.closed_at,
            )
            for closure, _ in closures
            if closure.closure_id in inserted
        ],
    )
    unchanged = _settle(
        session,
        kind=EvidenceKind.RECOVERY_CLOSURE,
        key_name="closure_id",
        key_column=RecoveryClosureRecord.closure_id,
        digest_column=RecoveryClosureRecord.content_digest,
        pending=unique,
        inserted=inserted,
    )
    return BatchOutcome(
        created_count=len(inserted),
        unchanged_count=unchanged + repeats,
        created_ids=frozenset((EvidenceKind.RECOVERY_CLOSURE, record_id) for record_id in inserted),
    )


def record_evidence_batch(
    session: Session, *, records: Sequence[EvidenceRecord], paths: Sequence[str], now: datetime
) -> BatchOutcome:
    """Store a batch of any kinds, all or nothing; `paths[i]` names records[i] in errors.

    Playbooks are stored before closures, so a closure may refer to a playbook of the same batch.
    """
    by_kind: dict[type[Any], list[_Pending]] = {
        RetryExecution: [],
        ConnectorRecoveryPlaybook: [],
        RecoveryClosure: [],
    }
    for record, path in zip(records, paths, strict=True):
        by_kind[type(record)].append(_Pending(record, path))
    deltas = SummaryDeltas()
    outcomes = (
        _store_playbooks(session, by_kind[ConnectorRecoveryPlaybook], now, deltas),
        _store_closures(session, by_kind[RecoveryClosure], now, deltas),
        _store_retry_executions(session, by_kind[RetryExecution], now, deltas),
    )
    flush(session, deltas)
    kinds = (
        EvidenceKind.CONNECTOR_RECOVERY_PLAYBOOK,
        EvidenceKind.RECOVERY_CLOSURE,
        EvidenceKind.RETRY_EXECUTION,
    )
    return BatchOutcome(
        created_count=sum(o.created_count for o in outcomes),
        unchanged_count=sum(o.unchanged_count for o in outcomes),
        per_kind=tuple(
            (kind, o.created_count, o.unchanged_count)
            for kind, o in zip(kinds, outcomes, strict=True)
            if o.created_count or o.unchanged_count
        ),
        created_ids=frozenset().union(*(o.created_ids for o in outcomes)),
    )
