"""Escalation acknowledgements: a person's state for one provider of a plan (SPEC §11)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.paging import PageCursor, PageRequest
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


@dataclass(frozen=True, slots=True)
class AcknowledgementPage:
    acknowledgements: tuple[StoredAcknowledgement, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_acknowledgements(
    session: Session, *, page: PageRequest, plan_id: str = "", provider: str = ""
) -> AcknowledgementPage:
    """Acknowledgements newest first, by plan and provider, keyset-paged on the surrogate id."""
    conditions: list[Any] = []
    if plan_id:
        conditions.append(AcknowledgementRecord.plan_id == plan_id)
    if provider:
        conditions.append(AcknowledgementRecord.provider == provider)
    total = int(
        session.scalar(select(func.count()).select_from(AcknowledgementRecord).where(*conditions)) or 0
    )
    if page.after is not None:
        conditions.append(AcknowledgementRecord.id < page.after.row_id)
    records = list(
        session.scalars(
            select(AcknowledgementRecord)
            .where(*conditions)
            .order_by(AcknowledgementRecord.id.desc())
            .limit(page.page_size + 1)
        )
    )
    more = len(records) > page.page_size
    records = records[: page.page_size]
    return AcknowledgementPage(
        acknowledgements=tuple(_stored(record) for record in records),
        next_cursor=PageCursor(records[-1].id) if more else None,
        total_size=total,
    )


def plan_acknowledgements(session: Session, *, plan_id: str) -> tuple[StoredAcknowledgement, ...]:
    """Every acknowledgement of one plan, oldest first."""
    records = session.scalars(
        select(AcknowledgementRecord)
        .where(AcknowledgementRecord.plan_id == plan_id)
        .order_by(AcknowledgementRecord.id)
    )
    return tuple(_stored(record) for record in records)
