"""Idempotency keys (AIP-155): one row per (method, request_id), reserved in the action's own transaction.

The row holds the digest of the canonical request, then either what the action did (for an answer
that is finished after the commit, such as a deliver call waiting for sends) or the response itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cavra_recovery.server.storage.models import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class HeldKey:
    """A request_id already reserved for a method: by an earlier call, or a concurrent one now committed."""

    request_digest: str
    action_document: Mapping[str, Any] | None
    response_document: Mapping[str, Any] | None


def reserve(
    session: Session, *, method: str, request_id: str, request_digest: str, now: datetime
) -> HeldKey | None:
    """Reserve `request_id` for `method` in the caller's transaction, before it acts.

    None: this transaction holds the key and should act; the key commits or rolls back with the action.
    Otherwise the key as another call left it. On PostgreSQL the insert waits for a concurrent holder's
    transaction to end; on SQLite writers are serialised; either way only one transaction acts.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(IdempotencyRecord)
        .values(method=method, request_id=request_id, request_digest=request_digest, created_at=now)
        .on_conflict_do_nothing(index_elements=["method", "request_id"])
        .returning(IdempotencyRecord.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    row = session.execute(
        select(
            IdempotencyRecord.request_digest,
            IdempotencyRecord.action_document,
            IdempotencyRecord.response_document,
        ).where(IdempotencyRecord.method == method, IdempotencyRecord.request_id == request_id)
    ).one()
    return HeldKey(
        request_digest=str(row[0]),
        action_document=None if row[1] is None else dict(row[1]),
        response_document=None if row[2] is None else dict(row[2]),
    )


def record_action(session: Session, *, method: str, request_id: str, document: Mapping[str, Any]) -> None:
    """What the key's holder did, so a replay arriving before the response can finish the same answer."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.method == method, IdempotencyRecord.request_id == request_id)
        .values(action_document=dict(document))
        .execution_options(synchronize_session=False)
    )


def keep_response(
    session: Session, *, method: str, request_id: str, document: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Keep `document` as the key's response unless one is kept already; returns the kept response."""
    session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.method == method,
            IdempotencyRecord.request_id == request_id,
            IdempotencyRecord.response_document.is_(None),
        )
        .values(response_document=dict(document))
        .execution_options(synchronize_session=False)
    )
    kept = session.scalar(
        select(IdempotencyRecord.response_document).where(
            IdempotencyRecord.method == method, IdempotencyRecord.request_id == request_id
        )
    )
    return document if kept is None else dict(kept)
