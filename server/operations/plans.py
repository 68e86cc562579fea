"""Building and storing an escalation plan: SLO report of the instant → routes → receivers → plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.domain.escalation_plan import (
    EscalationPlan,
    ReceiverSelector,
    build_escalation_plan,
    no_receivers,
    ordered_routes,
    plan_content_digest,
    retry_execution_routes,
    route_for_row,
)
from cavra_recovery.server.domain.ids import new_id
from cavra_recovery.server.domain.slo_report import RetryRecoveryReport
from cavra_recovery.server.operations.idempotency import RequestKey, run_once
from cavra_recovery.server.operations.reports import slo_report
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage import reports as report_store
from cavra_recovery.server.storage.database import Database

M = TypeVar("M", bound=Message)


def receiver_selector(routing: ConnectorConfig | None) -> ReceiverSelector:
    """Routing policy lookups for routes (cached: many routes share severity, category and provider)."""
    if routing is None:
        return no_receivers

    @lru_cache(maxsize=4096)
    def select_receivers(severity: str, category: str, provider: str) -> tuple[str, ...]:
        return tuple(routing.receivers_for_route(severity=severity, category=category, provider=provider))

    return select_receivers


def create_plan(
    session: Session,
    *,
    now: datetime,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig | None = None,
) -> EscalationPlan:
    """Build and store the SLO report of `now` and the plan built from it."""
    report = slo_report(session, now=now, recovery_slo_minutes=recovery_slo_minutes)
    return plan_for_report(session, report=report, now=now, generated_by=generated_by, routing=routing)


def plan_for_report(
    session: Session,
    *,
    report: RetryRecoveryReport,
    now: datetime,
    generated_by: str,
    routing: ConnectorConfig | None = None,
    reuse_unchanged: bool = False,
) -> EscalationPlan:
    """Store the plan built from the stored `report` at instant `now`.

    With `reuse_unchanged` (executive reports), the latest stored plan for the same SLO is returned
    instead when its content is the same (`plan_content_digest`), so reports do not pile up plans.
    """
    plan_id = new_id("plan")
    receivers = receiver_selector(routing)
    row_routes = (
        route_for_row(row, plan_id=plan_id, receivers=receivers)
        for row in report_store.stream_escalating_rows(
            session, now=now, recovery_slo_minutes=report.recovery_slo_minutes
        )
    )
    routes = ordered_routes(row_routes, retry_execution_routes(report, plan_id=plan_id, receivers=receivers))
    plan = build_escalation_plan(report, routes, plan_id=plan_id, generated_at=now, generated_by=generated_by)
    digest = plan_content_digest(plan)
    if reuse_unchanged:
        latest = plan_store.latest_plan_digest(session, recovery_slo_minutes=plan.recovery_slo_minutes)
        if latest is not None and latest[1] == digest:
            return plan_store.get_escalation_plan(session, plan_id=latest[0])
    plan_store.store_escalation_plan(session, plan, content_digest=digest)
    return plan


async def create_plan_once(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig | None,
    respond: Callable[[EscalationPlan], M],
) -> M:
    """CreateRecoveryEscalationPlan: a new stored plan of `now`, once per request_id."""
    return await run_once(
        database,
        key,
        response_type,
        now=now,
        act=lambda session: respond(
            create_plan(
                session,
                now=now,
                recovery_slo_minutes=recovery_slo_minutes,
                generated_by=generated_by,
                routing=routing,
            )
        ),
    )
