"""EscalationService delivery RPCs: deliver, acknowledge, retry planning, retry worker, deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from cavra.recovery.v1 import common_pb2, escalation_pb2
from cavra_recovery.server.delivery.outbox import check_receiver_names, delivery_options
from cavra_recovery.server.domain import retry_policy
from cavra_recovery.server.domain.paging import Listing, next_page_token, page_request
from cavra_recovery.server.domain.slo_report import normalize_recovery_slo_minutes
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.delivery_mapping import (
    delivery_message,
    delivery_state_name,
    result_message,
)
from cavra_recovery.server.handlers.escalation_plans import plan_to_proto
from cavra_recovery.server.handlers.timestamps import to_optional_timestamp, to_timestamp
from cavra_recovery.server.operations import delivery as delivery_operations
from cavra_recovery.server.operations import retries
from cavra_recovery.server.operations.acknowledgements import acknowledge
from cavra_recovery.server.operations.delivery import DeliveryCall, DeliveryRound, require_routing
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.request_context import caller_identity
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage.acknowledgements import StoredAcknowledgement
from cavra_recovery.server.storage.deliveries import StoredDelivery

DEFAULT_RETRY_WORKER_LIMIT = 50
DELIVERIES = Listing("EscalationService.ListRecoveryEscalationDeliveries")
_ACK_STATES = {
    common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED: "acknowledged",
    common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED: "accepted",
    common_pb2.ACKNOWLEDGEMENT_STATE_DEFERRED: "deferred",
    common_pb2.ACKNOWLEDGEMENT_STATE_ESCALATED: "escalated",
    common_pb2.ACKNOWLEDGEMENT_STATE_RESOLVED: "resolved",
    common_pb2.ACKNOWLEDGEMENT_STATE_DISMISSED: "dismissed",
}
_ACK_VALUES = {name: value for value, name in _ACK_STATES.items()}
_DECISIONS = {
    retry_policy.Decision.RETRY: common_pb2.RETRY_DECISION_RETRY,
    retry_policy.Decision.WAIT: common_pb2.RETRY_DECISION_WAIT,
    retry_policy.Decision.SUPPRESS: common_pb2.RETRY_DECISION_SUPPRESS,
}


def check_receiver_fields(violations: Violations, names: Any) -> None:
    for index, name in enumerate(names):
        violations.check_name(f"receivers[{index}]", name)


def acknowledgement_message(
    stored: StoredAcknowledgement,
) -> escalation_pb2.RecoveryEscalationAcknowledgement:
    return escalation_pb2.RecoveryEscalationAcknowledgement(
        acknowledgement_id=stored.acknowledgement_id,
        plan_id=stored.plan_id,
        provider=stored.provider,
        state=_ACK_VALUES[stored.state],
        acknowledged_by=stored.acknowledged_by,
        acknowledged_at=to_timestamp(stored.acknowledged_at),
        note=stored.note,
    )


class EscalationDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    def _call(self, method: str, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> DeliveryCall:
        return DeliveryCall(
            database=self._deps.database,
            worker=self._deps.delivery,
            key=request_key(method, request),
            now=self._deps.clock(),
            time_remaining=context.time_remaining(),
        )

    async def DeliverRecoveryEscalation(
        self,
        request: escalation_pb2.DeliverRecoveryEscalationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.DeliverRecoveryEscalationResponse:
        violations = Violations()
        if not request.plan_id:
            violations.add("plan_id", "is required: a plan id or 'latest'")
        violations.check_id("plan_id", request.plan_id)
        check_receiver_fields(violations, request.receivers)
        options = delivery_options(
            violations,
            retries=request.retries,
            timeout_seconds=request.timeout_seconds,
            max_routes=request.max_routes,
            dry_run=request.dry_run,
            request_id=request.request_id,
        )
        violations.raise_if_any()
        routing = require_routing(self._deps.connector_config)

        def respond(plan: Any, round: DeliveryRound) -> escalation_pb2.DeliverRecoveryEscalationResponse:
            results = [result_message(delivery) for delivery in round.deliveries]
            return escalation_pb2.DeliverRecoveryEscalationResponse(
                plan=plan_to_proto(plan),
                results=results,
                success=all(result.success for result in results),
                delivery_evidence_id=round.delivery_evidence_id,
                dry_run=round.dry_run,
            )

        return await delivery_operations.deliver_escalation(
            self._call("DeliverRecoveryEscalation", request, context),
            escalation_pb2.DeliverRecoveryEscalationResponse,
            plan_id=request.plan_id,
            recovery_slo_minutes=normalize_recovery_slo_minutes(request.recovery_slo_minutes),
            generated_by=caller_identity() or "deliver",
            routing=routing,
            receivers=check_receiver_names(routing, list(request.receivers)),
            options=options,
            respond=respond,
        )

    async def AcknowledgeRecoveryEscalation(
        self,
        request: escalation_pb2.AcknowledgeRecoveryEscalationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.AcknowledgeRecoveryEscalationResponse:
        violations = Violations()
        violations.require_id("plan_id", request.plan_id)
        violations.require_provider("provider", request.provider)
        state = _ACK_STATES.get(request.state)
        if state is None:
            violations.add("state", "is required: one of " + ", ".join(_ACK_STATES.values()))
        identity = caller_identity()
        acknowledged_by = request.acknowledged_by.strip()
        if not acknowledged_by and identity is None:
            violations.add("acknowledged_by", "is required")
        acknowledged_by = violations.check_actor("acknowledged_by", acknowledged_by, identity)
        violations.check_text("note", request.note)
        violations.check_id("request_id", request.request_id)
        violations.raise_if_any()
        assert state is not None
        return await acknowledge(
            self._deps.database,
            request_key("AcknowledgeRecoveryEscalation", request),
            escalation_pb2.AcknowledgeRecoveryEscalationResponse,
            now=self._deps.clock(),
            plan_id=request.plan_id,
            provider=request.provider,
            state=state,
            acknowledged_by=acknowledged_by,
            note=request.note,
            respond=lambda stored: escalation_pb2.AcknowledgeRecoveryEscalationResponse(
                acknowledgement=acknowledgement_message(stored)
            ),
        )

    @staticmethod
    def _policy(
        violations: Violations, policy: escalation_pb2.RetryPolicy
    ) -> retry_policy.RetryPolicy | None:
        try:
            return retry_policy.retry_policy(
                max_attempts=policy.max_attempts,
                delay_minutes=policy.delay_minutes,
                multiplier=policy.multiplier,
            )
        except retry_policy.RetryPolicyError as error:
            violations.add(f"policy.{error.field}", error.problem)
            return None

    @staticmethod
    def _decision_message(decision: retry_policy.RetryPlanDecision) -> escalation_pb2.RetryPlanDecision:
        delivery = decision.delivery
        return escalation_pb2.RetryPlanDecision(
            delivery_id=delivery.delivery_id,
            plan_id=delivery.plan_id,
            receiver=delivery.receiver,
            provider=delivery.provider,
            decision=_DECISIONS[decision.decision],
            reason=decision.reason,
            attempt_count=delivery.attempt_count,
            next_attempt_at=to_optional_timestamp(decision.next_attempt_at),
            acknowledgement_state=_ACK_VALUES.get(
                delivery.acknowledgement_state or "", common_pb2.ACKNOWLEDGEMENT_STATE_UNSPECIFIED
            ),
        )

    @staticmethod
    def _policy_message(policy: retry_policy.RetryPolicy) -> escalation_pb2.RetryPolicy:
        return escalation_pb2.RetryPolicy(
            max_attempts=policy.max_attempts, delay_minutes=policy.delay_minutes, multiplier=policy.multiplier
        )

    async def PlanRecoveryEscalationRetries(
        self,
        request: escalation_pb2.PlanRecoveryEscalationRetriesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.PlanRecoveryEscalationRetriesResponse:
        violations = Violations()
        violations.check_id("plan_id", request.plan_id)
        violations.check_id("request_id", request.request_id)
        checked_policy = self._policy(violations, request.policy)
        violations.raise_if_any()
        assert checked_policy is not None
        policy = checked_policy

        def respond(
            decisions: Sequence[retry_policy.RetryPlanDecision],
        ) -> escalation_pb2.PlanRecoveryEscalationRetriesResponse:
            return escalation_pb2.PlanRecoveryEscalationRetriesResponse(
                evaluated_at=to_timestamp(now),
                policy=self._policy_message(policy),
                decisions=[self._decision_message(decision) for decision in decisions],
                retry_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.RETRY),
                wait_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.WAIT),
                suppress_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.SUPPRESS),
            )

        now = self._deps.clock()
        return await retries.plan_retries(
            self._deps.database,
            request_key("PlanRecoveryEscalationRetries", request),
            escalation_pb2.PlanRecoveryEscalationRetriesResponse,
            now=now,
            plan_id=request.plan_id,
            policy=policy,
            respond=respond,
        )

    async def RunRecoveryEscalationRetryWorker(
        self,
        request: escalation_pb2.RunRecoveryEscalationRetryWorkerRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
        violations = Violations()
        violations.check_id("plan_id", request.plan_id)
        violations.check_id("request_id", request.request_id)
        checked_policy = self._policy(violations, request.policy)
        if request.limit < 0:
            violations.add("limit", "must not be negative (0 means 50)")
        violations.raise_if_any()
        assert checked_policy is not None
        policy = checked_policy
        dry_run = request.dry_run if request.HasField("dry_run") else True
        limit = request.limit or DEFAULT_RETRY_WORKER_LIMIT
        if not dry_run:
            require_routing(self._deps.connector_config)

        def respond(
            decisions: Sequence[retry_policy.RetryPlanDecision], retried_count: int
        ) -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
            return escalation_pb2.RunRecoveryEscalationRetryWorkerResponse(
                dry_run=dry_run,
                decisions=[self._decision_message(decision) for decision in decisions],
                retried_count=retried_count,
            )

        def with_results(
            response: escalation_pb2.RunRecoveryEscalationRetryWorkerResponse,
            deliveries: Sequence[StoredDelivery],
        ) -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
            response.results.extend(result_message(delivery) for delivery in deliveries)
            return response

        return await retries.run_retry_worker(
            self._call("RunRecoveryEscalationRetryWorker", request, context),
            escalation_pb2.RunRecoveryEscalationRetryWorkerResponse,
            plan_id=request.plan_id,
            policy=policy,
            dry_run=dry_run,
            limit=limit,
            requested_by=caller_identity(),
            clock=self._deps.clock,
            respond=respond,
            with_results=with_results,
        )

    async def GetRecoveryEscalationDelivery(
        self,
        request: escalation_pb2.GetRecoveryEscalationDeliveryRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.GetRecoveryEscalationDeliveryResponse:
        violations = Violations()
        violations.require_id("delivery_id", request.delivery_id)
        violations.raise_if_any()
        delivery = await self._deps.database.run(
            lambda session: store.get_delivery(session, delivery_id=request.delivery_id)
        )
        return escalation_pb2.GetRecoveryEscalationDeliveryResponse(delivery=delivery_message(delivery))

    async def ListRecoveryEscalationDeliveries(
        self,
        request: escalation_pb2.ListRecoveryEscalationDeliveriesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.ListRecoveryEscalationDeliveriesResponse:
        violations = Violations()
        violations.check_id("plan_id", request.plan_id)
        violations.check_name("receiver", request.receiver)
        if request.state not in common_pb2.DeliveryState.values():
            violations.add("state", "unknown delivery state")
        page = page_request(
            violations,
            DELIVERIES,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(request.plan_id, request.receiver, request.state),
        )
        violations.raise_if_any()
        state = (
            ""
            if request.state == common_pb2.DELIVERY_STATE_UNSPECIFIED
            else delivery_state_name(request.state)
        )
        result = await self._deps.database.run(
            lambda session: store.list_deliveries(
                session, page=page, plan_id=request.plan_id, receiver=request.receiver, state=state
            )
        )
        return escalation_pb2.ListRecoveryEscalationDeliveriesResponse(
            deliveries=[delivery_message(delivery) for delivery in result.deliveries],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def ReplayRecoveryEscalationDelivery(
        self,
        request: escalation_pb2.ReplayRecoveryEscalationDeliveryRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.ReplayRecoveryEscalationDeliveryResponse:
        violations = Violations()
        violations.require_id("delivery_id", request.delivery_id)
        violations.check_id("request_id", request.request_id)
        violations.raise_if_any()
        require_routing(self._deps.connector_config)
        return await delivery_operations.replay_delivery(
            self._call("ReplayRecoveryEscalationDelivery", request, context),
            escalation_pb2.ReplayRecoveryEscalationDeliveryResponse,
            delivery_id=request.delivery_id,
            requested_by=caller_identity(),
            respond=lambda delivery: escalation_pb2.ReplayRecoveryEscalationDeliveryResponse(
                delivery=delivery_message(delivery)
            ),
        )
