"""The SLO report, plan and executive report rules, on evidence held in memory (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cavra_recovery.server.domain.escalation_plan import (
    REASON_BREACHED,
    REASON_OPEN,
    REASON_RETRY_EXECUTION,
    RouteCategory,
    RouteSeverity,
    RouteStatus,
    dedup_key,
)
from cavra_recovery.server.domain.evidence import category_for_provider
from cavra_recovery.server.domain.executive_report import (
    ACTION_DELIVER,
    ACTION_MONITOR,
    ACTION_REVIEW_TRENDS,
    IMPACT_ATTENTION,
    IMPACT_MONITORED,
    RISK_OPEN,
    RISK_RETRY_EXECUTION,
    RISK_SLO_BREACHED,
    build_executive_report,
    plan_counts_for,
    schedule_window,
)
from cavra_recovery.server.domain.slo_report import (
    AlertLevel,
    RetryRecoveryReport,
    RowStatus,
    breach_cutoff,
    normalize_recovery_slo_minutes,
    normalize_row_limit,
    report_content_digest,
    whole_minutes,
)
from tests.reports.slo_oracle import (
    ClosureFact,
    ExecutionFact,
    PlaybookRowFact,
    compute_retry_recovery_report,
    p90_nearest_rank,
    plan_from_rows,
)

NOW = datetime(2026, 3, 10, 12, 0, 30, 250_000, tzinfo=UTC)


def row(playbook_id: str, provider: str, age: timedelta, failure_count: int = 1) -> PlaybookRowFact:
    return PlaybookRowFact(
        playbook_id, provider, category_for_provider(provider).value, NOW - age, failure_count
    )


def closure(seq: int, playbook_id: str, provider: str, state: str, closed_at: datetime) -> ClosureFact:
    return ClosureFact(f"c{seq}", playbook_id, provider, state, closed_at, seq)


def report(
    *,
    rows: list[PlaybookRowFact] = (),  # type: ignore[assignment]
    closures: list[ClosureFact] = (),  # type: ignore[assignment]
    executions: list[ExecutionFact] = (),  # type: ignore[assignment]
    slo: int = 60,
    row_limit: int = 1000,
) -> RetryRecoveryReport:
    return compute_retry_recovery_report(
        report_id="rrr_test",
        now=NOW,
        recovery_slo_minutes=slo,
        executions=executions,
        rows=rows,
        closures=closures,
        row_limit=row_limit,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, 240),
        (0, 240),
        (-5, 1),
        (-(2**31), 1),
        (1, 1),
        (30, 30),
        (5_256_000, 5_256_000),
        (5_256_001, 5_256_000),
        (2**31 - 1, 5_256_000),
    ],
)
def test_slo_defaults_to_240_and_clamps_to_one_minute_and_ten_years(given: int | None, expected: int) -> None:
    assert normalize_recovery_slo_minutes(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"), [(0, 1000), (None, 1000), (5, 5), (10_000, 10_000), (50_000, 10_000)]
)
def test_row_limit_defaults_to_1000_and_caps_at_10000(given: int | None, expected: int) -> None:
    assert normalize_row_limit(given) == expected


def test_empty_history_is_healthy_with_null_rates_and_routine_monitoring() -> None:
    empty = report()
    assert empty.level is AlertLevel.HEALTHY
    assert empty.totals.success_rate is None
    assert empty.totals.mean_minutes_to_close is None
    assert empty.totals.p90_minutes_to_close is None
    assert empty.totals.slo_attainment is None
    plan = plan_from_rows(empty, empty.rows, plan_id="p", generated_at=NOW, generated_by="")
    assert plan.alert_level is AlertLevel.HEALTHY
    assert plan.routes == ()
    assert plan.executive_summary.closure_rate is None
    executive = build_executive_report(
        empty,
        plan_counts_for(empty),
        report_id="e",
        generated_at=NOW,
        generated_by="",
        escalation_plan_id="p",
    )
    assert executive.status is AlertLevel.HEALTHY
    assert executive.business_impact == IMPACT_MONITORED
    assert executive.key_risks == ()
    assert executive.recommended_actions == (ACTION_MONITOR, ACTION_REVIEW_TRENDS)
    assert executive.change is None


def test_age_exactly_the_slo_is_open_and_one_minute_older_is_breached() -> None:
    result = report(
        rows=[
            row("at-slo", "slack", timedelta(minutes=60, seconds=59)),
            row("older", "slack", timedelta(minutes=61)),
        ],
        slo=60,
    )
    statuses = {r.playbook_id: (r.status, r.age_minutes) for r in result.rows}
    assert statuses == {"at-slo": (RowStatus.OPEN, 60), "older": (RowStatus.BREACHED, 61)}
    assert result.level is AlertLevel.CRITICAL


def test_breach_cutoff_matches_whole_minute_ages() -> None:
    for seconds in range(59 * 60, 63 * 60, 7):
        generated_at = NOW - timedelta(seconds=seconds, microseconds=123)
        breached = whole_minutes(generated_at, NOW) > 60
        assert breached == (generated_at <= breach_cutoff(NOW, 60))


def test_negative_spans_count_as_zero_minutes() -> None:
    assert whole_minutes(NOW, NOW - timedelta(minutes=3)) == 0


@pytest.mark.parametrize("state", ["deferred", "escalated", "reopened"])
def test_non_closing_state_keeps_the_row_open_and_able_to_breach(state: str) -> None:
    rows = [row("fresh", "jira", timedelta(minutes=5)), row("stale", "jira", timedelta(minutes=90))]
    closures = [
        closure(1, "fresh", "jira", state, NOW - timedelta(minutes=1)),
        closure(2, "stale", "jira", state, NOW - timedelta(minutes=1)),
    ]
    result = report(rows=rows, closures=closures, slo=60)
    statuses = {r.playbook_id: r.status for r in result.rows}
    assert statuses == {"fresh": RowStatus.OPEN, "stale": RowStatus.BREACHED}
    assert all(r.closure_state == state for r in result.rows)
    assert result.totals.closed == 0


@pytest.mark.parametrize("state", ["resolved", "mitigated"])
def test_resolved_and_mitigated_close_the_row(state: str) -> None:
    result = report(
        rows=[row("pb", "slack", timedelta(minutes=500))],
        closures=[closure(1, "pb", "slack", state, NOW - timedelta(minutes=400))],
    )
    (closed,) = result.rows
    assert closed.status is RowStatus.CLOSED
    assert closed.closure_minutes == 100


def test_a_later_closure_overrides_an_earlier_one_whatever_the_recording_order() -> None:
    rows = [row("a", "slack", timedelta(minutes=500)), row("b", "slack", timedelta(minutes=500))]
    closures = [
        closure(1, "a", "slack", "resolved", NOW - timedelta(minutes=300)),
        closure(2, "a", "slack", "reopened", NOW - timedelta(minutes=100)),
        # Recorded first but closed later: still the latest for b.
        closure(3, "b", "slack", "mitigated", NOW - timedelta(minutes=50)),
        closure(4, "b", "slack", "reopened", NOW - timedelta(minutes=200)),
    ]
    result = report(rows=rows, closures=closures, slo=60)
    statuses = {r.playbook_id: (r.status, r.closure_state) for r in result.rows}
    assert statuses == {"a": (RowStatus.BREACHED, "reopened"), "b": (RowStatus.CLOSED, "mitigated")}


def test_closures_with_the_same_closed_at_resolve_to_the_one_recorded_last() -> None:
    at = NOW - timedelta(minutes=10)
    result = report(
        rows=[row("a", "slack", timedelta(minutes=20))],
        closures=[closure(1, "a", "slack", "resolved", at), closure(2, "a", "slack", "reopened", at)],
    )
    assert result.rows[0].closure_state == "reopened"


def test_provider_with_only_skipped_executions_gets_the_retry_execution_route() -> None:
    executions = [ExecutionFact("teams", "skipped", NOW), ExecutionFact("teams", "skipped", NOW)]
    result = report(executions=executions)
    assert result.level is AlertLevel.CRITICAL
    assert result.totals.success_rate == 0.0
    plan = plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="")
    (route,) = plan.routes
    assert (route.severity, route.category, route.status) == (
        RouteSeverity.CRITICAL,
        RouteCategory.RETRY_EXECUTION,
        RouteStatus.REVIEW_REQUIRED,
    )
    assert (route.provider, route.failure_count, route.reason, route.age_minutes) == (
        "teams",
        2,
        REASON_RETRY_EXECUTION,
        None,
    )


def test_delivered_executions_alone_give_no_route() -> None:
    result = report(executions=[ExecutionFact("slack", "delivered", NOW)])
    assert result.level is AlertLevel.HEALTHY
    assert result.totals.success_rate == 1.0
    assert plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="").routes == ()


def test_closed_rows_never_escalate() -> None:
    rows = [row("closed", "slack", timedelta(minutes=900)), row("open", "slack", timedelta(minutes=5))]
    closures = [closure(1, "closed", "slack", "resolved", NOW - timedelta(minutes=1))]
    result = report(rows=rows, closures=closures)
    plan = plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="")
    assert [r.playbook_id for r in plan.routes] == ["open"]
    assert plan.routes[0].reason == REASON_OPEN
    assert plan.alert_level is AlertLevel.WARNING


def test_two_failing_providers_are_ordered_by_failure_count() -> None:
    executions = [ExecutionFact("jira", "failed", NOW)] + [ExecutionFact("slack", "failed", NOW)] * 3
    result = report(executions=executions)
    plan = plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="")
    assert [(r.provider, r.failure_count) for r in plan.routes] == [("slack", 3), ("jira", 1)]


def test_routes_order_critical_first_then_failure_count_then_age() -> None:
    rows = [
        row("warn-big", "slack", timedelta(minutes=10), failure_count=99),
        row("breach-small-old", "jira", timedelta(minutes=500), failure_count=2),
        row("breach-small-new", "jira", timedelta(minutes=100), failure_count=2),
        row("breach-big", "webhook", timedelta(minutes=70), failure_count=5),
        row("warn-small", "teams", timedelta(minutes=20), failure_count=1),
    ]
    executions = [ExecutionFact("datadog", "failed", NOW)] * 3
    result = report(rows=rows, executions=executions, slo=60)
    plan = plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="")
    assert [(r.playbook_id or r.provider, r.severity.value) for r in plan.routes] == [
        ("breach-big", "critical"),
        ("datadog", "critical"),
        ("breach-small-old", "critical"),
        ("breach-small-new", "critical"),
        ("warn-big", "warning"),
        ("warn-small", "warning"),
    ]
    assert plan.routes[0].reason == REASON_BREACHED
    assert plan.slo_breached_count == 3
    assert plan.critical_escalation_count == 4
    assert plan.open_recovery_count == 2
    assert plan.selected_providers == ("datadog", "jira", "slack", "teams", "webhook")


def test_plan_counts_and_closure_rate() -> None:
    rows = [row(f"pb{i}", "slack", timedelta(minutes=30)) for i in range(4)]
    closures = [closure(1, "pb0", "slack", "resolved", NOW)]
    result = report(rows=rows, closures=closures, executions=[ExecutionFact("slack", "failed", NOW)])
    plan = plan_from_rows(result, result.rows, plan_id="p", generated_at=NOW, generated_by="me")
    summary = plan.executive_summary
    assert summary.closure_rate == 0.25
    assert (
        summary.tracked_providers,
        summary.executions,
        summary.failures,
        summary.open,
        summary.breached,
    ) == (
        1,
        1,
        1,
        3,
        0,
    )
    assert plan.failed_execution_count == 1
    assert plan.escalation_count == 4
    assert plan_counts_for(result).escalation_count == plan.escalation_count


def test_dedup_key_is_stable_per_plan_route_and_differs_between_routes() -> None:
    first = dedup_key(plan_id="p1", playbook_id="pb", provider="slack", category="chatops")
    assert first == dedup_key(plan_id="p1", playbook_id="pb", provider="slack", category="chatops")
    assert first != dedup_key(plan_id="p2", playbook_id="pb", provider="slack", category="chatops")
    assert first != dedup_key(plan_id="p1", playbook_id="pb", provider="jira", category="itsm")


def test_level_is_warning_with_only_open_rows() -> None:
    assert report(rows=[row("pb", "slack", timedelta(minutes=1))]).level is AlertLevel.WARNING


def test_executive_report_key_risks_order_and_wording() -> None:
    rows = [row("breached", "slack", timedelta(minutes=90)), row("open", "jira", timedelta(minutes=5))]
    executions = [ExecutionFact("webhook", "failed", NOW), ExecutionFact("webhook", "skipped", NOW)]
    result = report(rows=rows, executions=executions, slo=60)
    executive = build_executive_report(
        result,
        plan_counts_for(result),
        report_id="e",
        generated_at=NOW,
        generated_by="",
        escalation_plan_id="p",
    )
    assert [(r.severity.value, r.title, r.count) for r in executive.key_risks] == [
        ("critical", RISK_RETRY_EXECUTION, 2),
        ("critical", RISK_SLO_BREACHED, 1),
        ("warning", RISK_OPEN, 1),
    ]
    assert executive.business_impact == IMPACT_ATTENTION
    assert executive.recommended_actions == (
        ACTION_DELIVER,
        "verify recovery closure evidence for failed providers: webhook",
        ACTION_REVIEW_TRENDS,
    )
    assert executive.status is AlertLevel.CRITICAL


def test_open_only_history_is_monitored_but_still_delivers() -> None:
    result = report(rows=[row("open", "jira", timedelta(minutes=5))])
    executive = build_executive_report(
        result,
        plan_counts_for(result),
        report_id="e",
        generated_at=NOW,
        generated_by="",
        escalation_plan_id="p",
    )
    assert executive.status is AlertLevel.WARNING
    assert executive.business_impact == IMPACT_MONITORED
    assert [r.title for r in executive.key_risks] == [RISK_OPEN]
    assert executive.recommended_actions == (ACTION_DELIVER, ACTION_REVIEW_TRENDS)


def test_mttr_mean_p90_nearest_rank_and_slo_attainment() -> None:
    minutes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200]
    rows = [row(f"pb{i}", "slack", timedelta(minutes=1000)) for i in range(len(minutes))]
    closures = [
        closure(i, f"pb{i}", "slack", "resolved", NOW - timedelta(minutes=1000) + timedelta(minutes=m))
        for i, m in enumerate(minutes)
    ]
    result = report(rows=rows, closures=closures, slo=60)
    totals = result.totals
    assert totals.mean_minutes_to_close == sum(minutes) / len(minutes)
    # Nearest rank: ceil(0.9 * 11) = 10th smallest.
    assert totals.p90_minutes_to_close == 100.0
    assert totals.slo_attainment == 6 / 11
    (summary,) = result.provider_summaries
    assert (summary.mean_minutes_to_close, summary.p90_minutes_to_close, summary.slo_attainment) == (
        totals.mean_minutes_to_close,
        totals.p90_minutes_to_close,
        totals.slo_attainment,
    )


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), ([7], 7.0), ([1, 2], 2.0), (list(range(1, 11)), 9.0)]
)
def test_p90_nearest_rank(values: list[int], expected: float | None) -> None:
    assert p90_nearest_rank(values) == expected


def test_closure_trends_are_per_utc_day_newest_first_with_state_and_provider_counts() -> None:
    day1 = datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC)
    day2 = datetime(2026, 3, 9, 0, 0, 1, tzinfo=UTC)
    rows = [row("a", "slack", timedelta(days=5)), row("b", "jira", timedelta(days=5))]
    closures = [
        closure(1, "a", "slack", "deferred", day1),
        closure(2, "a", "slack", "resolved", day2),
        closure(3, "b", "jira", "resolved", day2),
    ]
    trends = report(rows=rows, closures=closures).closure_trends
    assert [(t.day, t.total) for t in trends] == [("2026-03-09", 2), ("2026-03-08", 1)]
    assert trends[0].state_counts == (("resolved", 2),)
    assert trends[0].provider_counts == (("jira", 1), ("slack", 1))
    assert trends[1].state_counts == (("deferred", 1),)


def test_rows_list_breached_then_open_then_closed_and_truncate_to_the_limit() -> None:
    rows = [
        row("closed", "slack", timedelta(minutes=900), failure_count=50),
        row("open", "slack", timedelta(minutes=5)),
        row("breached", "slack", timedelta(minutes=300)),
    ]
    closures = [closure(1, "closed", "slack", "resolved", NOW)]
    full = report(rows=rows, closures=closures)
    assert [r.playbook_id for r in full.rows] == ["breached", "open", "closed"]
    assert not full.rows_truncated
    limited = report(rows=rows, closures=closures, row_limit=2)
    assert [r.playbook_id for r in limited.rows] == ["breached", "open"]
    assert limited.rows_truncated
    assert limited.totals.rows == 3


def test_content_digest_ignores_ages_but_not_status_changes() -> None:
    rows = [row("pb", "slack", timedelta(minutes=10))]
    earlier = report(rows=rows, slo=60)
    later_same = compute_retry_recovery_report(
        report_id="other",
        now=NOW + timedelta(minutes=20),
        recovery_slo_minutes=60,
        executions=[],
        rows=rows,
        closures=[],
    )
    later_breached = compute_retry_recovery_report(
        report_id="other",
        now=NOW + timedelta(minutes=120),
        recovery_slo_minutes=60,
        executions=[],
        rows=rows,
        closures=[],
    )
    assert report_content_digest(earlier) == report_content_digest(later_same)
    assert report_content_digest(earlier) != report_content_digest(later_breached)


def test_schedule_windows_align_to_utc_midnight_for_a_day() -> None:
    start, end = schedule_window(NOW, 1440)
    assert (start, end) == (datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC))
    assert schedule_window(datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC), 1440)[0] == start
    assert schedule_window(NOW, 60)[0] == datetime(2026, 3, 10, 12, tzinfo=UTC)
