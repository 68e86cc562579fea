"""Route writes of a plan: storing a plan with many routes through the server's own storage function
(`store_escalation_plan`, in one transaction, as CreateRecoveryEscalationPlan does), compared with a bare
Core `insert()` of the same plan row and route rows in one executemany. In process, on SQLite; each
side timed as the best of 3 with a new plan id each time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from bench.harness import scratch_directory
from bench.results import Results, stopwatch
from bench.scale import Scale
from bench.seed import PROVIDERS
from cavra_recovery.server.domain.escalation_plan import (
    EscalationPlan,
    EscalationRoute,
    PlanExecutiveSummary,
    RouteCategory,
    RouteSeverity,
    RouteStatus,
    dedup_key,
)
from cavra_recovery.server.domain.slo_report import AlertLevel
from cavra_recovery.server.storage.database import create_database_engine
from cavra_recovery.server.storage.migrate import migrate
from cavra_recovery.server.storage.models import (
    EscalationPlanRecord,
    EscalationRouteRecord,
    RetryRecoveryReportRecord,
)
from cavra_recovery.server.storage.plans import store_escalation_plan

RUNS = 3


def plan_with_routes(count: int) -> EscalationPlan:
    providers = list(PROVIDERS.items())
    routes = tuple(
        EscalationRoute(
            dedup_key=dedup_key(
                plan_id="bench",
                playbook_id=f"pb-{i // 2:07d}",
                provider=providers[i % 10][0],
                category=providers[i % 10][1],
            ),
            severity=RouteSeverity.CRITICAL if i % 3 else RouteSeverity.WARNING,
            category=RouteCategory(providers[i % 10][1]),
            provider=providers[i % 10][0],
            status=RouteStatus.BREACHED if i % 3 else RouteStatus.OPEN,
            playbook_id=f"pb-{i // 2:07d}",
            failure_count=1 + i % 20,
            age_minutes=10_000 + i,
            reason="recovery SLO breached",
            action="page the release owner and require executive visibility",
            receivers=("pagerduty-primary",),
        )
        for i in range(count)
    )
    return EscalationPlan(
        plan_id="bench",
        generated_at=datetime.now(UTC),
        generated_by="bench",
        alert_level=AlertLevel.CRITICAL,
        recovery_slo_minutes=240,
        recovery_report_id="report-bench",
        escalation_count=count,
        critical_escalation_count=count * 2 // 3,
        slo_breached_count=count * 2 // 3,
        failed_execution_count=0,
        open_recovery_count=count,
        provider_count=10,
        selected_providers=tuple(PROVIDERS),
        routes=routes,
        executive_summary=PlanExecutiveSummary(
            status=AlertLevel.CRITICAL,
            tracked_providers=10,
            executions=0,
            failures=0,
            open=count,
            breached=count * 2 // 3,
            closure_rate=None,
        ),
    )


def bare_rows(plan: EscalationPlan) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    plan_row = {
        "plan_id": plan.plan_id,
        "request_id": None,
        "generated_at": plan.generated_at,
        "generated_by": plan.generated_by,
        "alert_level": plan.alert_level.value,
        "recovery_slo_minutes": plan.recovery_slo_minutes,
        "recovery_report_id": plan.recovery_report_id,
        "escalation_count": plan.escalation_count,
        "document": {"plan_id": plan.plan_id},
    }
    routes = [
        {
            "plan_id": plan.plan_id,
            "position": position,
            "dedup_key": route.dedup_key,
            "severity": route.severity.value,
            "category": route.category.value,
            "provider": route.provider,
            "status": route.status.value,
            "playbook_id": route.playbook_id,
            "failure_count": route.failure_count,
            "age_minutes": route.age_minutes,
            "receivers": list(route.receivers),
        }
        for position, route in enumerate(plan.routes)
    ]
    return plan_row, routes


def main(results: Results, scale: Scale) -> None:
    plan = plan_with_routes(scale.plan_routes)
    plans: Table = EscalationPlanRecord.__table__  # type: ignore[assignment]
    routes: Table = EscalationRouteRecord.__table__  # type: ignore[assignment]
    with scratch_directory() as scratch:
        url = f"sqlite:///{scratch / 'routes.db'}"
        migrate(url)
        engine = create_database_engine(url)
        with engine.begin() as connection:  # the report every plan refers to
            connection.execute(
                insert(RetryRecoveryReportRecord.__table__),
                [
                    {
                        "report_id": plan.recovery_report_id,
                        "generated_at": plan.generated_at,
                        "recovery_slo_minutes": 240,
                        "level": "critical",
                        "content_digest": "0" * 64,
                        "document": {},
                    }
                ],
            )
        stored, bare = float("inf"), float("inf")
        for run in range(RUNS):
            ours = dataclasses.replace(plan, plan_id=f"plan-ours-{run}")
            with stopwatch() as elapsed, Session(engine) as session, session.begin():
                store_escalation_plan(session, ours, content_digest="0" * 64)
            stored = min(stored, elapsed())
            plan_row, route_rows = bare_rows(dataclasses.replace(plan, plan_id=f"plan-bare-{run}"))
            with stopwatch() as elapsed, engine.begin() as connection:
                connection.execute(insert(plans), [plan_row])
                connection.execute(insert(routes), route_rows)
            bare = min(bare, elapsed())
        engine.dispose()
    print(f"  store_escalation_plan {stored * 1000:,.0f} ms, bare insert {bare * 1000:,.0f} ms", flush=True)
    count = len(plan.routes)
    results.record(
        f"route writes of a {count:,}-route plan (SQLite)",
        count / stored,
        "routes/s",
        target=">= 0.6 x",
        better="higher",
        baseline="bare Core insert() of the same rows",
        baseline_value=count / bare,
    )
