"""Stored recovery escalation plans: built from the SLO report of an instant, routes one per table row.

A plan holds a route for EVERY breached and open row, however many: the rows are streamed from the
database in route order, merged with the retry-execution routes, and inserted in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.domain.errors import NotFound
from server.domain.escalation_plan import (
    EscalationPlan,
    EscalationRoute,
    ReceiverSelector,
    RouteSeverity,
    build_escalation_plan,
    no_receivers,
    ordered_routes,
    plan_content_digest,
    plan_document,
    plan_from_document,
    retry_execution_routes,
    route_for_row,
    stored_route,
)
from server.domain.paging import PageCursor, PageRequest
from server.domain.slo_report import AlertLevel, RetryRecoveryReport
from server.storage import reports as report_storage
from server.storage.models import EscalationPlanRecord, EscalationRouteRecord

_ROUTE_INSERT_BATCH = 2000


def receiver_selector(connector_config: Any) -> ReceiverSelector:
    """Routing policy lookups for routes (cached: many routes share severity, category and provider)."""
    if connector_config is None:
        return no_receivers

    @lru_cache(maxsize=4096)
    def select_receivers(severity: str, category: str, provider: str) -> tuple[str, ...]:
        return tuple(
            connector_config.receivers_for_route(severity=severity, category=category, provider=provider)
        )

    return select_receivers


def create_escalation_plan(
    session: Session,
    *,
    now: datetime,
    recovery_slo_minutes: int,
    generated_by: str,
    request_id: str | None = None,
    connector_config: Any = None,
) -> EscalationPlan:
    """Build and store the plan of `now` and its SLO report; a repeated `request_id` gives the first plan."""
    request_id = request_id or None
    if request_id is not None:
        existing = _plan_id_for_request(session, request_id)
        if existing is not None:
            return get_escalation_plan(session, plan_id=existing)
    report = report_storage.build_retry_recovery_report(
        session, now=now, recovery_slo_minutes=recovery_slo_minutes
    )
    return create_plan_for_report(
        session,
        report=report,
        now=now,
        generated_by=generated_by,
        connector_config=connector_config,
        request_id=request_id,
    )


def create_plan_for_report(
    session: Session,
    *,
    report: RetryRecoveryReport,
    now: datetime,
    generated_by: str,
    connector_config: Any = None,
    request_id: str | None = None,
    reuse_unchanged: bool = False,
) -> EscalationPlan:
    """Store the plan built from the stored `report` at instant `now`.

    With `reuse_unchanged` (executive reports), the latest stored plan for the same SLO is returned
    instead when its content is the same (`plan_content_digest`), so reports do not pile up plans.
    """
    plan_id = report_storage.new_id("plan")
    receivers = receiver_selector(connector_config)
    row_routes = (
        route_for_row(row, plan_id=plan_id, receivers=receivers)
        for row in report_storage.stream_escalating_rows(
            session, now=now, recovery_slo_minutes=report.recovery_slo_minutes
        )
    )
    routes = ordered_routes(row_routes, retry_execution_routes(report, plan_id=plan_id, receivers=receivers))
    plan = build_escalation_plan(report, routes, plan_id=plan_id, generated_at=now, generated_by=generated_by)
    digest = plan_content_digest(plan)
    if reuse_unchanged:
        latest = session.execute(
            select(EscalationPlanRecord.plan_id, EscalationPlanRecord.document)
            .where(EscalationPlanRecord.recovery_slo_minutes == plan.recovery_slo_minutes)
            .order_by(EscalationPlanRecord.id.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.document.get("content_digest") == digest:
            return get_escalation_plan(session, plan_id=latest.plan_id)
    record = EscalationPlanRecord(
        plan_id=plan.plan_id,
        request_id=request_id,
        generated_at=plan.generated_at,
        generated_by=plan.generated_by,
        alert_level=plan.alert_level.value,
        recovery_slo_minutes=plan.recovery_slo_minutes,
        recovery_report_id=plan.recovery_report_id,
        escalation_count=plan.escalation_count,
        document={**plan_document(plan), "content_digest": digest},
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # Another call with the same request_id committed first: its plan is the answer.
        if request_id is None:
            raise
        existing = _plan_id_for_request(session, request_id)
        if existing is None:
            raise
        return get_escalation_plan(session, plan_id=existing)
    _insert_routes(session, plan.plan_id, plan.routes)
    return plan


def _insert_routes(session: Session, plan_id: str, routes: Sequence[EscalationRoute]) -> None:
    for start in range(0, len(routes), _ROUTE_INSERT_BATCH):
        session.execute(
            insert(EscalationRouteRecord),
            [
                {
                    "plan_id": plan_id,
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
                for position, route in enumerate(routes[start : start + _ROUTE_INSERT_BATCH], start=start)
            ],
        )


def _plan_id_for_request(session: Session, request_id: str) -> str | None:
    return session.scalars(
        select(EscalationPlanRecord.plan_id).where(EscalationPlanRecord.request_id == request_id)
    ).first()


def _route_columns() -> tuple[Any, ...]:
    route = EscalationRouteRecord
    return (
        route.position,
        route.dedup_key,
        route.severity,
        route.category,
        route.provider,
        route.status,
        route.playbook_id,
        route.failure_count,
        route.age_minutes,
        route.receivers,
    )


def _stored_route(record: Any) -> EscalationRoute:
    return stored_route(
        dedup_key=record.dedup_key,
        severity=record.severity,
        category=record.category,
        provider=record.provider,
        status=record.status,
        playbook_id=record.playbook_id,
        failure_count=record.failure_count,
        age_minutes=record.age_minutes,
        receivers=record.receivers or (),
    )


def _plan_document(session: Session, plan_id: str) -> dict[str, Any]:
    document = session.scalars(
        select(EscalationPlanRecord.document).where(EscalationPlanRecord.plan_id == plan_id)
    ).first()
    if document is None:
        raise NotFound(f"escalation plan {plan_id!r} not found", metadata={"plan_id": plan_id})
    return dict(document)


def get_escalation_plan(session: Session, *, plan_id: str, route_limit: int | None = None) -> EscalationPlan:
    """A stored plan with its first `route_limit` routes in plan order (every route when None).

    `escalation_count` always counts every route, so `len(plan.routes) < plan.escalation_count`
    says the routes were cut off.
    """
    document = _plan_document(session, plan_id)
    statement = (
        select(*_route_columns())
        .where(EscalationRouteRecord.plan_id == plan_id)
        .order_by(EscalationRouteRecord.position)
    )
    if route_limit is not None:
        statement = statement.limit(route_limit)
    records = session.execute(statement.execution_options(yield_per=report_storage.STREAM_BATCH_ROWS))
    return plan_from_document(document, (_stored_route(record) for record in records))


@dataclass(frozen=True, slots=True)
class PlanFilter:
    alert_level: AlertLevel | None = None
    provider: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlanPage:
    plans: tuple[EscalationPlan, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_escalation_plans(
    session: Session, *, page: PageRequest, filters: PlanFilter | None = None
) -> PlanPage:
    """Stored plans, newest first, WITHOUT routes (counts only), keyset-paged on the surrogate id.

    A listing of 100 plans never reads 100 plans' routes: `list_escalation_routes` pages through them.
    """
    filters = filters or PlanFilter()
    plan = EscalationPlanRecord
    conditions: list[Any] = []
    if filters.alert_level is not None:
        conditions.append(plan.alert_level == filters.alert_level.value)
    if filters.provider:
        conditions.append(
            select(EscalationRouteRecord.id)
            .where(
                EscalationRouteRecord.plan_id == plan.plan_id,
                EscalationRouteRecord.provider == filters.provider,
            )
            .exists()
        )
    if filters.start_time is not None:
        conditions.append(plan.generated_at >= filters.start_time)
    if filters.end_time is not None:
        conditions.append(plan.generated_at < filters.end_time)
    total = session.scalar(select(func.count()).select_from(plan).where(*conditions)) or 0
    if page.after is not None:
        conditions.append(plan.id < page.after.row_id)
    records = session.execute(
        select(plan.id, plan.document).where(*conditions).order_by(plan.id.desc()).limit(page.page_size + 1)
    ).all()
    has_more = len(records) > page.page_size
    records = records[: page.page_size]
    plans = tuple(plan_from_document(r.document, ()) for r in records)
    next_cursor = PageCursor(records[-1].id) if has_more else None
    return PlanPage(plans=plans, next_cursor=next_cursor, total_size=int(total))


@dataclass(frozen=True, slots=True)
class RouteFilter:
    severity: RouteSeverity | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class RoutePage:
    routes: tuple[EscalationRoute, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def list_escalation_routes(
    session: Session,
    *,
    plan_id: str,
    page: PageRequest,
    filters: RouteFilter | None = None,
) -> RoutePage:
    """A stored plan's routes in plan order, keyset-paged on the route position."""
    filters = filters or RouteFilter()
    _plan_document(session, plan_id)
    route = EscalationRouteRecord
    conditions: list[Any] = [route.plan_id == plan_id]
    if filters.severity is not None:
        conditions.append(route.severity == filters.severity.value)
    if filters.provider:
        conditions.append(route.provider == filters.provider)
    total = session.scalar(select(func.count()).select_from(route).where(*conditions)) or 0
    if page.after is not None:
        conditions.append(route.position > page.after.row_id)
    records = session.execute(
        select(*_route_columns()).where(*conditions).order_by(route.position).limit(page.page_size + 1)
    ).all()
    has_more = len(records) > page.page_size
    records = records[: page.page_size]
    next_cursor = PageCursor(records[-1].position) if has_more else None
    return RoutePage(tuple(_stored_route(r) for r in records), next_cursor, int(total))
