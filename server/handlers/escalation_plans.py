"""EscalationService plan RPCs: create, get and list recovery escalation plans."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, escalation_pb2
from server.domain.errors import FieldViolation, InvalidArgument
from server.domain.escalation_plan import EscalationPlan, EscalationRoute
from server.domain.slo_report import AlertLevel, normalize_recovery_slo_minutes
from server.services import ServiceDependencies
from server.storage import plans as plan_storage
from server.storage.models import ID_LENGTH, NAME_LENGTH


def timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_timestamp(value: timestamp_pb2.Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


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


def plan_to_proto(plan: EscalationPlan) -> escalation_pb2.RecoveryEscalationPlan:
    """The proto form of a plan (also used by the delivery RPCs)."""
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
        generated_at=timestamp(plan.generated_at),
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
        escalation_routes=[route_to_proto(route) for route in plan.routes],
        executive_summary=executive_summary,
    )


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidArgument([FieldViolation(field, f"at most {limit} characters")])


def required_id(field: str, value: str) -> str:
    if not value.strip():
        raise InvalidArgument([FieldViolation(field, "required")])
    check_length(field, value, ID_LENGTH)
    return value


class EscalationPlanHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def CreateRecoveryEscalationPlan(
        self, request: escalation_pb2.CreateRecoveryEscalationPlanRequest, context: Any
    ) -> escalation_pb2.CreateRecoveryEscalationPlanResponse:
        check_length("generated_by", request.generated_by, NAME_LENGTH)
        check_length("request_id", request.request_id, ID_LENGTH)
        now = self._deps.clock()
        slo = normalize_recovery_slo_minutes(request.recovery_slo_minutes)
        plan = await self._deps.database.run(
            lambda session: plan_storage.create_escalation_plan(
                session,
                now=now,
                recovery_slo_minutes=slo,
                generated_by=request.generated_by,
                request_id=request.request_id or None,
                connector_config=self._deps.connector_config,
            )
        )
        return escalation_pb2.CreateRecoveryEscalationPlanResponse(plan=plan_to_proto(plan))

    async def GetRecoveryEscalationPlan(
        self, request: escalation_pb2.GetRecoveryEscalationPlanRequest, context: Any
    ) -> escalation_pb2.GetRecoveryEscalationPlanResponse:
        plan_id = required_id("plan_id", request.plan_id)
        plan = await self._deps.database.run(
            lambda session: plan_storage.get_escalation_plan(session, plan_id=plan_id)
        )
        return escalation_pb2.GetRecoveryEscalationPlanResponse(plan=plan_to_proto(plan))

    async def ListRecoveryEscalationPlans(
        self, request: escalation_pb2.ListRecoveryEscalationPlansRequest, context: Any
    ) -> escalation_pb2.ListRecoveryEscalationPlansResponse:
        if request.alert_level not in common_pb2.AlertLevel.values():
            raise InvalidArgument([FieldViolation("alert_level", "unknown alert level")])
        check_length("provider", request.provider, NAME_LENGTH)
        start = from_timestamp(request.start_time) if request.HasField("start_time") else None
        end = from_timestamp(request.end_time) if request.HasField("end_time") else None
        if start is not None and end is not None and start >= end:
            raise InvalidArgument([FieldViolation("end_time", "must be after start_time")])
        filters = plan_storage.PlanFilter(
            alert_level=alert_level_from_value(request.alert_level),
            provider=request.provider or None,
            start_time=start,
            end_time=end,
        )
        page = await self._deps.database.run(
            lambda session: plan_storage.list_escalation_plans(
                session, page_size=request.page_size, page_token=request.page_token, filters=filters
            )
        )
        return escalation_pb2.ListRecoveryEscalationPlansResponse(
            plans=[plan_to_proto(plan) for plan in page.plans],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )
