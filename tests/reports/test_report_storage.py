"""SLO report, plans, executive reports, schedule runs and dashboard through SQL, on SQLite and PostgreSQL.

Every test runs on both databases (the `database` fixture); the SQL results are held to the in-memory
reference (`tests.reports.slo_oracle`), so both databases give identical results.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cavra_recovery.connectors.config import parse_connector_config
from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.paging import DEFAULT_PAGE_SIZE, PageRequest
from cavra_recovery.server.domain.slo_report import AlertLevel, RetryRecoveryReport, RowStatus
from cavra_recovery.server.operations import plans as plan_operations
from cavra_recovery.server.operations import reports as report_operations
from cavra_recovery.server.operations.executive_reports import executive_report
from cavra_recovery.server.operations.schedule import run_schedule_window
from cavra_recovery.server.storage import dashboard, executive_reports, plans, reports, schedule
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.models import (
    DeliveryRecord,
    DeliveryRequestRecord,
    EscalationPlanRecord,
    EscalationRouteRecord,
    ExecutiveReportRecord,
    RetryRecoveryReportRecord,
)
from tests.reports.evidence_rows import CANARY, add_closure, add_execution, add_playbook, evidence_facts
from tests.reports.slo_oracle import compute_retry_recovery_report, plan_from_rows

NOW = datetime(2026, 3, 10, 12, 0, 30, 250_000, tzinfo=UTC)
PROVIDERS = ["slack", "jira", "webhook", "pagerduty", "splunk", "custom-hook", "Zeta", "émail"]
STATES = ["resolved", "mitigated", "deferred", "escalated", "reopened"]
FIRST_PAGE = PageRequest(DEFAULT_PAGE_SIZE)
T = TypeVar("T")


def run(database: Database, work: Callable[[Session], T]) -> T:
    return database.run_sync(work)


def seed_random_evidence(session: Session, seed: int, *, playbooks: int = 60) -> None:
    """Mixed evidence with the edges the rules care about: SLO boundaries, equal closed_at, orphans."""
    rng = random.Random(seed)
    for i in range(playbooks * 2):
        add_execution(
            session,
            f"e{i}",
            rng.choice(PROVIDERS),
            rng.choice(["delivered", "delivered", "failed", "skipped"]),
            NOW - timedelta(minutes=rng.randint(0, 20_000), microseconds=rng.randint(0, 999_999)),
        )
    closure_number = 0
    for i in range(playbooks):
        # Ages straddle the 60-minute SLO to the microsecond.
        age = rng.choice(
            [
                timedelta(minutes=60, seconds=59, microseconds=999_999),
                timedelta(minutes=61),
                timedelta(
                    minutes=rng.randint(0, 5000),
                    seconds=rng.randint(0, 59),
                    microseconds=rng.randint(0, 999_999),
                ),
            ]
        )
        generated_at = NOW - age
        providers = rng.sample(PROVIDERS, rng.randint(1, 3))
        add_playbook(session, f"pb{i:03d}", generated_at, [(p, rng.randint(0, 4)) for p in providers])
        for provider in providers:
            for _ in range(rng.randint(0, 3)):
                closure_number += 1
                closed_at = generated_at + timedelta(minutes=rng.randint(-5, 400), seconds=rng.randint(0, 59))
                add_closure(
                    session, f"c{closure_number}", f"pb{i:03d}", provider, rng.choice(STATES), closed_at
                )
            if rng.random() < 0.1:
                # Two closures at the same instant: the one recorded last wins.
                tie = generated_at + timedelta(minutes=30)
                closure_number += 2
                add_closure(session, f"c{closure_number - 1}", f"pb{i:03d}", provider, "resolved", tie)
                add_closure(session, f"c{closure_number}", f"pb{i:03d}", provider, "reopened", tie)
    # A closure for a provider the playbook does not list counts as a closure, never as a row.
    add_closure(session, "orphan", "pb000", "teams", "resolved", NOW - timedelta(minutes=3))


def reference(
    session: Session, *, slo: int, row_limit: int = 1000, now: datetime = NOW
) -> RetryRecoveryReport:
    executions, rows, closures = evidence_facts(session)
    return compute_retry_recovery_report(
        report_id="reference",
        now=now,
        recovery_slo_minutes=slo,
        executions=executions,
        rows=rows,
        closures=closures,
        row_limit=row_limit,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_report_equals_the_reference_rules(database: Database, seed: int) -> None:
    run(database, lambda s: seed_random_evidence(s, seed))

    def compare(session: Session) -> None:
        for slo, row_limit in ((60, 1000), (1, 7), (240, 1000)):
            expected = reference(session, slo=slo, row_limit=row_limit)
            actual = reports.compute_retry_recovery_report(
                session, now=NOW, recovery_slo_minutes=slo, row_limit=row_limit, report_id="reference"
            )
            assert actual.totals == expected.totals
            assert actual.provider_summaries == expected.provider_summaries
            assert actual.closure_trends == expected.closure_trends
            assert actual.rows == expected.rows
            assert actual == expected

    run(database, compare)


def test_sql_plan_routes_equal_the_reference_plan(database: Database) -> None:
    run(database, lambda s: seed_random_evidence(s, 7))

    def compare(session: Session) -> None:
        plan = plan_operations.create_plan(session, now=NOW, recovery_slo_minutes=60, generated_by="ops")
        stored_report = reports.get_retry_recovery_report(session, report_id=plan.recovery_report_id)
        everything = reference(session, slo=60, row_limit=1_000_000)
        expected = plan_from_rows(
            replace(everything, report_id=stored_report.report_id),
            everything.rows,
            plan_id=plan.plan_id,
            generated_at=NOW,
            generated_by="ops",
        )
        assert plan == expected
        assert plan.escalation_count == everything.totals.open + len(everything.failed_providers)
        assert plans.get_escalation_plan(session, plan_id=plan.plan_id) == plan

    run(database, compare)


def test_plan_includes_a_route_for_every_open_row_beyond_the_row_limit(database: Database) -> None:
    def seed(session: Session) -> None:
        for i in range(1200):
            add_playbook(session, f"pb{i:04d}", NOW - timedelta(minutes=i % 300), [("slack", i % 5)])

    run(database, seed)
    plan = run(
        database,
        lambda s: plan_operations.create_plan(s, now=NOW, recovery_slo_minutes=100, generated_by=""),
    )
    assert plan.escalation_count == len(plan.routes) == 1200
    report = run(database, lambda s: reports.get_retry_recovery_report(s, report_id=plan.recovery_report_id))
    assert len(report.rows) == 1000
    assert report.rows_truncated
    assert report.totals.rows == 1200


def test_unchanged_slo_report_links_the_stored_id_but_answers_fresh_ages(database: Database) -> None:
    run(database, lambda s: add_playbook(s, "pb", NOW - timedelta(minutes=10), [("slack", 1)]))
    first = run(database, lambda s: report_operations.slo_report(s, now=NOW, recovery_slo_minutes=60))
    later = NOW + timedelta(minutes=30)
    again = run(database, lambda s: report_operations.slo_report(s, now=later, recovery_slo_minutes=60))
    assert again.report_id == first.report_id
    assert again.generated_at == later
    assert [row.age_minutes for row in again.rows] == [40]
    assert [row.age_minutes for row in first.rows] == [10]
    assert replace(again, generated_at=NOW, rows=first.rows) == first
    assert run(database, lambda s: s.scalar(select(func.count()).select_from(RetryRecoveryReportRecord))) == 1
    breached = run(
        database,
        lambda s: report_operations.slo_report(s, now=NOW + timedelta(hours=2), recovery_slo_minutes=60),
    )
    assert breached.report_id != first.report_id
    assert breached.totals.breached == 1
    assert run(database, lambda s: reports.get_retry_recovery_report(s, report_id=first.report_id)) == first
    with pytest.raises(NotFound):
        run(database, lambda s: reports.get_retry_recovery_report(s, report_id="rrr_missing"))


def test_executive_report_is_stored_once_until_something_changes(database: Database) -> None:
    run(database, lambda s: add_playbook(s, "pb", NOW - timedelta(minutes=10), [("webhook", 3)]))

    def build(now: datetime) -> Any:
        return run(
            database,
            lambda s: executive_report(s, now=now, recovery_slo_minutes=60, generated_by="exec"),
        )

    first = build(NOW)
    assert first.change is None
    assert build(NOW + timedelta(minutes=1)).report_id == first.report_id
    assert run(database, lambda s: s.query(ExecutiveReportRecord).count()) == 1
    assert run(database, lambda s: s.query(EscalationPlanRecord).count()) == 1

    run(database, lambda s: add_execution(s, "x1", "slack", "failed", NOW))
    second = build(NOW + timedelta(minutes=2))
    assert second.report_id != first.report_id
    assert second.change is not None
    assert second.change.previous_report_id == first.report_id
    assert second.change.previous_status is AlertLevel.WARNING
    assert (second.change.failures_delta, second.change.escalations_delta) == (1, 1)
    assert second.status is AlertLevel.CRITICAL
    # Every id the report links to resolves.
    plan = run(database, lambda s: plans.get_escalation_plan(s, plan_id=second.escalation_plan_id))
    assert plan.recovery_report_id == second.recovery_report_id
    assert plan.escalation_count == second.escalation_count == 2
    run(database, lambda s: reports.get_retry_recovery_report(s, report_id=second.recovery_report_id))
    assert (
        run(database, lambda s: executive_reports.get_executive_report(s, report_id=second.report_id))
        == second
    )


def test_mttr_and_attainment_delta_against_the_previous_report(database: Database) -> None:
    def seed(session: Session) -> None:
        add_playbook(session, "a", NOW - timedelta(hours=10), [("jira", 1)])
        add_playbook(session, "b", NOW - timedelta(hours=10), [("jira", 1)])
        add_closure(session, "c1", "a", "jira", "resolved", NOW - timedelta(hours=10) + timedelta(minutes=30))

    run(database, seed)
    build = lambda: run(  # noqa: E731
        database,
        lambda s: executive_report(s, now=NOW, recovery_slo_minutes=60, generated_by=""),
    )
    first = build()
    assert (first.totals.mean_minutes_to_close, first.totals.slo_attainment) == (30.0, 1.0)
    run(
        database,
        lambda s: add_closure(
            s, "c2", "b", "jira", "mitigated", NOW - timedelta(hours=10) + timedelta(minutes=130)
        ),
    )
    second = build()
    assert second.change is not None
    assert second.change.mean_minutes_to_close_delta == 50.0
    assert second.change.slo_attainment_delta == -0.5
    assert second.change.open_delta == -1


def test_an_unknown_plan_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        run(database, lambda s: plans.get_escalation_plan(s, plan_id="plan_missing"))


def test_routes_get_receivers_from_the_routing_policy(database: Database) -> None:
    config = parse_connector_config(
        {
            "receivers": [
                {
                    "name": "ops-webhook",
                    "provider": "webhook",
                    "url": "https://hooks.example.com/x",
                    "secret_env": "S",
                },
                {"name": "chat", "provider": "slack", "url_env": "SLACK_URL"},
            ],
            "routing": {
                "default": "ops-webhook",
                "rules": [{"match": {"severity": "critical"}, "receivers": ["chat"]}],
            },
        },
        source=Path("connectors.yaml"),
        environ={
            "S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "SLACK_URL": "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
        },
    )

    def seed(session: Session) -> None:
        add_playbook(session, "old", NOW - timedelta(hours=5), [("webhook", 1)])
        add_playbook(session, "new", NOW - timedelta(minutes=5), [("webhook", 1)])
        add_execution(session, "x", "slack", "failed", NOW)

    run(database, seed)
    plan = run(
        database,
        lambda s: plan_operations.create_plan(
            s, now=NOW, recovery_slo_minutes=60, generated_by="", routing=config
        ),
    )
    receivers = {(r.playbook_id, r.provider): r.receivers for r in plan.routes}
    assert receivers == {
        ("old", "webhook"): ("chat",),
        ("", "slack"): ("chat", "ops-webhook"),
        ("new", "webhook"): ("ops-webhook", "chat"),
    }
    assert run(database, lambda s: plans.get_escalation_plan(s, plan_id=plan.plan_id)) == plan


def test_list_plans_pages_newest_first_and_filters(database: Database) -> None:
    run(database, lambda s: add_playbook(s, "pb", NOW - timedelta(minutes=10), [("jira", 1)]))
    created = []
    for i in range(5):
        created.append(
            run(
                database,
                lambda s, i=i: plan_operations.create_plan(
                    s, now=NOW + timedelta(hours=i), recovery_slo_minutes=60, generated_by=""
                ),
            )
        )
    run(database, lambda s: add_execution(s, "x", "slack", "skipped", NOW))
    critical = run(
        database,
        lambda s: plan_operations.create_plan(
            s, now=NOW + timedelta(hours=9), recovery_slo_minutes=600, generated_by=""
        ),
    )
    page1 = run(database, lambda s: plans.list_escalation_plans(s, page=PageRequest(4)))
    assert [p.plan_id for p in page1.plans] == [critical.plan_id, *[p.plan_id for p in reversed(created)][:3]]
    assert page1.total_size == 6
    page2 = run(
        database, lambda s: plans.list_escalation_plans(s, page=PageRequest(4, after=page1.next_cursor))
    )
    assert [p.plan_id for p in page2.plans] == [created[1].plan_id, created[0].plan_id]
    assert page2.next_cursor is None

    by_level = run(
        database,
        lambda s: plans.list_escalation_plans(
            s, page=FIRST_PAGE, filters=plans.PlanFilter(alert_level=AlertLevel.CRITICAL)
        ),
    )
    # Only the first plan saw the jira row before it breached: it alone is a warning.
    assert [p.plan_id for p in by_level.plans] == [critical.plan_id] + [
        p.plan_id for p in reversed(created[1:])
    ]
    assert all(p.alert_level is AlertLevel.CRITICAL for p in by_level.plans)
    by_provider = run(
        database,
        lambda s: plans.list_escalation_plans(s, page=FIRST_PAGE, filters=plans.PlanFilter(provider="slack")),
    )
    assert [p.plan_id for p in by_provider.plans] == [critical.plan_id]
    window = plans.PlanFilter(start_time=NOW + timedelta(hours=1), end_time=NOW + timedelta(hours=3))
    by_time = run(database, lambda s: plans.list_escalation_plans(s, page=FIRST_PAGE, filters=window))
    assert [p.plan_id for p in by_time.plans] == [created[2].plan_id, created[1].plan_id]


def test_schedule_runs_once_per_window_even_when_replicas_race(database: Database) -> None:
    run(database, lambda s: add_playbook(s, "pb", NOW - timedelta(minutes=10), [("jira", 1)]))

    def run_schedule(now: datetime) -> schedule.ScheduleRunOutcome:
        return run(
            database,
            lambda s: run_schedule_window(
                s, now=now, interval_minutes=1440, recovery_slo_minutes=60, generated_by="scheduler"
            ),
        )

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(run_schedule, [NOW + timedelta(minutes=i) for i in range(6)]))
    assert sum(o.created for o in outcomes) == 1
    assert len({o.run.run_id for o in outcomes}) == 1
    run_ = outcomes[0].run
    assert (run_.window_start, run_.window_end) == (
        datetime(2026, 3, 10, tzinfo=UTC),
        datetime(2026, 3, 11, tzinfo=UTC),
    )
    run(database, lambda s: executive_reports.get_executive_report(s, report_id=run_.report_id))

    tomorrow = run_schedule(NOW + timedelta(days=1))
    assert tomorrow.created
    page = run(database, lambda s: schedule.list_schedule_runs(s, page=PageRequest(1)))
    assert [r.run_id for r in page.runs] == [tomorrow.run.run_id]
    assert page.total_size == 2
    rest = run(
        database, lambda s: schedule.list_schedule_runs(s, page=PageRequest(1, after=page.next_cursor))
    )
    assert [r.run_id for r in rest.runs] == [run_.run_id]


def test_dashboard_counts_everything(database: Database) -> None:
    def seed(session: Session) -> None:
        add_playbook(session, "pb", NOW - timedelta(minutes=500), [("jira", 1), ("slack", 2)])
        add_closure(session, "c", "pb", "jira", "resolved", NOW)
        add_execution(session, "ok", "jira", "delivered", NOW)
        add_execution(session, "bad", "jira", "failed", NOW)
        add_execution(session, "skip", "jira", "skipped", NOW)

    run(database, seed)
    plan = run(
        database, lambda s: plan_operations.create_plan(s, now=NOW, recovery_slo_minutes=60, generated_by="")
    )

    def deliveries(session: Session) -> None:
        session.add(DeliveryRequestRecord(delivery_evidence_id="ev", plan_id=plan.plan_id, created_at=NOW))
        session.flush()
        for name, state in (("a", "delivered"), ("b", "dead_lettered"), ("c", "retrying"), ("d", "pending")):
            session.add(
                DeliveryRecord(
                    delivery_id=f"d-{name}",
                    delivery_evidence_id="ev",
                    plan_id=plan.plan_id,
                    receiver=name,
                    provider="webhook",
                    state=state,
                    max_attempts=3,
                    notification={},
                    created_at=NOW,
                    updated_at=NOW,
                )
            )

    run(database, deliveries)
    counts = run(database, lambda s: dashboard.rollback_drill_dashboard(s.connection(), now=NOW))
    assert counts.escalation_plans == 1
    assert counts.escalation_routes == 2 == plan.escalation_count
    assert (counts.retry_recovery_reports, counts.executive_reports, counts.schedule_runs) == (1, 0, 0)
    assert (counts.playbooks, counts.closures) == (1, 1)
    assert (counts.retry_executions_ok, counts.retry_executions_failed) == (1, 2)
    assert (counts.deliveries_ok, counts.deliveries_failed, counts.dead_letters) == (1, 2, 1)


def test_stored_documents_hold_no_free_text(database: Database) -> None:
    run(database, lambda s: seed_random_evidence(s, 11, playbooks=20))
    run(
        database,
        lambda s: executive_report(s, now=NOW, recovery_slo_minutes=60, generated_by="exec"),
    )
    run(
        database,
        lambda s: run_schedule_window(
            s, now=NOW + timedelta(days=2), interval_minutes=1440, recovery_slo_minutes=60, generated_by=""
        ),
    )

    def stored(session: Session) -> str:
        documents: list[Any] = []
        for model in (RetryRecoveryReportRecord, EscalationPlanRecord, ExecutiveReportRecord):
            documents += [r.document for r in session.scalars(select(model))]
        documents += [
            [r.dedup_key, r.provider, r.playbook_id, r.receivers]
            for r in session.scalars(select(EscalationRouteRecord))
        ]
        return json.dumps(documents)

    text = run(database, stored)
    assert "pb000" in text
    assert CANARY not in text


def test_rows_listed_in_status_order(database: Database) -> None:
    def seed(session: Session) -> None:
        add_playbook(session, "closed", NOW - timedelta(minutes=900), [("jira", 9)])
        add_closure(session, "c", "closed", "jira", "resolved", NOW)
        add_playbook(session, "open", NOW - timedelta(minutes=5), [("jira", 1)])
        add_playbook(session, "breached", NOW - timedelta(minutes=300), [("jira", 1)])

    run(database, seed)
    report = run(database, lambda s: report_operations.slo_report(s, now=NOW, recovery_slo_minutes=60))
    assert [(r.playbook_id, r.status) for r in report.rows] == [
        ("breached", RowStatus.BREACHED),
        ("open", RowStatus.OPEN),
        ("closed", RowStatus.CLOSED),
    ]
    assert report.rows[2].closure_minutes == 900


def test_executive_report_links_the_unchanged_plan_instead_of_storing_another(database: Database) -> None:
    run(database, lambda s: add_playbook(s, "pb", NOW - timedelta(minutes=5), [("webhook", 1)]))
    plan = run(
        database,
        lambda s: plan_operations.create_plan(s, now=NOW, recovery_slo_minutes=1, generated_by="rm"),
    )
    executive = run(
        database,
        lambda s: executive_report(
            s, now=NOW + timedelta(seconds=20), recovery_slo_minutes=1, generated_by="exec"
        ),
    )
    assert executive.escalation_plan_id == plan.plan_id
    assert executive.recovery_report_id == plan.recovery_report_id
    counts = run(database, lambda s: dashboard.rollback_drill_dashboard(s.connection(), now=NOW))
    assert (counts.escalation_plans, counts.escalation_routes, counts.executive_reports) == (1, 1, 1)
    assert counts.retry_recovery_reports == 1
