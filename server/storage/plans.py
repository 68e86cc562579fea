"""Stored recovery escalation plans: built from the SLO report of an instant, routes one per table row.

A plan holds a route for EVERY breached and open row, however many: the rows are streamed from the
database in route order, merged with the retry-execution routes, and inserted in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.escalation_plan import (
    EscalationPlan,
    EscalationRoute,
    RouteSeverity,
    plan_document,
    plan_from_document,
    stored_route,
)
from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.domain.slo_report import AlertLevel
from cavra_recovery.server.storage.bulk import insert_rows
from cavra_recovery.server.storage.ledger.append import append as ledger_append
from cavra_recovery.server.storage.models import EscalationPlanRecord, EscalationRouteRecord

_ROUTE_INSERT_BATCH = 2000
# Rows fetched per round trip when streaming a plan's routes.
STREAM_BATCH_ROWS = 2000


def latest_plan_digest(session: Session, *, recovery_slo_minutes: int) -> tuple[str, str | None] | None:
    """The newest stored plan for an SLO: its id and content digest (None when no plan is stored)."""
    latest = session.execute(
        select(EscalationPlanRecord.plan_id, EscalationPlanRecord.document)
        .where(EscalationPlanRecord.recovery_slo_minutes == recovery_slo_minutes)
        .order_by(EscalationPlanRecord.id.desc())
        .limit(1)
    ).first()
    return None if latest is None else (str(latest.plan_id), latest.document.get("content_digest"))


def store_escalation_plan(session: Session, plan: EscalationPlan, *, content_digest: str) -> None:
    """Insert the plan and every route, in plan order."""
    session.add(
        EscalationPlanRecord(
            plan_id=plan.plan_id,
            request_id=None,
            generated_at=plan.generated_at,
            generated_by=plan.generated_by,
            alert_level=plan.alert_level.value,
            recovery_slo_minutes=plan.recovery_slo_minutes,
            recovery_report_id=plan.recovery_report_id,
            escalation_count=plan.escalation_count,
            document={**plan_document(plan), "content_digest": content_digest},
        )
    )
    session.flush()
    _insert_routes(session, plan.plan_id, plan.routes)


def _insert_routes(session: Session, plan_id: str, routes: Sequence[EscalationRoute]) -> None:
    """The driver's executemany (storage/bulk.py, no ORM bulk path): route writes at bulk-insert speed."""
    table = cast(Table, EscalationRouteRecord.__table__)
    for start in range(0, len(routes), _ROUTE_INSERT_BATCH):
        rows = [
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
        ]
        insert_rows(session.connection(), table, rows)
        ledger_append(session, EscalationRouteRecord, rows)


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
        raise NotFound(Resource.ESCALATION_PLAN, plan_id)
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
    records = session.execute(statement.execution_options(yield_per=STREAM_BATCH_ROWS))
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
