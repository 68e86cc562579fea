"""EscalationService silence and escalation-state RPCs (docs/escalation-policies.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc

from cavra.recovery.v1 import common_pb2, policy_pb2
from cavra_recovery.server.domain.paging import Listing, next_page_token, page_request
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.delivery_mapping import delivery_state
from cavra_recovery.server.handlers.escalation_plans import alert_level_value, checked_timestamp
from cavra_recovery.server.handlers.timestamps import to_optional_timestamp, to_timestamp
from cavra_recovery.server.operations import silences as silence_operations
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.request_context import caller_identity
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import escalations as escalation_store
from cavra_recovery.server.storage.escalations import StoredSilence, StoredStep

SILENCES = Listing("EscalationService.ListRecoveryEscalationSilences")
_SEVERITIES = ("critical", "warning")
_CATEGORIES = ("siem", "itsm", "chatops", "webhook", "retry-execution")
_OUTCOMES = {"sent": "pending"}


def silence_message(silence: StoredSilence, now: datetime) -> policy_pb2.RecoveryEscalationSilence:
    return policy_pb2.RecoveryEscalationSilence(
        silence_id=silence.silence_id,
        provider=silence.provider,
        category=silence.category,
        severity=silence.severity,
        starts_at=to_timestamp(silence.starts_at),
        ends_at=to_timestamp(silence.ends_at),
        comment=silence.comment,
        created_by=silence.created_by,
        created_at=to_timestamp(silence.created_at),
        expired_at=to_optional_timestamp(silence.expired_at),
        expired_by=silence.expired_by,
        active=silence.rule().active_at(now),
    )


def step_message(step: StoredStep) -> policy_pb2.RecoveryEscalationStep:
    return policy_pb2.RecoveryEscalationStep(
        step=step.step,
        level=step.level,
        cycle=step.cycle,
        reason=step.reason,
        receivers=list(step.receivers),
        outcome=delivery_state(_OUTCOMES.get(step.outcome, step.outcome)),
        suppressed_by=step.suppressed_by,
        delivery_evidence_id=step.delivery_evidence_id or "",
        notified_at=to_timestamp(step.created_at),
    )


class EscalationPolicyHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def CreateRecoveryEscalationSilence(
        self,
        request: policy_pb2.CreateRecoveryEscalationSilenceRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> policy_pb2.CreateRecoveryEscalationSilenceResponse:
        now = self._deps.clock()
        violations = Violations()
        provider = violations.check_provider("provider", request.provider.strip()) if request.provider else ""
        if request.category and request.category not in _CATEGORIES:
            violations.add("category", f"must be empty or one of {', '.join(_CATEGORIES)}")
        if request.severity and request.severity not in _SEVERITIES:
            violations.add("severity", f"must be empty or one of {', '.join(_SEVERITIES)}")
        if not (request.provider or request.category or request.severity):
            violations.add("provider", "give at least one matcher: provider, category or severity")
        starts_at = checked_timestamp(violations, "starts_at", request)
        ends_at = checked_timestamp(violations, "ends_at", request)
        if not request.HasField("ends_at"):
            violations.add("ends_at", "is required")
        elif ends_at is not None and ends_at <= max(now, starts_at or now):
            violations.add("ends_at", "must be after starts_at and after now")
        violations.check_text("comment", request.comment)
        created_by = violations.check_actor("created_by", request.created_by.strip(), caller_identity())
        violations.check_id("request_id", request.request_id)
        violations.raise_if_any()
        assert ends_at is not None
        return await silence_operations.create_silence(
            self._deps.database,
            request_key("CreateRecoveryEscalationSilence", request),
            policy_pb2.CreateRecoveryEscalationSilenceResponse,
            now=now,
            provider=provider,
            category=request.category,
            severity=request.severity,
            starts_at=starts_at,
            ends_at=ends_at,
            comment=request.comment,
            created_by=created_by,
            respond=lambda silence: policy_pb2.CreateRecoveryEscalationSilenceResponse(
                silence=silence_message(silence, now)
            ),
        )

    async def ListRecoveryEscalationSilences(
        self,
        request: policy_pb2.ListRecoveryEscalationSilencesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> policy_pb2.ListRecoveryEscalationSilencesResponse:
        now = self._deps.clock()
        violations = Violations()
        page = page_request(
            violations,
            SILENCES,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(request.active_only,),
        )
        violations.raise_if_any()
        found = await self._deps.database.run(
            lambda session: escalation_store.list_silences(
                session, page=page, active_at=now if request.active_only else None
            )
        )
        return policy_pb2.ListRecoveryEscalationSilencesResponse(
            silences=[silence_message(silence, now) for silence in found.silences],
            next_page_token=next_page_token(page, found.next_cursor),
            total_size=found.total_size,
        )

    async def ExpireRecoveryEscalationSilence(
        self,
        request: policy_pb2.ExpireRecoveryEscalationSilenceRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> policy_pb2.ExpireRecoveryEscalationSilenceResponse:
        now = self._deps.clock()
        violations = Violations()
        violations.require_id("silence_id", request.silence_id)
        violations.check_id("request_id", request.request_id)
        violations.raise_if_any()
        return await silence_operations.expire_silence(
            self._deps.database,
            request_key("ExpireRecoveryEscalationSilence", request),
            policy_pb2.ExpireRecoveryEscalationSilenceResponse,
            now=now,
            silence_id=request.silence_id,
            expired_by=caller_identity() or "",
            respond=lambda silence: policy_pb2.ExpireRecoveryEscalationSilenceResponse(
                silence=silence_message(silence, now)
            ),
        )

    async def GetRecoveryEscalationState(
        self,
        request: policy_pb2.GetRecoveryEscalationStateRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> policy_pb2.GetRecoveryEscalationStateResponse:
        now = self._deps.clock()
        violations = Violations()
        violations.require_id("plan_id", request.plan_id)
        violations.raise_if_any()
        config = self._deps.connector_config
        states = await self._deps.database.run(
            lambda session: silence_operations.escalation_state(
                session, plan_id=request.plan_id, config=config, now=now
            )
        )
        routes = []
        for state in states:
            route, escalation = state.route, state.escalation
            message = policy_pb2.RouteEscalationState(
                dedup_key=route.dedup_key,
                provider=route.provider,
                severity=alert_level_value(route.severity.value),
                category=common_pb2.RouteCategory.Value(
                    "ROUTE_CATEGORY_" + route.category.value.upper().replace("-", "_")
                ),
                acknowledged=state.acknowledged,
                resolved=state.resolved,
                silenced=state.silence_id is not None,
                silence_id=state.silence_id or "",
                inhibited=state.inhibited_by is not None,
                inhibited_by=state.inhibited_by or "",
                steps=[step_message(step) for step in state.steps],
            )
            if escalation is not None:
                last = state.steps[-1] if state.steps else None
                message.policy = escalation.policy
                message.status = escalation.status
                message.current_level = last.level if last else 1
                message.current_cycle = last.cycle if last else 0
                message.stop_reason = escalation.stop_reason
                if escalation.next_step_at is not None:
                    message.next_step_at.CopyFrom(to_timestamp(escalation.next_step_at))
            routes.append(message)
        return policy_pb2.GetRecoveryEscalationStateResponse(
            plan_id=request.plan_id, evaluated_at=to_timestamp(now), routes=routes
        )
