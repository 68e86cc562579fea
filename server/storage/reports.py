"""The SLO report and the executive report over ALL stored evidence, read from the maintained summaries.

Nothing here reads the execution or closure history: intake keeps the summary tables
(`server.storage.summaries`) up to date in its own transaction, and a report reads per-provider
execution counts, per-provider row counts and per-day closure counts, which grow with providers and
days, not with history. What depends on `now` or the SLO stays a query on an index of the recovery
row summaries: breach (open rows generated at or before the cutoff), SLO attainment (closed rows
within the SLO) and p90 (the closed row at the nearest rank, by OFFSET). Only the rows a response
lists (at most `row_limit`) and the rows a plan escalates are read one by one, in route order on an
index.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.closure_trends import closure_trend_day
from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.evidence import ExecutionStatus, category_for_provider
from cavra_recovery.server.domain.ids import new_id
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.domain.slo_report import (
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
    report_document,
    report_document_digest,
    report_from_document,
    report_level,
    whole_minutes,
)
from cavra_recovery.server.storage.models import RetryRecoveryReportRecord
from cavra_recovery.server.storage.sql_functions import code_point_order
from cavra_recovery.server.storage.summaries.tables import (
    ClosureDaySummaryRecord,
    ExecutionSummaryRecord,
    ProviderRowSummaryRecord,
    RecoveryRowSummaryRecord,
    epoch_us,
    from_epoch_us,
)

# Rows are fetched from the database in batches of this size when streamed.
STREAM_BATCH_ROWS = 2000


def _recovery_row(record: Any, now: datetime, cutoff_us: int) -> RecoveryRow:
    if record.is_closed:
        status = RowStatus.CLOSED
    else:
        status = RowStatus.BREACHED if record.generated_us <= cutoff_us else RowStatus.OPEN
    generated_at = from_epoch_us(record.generated_us)
    return RecoveryRow(
        playbook_id=record.playbook_id,
        provider=record.provider,
        category=record.category,
        generated_at=generated_at,
        failure_count=record.failure_count,
        status=status,
        age_minutes=whole_minutes(generated_at, now),
        closure_state=record.closure_state,
        closure_id=record.closure_id,
        closed_at=None if record.closed_us is None else from_epoch_us(record.closed_us),
        closure_minutes=None if record.closure_minutes is None else int(record.closure_minutes),
    )


def _status_condition(status: RowStatus, cutoff_us: int) -> list[ColumnElement[bool]]:
    row = RecoveryRowSummaryRecord
    if status is RowStatus.CLOSED:
        return [row.is_closed == true()]
    if status is RowStatus.BREACHED:
        return [row.is_closed == false(), row.generated_us <= cutoff_us]
    return [row.is_closed == false(), row.generated_us > cutoff_us]


def _rows_in_route_order(
    session: Session, status: RowStatus, *, now: datetime, cutoff_us: int, limit: int | None = None
) -> Iterator[RecoveryRow]:
    """Rows of one status by failure count descending, then oldest first, then ids (code point order)."""
    row = RecoveryRowSummaryRecord
    statement = (
        select(
            row.playbook_id,
            row.provider,
            row.category,
            row.failure_count,
            row.generated_us,
            row.is_closed,
            row.closure_id,
            row.closure_state,
            row.closed_us,
            row.closure_minutes,
        )
        .where(*_status_condition(status, cutoff_us))
        .order_by(
            row.failure_count.desc(),
            row.generated_us.asc(),
            code_point_order(row.playbook_id),
            code_point_order(row.provider),
        )
    )
    if limit is not None:
        if limit <= 0:
            return
        statement = statement.limit(limit)
    for record in session.execute(statement.execution_options(yield_per=STREAM_BATCH_ROWS)):
        yield _recovery_row(record, now, cutoff_us)


def stream_escalating_rows(
    session: Session, *, now: datetime, recovery_slo_minutes: int
) -> Iterator[RecoveryRow]:
    """Every breached and open row, in route order, fetched in batches (never all at once)."""
    cutoff_us = epoch_us(breach_cutoff(now, recovery_slo_minutes))
    for status in (RowStatus.BREACHED, RowStatus.OPEN):
        yield from _rows_in_route_order(session, status, now=now, cutoff_us=cutoff_us)


def _listed_rows(session: Session, *, now: datetime, cutoff_us: int, row_limit: int) -> list[RecoveryRow]:
    listed: list[RecoveryRow] = []
    for status in (RowStatus.BREACHED, RowStatus.OPEN, RowStatus.CLOSED):
        listed.extend(
            _rows_in_route_order(session, status, now=now, cutoff_us=cutoff_us, limit=row_limit - len(listed))
        )
    return listed


@dataclass(frozen=True, slots=True)
class _RowAggregate:
    category: str
    rows: int
    closed: int
    breached: int
    statistics: CloseStatistics


def _p90_rank(closed: int) -> int:
    """1-based nearest rank of the 90th percentile among `closed` values: ceil(0.9 * closed)."""
    return (closed * P90_RANK_NUMERATOR + (P90_RANK_DENOMINATOR - 1)) // P90_RANK_DENOMINATOR


def _p90(session: Session, closed: int, provider: str | None = None) -> int | None:
    """The closure minutes at the p90 rank, read on the (closed, provider, minutes) index.

    Read from the top (`ORDER BY minutes DESC OFFSET closed - rank`): the index walk covers the
    slowest tenth of the closed rows, not nine tenths.
    """
    if closed <= 0:
        return None
    row = RecoveryRowSummaryRecord
    statement = select(row.closure_minutes).where(row.is_closed == true())
    if provider is not None:
        statement = statement.where(row.provider == provider)
    statement = statement.order_by(row.closure_minutes.desc()).limit(1).offset(closed - _p90_rank(closed))
    minutes = session.scalar(statement)
    return None if minutes is None else int(minutes)


def _within_slo(session: Session, provider: str, slo: int) -> int:
    """Closed rows of `provider` closed within the SLO: a range count on the same index."""
    row = RecoveryRowSummaryRecord
    statement = select(func.count()).where(
        row.is_closed == true(), row.provider == provider, row.closure_minutes <= slo
    )
    return int(session.scalar(statement) or 0)


def _row_aggregates(
    session: Session, slo: int, cutoff_us: int
) -> tuple[dict[str, _RowAggregate], int | None]:
    """Per-provider row counts and close statistics, and the overall p90, all aggregated in SQL."""
    row = RecoveryRowSummaryRecord
    breached = dict(
        session.execute(
            select(row.provider, func.count())
            .where(*_status_condition(RowStatus.BREACHED, cutoff_us))
            .group_by(row.provider)
        ).all()
    )
    aggregates = {}
    total_closed = 0
    summary = ProviderRowSummaryRecord
    for provider, category, rows, closed, minutes_sum in session.execute(
        select(
            summary.provider, summary.category, summary.rows, summary.closed, summary.closure_minutes_sum
        ).where(summary.rows > 0)
    ):
        closed = int(closed)
        total_closed += closed
        aggregates[provider] = _RowAggregate(
            category=category,
            rows=int(rows),
            closed=closed,
            breached=int(breached.get(provider, 0)),
            statistics=CloseStatistics(
                closed=closed,
                minutes_sum=int(minutes_sum),
                p90_minutes=_p90(session, closed, provider),
                within_slo=_within_slo(session, provider, slo) if closed else 0,
            ),
        )
    return aggregates, _p90(session, total_closed)


@dataclass(frozen=True, slots=True)
class _ExecutionAggregate:
    counts: Counter[str]
    latest: datetime | None


def _execution_aggregates(session: Session) -> dict[str, _ExecutionAggregate]:
    summary = ExecutionSummaryRecord
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    latest: dict[str, int] = {}
    statement = select(
        summary.provider, summary.execution_status, summary.executions, summary.latest_executed_us
    )
    for provider, status, count, newest in session.execute(statement):
        counts[provider][status] += int(count)
        latest[provider] = max(latest.get(provider, newest), newest)
    return {
        provider: _ExecutionAggregate(counts[provider], from_epoch_us(latest[provider]))
        for provider in counts
    }


@dataclass
class _ClosureAggregate:
    per_provider: Counter[str]
    latest: dict[str, datetime]
    per_state: Counter[str]
    day_states: dict[str, Counter[str]]
    day_providers: dict[str, Counter[str]]


def _closure_aggregates(session: Session) -> _ClosureAggregate:
    """Closure counts grouped in SQL (one row per provider, per day and state, per day and provider)."""
    day = ClosureDaySummaryRecord
    aggregate = _ClosureAggregate(Counter(), {}, Counter(), defaultdict(Counter), defaultdict(Counter))
    for provider, count, latest in session.execute(
        select(day.provider, func.sum(day.closures), func.max(day.latest_closed_us)).group_by(day.provider)
    ):
        aggregate.per_provider[provider] += int(count)
        aggregate.latest[provider] = from_epoch_us(int(latest))
    for closed_day, state, count in session.execute(
        select(day.closed_day, day.closure_state, func.sum(day.closures)).group_by(
            day.closed_day, day.closure_state
        )
    ):
        aggregate.per_state[state] += int(count)
        aggregate.day_states[closed_day][state] += int(count)
    for closed_day, provider, count in session.execute(
        select(day.closed_day, day.provider, func.sum(day.closures)).group_by(day.closed_day, day.provider)
    ):
        aggregate.day_providers[closed_day][provider] += int(count)
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
    cutoff_us = epoch_us(breach_cutoff(now, slo))
    row_aggregates, overall_p90 = _row_aggregates(session, slo, cutoff_us)
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
    listed = _listed_rows(session, now=now, cutoff_us=cutoff_us, row_limit=row_limit)
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
    document = report_document(report)
    digest = report_document_digest(document)
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
            document=document,
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
