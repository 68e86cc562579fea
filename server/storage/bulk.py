"""Bulk inserts at the driver's speed, for the large plain inserts (a plan's routes, ledger entries).

On SQLite the rows go to the driver's own executemany, each value converted by its column's type (what
an `insert()` would store); `insert()` itself spends most of a bulk insert's time in SQLAlchemy's
per-row parameter processing. On PostgreSQL rows take a Core `insert()` (psycopg pipelines the
executemany). No RETURNING and no ON CONFLICT: callers that need those use `insert()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (every row with the same keys) into `table` in the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), list(rows))
        return
    columns = tuple(rows[0])
    statement, converters = _sqlite_insert(connection.dialect, table, columns)
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
    connection.exec_driver_sql(statement, parameters)


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


@cache
def _sqlite_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    for column in table.columns:
        if column.name not in columns and column.default is not None and not column.primary_key:
            # insert() would fill this default in; here the caller names every such column.
            raise ValueError(f"{table.name}.{column.name} has a default: pass it in every row")
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    return statement, tuple(table.c[name].type.bind_processor(dialect) for name in columns)
