"""ListRecoveryEscalationDeliveries: one keyset page of deliveries, newest first, with filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.storage.deliveries.rows import StoredDelivery, attempts_of, stored_delivery
from cavra_recovery.server.storage.models import (
    DeliveryRecord,
)


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: tuple[StoredDelivery, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_deliveries(
    session: Session,
    *,
    page: PageRequest,
    plan_id: str = "",
    receiver: str = "",
    state: str = "",
    schedule_runs: bool | None = None,
) -> DeliveryPage:
    """Deliveries newest first, filtered, keyset-paged on the surrogate id."""
    conditions: list[Any] = []
    if plan_id:
        conditions.append(DeliveryRecord.plan_id == plan_id)
    if receiver:
        conditions.append(DeliveryRecord.receiver == receiver)
    if state:
        conditions.append(DeliveryRecord.state == state)
    if schedule_runs is True:
        conditions.append(DeliveryRecord.schedule_run_id.is_not(None))
    elif schedule_runs is False:
        conditions.append(DeliveryRecord.plan_id.is_not(None))
    total = int(session.scalar(select(func.count()).select_from(DeliveryRecord).where(*conditions)) or 0)
    query = select(DeliveryRecord).where(*conditions)
    if page.after is not None:
        query = query.where(DeliveryRecord.id < page.after.row_id)
    records = list(session.scalars(query.order_by(DeliveryRecord.id.desc()).limit(page.page_size + 1)))
    more = len(records) > page.page_size
    records = records[: page.page_size]
    attempts = attempts_of(session, [record.delivery_id for record in records])
    return DeliveryPage(
        deliveries=tuple(stored_delivery(record, attempts.get(record.delivery_id, ())) for record in records),
        next_cursor=PageCursor(records[-1].id) if more else None,
        total_size=total,
    )


def plan_deliveries(session: Session, *, plan_id: str) -> tuple[StoredDelivery, ...]:
    """Every delivery of one plan, oldest first, each with every attempt."""
    records = list(
        session.scalars(
            select(DeliveryRecord).where(DeliveryRecord.plan_id == plan_id).order_by(DeliveryRecord.id)
        )
    )
    attempts = attempts_of(session, [record.delivery_id for record in records])
    return tuple(stored_delivery(record, attempts.get(record.delivery_id, ())) for record in records)
