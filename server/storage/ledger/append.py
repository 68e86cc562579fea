"""The ledger hook: every stored record enters the ledger in the transaction that stores it.

Two doors, one table: ORM writes (`session.add`) are caught by an `after_flush` listener that
`install` puts on the session factory; Core multi-row inserts (evidence intake, routes) call `append`
with the rows they inserted. Entries are one multi-row insert per flush or batch, with no lock: the
sequence number comes from the identity column and the checkpoint task orders what committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, event, select
from sqlalchemy.orm import Session, sessionmaker

from cavra_recovery.server.domain.sorted_json import utc_time_text
from cavra_recovery.server.storage.bulk import insert_rows
from cavra_recovery.server.storage.ledger.canonical import record_digest
from cavra_recovery.server.storage.ledger.kinds import KIND_BY_MODEL, LedgeredKind
from cavra_recovery.server.storage.ledger.tables import LedgerEntryRecord

# Session.info key: False turns the ledger off for the sessions of one factory (the bench baseline).
LEDGER_ENABLED = "cavra_ledger_enabled"
_ENTRIES = cast(Table, LedgerEntryRecord.__table__)
_CHUNK = 1000


def enabled(session: Session) -> bool:
    return bool(session.info.get(LEDGER_ENABLED, True))


def entry_values(
    kind: LedgeredKind, row: Mapping[Any, Any], now: datetime, texts: dict[str, tuple[Any, str]] | None = None
) -> dict[str, Any]:
    """The ledger entry of `row`. `texts` keeps each time column's last value and text, for rows of one
    insert that share a time (their recorded_at)."""
    values = kind.values_of(row)
    texts = {} if texts is None else texts
    # Times as their canonical text up front (the encoder would call back for each one).
    for name in kind.time_columns:
        if isinstance(moment := values[name], datetime):
            last = texts.get(name)
            if last is None or last[0] is not moment:
                last = texts[name] = (moment, utc_time_text(moment))
            values[name] = last[1]
    return {
        "kind": kind.kind,
        "record_key": kind.record_key(row),
        "digest": record_digest(kind.kind, values, may_hold_floats=kind.floats_in(values)),
        "recorded_at": now,
    }


def append(session: Session, model: type[Any], rows: Iterable[Mapping[Any, Any]]) -> None:
    """Enter `rows` (just inserted into `model`'s table, or changed in evidence) into the ledger."""
    if not enabled(session):
        return
    kind = KIND_BY_MODEL[model]
    now = datetime.now(UTC)
    texts: dict[str, tuple[Any, str]] = {}
    _insert(session, [entry_values(kind, row, now, texts) for row in rows])


def _insert(session: Session | Connection, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    insert_rows(session.connection() if isinstance(session, Session) else session, _ENTRIES, entries)


def _row_of(kind: LedgeredKind, instance: Any) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in {*kind.digest_columns, *kind.key}}


def _after_flush(session: Session, _flush_context: Any) -> None:
    if not enabled(session):
        return
    now = datetime.now(UTC)
    entries = [
        entry_values(kind, _row_of(kind, instance), now)
        for instance in session.new
        if (kind := KIND_BY_MODEL.get(type(instance))) is not None and kind.on_insert
    ]
    if entries:
        _insert(session, entries)


def install(sessions: sessionmaker[Session], *, enabled: bool = True) -> None:
    """Ledger every ledgered ORM insert made through `sessions` (or, with enabled False, nothing)."""
    sessions.kw.setdefault("info", {})[LEDGER_ENABLED] = enabled
    event.listen(sessions, "after_flush", _after_flush)


def backfill(connection: Connection) -> int:
    """Enter every stored record that has no entry yet (a database from before the ledger), kind by kind
    in id order; returns how many entries were written. The first checkpoint seals them."""
    from cavra_recovery.server.storage.ledger.kinds import LEDGER_KINDS

    now = datetime.now(UTC)
    written = 0
    for kind in LEDGER_KINDS:
        table = kind.table
        columns = [table.c[name] for name in dict.fromkeys((*kind.digest_columns, *kind.key))]
        statement = select(*columns).order_by(table.c.id)
        if kind.in_flight is not None:
            column, value = kind.in_flight
            statement = statement.where(table.c[column] != value)
        batch: list[dict[str, Any]] = []
        for row in connection.execute(statement).mappings():
            batch.append(entry_values(kind, row, now))
            if len(batch) >= _CHUNK:
                _insert(connection, batch)
                written += len(batch)
                batch = []
        _insert(connection, batch)
        written += len(batch)
    return written
