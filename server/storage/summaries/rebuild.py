"""Building every summary from the stored history with set-based `INSERT … SELECT` statements.

Used by the migration that introduces the summaries, and by anyone who loads history in bulk without
going through intake (benchmark seeding, tests): the result equals what intake maintains record by
record. It replaces whatever the summary tables held.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, and_, case, false, func, insert, literal, select, union_all

from cavra_recovery.server.domain.evidence import ClosureState, ExecutionStatus
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
)
from cavra_recovery.server.storage.sql_functions import epoch_microseconds, minutes_between, utc_day
from cavra_recovery.server.storage.summaries.tables import (
    CLOSURES,
    RETRY_EXECUTIONS_FAILED,
    RETRY_EXECUTIONS_OK,
    ClosureDaySummaryRecord,
    DashboardCounterRecord,
    ExecutionSummaryRecord,
    ProviderRowSummaryRecord,
    RecoveryRowSummaryRecord,
)

_CLOSING = [state.value for state in ClosureState if state.closes_recovery]
SUMMARY_MODELS = (
    ExecutionSummaryRecord,
    RecoveryRowSummaryRecord,
    ProviderRowSummaryRecord,
    ClosureDaySummaryRecord,
)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _recovery_rows() -> Any:
    """Each playbook provider entry with its latest closure by closed_at, ties to the last recorded."""
    closure = RecoveryClosureRecord
    ranked = select(
        closure.id,
        closure.playbook_id,
        closure.provider,
        closure.closure_id,
        closure.closure_state,
        closure.closed_at,
        func.row_number()
        .over(
            partition_by=(closure.playbook_id, closure.provider),
            order_by=(closure.closed_at.desc(), closure.id.desc()),
        )
        .label("position"),
    ).subquery("ranked_closures")
    entry = PlaybookProviderRecord
    is_closed = func.coalesce(ranked.c.closure_state.in_(_CLOSING), false())
    return (
        select(
            entry.playbook_id,
            entry.provider,
            entry.category,
            entry.failure_count,
            epoch_microseconds(entry.generated_at),
            is_closed,
            ranked.c.closure_id,
            ranked.c.closure_state,
            epoch_microseconds(ranked.c.closed_at),
            ranked.c.id,
            case((is_closed, minutes_between(entry.generated_at, ranked.c.closed_at)), else_=None),
        )
        .select_from(entry)
        .outerjoin(
            ranked,
            and_(
                ranked.c.playbook_id == entry.playbook_id,
                ranked.c.provider == entry.provider,
                ranked.c.position == 1,
            ),
        )
    )


def rebuild_summaries(connection: Connection, *, dashboard_counters: bool = True) -> None:
    """Replace every summary with one computed from the whole history, in the caller's transaction.

    `dashboard_counters=False` leaves the dashboard totals out (migrations older than the table)."""
    for model in SUMMARY_MODELS:
        connection.execute(_table(model).delete())
    execution = RetryExecutionRecord
    connection.execute(
        insert(_table(ExecutionSummaryRecord)).from_select(
            ["provider", "execution_status", "executions", "latest_executed_us"],
            select(
                execution.provider,
                execution.execution_status,
                func.count(),
                epoch_microseconds(func.max(execution.executed_at)),
            ).group_by(execution.provider, execution.execution_status),
        )
    )
    rows = _table(RecoveryRowSummaryRecord)
    connection.execute(
        insert(rows).from_select(
            [
                "playbook_id",
                "provider",
                "category",
                "failure_count",
                "generated_us",
                "is_closed",
                "closure_id",
                "closure_state",
                "closed_us",
                "closure_sequence",
                "closure_minutes",
            ],
            _recovery_rows(),
        )
    )
    closed = case((rows.c.is_closed, 1), else_=0)
    connection.execute(
        insert(_table(ProviderRowSummaryRecord)).from_select(
            ["provider", "category", "rows", "closed", "closure_minutes_sum"],
            select(
                rows.c.provider,
                func.min(rows.c.category),
                func.count(),
                func.sum(closed),
                func.coalesce(func.sum(rows.c.closure_minutes), literal(0)),
            ).group_by(rows.c.provider),
        )
    )
    closure = RecoveryClosureRecord
    day = utc_day(closure.closed_at)
    connection.execute(
        insert(_table(ClosureDaySummaryRecord)).from_select(
            ["closed_day", "provider", "closure_state", "closures", "latest_closed_us"],
            select(
                day,
                closure.provider,
                closure.closure_state,
                func.count(),
                epoch_microseconds(func.max(closure.closed_at)),
            ).group_by(day, closure.provider, closure.closure_state),
        )
    )
    if dashboard_counters:
        rebuild_dashboard_counters(connection)


def rebuild_dashboard_counters(connection: Connection) -> None:
    """Replace the dashboard totals with the sums over the execution and closure summaries."""
    counters = _table(DashboardCounterRecord)
    connection.execute(counters.delete())
    executions = _table(ExecutionSummaryRecord)
    delivered = executions.c.execution_status == ExecutionStatus.DELIVERED.value

    def total(name: str, column: Any, *where: Any) -> Any:
        return select(literal(name), func.coalesce(func.sum(column), literal(0))).where(*where)

    connection.execute(
        insert(counters).from_select(
            ["name", "value"],
            union_all(
                total(CLOSURES, _table(ClosureDaySummaryRecord).c.closures),
                total(RETRY_EXECUTIONS_OK, executions.c.executions, delivered),
                total(RETRY_EXECUTIONS_FAILED, executions.c.executions, ~delivered),
            ),
        )
    )
