"""Bulk inserts at the driver's speed, for the large inserts (evidence intake, a plan's routes, ledger
entries).

`insert()` spends most of a bulk insert's time in SQLAlchemy's per-row parameter processing and, with
RETURNING, in rendering and parsing one multi-row VALUES statement per thousand rows. Here:

- `insert_rows` inserts every row. On SQLite the rows go to the driver's own executemany, each value
  converted by its column's type (what an `insert()` would store); on PostgreSQL they take a Core
  `insert()` (psycopg pipelines the executemany).
- `insert_new` inserts the rows whose key is not stored yet and says which it inserted, with their
  surrogate ids (evidence is idempotent). On PostgreSQL that is one short statement whatever the row
  count, `INSERT … SELECT * FROM unnest(%s::type[], …) ON CONFLICT (key) DO NOTHING RETURNING key, id`,
  safe against concurrent writers. On SQLite, where this process's transactions run on one thread,
  the transaction takes the write lock, the stored keys are looked up, the others inserted with the
  driver's executemany, and their ids read back (a key found stored after all is reported, never
  silently skipped).
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


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (every row with the same keys) into `table` in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), list(rows))
        return
    _sqlite_executemany(connection, table, rows, conflict_key=None)


def insert_new(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Insert the rows (every row with the same keys) whose `key` column value is not stored yet, in
    the caller's transaction; returns the keys inserted, each with its row's surrogate `id`."""
    if not rows:
        return {}
    # Key order: concurrent inserts wait on each other's keys in one order, never in a cycle (linear
    # when the caller already sorted them).
    rows = sorted(rows, key=itemgetter(key))
    if connection.dialect.name == "postgresql":
        return _postgresql_insert_new(connection, table, key, rows)
    _hold_sqlite_write_lock(connection)
    stored = _stored_keys(connection, table, key, [row[key] for row in rows])
    new = [row for row in rows if row[key] not in stored] if stored else rows
    if not new:
        return {}
    inserted = _sqlite_executemany(connection, table, new, conflict_key=key)
    if inserted != len(new):
        raise KeysTakenConcurrently(f"{len(new) - inserted} {table.name} keys stored concurrently")
    return _ids(connection, table, key, [row[key] for row in new])


def _hold_sqlite_write_lock(connection: Connection) -> None:
    """Begin the transaction as a writer when nothing began it yet (the driver begins one at the first
    write): keys looked up now stay true until commit. A transaction that only read so far keeps its
    snapshot, and SQLite refuses its first write if another connection wrote since, so its look-up
    holds too."""
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
    statement, converters = _postgresql_unnest_insert(connection.dialect, table, columns, key)
    arrays: list[list[Any]] = []
    for name, convert in zip(columns, converters, strict=True):
        values = [row[name] for row in rows]
        arrays.append(values if convert is None else [convert(value) for value in values])
    return {row[0]: row[1] for row in connection.exec_driver_sql(statement, tuple(arrays))}


def _sqlite_executemany(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, conflict_key: str | None
) -> int:
    """The driver's executemany of `rows`; returns how many rows it inserted."""
    columns = tuple(rows[0])
    statement, converters = _sqlite_insert(connection.dialect, table, columns, conflict_key)
    values_of = itemgetter(*columns)
    # Only the columns whose type converts are touched per row; a time once per distinct value (the
    # rows of one insert often share their times).
    converting = [
        (index, _once_per_value(convert) if isinstance(rows[0][columns[index]], datetime) else convert)
        for index, convert in enumerate(converters)
        if convert is not None
    ]
    if len(columns) == 1:
        parameters: list[Any] = [(values_of(row),) for row in rows]
    else:
        parameters = [values_of(row) for row in rows]
    if converting:
        parameters = [_converted(list(values), converting) for values in parameters]
    return int(connection.exec_driver_sql(statement, parameters).rowcount)


def _converted(values: list[Any], converting: Sequence[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    for index, convert in converting:
        values[index] = convert(values[index])
    return tuple(values)


def _once_per_value(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    done: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        if value not in done:
            done[value] = convert(value)
        return done[value]

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
