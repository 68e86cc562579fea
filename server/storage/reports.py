"""The SLO report and the executive report over ALL stored evidence, computed with SQL aggregation.

Nothing here loads every record: executions are grouped by (provider, status); closures by
(UTC day, provider, state); recovery rows are the playbook provider entries LEFT JOINed to their
latest closure, chosen with ROW_NUMBER() OVER (PARTITION BY playbook_id, provider ORDER BY
closed_at DESC, id DESC), then grouped by provider; p90 uses ROW_NUMBER()/COUNT() windows. Only the
rows a response lists (at most `row_limit`) and the rows a plan escalates are read one by one.

Dialect differences sit behind three small constructs compiled per dialect: `epoch_microseconds`
(exact integer microseconds, so minute arithmetic agrees with Python to the microsecond), `utc_day`
and `code_point_order` (byte-wise ordering on PostgreSQL, SQLite's default).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CTE

from server.domain.closure_trends import closure_trend_day
from server.domain.errors import NotFound
from server.domain.evidence import ClosureState, ExecutionStatus, category_for_provider
from server.domain.ids import new_id
from server.domain.reasons import Resource
from server.domain.slo_report import (
    DEFAULT_ROW_LIMIT,
    P90_RANK_DENOMINATOR,
    P90_RANK_NUMERATOR,
    CloseStatistics,
    ProviderRecoverySummary,
    RecoveryRow,
    RetryRecoveryReport,
    RowStatus,
    breach_cutoff,
    build_totals,
    report_content_digest,
    report_document,
    report_from_document,
    report_level,
    whole_minutes,
)
from server.storage.models import (
    PlaybookProviderRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
    RetryRecoveryReportRecord,
)
from server.storage.sql_functions import code_point_order, minutes_between, utc_day

_MICROSECONDS_PER_MINUTE = 60_000_000
_CLOSING = [ClosureState.RESOLVED.value, ClosureState.MITIGATED.value]
# Rows are fetched from the database in batches of this size when streamed.
STREAM_BATCH_ROWS = 2000


def recovery_rows_cte(*, now: datetime, recovery_slo_minutes: int) -> CTE:
    """One row per playbook provider entry with its latest closure, status and closure minutes."""
    closure = RecoveryClosureRecord
    ranked = select(
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
    is_closed = ranked.c.closure_state.in_(_CLOSING)
    cutoff = breach_cutoff(now, recovery_slo_minutes)
    status = case(
        (is_closed, RowStatus.CLOSED.value),
        (entry.generated_at <= cutoff, RowStatus.BREACHED.value),
        else_=RowStatus.OPEN.value,
    )
    return (
        select(
            entry.id.label("entry_id"),
            entry.playbook_id,
            entry.provider,
            entry.category,
            entry.generated_at,
            entry.failure_count,
            ranked.c.closure_state,
            ranked.c.closure_id,
            ranked.c.closed_at,
            status.label("status"),
            case((is_closed, minutes_between(entry.generated_at, ranked.c.closed_at)), else_=None).label(
                "closure_minutes"
            ),
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
        .cte("recovery_rows")
    )


def _ordered_rows(rows: CTE) -> Select[Any]:
    status_rank = case(
        (rows.c.status == RowStatus.BREACHED.value, 0), (rows.c.status == RowStatus.OPEN.value, 1), else_=2
    )
    return select(rows).order_by(
        status_rank,
        rows.c.failure_count.desc(),
        rows.c.generated_at.asc(),
        code_point_order(rows.c.playbook_id),
        code_point_order(rows.c.provider),
    )


def _recovery_row(record: Any, now: datetime) -> RecoveryRow:
    return RecoveryRow(
        playbook_id=record.playbook_id,
        provider=record.provider,
        category=record.category,
        generated_at=record.generated_at,
        failure_count=record.failure_count,
        status=RowStatus(record.status),
        age_minutes=whole_minutes(record.generated_at, now),
        closure_state=record.closure_state,
        closure_id=record.closure_id,
        closed_at=record.closed_at,
        closure_minutes=None if record.closure_minutes is None else int(record.closure_minutes),
    )


def stream_escalating_rows(
    session: Session, *, now: datetime, recovery_slo_minutes: int
) -> Iterator[RecoveryRow]:
    """Every breached and open row, in route order, fetched in batches (never all at once)."""
    rows = recovery_rows_cte(now=now, recovery_slo_minutes=recovery_slo_minutes)
    statement = _ordered_rows(rows).where(rows.c.status != RowStatus.CLOSED.value)
    result = session.execute(statement.execution_options(yield_per=STREAM_BATCH_ROWS))
    for record in result:
        yield _recovery_row(record, now)


@dataclass(frozen=True, slots=True)
class _RowAggregate:
    category: str
    rows: int
    closed: int
    breached: int
    statistics: CloseStatistics


def _row_aggregates(session: Session, rows: CTE, slo: int) -> tuple[dict[str, _RowAggregate], int | None]:
    """Per-provider row counts and close statistics, and the overall p90."""
    is_closed = rows.c.status == RowStatus.CLOSED.value
    grouped = select(
        rows.c.provider,
        func.min(rows.c.category),
        func.count(),
        func.sum(case((is_closed, 1), else_=0)),
        func.sum(case((rows.c.status == RowStatus.BREACHED.value, 1), else_=0)),
        func.sum(rows.c.closure_minutes),
        func.sum(case((and_(is_closed, rows.c.closure_minutes <= slo), 1), else_=0)),
    ).group_by(rows.c.provider)
    p90 = _p90_by_provider(session, rows)
    aggregates = {}
    for provider, category, count, closed, breached, minutes_sum, within in session.execute(grouped):
        closed = int(closed or 0)
        aggregates[provider] = _RowAggregate(
            category=category,
            rows=int(count),
            closed=closed,
            breached=int(breached or 0),
            statistics=CloseStatistics(
                closed=closed,
                minutes_sum=int(minutes_sum or 0),
                p90_minutes=p90.get(provider),
                within_slo=int(within or 0),
            ),
        )
    return aggregates, p90.get(None)


def _p90_rank(count: ColumnElement[Any]) -> ColumnElement[Any]:
    return (count * P90_RANK_NUMERATOR + (P90_RANK_DENOMINATOR - 1)) // P90_RANK_DENOMINATOR


def _p90_by_provider(session: Session, rows: CTE) -> dict[str | None, int]:
    """Nearest-rank p90 of closure minutes per provider, and overall under the key None, in one pass."""
    closed = (
        select(
            rows.c.provider,
            rows.c.closure_minutes,
            func.row_number()
            .over(partition_by=rows.c.provider, order_by=rows.c.closure_minutes)
            .label("provider_position"),
            func.count().over(partition_by=rows.c.provider).label("provider_count"),
            func.row_number().over(order_by=rows.c.closure_minutes).label("overall_position"),
            func.count().over().label("overall_count"),
        )
        .where(rows.c.status == RowStatus.CLOSED.value)
        .subquery("closed_rows")
    )
    at_provider_rank = closed.c.provider_position == _p90_rank(closed.c.provider_count)
    at_overall_rank = closed.c.overall_position == _p90_rank(closed.c.overall_count)
    statement = select(closed.c.provider, closed.c.closure_minutes, at_provider_rank, at_overall_rank).where(
        at_provider_rank | at_overall_rank
    )
    p90: dict[str | None, int] = {}
    for provider, minutes, provider_hit, overall_hit in session.execute(statement):
        if provider_hit:
            p90[provider] = int(minutes)
        if overall_hit:
            p90[None] = int(minutes)
    return p90


@dataclass(frozen=True, slots=True)
class _ExecutionAggregate:
    counts: Counter[str]
    latest: datetime | None


def _execution_aggregates(session: Session) -> dict[str, _ExecutionAggregate]:
    execution = RetryExecutionRecord
    statement = select(
        execution.provider, execution.execution_status, func.count(), func.max(execution.executed_at)
    ).group_by(execution.provider, execution.execution_status)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    latest: dict[str, datetime] = {}
    for provider, status, count, newest in session.execute(statement):
        counts[provider][status] += int(count)
        if newest is not None and (provider not in latest or newest > latest[provider]):
            latest[provider] = newest
    return {provider: _ExecutionAggregate(counts[provider], latest.get(provider)) for provider in counts}


@dataclass
class _ClosureAggregate:
    per_provider: Counter[str]
    latest: dict[str, datetime]
    per_state: Counter[str]
    day_states: dict[str, Counter[str]]
    day_providers: dict[str, Counter[str]]


def _closure_aggregates(session: Session) -> _ClosureAggregate:
    closure = RecoveryClosureRecord
    day = utc_day(closure.closed_at)
    statement = select(
        day, closure.provider, closure.closure_state, func.count(), func.max(closure.closed_at)
    ).group_by(day, closure.provider, closure.closure_state)
    aggregate = _ClosureAggregate(Counter(), {}, Counter(), defaultdict(Counter), defaultdict(Counter))
    for closed_day, provider, state, count, newest in session.execute(statement):
        count = int(count)
        aggregate.per_provider[provider] += count
        aggregate.per_state[state] += count
        aggregate.day_states[closed_day][state] += count
        aggregate.day_providers[closed_day][provider] += count
        if provider not in aggregate.latest or newest > aggregate.latest[provider]:
            aggregate.latest[provider] = newest
    return aggregate


def compute_retry_recovery_report(
    session: Session,
    *,
    now: datetime,
    recovery_slo_minutes: int,
    row_limit: int = DEFAULT_ROW_LIMIT,
    report_id: str | None = None,
) -> RetryRecoveryReport:
    """The SLO report of `now` over all stored evidence, not stored (see `store_retry_recovery_report`)."""
    slo = recovery_slo_minutes
    rows = recovery_rows_cte(now=now, recovery_slo_minutes=slo)
    row_aggregates, overall_p90 = _row_aggregates(session, rows, slo)
    executions = _execution_aggregates(session)
    closures = _closure_aggregates(session)

    summaries = []
    for provider in sorted(set(row_aggregates) | set(executions) | set(closures.per_provider)):
        row_aggregate = row_aggregates.get(provider)
        execution = executions.get(provider)
        counts = execution.counts if execution else Counter[str]()
        statistics = row_aggregate.statistics if row_aggregate else CloseStatistics()
        summaries.append(
            ProviderRecoverySummary(
                provider=provider,
                category=row_aggregate.category if row_aggregate else category_for_provider(provider).value,
                executions=sum(counts.values()),
                delivered=counts[ExecutionStatus.DELIVERED],
                failed=counts[ExecutionStatus.FAILED],
                skipped=counts[ExecutionStatus.SKIPPED],
                playbook_rows=row_aggregate.rows if row_aggregate else 0,
                closures=closures.per_provider[provider],
                open=(row_aggregate.rows - row_aggregate.closed) if row_aggregate else 0,
                breached=row_aggregate.breached if row_aggregate else 0,
                closed=row_aggregate.closed if row_aggregate else 0,
                latest_execution_at=execution.latest if execution else None,
                latest_closure_at=closures.latest.get(provider),
                mean_minutes_to_close=statistics.mean,
                p90_minutes_to_close=statistics.p90,
                slo_attainment=statistics.attainment,
            )
        )
    overall = CloseStatistics(
        closed=sum(a.closed for a in row_aggregates.values()),
        minutes_sum=sum(a.statistics.minutes_sum for a in row_aggregates.values()),
        p90_minutes=overall_p90,
        within_slo=sum(a.statistics.within_slo for a in row_aggregates.values()),
    )
    totals = build_totals(summaries, state_counts=closures.per_state, overall=overall)
    listed = [_recovery_row(record, now) for record in session.execute(_ordered_rows(rows).limit(row_limit))]
    trends = tuple(
        closure_trend_day(day, closures.day_states[day], closures.day_providers[day])
        for day in sorted(closures.day_states, reverse=True)
    )
    return RetryRecoveryReport(
        report_id=report_id or new_id("rrr"),
        generated_at=now,
        recovery_slo_minutes=slo,
        level=report_level(totals),
        totals=totals,
        provider_summaries=tuple(summaries),
        rows=tuple(listed),
        rows_truncated=totals.rows > len(listed),
        closure_trends=trends,
    )


def store_retry_recovery_report(session: Session, report: RetryRecoveryReport) -> RetryRecoveryReport:
    """Store `report`, unless the latest stored report for the same SLO has the same content.

    Unchanged content (`report_content_digest`: everything but the id, the instant and the ages) is
    not stored again: `report` is returned as computed, fresh ages and `generated_at` included, under
    the stored report's id, which names the stored snapshot of that same content.
    """
    digest = report_content_digest(report)
    latest = session.scalars(
        select(RetryRecoveryReportRecord)
        .where(RetryRecoveryReportRecord.recovery_slo_minutes == report.recovery_slo_minutes)
        .order_by(RetryRecoveryReportRecord.id.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.content_digest == digest:
        return replace(report, report_id=latest.report_id)
    session.add(
        RetryRecoveryReportRecord(
            report_id=report.report_id,
            generated_at=report.generated_at,
            recovery_slo_minutes=report.recovery_slo_minutes,
            level=report.level.value,
            content_digest=digest,
            document=report_document(report),
        )
    )
    session.flush()
    return report


def get_retry_recovery_report(session: Session, *, report_id: str) -> RetryRecoveryReport:
    record = session.scalars(
        select(RetryRecoveryReportRecord).where(RetryRecoveryReportRecord.report_id == report_id)
    ).first()
    if record is None:
        raise NotFound(Resource.RETRY_RECOVERY_REPORT, report_id)
    return report_from_document(record.document)
