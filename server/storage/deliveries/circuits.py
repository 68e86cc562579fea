"""Receiver circuits: consecutive failures and when a receiver's breaker opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cavra_recovery.server.storage.models import (
    ReceiverCircuitRecord,
)


def load_circuit(
    session: Session, *, receiver: str, now: datetime, lock: bool
) -> tuple[int, datetime | None]:
    """(consecutive failures, opened until) of a receiver's breaker; the row is created if missing and,
    on PostgreSQL, locked until the transaction ends so replicas update it one at a time."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ReceiverCircuitRecord)
        .values(receiver=receiver, consecutive_failures=0, opened_until=None, updated_at=now)
        .on_conflict_do_nothing(index_elements=["receiver"])
    )
    query = select(ReceiverCircuitRecord.consecutive_failures, ReceiverCircuitRecord.opened_until).where(
        ReceiverCircuitRecord.receiver == receiver
    )
    if lock and dialect == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).one()
    return int(row[0]), row[1]


def store_circuit(
    session: Session,
    *,
    receiver: str,
    consecutive_failures: int,
    opened_until: datetime | None,
    now: datetime,
) -> None:
    session.execute(
        update(ReceiverCircuitRecord)
        .where(ReceiverCircuitRecord.receiver == receiver)
        .values(consecutive_failures=consecutive_failures, opened_until=opened_until, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def circuits(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Every receiver's breaker: (consecutive failures, opened until)."""
    rows = session.execute(
        select(
            ReceiverCircuitRecord.receiver,
            ReceiverCircuitRecord.consecutive_failures,
            ReceiverCircuitRecord.opened_until,
        )
    ).all()
    return {str(receiver): (int(failures), opened_until) for receiver, failures, opened_until in rows}
