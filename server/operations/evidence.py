"""Evidence intake: each record is idempotent by its own id and content; a request_id makes the whole
call idempotent too (the first response, `created` flags included, answers every retry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.evidence import (
    BatchOutcome,
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    RecordOutcome,
    RetryExecution,
)
from cavra_recovery.server.operations.idempotency import RequestKey, run_once
from cavra_recovery.server.storage import evidence as evidence_store
from cavra_recovery.server.storage.database import Database

M = TypeVar("M", bound=Message)


def _store(session: Session, record: EvidenceRecord, now: datetime) -> RecordOutcome:
    if isinstance(record, RetryExecution):
        return evidence_store.record_retry_execution(session, execution=record, now=now)
    if isinstance(record, ConnectorRecoveryPlaybook):
        return evidence_store.record_playbook(session, playbook=record, now=now)
    return evidence_store.record_closure(session, closure=record, now=now)


async def record(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    evidence: EvidenceRecord,
    respond: Callable[[RecordOutcome], M],
) -> M:
    """Record one retry execution, playbook or closure."""
    return await run_once(
        database, key, response_type, now=now, act=lambda session: respond(_store(session, evidence, now))
    )


async def record_batch(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    records: Sequence[EvidenceRecord],
    paths: Sequence[str],
    respond: Callable[[BatchOutcome], M],
) -> M:
    return await run_once(
        database,
        key,
        response_type,
        now=now,
        act=lambda session: respond(
            evidence_store.record_evidence_batch(session, records=records, paths=paths, now=now)
        ),
    )
