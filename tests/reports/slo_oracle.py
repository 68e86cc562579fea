"""The in-memory reference of the SLO report and plan rules (SPEC §4, §5): the oracle the SQL is held to.

The service never loads all evidence: `server.storage.reports` and `server.storage.plans` apply the
rules stated in `server.domain.slo_report` and `server.domain.escalation_plan` with SQL aggregation.
This module states the same rules plainly over evidence held in memory, and the tests hold the SQL to
identical results on SQLite and PostgreSQL. It is test code: nothing in the service imports it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cavra_recovery.server.domain.closure_trends import closure_trend_day
from cavra_recovery.server.domain.escalation_plan import (
    EscalationPlan,
    ReceiverSelector,
    build_escalation_plan,
    no_receivers,
    ordered_routes,
    retry_execution_routes,
    route_for_row,
    route_order_key,
)
from cavra_recovery.server.domain.evidence import ClosureState, ExecutionStatus, category_for_provider
from cavra_recovery.server.domain.slo_report import (
    DEFAULT_ROW_LIMIT,
    P90_RANK_DENOMINATOR,
    P90_RANK_NUMERATOR,
    CloseStatistics,
    ProviderRecoverySummary,
    RecoveryRow,
    RetryRecoveryReport,
    RowStatus,
    build_totals,
    report_level,
    whole_minutes,
)


@dataclass(frozen=True, slots=True)
class ExecutionFact:
    provider: str
    execution_status: str
    executed_at: datetime


@dataclass(frozen=True, slots=True)
class PlaybookRowFact:
    playbook_id: str
    provider: str
    category: str
    generated_at: datetime
    failure_count: int


@dataclass(frozen=True, slots=True)
class ClosureFact:
    closure_id: str
    playbook_id: str
    provider: str
    closure_state: str
    closed_at: datetime
    # Recording order: breaks ties between closures with the same closed_at (the later record wins).
    sequence: int


CLOSING_STATES = frozenset(state for state in ClosureState if state.closes_recovery)


def is_closing_state(state: str | None) -> bool:
    return state in CLOSING_STATES


def row_status(
    *, generated_at: datetime, closure_state: str | None, now: datetime, slo_minutes: int
) -> RowStatus:
    if is_closing_state(closure_state):
        return RowStatus.CLOSED
    if whole_minutes(generated_at, now) > slo_minutes:
        return RowStatus.BREACHED
    return RowStatus.OPEN


def p90_rank(count: int) -> int:
    """1-based nearest rank of the 90th percentile among `count` values: ceil(0.9 * count)."""
    return (P90_RANK_NUMERATOR * count + P90_RANK_DENOMINATOR - 1) // P90_RANK_DENOMINATOR


def p90_nearest_rank(values: Iterable[int]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return float(ordered[p90_rank(len(ordered)) - 1])


def close_statistics(closure_minutes: Sequence[int], slo_minutes: int) -> CloseStatistics:
    if not closure_minutes:
        return CloseStatistics()
    ordered = sorted(closure_minutes)
    return CloseStatistics(
        closed=len(ordered),
        minutes_sum=sum(ordered),
        p90_minutes=ordered[p90_rank(len(ordered)) - 1],
        within_slo=sum(1 for m in ordered if m <= slo_minutes),
    )


STATUS_RANK = {RowStatus.BREACHED: 0, RowStatus.OPEN: 1, RowStatus.CLOSED: 2}


def row_order_key(row: RecoveryRow) -> tuple[int, int, datetime, str, str]:
    """Report order: breached, open, closed; then failure count and age descending; then ids."""
    return (STATUS_RANK[row.status], -row.failure_count, row.generated_at, row.playbook_id, row.provider)


def compute_retry_recovery_report(
    *,
    report_id: str,
    now: datetime,
    recovery_slo_minutes: int,
    executions: Iterable[ExecutionFact],
    rows: Iterable[PlaybookRowFact],
    closures: Iterable[ClosureFact],
    row_limit: int = DEFAULT_ROW_LIMIT,
) -> RetryRecoveryReport:
    """The SLO report over evidence in memory: the rules stated plainly (the SQL must agree)."""
    slo = recovery_slo_minutes
    closures = list(closures)
    latest: dict[tuple[str, str], ClosureFact] = {}
    for closure in closures:
        key = (closure.playbook_id, closure.provider)
        current = latest.get(key)
        if current is None or (closure.closed_at, closure.sequence) > (current.closed_at, current.sequence):
            latest[key] = closure

    recovery_rows: list[RecoveryRow] = []
    for fact in rows:
        row_closure = latest.get((fact.playbook_id, fact.provider))
        state = row_closure.closure_state if row_closure else None
        status = row_status(generated_at=fact.generated_at, closure_state=state, now=now, slo_minutes=slo)
        recovery_rows.append(
            RecoveryRow(
                playbook_id=fact.playbook_id,
                provider=fact.provider,
                category=fact.category,
                generated_at=fact.generated_at,
                failure_count=fact.failure_count,
                status=status,
                age_minutes=whole_minutes(fact.generated_at, now),
                closure_state=state,
                closure_id=row_closure.closure_id if row_closure else None,
                closed_at=row_closure.closed_at if row_closure else None,
                closure_minutes=(
                    whole_minutes(fact.generated_at, row_closure.closed_at)
                    if row_closure and status is RowStatus.CLOSED
                    else None
                ),
            )
        )

    execution_counts: dict[str, Counter[str]] = defaultdict(Counter)
    latest_execution: dict[str, datetime] = {}
    for execution in executions:
        execution_counts[execution.provider][execution.execution_status] += 1
        previous = latest_execution.get(execution.provider)
        if previous is None or execution.executed_at > previous:
            latest_execution[execution.provider] = execution.executed_at
    closure_count: Counter[str] = Counter(c.provider for c in closures)
    latest_closure: dict[str, datetime] = {}
    for closure in closures:
        previous = latest_closure.get(closure.provider)
        if previous is None or closure.closed_at > previous:
            latest_closure[closure.provider] = closure.closed_at
    rows_by_provider: dict[str, list[RecoveryRow]] = defaultdict(list)
    for row in recovery_rows:
        rows_by_provider[row.provider].append(row)

    providers = sorted(set(execution_counts) | set(rows_by_provider) | set(closure_count))
    summaries = []
    for provider in providers:
        provider_rows = rows_by_provider.get(provider, [])
        counts = execution_counts.get(provider, Counter())
        stats = close_statistics(
            [r.closure_minutes for r in provider_rows if r.closure_minutes is not None], slo
        )
        summaries.append(
            ProviderRecoverySummary(
                provider=provider,
                category=min(
                    (r.category for r in provider_rows), default=category_for_provider(provider).value
                ),
                executions=sum(counts.values()),
                delivered=counts[ExecutionStatus.DELIVERED],
                failed=counts[ExecutionStatus.FAILED],
                skipped=counts[ExecutionStatus.SKIPPED],
                playbook_rows=len(provider_rows),
                closures=closure_count[provider],
                open=sum(1 for r in provider_rows if r.status is not RowStatus.CLOSED),
                breached=sum(1 for r in provider_rows if r.status is RowStatus.BREACHED),
                closed=sum(1 for r in provider_rows if r.status is RowStatus.CLOSED),
                latest_execution_at=latest_execution.get(provider),
                latest_closure_at=latest_closure.get(provider),
                mean_minutes_to_close=stats.mean,
                p90_minutes_to_close=stats.p90,
                slo_attainment=stats.attainment,
            )
        )
    overall = close_statistics(
        [r.closure_minutes for r in recovery_rows if r.closure_minutes is not None], slo
    )
    totals = build_totals(summaries, state_counts=Counter(c.closure_state for c in closures), overall=overall)

    day_states: dict[str, Counter[str]] = defaultdict(Counter)
    day_providers: dict[str, Counter[str]] = defaultdict(Counter)
    for closure in closures:
        day = closure.closed_at.astimezone(UTC).strftime("%Y-%m-%d")
        day_states[day][closure.closure_state] += 1
        day_providers[day][closure.provider] += 1
    trends = tuple(
        closure_trend_day(day, day_states[day], day_providers[day])
        for day in sorted(day_states, reverse=True)
    )
    ordered_rows = sorted(recovery_rows, key=row_order_key)
    return RetryRecoveryReport(
        report_id=report_id,
        generated_at=now,
        recovery_slo_minutes=slo,
        level=report_level(totals),
        totals=totals,
        provider_summaries=tuple(summaries),
        rows=tuple(ordered_rows[:row_limit]),
        rows_truncated=len(ordered_rows) > row_limit,
        closure_trends=trends,
    )


def plan_from_rows(
    report: RetryRecoveryReport,
    rows: Iterable[RecoveryRow],
    *,
    plan_id: str,
    generated_at: datetime,
    generated_by: str,
    receivers: ReceiverSelector = no_receivers,
) -> EscalationPlan:
    """The plan of in-memory rows in any order (the storage layer streams them in order instead)."""
    row_routes = sorted(
        (
            route_for_row(r, plan_id=plan_id, receivers=receivers)
            for r in rows
            if r.status is not RowStatus.CLOSED
        ),
        key=route_order_key,
    )
    retry = retry_execution_routes(report, plan_id=plan_id, receivers=receivers)
    return build_escalation_plan(
        report,
        ordered_routes(row_routes, retry),
        plan_id=plan_id,
        generated_at=generated_at,
        generated_by=generated_by,
    )
