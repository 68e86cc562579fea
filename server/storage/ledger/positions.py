"""Where given records sit in the ledger: their entry's sequence number and, once sealed, leaf index.

The evidence trail shows these next to each item (docs/trail.md). There is no index on
(kind, record_key) — it would cost every intake write — so this is one statement over the entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from cavra_recovery.server.storage.ledger.kinds import KIND_BY_NAME
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord


@dataclass(frozen=True, slots=True)
class LedgerPosition:
    kind: str
    record_id: str
    sequence: int
    leaf_index: int | None


def record_id(kind: str, values: Mapping[str, Any]) -> str:
    """The ledger id of a record of `kind` with these key column values (composite ids joined by "/")."""
    return KIND_BY_NAME[kind].record_key(values)


def ledger_positions(session: Session, records: Iterable[tuple[str, str]]) -> list[LedgerPosition]:
    """The first entry of each (kind, record id) that has one, in sequence order."""
    wanted = sorted(set(records))
    if not wanted:
        return []
    entry = LedgerEntryRecord
    rows = session.execute(
        select(entry.kind, entry.record_key, entry.seq, entry.leaf_index)
        .where(tuple_(entry.kind, entry.record_key).in_(wanted))
        .order_by(entry.seq)
    ).all()
    first: dict[tuple[str, str], LedgerPosition] = {}
    for kind, key, sequence, leaf_index in rows:
        first.setdefault((kind, key), LedgerPosition(kind, key, sequence, leaf_index))
    return list(first.values())
