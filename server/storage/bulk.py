"""Bulk inserts at the driver's speed, for the large inserts (evidence intake, a plan's routes, ledger
entries).

`insert()` spends most of a bulk insert's time in SQLAlchemy's per-row parameter processing and, with
RETURNING, in rendering and parsing one multi-row VALUES statement per thousand rows. Here:

- `insert_rows` inserts every row. On SQLite the rows go to the driver's own executemany, each value
  converted by its column's type (what an `insert()` would store); on PostgreSQL they take a Core
  `insert()` (psycopg pipelines the executemany).
- `insert_new` inserts the rows whose key is not stored yet and says which it inserted
  (`insert_new_with_ids`: with their surrogate ids); evidence intake is idempotent.
  - On PostgreSQL that is `INSERT … ON CONFLICT (key) DO NOTHING RETURNING key, id`, safe against
    concurrent writers, from rows sent as one array per column (`unnest(%s::type[], …)`, one short
    statement) or, for many rows, copied into a temporary table (COPY is the cheapest way in:
    psycopg's array parameters cost more than the insert itself).
  - On SQLite the transaction takes the write lock, and the rows go to the driver's executemany with
    ON CONFLICT DO NOTHING inside a savepoint. If any key was stored already, that attempt is undone,
    the stored keys are looked up and the others inserted; a key found stored after all is reported,
    never silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect


class KeysTakenConcurrently(Exception):
    """Another connection stored some of the keys `insert_new` was inserting, after it looked them up."""


# Keys per `IN (…)` lookup on SQLite.
_LOOKUP_CHUNK = 500
# From this many rows, PostgreSQL's insert_new copies the rows in (three statements) rather than sending
# them as arrays (one statement): COPY costs half per row, but its statements cost a round trip each.
_COPY_FROM_ROWS = 64
_NOTHING = object()


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (every row with the same keys) into `table` in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), list(rows))
        return
    _sqlite_executemany(connection, table, rows, conflict_key=None)


def insert_new(connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the rows (every row with the same keys) whose `key` column value is not stored yet, in
    the caller's transaction; returns the keys inserted."""
    if not rows:
        return set()
    # Key order: concurrent inserts wait on each other's keys in one order, never in a cycle (linear
    # when the caller already sorted them).
    rows = sorted(rows, key=itemgetter(key))
    if connection.dialect.name == "postgresql":
        return set(_postgresql_insert_new(connection, table, key, rows))
    return _sqlite_insert_new(connection, table, key, rows)


def insert_new_with_ids(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """`insert_new`, with each key inserted mapped to its row's surrogate `id`."""
    if not rows:
        return {}
    rows = sorted(rows, key=itemgetter(key))
    if connection.dialect.name == "postgresql":
        return _postgresql_insert_new(connection, table, key, rows)
    inserted = _sqlite_insert_new(connection, table, key, rows)
    return _ids(connection, table, key, sorted(inserted))


def _sqlite_insert_new(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> set[str]:
    """All rows at once when none is stored (the usual case: no look-up); else, after undoing that
    attempt, the rows whose keys the look-up does not find."""
    _hold_sqlite_write_lock(connection)
    connection.exec_driver_sql("SAVEPOINT insert_new")
    if _sqlite_executemany(connection, table, rows, conflict_key=key) == len(rows):
        connection.exec_driver_sql("RELEASE insert_new")
        return {row[key] for row in rows}
    connection.exec_driver_sql("ROLLBACK TO insert_new")
    connection.exec_driver_sql("RELEASE insert_new")
    stored = _stored_keys(connection, table, key, [row[key] for row in rows])
    new = [row for row in rows if row[key] not in stored]
    if not new:
        return set()
    inserted = _sqlite_executemany(connection, table, new, conflict_key=key)
    if inserted != len(new):
        raise KeysTakenConcurrently(f"{len(new) - inserted} {table.name} keys stored concurrently")
    return {row[key] for row in new}


def _hold_sqlite_write_lock(connection: Connection) -> None:
    """Begin the transaction as a writer when nothing began it yet (the driver begins one at the first
    write, and a savepoint outside a transaction would commit on release): keys looked up now stay
    true until commit. A transaction the driver began has written, so it holds the lock already."""
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _stored_keys(connection: Connection, table: Table, key: str, keys: list[Any]) -> set[Any]:
    return {found for found, _ in _sqlite_lookup(connection, table, key, keys)}


def _ids(connection: Connection, table: Table, key: str, keys: list[Any]) -> dict[str, int]:
    return dict(_sqlite_lookup(connection, table, key, keys))


def _sqlite_lookup(connection: Connection, table: Table, key: str, keys: list[Any]) -> list[tuple[Any, int]]:
    quote = connection.dialect.identifier_preparer.quote
    found: list[tuple[Any, int]] = []
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        statement = (
            f"SELECT {quote(key)}, id FROM {table.name} WHERE {quote(key)} IN ({', '.join('?' * len(chunk))})"
        )
        found.extend((row[0], row[1]) for row in connection.exec_driver_sql(statement, tuple(chunk)))
    return found


def _postgresql_insert_new(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    columns = tuple(rows[0])
    dialect = connection.dialect
    if len(rows) < _COPY_FROM_ROWS:
        statement, converters = _postgresql_unnest_insert(dialect, table, columns, key)
        arrays: list[list[Any]] = []
        for name, convert in zip(columns, converters, strict=True):
            values = [row[name] for row in rows]
            arrays.append(values if convert is None else [convert(value) for value in values])
        return {row[0]: row[1] for row in connection.exec_driver_sql(statement, tuple(arrays))}
    (create, copy_rows, move), converters = _postgresql_copy_insert(dialect, table, columns, key)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(create)
        with cursor.copy(copy_rows) as copy:
            for parameters in _parameters(rows, columns, converters):
                copy.write_row(parameters)
        cursor.execute(move)
        return {found: row_id for found, row_id in cursor.fetchall()}


def _sqlite_executemany(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, conflict_key: str | None
) -> int:
    """The driver's executemany of `rows`; returns how many rows it inserted."""
    columns = tuple(rows[0])
    statement, converters = _sqlite_insert(connection.dialect, table, columns, conflict_key)
    parameters = _parameters(rows, columns, converters)
    return int(connection.exec_driver_sql(statement, parameters).rowcount)


def _parameters(
    rows: Sequence[Mapping[str, Any]],
    columns: tuple[str, ...],
    converters: tuple[Callable[[Any], Any] | None, ...],
) -> list[tuple[Any, ...]]:
    """Each row's values in `columns` order, converted by their column types. Only the columns whose
    type converts are touched per row; a time repeated from the row before is converted once (the rows
    of one insert often share their times)."""
    values_of = itemgetter(*columns)
    converting = [
        (index, _repeats_once(convert) if isinstance(rows[0][columns[index]], datetime) else convert)
        for index, convert in enumerate(converters)
        if convert is not None
    ]
    if len(columns) == 1:
        parameters: list[Any] = [(values_of(row),) for row in rows]
    else:
        parameters = [values_of(row) for row in rows]
    if converting:
        parameters = [_converted(list(values), converting) for values in parameters]
    return parameters


def _converted(values: list[Any], converting: Sequence[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    for index, convert in converting:
        values[index] = convert(values[index])
    return tuple(values)


def _repeats_once(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    last: list[Any] = [_NOTHING, None]

    def converted(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return converted


def _check_defaults(table: Table, columns: tuple[str, ...]) -> None:
    for column in table.columns:
        if column.name not in columns and column.default is not None and not column.primary_key:
            # insert() would fill this default in; here the caller names every such column.
            raise ValueError(f"{table.name}.{column.name} has a default: pass it in every row")


@cache
def _sqlite_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], conflict_key: str | None
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    _check_defaults(table, columns)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    if conflict_key is not None:
        statement += f" ON CONFLICT ({quote(conflict_key)}) DO NOTHING"
    types = [table.c[name].type.dialect_impl(dialect) for name in columns]
    return statement, tuple(column_type.bind_processor(dialect) for column_type in types)


@cache
def _postgresql_copy_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], key: str
) -> tuple[tuple[str, str, str], tuple[Callable[[Any], Any] | None, ...]]:
    """A temporary table of the transaction's own (emptied by the statement that moves its rows),
    COPY into it, and the move: insert what is new, in key order, returning key and id."""
    _check_defaults(table, columns)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    incoming = f"incoming_{table.name}"
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} ON COMMIT DELETE ROWS"
        f" AS SELECT {names} FROM {table.name} WITH NO DATA"
    )
    copy_rows = f"COPY {incoming} ({names}) FROM STDIN"
    move = (
        f"WITH moved AS (DELETE FROM {incoming} RETURNING {names})"
        f" INSERT INTO {table.name} ({names}) SELECT {names} FROM moved ORDER BY {quote(key)}"
        f" ON CONFLICT ({quote(key)}) DO NOTHING RETURNING {quote(key)}, id"
    )
    types = [table.c[name].type.dialect_impl(dialect) for name in columns]
    return (create, copy_rows, move), tuple(column_type.bind_processor(dialect) for column_type in types)


@cache
def _postgresql_unnest_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], key: str
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    _check_defaults(table, columns)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    statement = (
        f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({quote(key)}) DO NOTHING RETURNING {quote(key)}, id"
    )
    types = [table.c[name].type.dialect_impl(dialect) for name in columns]
    return statement, tuple(column_type.bind_processor(dialect) for column_type in types)
