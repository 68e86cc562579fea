"""SQL constructs compiled per dialect, so report queries read the same on SQLite and PostgreSQL.

`epoch_microseconds` gives exact integer microseconds (minute arithmetic agrees with Python to the
microsecond), `utc_day` the 'YYYY-MM-DD' of a timestamp, `code_point_order` byte-wise ordering on
PostgreSQL (SQLite's default).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

_MICROSECONDS_PER_MINUTE = 60_000_000


class epoch_microseconds(FunctionElement[int]):
    """Integer microseconds since the Unix epoch of a naive-UTC timestamp."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_microseconds, "sqlite")
def _epoch_microseconds_sqlite(element: epoch_microseconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'; characters 21-26 are microseconds.
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"(CAST(strftime('%s', {value}) AS INTEGER) * 1000000 + CAST(substr({value}, 21, 6) AS INTEGER))"


@compiles(epoch_microseconds, "postgresql")
def _epoch_microseconds_postgresql(element: epoch_microseconds, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(EPOCH FROM {value}) * 1000000 AS BIGINT)"


class utc_day(FunctionElement[str]):
    """'YYYY-MM-DD' of a naive-UTC timestamp."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(next(iter(element.clauses)), **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(next(iter(element.clauses)), **kw)}, 'YYYY-MM-DD')"


class code_point_order(FunctionElement[str]):
    """A string ordered by code point (as Python orders str), whatever the database's collation."""

    type = String()
    inherit_cache = True


@compiles(code_point_order, "sqlite")
def _code_point_order_sqlite(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(code_point_order, "postgresql")
def _code_point_order_postgresql(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(next(iter(element.clauses)), **kw)} COLLATE "C")'


def minutes_between(start: Any, end: Any) -> ColumnElement[int]:
    """Whole minutes from start to end, rounded down; negative spans count as 0 (as `whole_minutes`)."""
    span = epoch_microseconds(end) - epoch_microseconds(start)
    return case((span < 0, literal(0, BigInteger())), else_=span // _MICROSECONDS_PER_MINUTE)
