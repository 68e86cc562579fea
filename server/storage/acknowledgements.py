"""Escalation acknowledgements: a person's state for one provider of a plan (SPEC §11)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.storage.models import AcknowledgementRecord


@dataclass(frozen=True, slots=True)
class StoredAcknowledgement:
    acknowledgement_id: str
    plan_id: str
    provider: str
    state: str
    acknowledged_by: str
    acknowledged_at: datetime
    note: str


def _stored(record: AcknowledgementRecord) -> StoredAcknowledgement:
    return StoredAcknowledgement(
        acknowledgement_id=record.acknowledgement_id,
        plan_id=record.plan_id,
        provider=record.provider,
        state=record.state,
        acknowledged_by=record.acknowledged_by,
        acknowledged_at=record.acknowledged_at,
        note=record.note,
    )


def add_acknowledgement(
    session: Session,
    *,
    plan_id: str,
    provider: str,
    state: str,
    acknowledged_by: str,
    note: str,
    now: datetime,
) -> StoredAcknowledgement:
    record = AcknowledgementRecord(
        acknowledgement_id=f"ack_{uuid.uuid4().hex}",
        request_id=None,
        plan_id=plan_id,
        provider=provider,
        state=state,
        acknowledged_by=acknowledged_by,
        acknowledged_at=now,
        note=note,
    )
    session.add(record)
    session.flush()
    return _stored(record)


def latest_acknowledgement_states(
    session: Session, *, plan_ids: Iterable[str]
) -> dict[tuple[str, str], tuple[str, datetime]]:
    """(plan, provider) → (state, acknowledged_at) of the latest acknowledgement."""
    wanted = list(set(plan_ids))
    latest: dict[tuple[str, str], tuple[str, datetime]] = {}
    if not wanted:
        return latest
    rows = session.execute(
        select(
            AcknowledgementRecord.plan_id,
            AcknowledgementRecord.provider,
            AcknowledgementRecord.state,
            AcknowledgementRecord.acknowledged_at,
        )
        .where(AcknowledgementRecord.plan_id.in_(wanted))
        .order_by(AcknowledgementRecord.acknowledged_at, AcknowledgementRecord.id)
    )
    for plan_id, provider, state, acknowledged_at in rows:
        latest[(plan_id, provider)] = (state, acknowledged_at)
    return latest
