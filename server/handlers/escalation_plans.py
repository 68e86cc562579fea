"""EscalationService plan RPCs: create, get and list recovery escalation plans, and page a plan's routes.

Every id, name and free-text field goes through the shared checks of `server.domain.validation`
(id pattern, no control characters, length) before it reaches the database: PostgreSQL rejects a NUL
byte in text, so a check skipped here would surface as INTERNAL there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, escalation_pb2
from cavra_recovery.server.domain.escalation_plan import (
    DEFAULT_ROUTE_LIMIT,
    EscalationPlan,
    EscalationRoute,
    RouteSeverity,
    normalize_route_limit,
)
from cavra_recovery.server.domain.paging import Listing, next_page_token, page_request
from cavra_recovery.server.domain.slo_report import AlertLevel, normalize_recovery_slo_minutes
from cavra_recovery.server.domain.validation import EARLIEST_TIME, LATEST_TIME, Violations
from cavra_recovery.server.handlers.timestamps import to_timestamp
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.operations.plans import create_plan_once
from cavra_recovery.server.request_context import caller_identity
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import plans as plan_storage

PLANS = Listing("EscalationService.ListRecoveryEscalationPlans")
ROUTES = Listing("EscalationService.ListRecoveryEscalationRoutes")


def alert_level_value(level: str) -> int:
    return int(common_pb2.AlertLevel.Value(f"ALERT_LEVEL_{level.upper()}"))


def alert_level_from_value(value: int) -> AlertLevel | None:
    if value == common_pb2.ALERT_LEVEL_UNSPECIFIED:
        return None
    return AlertLevel(common_pb2.AlertLevel.Name(value).removeprefix("ALERT_LEVEL_").lower())


def route_to_proto(route: EscalationRoute) -> escalation_pb2.EscalationRoute:
    message = escalation_pb2.EscalationRoute(
        dedup_key=route.dedup_key,
        severity=alert_level_value(route.severity.value),
        category=common_pb2.RouteCategory.Value(
            "ROUTE_CATEGORY_" + route.category.value.upper().replace("-", "_")
        ),
        provider=route.provider,
        status=common_pb2.RouteStatus.Value("ROUTE_STATUS_" + route.status.value.upper()),
        playbook_id=route.playbook_id,
        failure_count=route.failure_count,
        reason=route.reason,
        action=route.action,
        receivers=list(route.receivers),
    )
    if route.age_minutes is not None:
        message.age_minutes = route.age_minutes
    return message


def plan_to_proto(
    plan: EscalationPlan, route_limit: int | None = DEFAULT_ROUTE_LIMIT
) -> escalation_pb2.RecoveryEscalationPlan:
    """The proto form of a plan with its first `route_limit` routes (None: all); also used by delivery.

    `routes_truncated` is set whenever fewer routes are listed than the plan holds (`escalation_count`).
    """
    routes = plan.routes if route_limit is None else plan.routes[:route_limit]
    summary = plan.executive_summary
    executive_summary = escalation_pb2.PlanExecutiveSummary(
        status=alert_level_value(summary.status.value),
        tracked_providers=summary.tracked_providers,
        executions=summary.executions,
        failures=summary.failures,
        open=summary.open,
        breached=summary.breached,
    )
    if summary.closure_rate is not None:
        executive_summary.closure_rate = summary.closure_rate
    return escalation_pb2.RecoveryEscalationPlan(
        plan_id=plan.plan_id,
        generated_at=to_timestamp(plan.generated_at),
        generated_by=plan.generated_by,
        alert_level=alert_level_value(plan.alert_level.value),
        recovery_slo_minutes=plan.recovery_slo_minutes,
        recovery_report_id=plan.recovery_report_id,
        escalation_count=plan.escalation_count,
        critical_escalation_count=plan.critical_escalation_count,
        slo_breached_count=plan.slo_breached_count,
        failed_execution_count=plan.failed_execution_count,
        open_recovery_count=plan.open_recovery_count,
        provider_count=plan.provider_count,
        selected_providers=list(plan.selected_providers),
        escalation_routes=[route_to_proto(route) for route in routes],
        executive_summary=executive_summary,
        routes_truncated=len(routes) < plan.escalation_count,
    )


def checked_timestamp(checks: Violations, field: str, message: Any) -> datetime | None:
    """An optional filter time: nanos in [0, 1e9) and within the evidence time window, else a violation."""
    if not message.HasField(field):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, field)
    if not 0 <= stamp.nanos < 1_000_000_000:
        checks.add(field, "has nanos outside [0, 1e9)")
        return None
    if not EARLIEST_TIME.timestamp() <= stamp.seconds < LATEST_TIME.timestamp():
        checks.add(field, f"must be between {EARLIEST_TIME:%Y-%m-%d} and {LATEST_TIME:%Y-%m-%d} (UTC)")
        return None
    return datetime.fromtimestamp(stamp.seconds, UTC) + timedelta(microseconds=stamp.nanos // 1000)


def checked_alert_level(checks: Violations, field: str, value: int) -> AlertLevel | None:
    if value not in common_pb2.AlertLevel.values():
        checks.add(field, f"has unknown value {value}")
        return None
    return alert_level_from_value(value)


def checked_limit(checks: Violations, field: str, value: int) -> int:
    """A response size (route_limit, row_limit): 0 means the default; negative is a violation."""
    if value < 0:
        checks.add(field, "must not be negative")
        return 0
    return value


def checked_route_limit(checks: Violations, value: int) -> int:
    return normalize_route_limit(checked_limit(checks, "route_limit", value))


class EscalationPlanHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def CreateRecoveryEscalationPlan(
        self, request: escalation_pb2.CreateRecoveryEscalationPlanRequest, context: Any
    ) -> escalation_pb2.CreateRecoveryEscalationPlanResponse:
        checks = Violations()
        generated_by = checks.check_actor("generated_by", request.generated_by, caller_identity())
        checks.check_id("request_id", request.request_id)
        route_limit = checked_route_limit(checks, request.route_limit)
        checks.raise_if_any()
        return await create_plan_once(
            self._deps.database,
            request_key("CreateRecoveryEscalationPlan", request),
            escalation_pb2.CreateRecoveryEscalationPlanResponse,
            now=self._deps.clock(),
            recovery_slo_minutes=normalize_recovery_slo_minutes(request.recovery_slo_minutes),
            generated_by=generated_by,
            routing=self._deps.connector_config,
            respond=lambda plan: escalation_pb2.CreateRecoveryEscalationPlanResponse(
                plan=plan_to_proto(plan, route_limit)
            ),
        )

    async def GetRecoveryEscalationPlan(
        self, request: escalation_pb2.GetRecoveryEscalationPlanRequest, context: Any
    ) -> escalation_pb2.GetRecoveryEscalationPlanResponse:
        checks = Violations()
        plan_id = checks.require_id("plan_id", request.plan_id)
        route_limit = checked_route_limit(checks, request.route_limit)
        checks.raise_if_any()
        plan = await self._deps.database.run(
            lambda session: plan_storage.get_escalation_plan(
                session, plan_id=plan_id, route_limit=route_limit
            )
        )
        return escalation_pb2.GetRecoveryEscalationPlanResponse(plan=plan_to_proto(plan, route_limit))

    async def ListRecoveryEscalationPlans(
        self, request: escalation_pb2.ListRecoveryEscalationPlansRequest, context: Any
    ) -> escalation_pb2.ListRecoveryEscalationPlansResponse:
        checks = Violations()
        alert_level = checked_alert_level(checks, "alert_level", request.alert_level)
        provider = checks.check_provider("provider", request.provider)
        start = checked_timestamp(checks, "start_time", request)
        end = checked_timestamp(checks, "end_time", request)
        checks.check_time_range("start_time", start, "end_time", end)
        filters = plan_storage.PlanFilter(
            alert_level=alert_level, provider=provider or None, start_time=start, end_time=end
        )
        page = page_request(
            checks, PLANS, page_size=request.page_size, page_token=request.page_token, filters=(filters,)
        )
        checks.raise_if_any()
        result = await self._deps.database.run(
            lambda session: plan_storage.list_escalation_plans(session, page=page, filters=filters)
        )
        return escalation_pb2.ListRecoveryEscalationPlansResponse(
            plans=[plan_to_proto(plan, route_limit=0) for plan in result.plans],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def ListRecoveryEscalationRoutes(
        self, request: escalation_pb2.ListRecoveryEscalationRoutesRequest, context: Any
    ) -> escalation_pb2.ListRecoveryEscalationRoutesResponse:
        checks = Violations()
        plan_id = checks.require_id("plan_id", request.plan_id)
        severity = checked_alert_level(checks, "severity", request.severity)
        if severity is AlertLevel.HEALTHY:
            checks.add("severity", "routes are critical or warning")
        provider = checks.check_provider("provider", request.provider)
        page = page_request(
            checks,
            ROUTES,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(plan_id, severity, provider),
        )
        checks.raise_if_any()
        filters = plan_storage.RouteFilter(
            severity=None if severity is None else RouteSeverity(severity.value), provider=provider or None
        )
        result = await self._deps.database.run(
            lambda session: plan_storage.list_escalation_routes(
                session, plan_id=plan_id, page=page, filters=filters
            )
        )
        return escalation_pb2.ListRecoveryEscalationRoutesResponse(
            routes=[route_to_proto(route) for route in result.routes],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )
