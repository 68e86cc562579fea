"""Bulk inserts at the driver's speed, for the large inserts (evidence intake, a plan's routes, ledger
entries).

`insert()` spends most of a bulk insert's time in SQLAlchemy's per-row parameter processing and, with
RETURNING, in rendering and parsing one multi-row VALUES statement per thousand rows. Here:

- `insert_rows` inserts every row, each value converted by its column's type (what an `insert()`
  would store): on SQLite through the driver's own executemany, on PostgreSQL by COPY.
- `insert_new` inserts the rows whose key is not stored yet and says which it inserted
  (`insert_new_with_ids`: with their surrogate ids); evidence intake is idempotent. It is `INSERT …
  ON CONFLICT (key) DO NOTHING RETURNING key, id`, which also holds against concurrent writers. On
  SQLite the rows go as multi-row VALUES statements through the driver. On PostgreSQL they go as one
  array per column (`unnest(%s::type[], …)`, one short statement) or, for many rows, are copied into
  a temporary table first (COPY is the cheapest way in: psycopg's array parameters cost more than the
  insert itself). Many rows whose ids are not needed are first copied straight into the table inside
  a savepoint, which is undone for the slower path if any key is stored already.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

import psycopg.errors
from sqlalchemy import Connection, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect

from cavra_recovery.server.domain.sorted_json import utc_time_text
from cavra_recovery.server.storage.models import UtcDateTime

# Bound parameters per SQLite statement (SQLITE_MAX_VARIABLE_NUMBER is 32,766 since SQLite 3.32): a
# multi-row insert takes as many rows as fit.
_SQLITE_VARIABLES = 8_000
# From this many rows, PostgreSQL's insert_new copies the rows in (three statements) rather than sending
# them as arrays (one statement): COPY costs half per row, but its statements cost a round trip each.
_COPY_FROM_ROWS = 64
_NOTHING = object()


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (every row with the same keys) into `table` in the caller's transaction."""
    if not rows:
        return
    columns = tuple(rows[0])
    parameters = _parameters(rows, columns, _converters(connection.dialect, table, columns))
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, parameters)
        return
    connection.exec_driver_sql(_sqlite_insert(connection.dialect, table, columns), parameters)


def insert_new(connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the rows (every row with the same keys) whose `key` column value is not stored yet, in
    the caller's transaction; returns the keys inserted."""
    if connection.dialect.name == "postgresql" and len(rows) >= _COPY_FROM_ROWS:
        rows = sorted(rows, key=itemgetter(key))
        if _postgresql_copy_all(connection, table, rows):
            return {row[key] for row in rows}
    return set(insert_new_with_ids(connection, table, key, rows))


def insert_new_with_ids(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """`insert_new`, with each key inserted mapped to its row's surrogate `id`."""
    if not rows:
        return {}
    # Key order: concurrent inserts wait on each other's keys in one order, never in a cycle (linear
    # when the caller already sorted them).
    rows = sorted(rows, key=itemgetter(key))
    if connection.dialect.name == "postgresql":
        return _postgresql_insert_new(connection, table, key, rows)
    return _sqlite_insert_new(connection, table, key, rows)


def _postgresql_copy_all(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """COPY every row straight into `table` inside a savepoint; False, with nothing inserted, when a
    key is stored already (or was stored concurrently: COPY waits for that writer, then fails)."""
    columns = tuple(rows[0])
    parameters = _parameters(rows, columns, _converters(connection.dialect, table, columns))
    connection.exec_driver_sql("SAVEPOINT insert_new")
    try:
        _copy(connection, table, columns, parameters)
    except sa_exc.IntegrityError as error:
        if not isinstance(error.orig, psycopg.errors.UniqueViolation):
            raise
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT insert_new")
        connection.exec_driver_sql("RELEASE SAVEPOINT insert_new")
        return False
    connection.exec_driver_sql("RELEASE SAVEPOINT insert_new")
    return True


def _copy(
    connection: Connection,
    table: Table,
    columns: tuple[str, ...],
    parameters: list[tuple[Any, ...]],
    *,
    into: str | None = None,
) -> None:
    """COPY converted rows into `table` (or `into`, a table of the same columns) on the transaction's
    own connection, in the binary format: psycopg formats no text, and COPY is several times an
    executemany's speed. A driver error comes out as SQLAlchemy's, as from any statement, so error
    mapping and conflict retries treat it alike."""
    statement = (
        f"COPY {into or table.name} ({_names(connection.dialect, columns)}) FROM STDIN (FORMAT BINARY)"
    )
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(_postgresql_types(connection.dialect, table, columns))
            for values in parameters:
                copy.write_row(values)
    except psycopg.Error as error:
        dialect = connection.dialect
        raise sa_exc.DBAPIError.instance(statement, None, error, psycopg.Error, dialect=dialect) from error


def _sqlite_insert_new(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    columns = tuple(rows[0])
    parameters = _parameters(rows, columns, _converters(connection.dialect, table, columns))
    per_statement = _SQLITE_VARIABLES // len(columns)
    inserted: dict[str, int] = {}
    for start in range(0, len(parameters), per_statement):
        chunk = parameters[start : start + per_statement]
        statement = _sqlite_insert_returning(connection.dialect, table, columns, key, len(chunk))
        values = [value for row in chunk for value in row]
        inserted.update((row[0], row[1]) for row in connection.exec_driver_sql(statement, tuple(values)))
    return inserted


def _postgresql_insert_new(
    connection: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    columns = tuple(rows[0])
    dialect = connection.dialect
    converters = _converters(dialect, table, columns)
    if len(rows) < _COPY_FROM_ROWS:
        arrays = tuple(list(column) for column in zip(*_parameters(rows, columns, converters), strict=True))
        statement = _postgresql_unnest_insert(dialect, table, columns, key)
        return {row[0]: row[1] for row in connection.exec_driver_sql(statement, arrays)}
    create, incoming, move = _postgresql_copy_insert(dialect, table, columns, key)
    connection.exec_driver_sql(create)
    _copy(connection, table, columns, _parameters(rows, columns, converters), into=incoming)
    return {row[0]: row[1] for row in connection.exec_driver_sql(move)}


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


@cache
def _converters(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's conversion to what the driver takes (what an `insert()` would send)."""
    for column in table.columns:
        if column.name not in columns and column.default is not None and not column.primary_key:
            # insert() would fill this default in; here the caller names every such column.
            raise ValueError(f"{table.name}.{column.name} has a default: pass it in every row")
    if dialect.name == "sqlite":
        # The one conversion every evidence row makes twice, spelled faster (the same text: tested).
        return tuple(
            _sqlite_utc_text
            if isinstance(table.c[name].type, UtcDateTime)
            else _bind_processor(table, name, dialect)
            for name in columns
        )
    return tuple(_bind_processor(table, name, dialect) for name in columns)


def _bind_processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What UtcDateTime stores on SQLite: naive UTC as `2026-01-02 03:04:05.000006`."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    text = utc_time_text(value)
    return f"{text[:10]} {text[11:-1]}"


@cache
def _postgresql_types(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns' type names as psycopg knows them (`VARCHAR(128)` is `varchar`), for binary COPY."""
    return tuple(
        table.c[name].type.compile(dialect=dialect).split("(")[0].strip().lower() for name in columns
    )


def _names(dialect: Dialect, columns: tuple[str, ...]) -> str:
    return ", ".join(dialect.identifier_preparer.quote(name) for name in columns)


@cache
def _sqlite_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table.name} ({_names(dialect, columns)}) VALUES ({', '.join('?' * len(columns))})"


# Bounded: a statement's text grows with its row count, and every batch's last chunk has its own.
@lru_cache(maxsize=16)
def _sqlite_insert_returning(
    dialect: Dialect, table: Table, columns: tuple[str, ...], key: str, count: int
) -> str:
    """A `count`-row insert of what is new, returning key and id."""
    row = f"({', '.join('?' * len(columns))})"
    quoted = dialect.identifier_preparer.quote(key)
    return (
        f"INSERT INTO {table.name} ({_names(dialect, columns)}) VALUES {', '.join([row] * count)}"
        f" ON CONFLICT ({quoted}) DO NOTHING RETURNING {quoted}, id"
    )


@cache
def _postgresql_copy_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], key: str
) -> tuple[str, str, str]:
    """A temporary table of the transaction's own (emptied by the statement that moves its rows), its
    name (rows are copied into it), and the move: insert what is new, in key order, returning key and
    id."""
    names, quoted = _names(dialect, columns), dialect.identifier_preparer.quote(key)
    incoming = f"incoming_{table.name}"
    create = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} ON COMMIT DELETE ROWS"
        f" AS SELECT {names} FROM {table.name} WITH NO DATA"
    )
    move = (
        f"WITH moved AS (DELETE FROM {incoming} RETURNING {names})"
        f" INSERT INTO {table.name} ({names}) SELECT {names} FROM moved ORDER BY {quoted}"
        f" ON CONFLICT ({quoted}) DO NOTHING RETURNING {quoted}, id"
    )
    return create, incoming, move


@cache
def _postgresql_unnest_insert(dialect: Dialect, table: Table, columns: tuple[str, ...], key: str) -> str:
    quoted = dialect.identifier_preparer.quote(key)
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    return (
        f"INSERT INTO {table.name} ({_names(dialect, columns)}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({quoted}) DO NOTHING RETURNING {quoted}, id"
    )
