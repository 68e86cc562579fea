"""Applying newly recorded evidence to the summaries, in the intake's own transaction.

Only records this transaction inserted are applied (an unchanged re-send inserts nothing, and a changed
record is refused before anything is applied), so every record counts exactly once. Per batch:

- recovery rows of new playbooks are inserted;
- the rows new closures touch are locked (`FOR UPDATE` on PostgreSQL, in key order) and take the
  newest closure by (`closed_at`, closure id), whatever order the closures arrive in;
- counts are gathered in Python as deltas and merged with one `INSERT … ON CONFLICT DO UPDATE SET
  n = n + excluded.n` per summary table, keys in sorted order, so concurrent replicas add up instead
  of overwriting each other and always take row locks in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.evidence import ClosureState, ExecutionStatus
from cavra_recovery.server.storage.summaries.tables import (
    CLOSURES,
    RETRY_EXECUTIONS_FAILED,
    RETRY_EXECUTIONS_OK,
    ClosureDaySummaryRecord,
    DashboardCounterRecord,
    ExecutionSummaryRecord,
    ProviderRowSummaryRecord,
    RecoveryRowSummaryRecord,
    epoch_us,
    minutes_between_us,
)

# Rows per multi-row statement: far below SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500
_CLOSING = frozenset(state.value for state in ClosureState if state.closes_recovery)
_DELIVERED = ExecutionStatus.DELIVERED.value


@dataclass(frozen=True, slots=True)
class NewExecution:
    provider: str
    execution_status: str
    executed_at: datetime


@dataclass(frozen=True, slots=True)
class NewRecoveryRow:
    playbook_id: str
    provider: str
    category: str
    failure_count: int
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class NewClosure:
    closure_id: str
    # recovery_closures.id of the stored closure: breaks ties between equal closed_at.
    sequence: int
    playbook_id: str
    provider: str
    closure_state: str
    closed_at: datetime


@dataclass
class _ProviderDelta:
    category: str
    rows: int = 0
    closed: int = 0
    minutes_sum: int = 0


@dataclass
class SummaryDeltas:
    """What one batch adds to the summary tables, merged by `flush`."""

    executions: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    providers: dict[str, _ProviderDelta] = field(default_factory=dict)
    days: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    def provider(self, provider: str, category: str) -> _ProviderDelta:
        delta = self.providers.get(provider)
        if delta is None:
            delta = self.providers[provider] = _ProviderDelta(category)
        else:
            delta.category = min(delta.category, category)
        return delta


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def count_executions(deltas: SummaryDeltas, executions: Iterable[NewExecution]) -> None:
    for execution in executions:
        at = epoch_us(execution.executed_at)
        entry = deltas.executions.setdefault((execution.provider, execution.execution_status), [0, at])
        entry[0] += 1
        entry[1] = max(entry[1], at)


def add_recovery_rows(session: Session, deltas: SummaryDeltas, rows: Sequence[NewRecoveryRow]) -> None:
    """Insert the open recovery rows of newly stored playbooks."""
    values = [
        {
            "playbook_id": row.playbook_id,
            "provider": row.provider,
            "category": row.category,
            "failure_count": row.failure_count,
            "generated_us": epoch_us(row.generated_at),
            "is_closed": False,
        }
        for row in rows
    ]
    if values:
        session.execute(_table(RecoveryRowSummaryRecord).insert(), values)
    for row in rows:
        deltas.provider(row.provider, row.category).rows += 1


def _newest(closures: Iterable[NewClosure]) -> dict[tuple[str, str], NewClosure]:
    newest: dict[tuple[str, str], NewClosure] = {}
    for closure in closures:
        key = (closure.playbook_id, closure.provider)
        current = newest.get(key)
        if current is None or _order(closure) > _order(current):
            newest[key] = closure
    return newest


def _order(closure: NewClosure) -> tuple[int, int]:
    return epoch_us(closure.closed_at), closure.sequence


def apply_closures(session: Session, deltas: SummaryDeltas, closures: Sequence[NewClosure]) -> None:
    """Count new closures per day and move each touched row to its newest closure."""
    for closure in closures:
        day = closure.closed_at.astimezone(UTC).strftime("%Y-%m-%d")
        at = epoch_us(closure.closed_at)
        entry = deltas.days.setdefault((day, closure.provider, closure.closure_state), [0, at])
        entry[0] += 1
        entry[1] = max(entry[1], at)
    newest = _newest(closures)
    if not newest:
        return
    rows = _table(RecoveryRowSummaryRecord)
    playbook_ids = sorted({playbook_id for playbook_id, _ in newest})
    updates = []
    for start in range(0, len(playbook_ids), _CHUNK):
        statement = (
            select(rows)
            .where(rows.c.playbook_id.in_(playbook_ids[start : start + _CHUNK]))
            .order_by(rows.c.playbook_id, rows.c.provider)
            .with_for_update()
        )
        for row in session.execute(statement):
            candidate = newest.get((row.playbook_id, row.provider))
            if candidate is None:
                continue
            if row.closed_us is not None and _order(candidate) <= (row.closed_us, row.closure_sequence):
                continue
            updates.append(_moved_row(deltas, row, candidate))
    if updates:
        session.execute(rows.update().where(rows.c.id == bindparam("row_id")), updates)


def _moved_row(deltas: SummaryDeltas, row: Any, closure: NewClosure) -> dict[str, Any]:
    """The row's new closure columns; its old and new closed minutes go into the deltas."""
    provider = deltas.provider(row.provider, row.category)
    if row.is_closed:
        provider.closed -= 1
        provider.minutes_sum -= row.closure_minutes
    closed_us = epoch_us(closure.closed_at)
    is_closed = closure.closure_state in _CLOSING
    minutes = minutes_between_us(row.generated_us, closed_us) if is_closed else None
    if minutes is not None:
        provider.closed += 1
        provider.minutes_sum += minutes
    return {
        "row_id": row.id,
        "is_closed": is_closed,
        "closure_id": closure.closure_id,
        "closure_state": closure.closure_state,
        "closed_us": closed_us,
        "closure_sequence": closure.sequence,
        "closure_minutes": minutes,
    }


def _upsert(
    session: Session,
    model: type[Any],
    keys: Sequence[str],
    values: list[dict[str, Any]],
    *,
    added: Sequence[str],
    greatest: Sequence[str] = (),
    least: Sequence[str] = (),
) -> None:
    if not values:
        return
    table = _table(model)
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    larger = func.greatest if postgres else func.max
    smaller = func.least if postgres else func.min
    values.sort(key=lambda value: tuple(value[key] for key in keys))
    for start in range(0, len(values), _CHUNK):
        statement = insert(table).values(values[start : start + _CHUNK])
        changes: dict[str, Any] = {name: table.c[name] + statement.excluded[name] for name in added}
        changes.update({name: larger(table.c[name], statement.excluded[name]) for name in greatest})
        changes.update({name: smaller(table.c[name], statement.excluded[name]) for name in least})
        session.execute(
            statement.on_conflict_do_update(index_elements=[table.c[key] for key in keys], set_=changes)
        )


def flush(session: Session, deltas: SummaryDeltas) -> None:
    """Merge the deltas, one statement per summary table (per 500 keys), tables in a fixed order;
    the dashboard totals last, as one more delta merge (keys sorted, so replicas add up)."""
    _upsert(
        session,
        ExecutionSummaryRecord,
        ("provider", "execution_status"),
        [
            {"provider": p, "execution_status": s, "executions": n, "latest_executed_us": at}
            for (p, s), (n, at) in deltas.executions.items()
        ],
        added=("executions",),
        greatest=("latest_executed_us",),
    )
    _upsert(
        session,
        ProviderRowSummaryRecord,
        ("provider",),
        [
            {
                "provider": provider,
                "category": d.category,
                "rows": d.rows,
                "closed": d.closed,
                "closure_minutes_sum": d.minutes_sum,
            }
            for provider, d in deltas.providers.items()
        ],
        added=("rows", "closed", "closure_minutes_sum"),
        least=("category",),
    )
    _upsert(
        session,
        ClosureDaySummaryRecord,
        ("closed_day", "provider", "closure_state"),
        [
            {"closed_day": day, "provider": p, "closure_state": s, "closures": n, "latest_closed_us": at}
            for (day, p, s), (n, at) in deltas.days.items()
        ],
        added=("closures",),
        greatest=("latest_closed_us",),
    )
    _upsert(
        session,
        DashboardCounterRecord,
        ("name",),
        [{"name": name, "value": n} for name, n in _counter_deltas(deltas).items() if n],
        added=("value",),
    )


def _counter_deltas(deltas: SummaryDeltas) -> dict[str, int]:
    """What the batch adds to the dashboard totals: the sums of its execution and closure deltas."""
    counters = {CLOSURES: sum(n for n, _ in deltas.days.values()), RETRY_EXECUTIONS_OK: 0}
    counters[RETRY_EXECUTIONS_FAILED] = 0
    for (_, status), (n, _) in deltas.executions.items():
        counters[RETRY_EXECUTIONS_OK if status == _DELIVERED else RETRY_EXECUTIONS_FAILED] += n
    return counters


def apply_new_evidence(
    session: Session,
    *,
    executions: Sequence[NewExecution] = (),
    rows: Sequence[NewRecoveryRow] = (),
    closures: Sequence[NewClosure] = (),
) -> None:
    """Apply records just inserted in this transaction: rows first, so closures may touch them."""
    deltas = SummaryDeltas()
    add_recovery_rows(session, deltas, rows)
    apply_closures(session, deltas, closures)
    count_executions(deltas, executions)
    flush(session, deltas)
