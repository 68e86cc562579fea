"""Single-record intake: the records of single-record calls, stored together as one batch, each with
the outcome it would have had alone (see operations/evidence.py for how calls are grouped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cavra_recovery.server.domain.evidence import (
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    RecordOutcome,
    RecoveryClosure,
    RetryExecution,
)
from cavra_recovery.server.storage.evidence.intake import record_evidence_batch
from cavra_recovery.server.storage.evidence.reads import get_closure, get_playbook, get_retry_execution

# The request field each single-record RPC carries its record in (named in error metadata).
_SINGLE_PATHS: dict[type[Any], str] = {
    RetryExecution: "retry_execution",
    ConnectorRecoveryPlaybook: "playbook",
    RecoveryClosure: "closure",
}


def _stored(session: Session, record: EvidenceRecord) -> EvidenceRecord:
    if isinstance(record, RetryExecution):
        return get_retry_execution(session, execution_id=record.execution_id)
    if isinstance(record, ConnectorRecoveryPlaybook):
        return get_playbook(session, playbook_id=record.playbook_id)
    return get_closure(session, closure_id=record.closure_id)


def record_evidence(
    session: Session, *, records: Sequence[EvidenceRecord], now: datetime
) -> list[RecordOutcome]:
    """Store the records of single-record calls as one batch (all or nothing); each call's outcome as
    if it had been stored alone, in order: the first call with an id created it, a later one finds it."""
    batch = record_evidence_batch(
        session, records=records, paths=[_SINGLE_PATHS[type(record)] for record in records], now=now
    )
    created = set(batch.created_ids)
    outcomes = []
    for record in records:
        key = (record.kind, record.record_id)
        if key in created:
            created.discard(key)
            outcomes.append(RecordOutcome(replace(record, recorded_at=now), created=True))
        else:
            outcomes.append(RecordOutcome(_stored(session, record), created=False))
    return outcomes
