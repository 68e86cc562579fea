"""Sealing: the checkpoint task gives committed unsealed entries the next leaf indexes (in `seq` order),
extends the previous checkpoint's compact range, and stores the chained, optionally signed, tree head.

Exactly one checkpoint per window across replicas: the unique `window_start` decides (the first insert
wins, like a schedule run's window), and a leaf index is set only where it is still NULL, so two
sealers racing over the same entries cannot both commit.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra_recovery.server.domain import merkle
from cavra_recovery.server.domain.ledger_checkpoint import NO_PREVIOUS, CheckpointBody, leaf_data
from cavra_recovery.server.storage.ledger.tables import LedgerCheckpointRecord, LedgerEntryRecord

# (body) -> (signature, signed note); None: unsigned checkpoints.
Sign = Callable[[str], tuple[bytes, str]]
_ENTRIES = cast(Table, LedgerEntryRecord.__table__)
_CHECKPOINTS = cast(Table, LedgerCheckpointRecord.__table__)
_SEAL_LIMIT = 500_000


class SealRace(Exception):
    """Another sealer took some of these entries first; this transaction must roll back."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    previous_hash: str
    checkpoint_hash: str
    created_at: datetime
    note: str
    key_id: str


def _checkpoint(record: Any) -> Checkpoint:
    return Checkpoint(
        tree_size=record.tree_size,
        root_hash=bytes.fromhex(record.root_hash),
        previous_hash=record.previous_hash,
        checkpoint_hash=record.checkpoint_hash,
        created_at=record.created_at,
        note=record.note,
        key_id=record.key_id,
    )


def latest_checkpoint(session: Session | Connection, *, tree_size: int | None = None) -> Checkpoint | None:
    """The newest checkpoint, or the one of `tree_size`."""
    statement = select(*_CHECKPOINTS.columns)
    if tree_size is not None:
        statement = statement.where(_CHECKPOINTS.c.tree_size == tree_size)
    else:
        statement = statement.order_by(_CHECKPOINTS.c.tree_size.desc()).limit(1)
    row = session.execute(statement).first()
    return None if row is None else _checkpoint(row)


def all_checkpoints(session: Session | Connection) -> list[Checkpoint]:
    rows = session.execute(select(*_CHECKPOINTS.columns).order_by(_CHECKPOINTS.c.tree_size))
    return [_checkpoint(row) for row in rows]


def seal(session: Session, *, now: datetime, window_start: datetime, sign: Sign | None) -> Checkpoint | None:
    """Seal every committed unsealed entry into a new checkpoint; None when there is nothing to seal or
    another replica already sealed this window."""
    if (
        session.scalar(
            select(LedgerCheckpointRecord.tree_size).where(
                LedgerCheckpointRecord.window_start == window_start
            )
        )
        is not None
    ):
        return None
    previous = session.scalars(
        select(LedgerCheckpointRecord).order_by(LedgerCheckpointRecord.tree_size.desc()).limit(1)
    ).first()
    size = 0 if previous is None else previous.tree_size
    frontier = [] if previous is None else [bytes.fromhex(h) for h in previous.frontier]
    # One set-based UPDATE gives the committed unsealed entries the next leaf indexes in seq order;
    # reading back what it assigned (our own writes) leaves no gap for a late commit to fall into.
    ranked = (
        select(_ENTRIES.c.seq, (func.row_number().over(order_by=_ENTRIES.c.seq) + (size - 1)).label("index"))
        .where(_ENTRIES.c.leaf_index.is_(None))
        .order_by(_ENTRIES.c.seq)
        .limit(_SEAL_LIMIT)
        .subquery()
    )
    try:
        session.connection().execute(
            update(_ENTRIES)
            .values(leaf_index=ranked.c.index)
            .where(_ENTRIES.c.seq == ranked.c.seq, _ENTRIES.c.leaf_index.is_(None))
        )
    except IntegrityError:
        raise SealRace("another sealer gave out these leaf indexes") from None
    entries = session.execute(
        select(
            _ENTRIES.c.leaf_index, _ENTRIES.c.seq, _ENTRIES.c.kind, _ENTRIES.c.record_key, _ENTRIES.c.digest
        )
        .where(_ENTRIES.c.leaf_index >= size)
        .order_by(_ENTRIES.c.leaf_index)
    ).all()
    if not entries:
        return None
    if entries[0][0] != size or entries[-1][0] != size + len(entries) - 1:
        # A concurrent sealer took some of the ranked rows (READ COMMITTED re-check): indexes have gaps.
        raise SealRace("entries were sealed by another checkpoint meanwhile")
    leaves = [
        merkle.leaf_hash(leaf_data(index=index, seq=seq, kind=kind, record_key=record_key, digest=digest))
        for index, seq, kind, record_key, digest in entries
    ]
    frontier = merkle.append_range(frontier, size, leaves)
    body = CheckpointBody(
        tree_size=size + len(entries),
        root_hash=merkle.root_of_range(frontier),
        previous_hash=NO_PREVIOUS if previous is None else previous.checkpoint_hash,
        created_at=now,
    )
    text = body.text()
    signature, note = (None, text) if sign is None else sign(text)
    record = LedgerCheckpointRecord(
        tree_size=body.tree_size,
        root_hash=body.root_hash.hex(),
        previous_hash=body.previous_hash,
        checkpoint_hash=body.digest(),
        created_at=now,
        window_start=window_start,
        frontier=[h.hex() for h in frontier],
        note=note,
        key_id="" if signature is None else base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])[:4].hex(),
        signature=signature,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        raise SealRace("another replica sealed this window") from None
    return _checkpoint(record)


def leaf_hashes(connection: Connection | Session, *, tree_size: int) -> list[bytes]:
    """The leaf hashes of the first `tree_size` sealed entries, in leaf order."""
    return [hash_ for _, hash_ in iter_sealed(connection, limit=tree_size)]


def iter_sealed(connection: Connection | Session, *, limit: int | None = None) -> Iterator[tuple[Any, bytes]]:
    statement = (
        select(
            LedgerEntryRecord.leaf_index,
            LedgerEntryRecord.seq,
            LedgerEntryRecord.kind,
            LedgerEntryRecord.record_key,
            LedgerEntryRecord.digest,
        )
        .where(LedgerEntryRecord.leaf_index.is_not(None))
        .order_by(LedgerEntryRecord.leaf_index)
    )
    if limit is not None:
        statement = statement.where(LedgerEntryRecord.leaf_index < limit)
    for row in connection.execute(statement.execution_options(yield_per=10_000)):
        index, seq, kind, record_key, digest = row
        assert index is not None
        yield (
            row,
            merkle.leaf_hash(
                leaf_data(index=index, seq=seq, kind=kind, record_key=record_key, digest=digest)
            ),
        )


def entry_of(session: Session | Connection, *, kind: str, record_key: str) -> Any:
    """The latest entry of one record (seq, leaf index, digest), or None."""
    return session.execute(
        select(LedgerEntryRecord.seq, LedgerEntryRecord.leaf_index, LedgerEntryRecord.digest)
        .where(LedgerEntryRecord.kind == kind, LedgerEntryRecord.record_key == record_key)
        .order_by(LedgerEntryRecord.seq.desc())
        .limit(1)
    ).first()


def sealed_count(session: Session | Connection) -> int:
    return int(
        session.scalar(select(func.count()).select_from(_ENTRIES).where(_ENTRIES.c.leaf_index.is_not(None)))
        or 0
    )
