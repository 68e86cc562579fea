"""EscalationService delivery RPCs: deliver, acknowledge, retry planning, retry worker, deliveries."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra.recovery.v1 import common_pb2, escalation_pb2
from connectors import ConnectorConfig
from server.delivery.outbox import (
    check_receiver_names,
    delivery_options,
    enqueue_escalation,
    plan_for_delivery,
)
from server.delivery.service import DeliveryService
from server.domain import retry_policy
from server.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from server.domain.escalation_plan import EscalationPlan
from server.handlers.delivery_mapping import (
    delivery_message,
    delivery_state_name,
    result_message,
    timestamp,
)
from server.handlers.escalation_plans import plan_to_proto
from server.services import ServiceDependencies
from server.storage import acknowledgements as ack_store
from server.storage import deliveries as store
from server.storage.plans import create_escalation_plan, get_escalation_plan

LATEST = "latest"
# Without a client deadline the deliver call still answers within this long.
MAX_ROUND_WAIT_SECONDS = 60.0
# Answer this long before the client's deadline, so the response is not cut off.
DEADLINE_MARGIN_SECONDS = 0.3
DEFAULT_RETRY_WORKER_LIMIT = 50
MAX_NAME_LENGTH = 128
MAX_NOTE_LENGTH = 4000
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

M = TypeVar("M", bound=Message)


def require_config(config: ConnectorConfig | None) -> ConnectorConfig:
    if config is None:
        raise FailedPrecondition(
            "no connector configuration: start the server with --connectors (CAVRA_CONNECTORS) to deliver",
            reason="CONNECTORS_NOT_CONFIGURED",
        )
    return config


def round_deadline(context: grpc.aio.ServicerContext[Any, Any]) -> float:
    """Event-loop time by which a deliver call must stop waiting for attempts."""
    remaining = context.time_remaining()
    budget = MAX_ROUND_WAIT_SECONDS if remaining is None else min(MAX_ROUND_WAIT_SECONDS, remaining)
    return asyncio.get_running_loop().time() + max(0.0, budget - DEADLINE_MARGIN_SECONDS)


def to_document(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def from_document(document: Any, message: M) -> M:
    json_format.ParseDict(document, message, ignore_unknown_fields=True)
    return message


def request_digest(message: Message) -> str:
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


class EscalationDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    @property
    def _delivery(self) -> DeliveryService:
        delivery: DeliveryService = self._deps.delivery
        return delivery

    async def DeliverRecoveryEscalation(
        self,
        request: escalation_pb2.DeliverRecoveryEscalationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.DeliverRecoveryEscalationResponse:
        if not request.plan_id:
            raise InvalidArgument([FieldViolation("plan_id", "required: a plan id or 'latest'")])
        options = delivery_options(
            retries=request.retries,
            timeout_seconds=request.timeout_seconds,
            max_routes=request.max_routes,
            dry_run=request.dry_run,
            request_id=request.request_id,
        )
        config = require_config(self._deps.connector_config)
        receivers = check_receiver_names(config, list(request.receivers))
        now = self._deps.clock()

        def enqueue(session: Session) -> tuple[store.StoredDeliveryRequest, EscalationPlan | None]:
            if options.request_id:
                existing = store.find_delivery_request(session, request_id=options.request_id)
                if existing is not None:
                    return existing, None
            if request.plan_id == LATEST:
                plan = create_escalation_plan(
                    session,
                    now=now,
                    recovery_slo_minutes=request.recovery_slo_minutes,
                    generated_by="deliver",
                    connector_config=config,
                )
            else:
                plan = get_escalation_plan(session, plan_id=request.plan_id)
            enqueued = enqueue_escalation(
                session,
                plan=plan_for_delivery(plan),
                config=config,
                receivers=receivers,
                options=options,
                now=now,
            )
            return store.get_delivery_request(
                session, delivery_evidence_id=enqueued.delivery_evidence_id
            ), plan

        try:
            delivery_request, plan = await self._deps.database.run(enqueue)
        except IntegrityError:
            if not options.request_id:
                raise
            # A concurrent call with the same request_id committed first: answer as its replay.
            found = await self._deps.database.run(
                lambda session: store.find_delivery_request(session, request_id=str(options.request_id))
            )
            if found is None:
                raise
            delivery_request, plan = found, None
        if delivery_request.response_document is not None:
            return from_document(
                delivery_request.response_document, escalation_pb2.DeliverRecoveryEscalationResponse()
            )
        if not delivery_request.dry_run:
            self._delivery.wake()
            await self._delivery.wait_for_first_round(delivery_request.delivery_ids, round_deadline(context))

        def answer(session: Session) -> escalation_pb2.DeliverRecoveryEscalationResponse:
            stored_plan = plan
            if stored_plan is None:
                assert delivery_request.plan_id is not None
                stored_plan = get_escalation_plan(session, plan_id=delivery_request.plan_id)
            deliveries = store.get_deliveries(
                session, delivery_ids=delivery_request.delivery_ids, with_attempts=False
            )
            response = escalation_pb2.DeliverRecoveryEscalationResponse(
                plan=plan_to_proto(stored_plan),
                results=[result_message(delivery) for delivery in deliveries],
                success=all(result.success for result in map(result_message, deliveries)),
                delivery_evidence_id=delivery_request.delivery_evidence_id,
                dry_run=delivery_request.dry_run,
            )
            document = to_document(response)
            if not store.store_response_document(
                session, delivery_evidence_id=delivery_request.delivery_evidence_id, document=document
            ):
                first = store.get_delivery_request(
                    session, delivery_evidence_id=delivery_request.delivery_evidence_id
                ).response_document
                if first is not None:
                    return from_document(first, escalation_pb2.DeliverRecoveryEscalationResponse())
            return response

        response = await self._deps.database.run(answer)
        if delivery_request.dry_run and plan is not None:
            self._delivery.observe_dry_run(result.receiver for result in response.results)
        return response

    async def AcknowledgeRecoveryEscalation(
        self,
        request: escalation_pb2.AcknowledgeRecoveryEscalationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.AcknowledgeRecoveryEscalationResponse:
        violations = []
        if not request.plan_id:
            violations.append(FieldViolation("plan_id", "required"))
        if not request.provider:
            violations.append(FieldViolation("provider", "required: a provider with a route in the plan"))
        state = _ACK_STATES.get(request.state)
        if state is None:
            violations.append(FieldViolation("state", "required: one of " + ", ".join(_ACK_STATES.values())))
        if not request.acknowledged_by.strip():
            violations.append(FieldViolation("acknowledged_by", "required"))
        elif len(request.acknowledged_by) > MAX_NAME_LENGTH:
            violations.append(FieldViolation("acknowledged_by", f"at most {MAX_NAME_LENGTH} characters"))
        if len(request.note) > MAX_NOTE_LENGTH:
            violations.append(FieldViolation("note", f"at most {MAX_NOTE_LENGTH} characters"))
        if len(request.request_id) > MAX_NAME_LENGTH:
            violations.append(FieldViolation("request_id", f"at most {MAX_NAME_LENGTH} characters"))
        if violations:
            raise InvalidArgument(violations)
        assert state is not None
        now = self._deps.clock()

        def acknowledge(session: Session) -> ack_store.StoredAcknowledgement:
            if request.request_id:
                existing = ack_store.find_acknowledgement(session, request_id=request.request_id)
                if existing is not None:
                    return existing
            plan = get_escalation_plan(session, plan_id=request.plan_id)
            if request.provider not in {route.provider for route in plan.routes}:
                raise InvalidArgument(
                    [
                        FieldViolation(
                            "provider", f"plan {plan.plan_id!r} has no route about {request.provider!r}"
                        )
                    ],
                    reason="PROVIDER_NOT_IN_PLAN",
                )
            return ack_store.add_acknowledgement(
                session,
                plan_id=plan.plan_id,
                provider=request.provider,
                state=state,
                acknowledged_by=request.acknowledged_by.strip(),
                note=request.note,
                request_id=request.request_id or None,
                now=now,
            )

        try:
            stored = await self._deps.database.run(acknowledge)
        except IntegrityError:
            found = await self._deps.database.run(
                lambda session: ack_store.find_acknowledgement(session, request_id=request.request_id)
            )
            if not request.request_id or found is None:
                raise
            stored = found
        return escalation_pb2.AcknowledgeRecoveryEscalationResponse(
            acknowledgement=escalation_pb2.RecoveryEscalationAcknowledgement(
                acknowledgement_id=stored.acknowledgement_id,
                plan_id=stored.plan_id,
                provider=stored.provider,
                state=_ACK_VALUES[stored.state],
                acknowledged_by=stored.acknowledged_by,
                acknowledged_at=timestamp(stored.acknowledged_at),
                note=stored.note,
            )
        )

    def _policy(self, policy: escalation_pb2.RetryPolicy) -> retry_policy.RetryPolicy:
        try:
            return retry_policy.retry_policy(
                max_attempts=policy.max_attempts,
                delay_minutes=policy.delay_minutes,
                multiplier=policy.multiplier,
            )
        except retry_policy.RetryPolicyError as error:
            raise InvalidArgument([FieldViolation(f"policy.{error.field}", error.problem)]) from None

    def _decisions(
        self, session: Session, *, plan_id: str, policy: retry_policy.RetryPolicy
    ) -> list[retry_policy.RetryPlanDecision]:
        now = self._deps.clock()
        failed = store.failed_escalation_deliveries(session, plan_id=plan_id)
        acknowledgements = ack_store.latest_acknowledgement_states(
            session, plan_ids=[delivery.plan_id for delivery in failed if delivery.plan_id]
        )
        candidates = []
        for delivery in failed:
            assert delivery.plan_id is not None
            providers = {route.get("provider") for route in delivery.notification.get("routes", [])}
            latest = [
                acknowledgements[(delivery.plan_id, provider)]
                for provider in providers
                if isinstance(provider, str) and (delivery.plan_id, provider) in acknowledgements
            ]
            acknowledged = max(latest, key=lambda item: item[1])[0] if latest else None
            candidates.append(
                retry_policy.FailedDelivery(
                    delivery_id=delivery.delivery_id,
                    plan_id=delivery.plan_id,
                    receiver=delivery.receiver,
                    provider=delivery.provider,
                    state=delivery.state,
                    rounds=delivery.round_count,
                    attempt_count=delivery.attempt_count,
                    last_failure_reason=delivery.last_failure_reason,
                    last_failed_at=delivery.updated_at,
                    acknowledgement_state=acknowledged,
                )
            )
        return retry_policy.plan_retries(candidates, policy, now)

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
            next_attempt_at=timestamp(decision.next_attempt_at),
            acknowledgement_state=_ACK_VALUES.get(
                delivery.acknowledgement_state or "", common_pb2.ACKNOWLEDGEMENT_STATE_UNSPECIFIED
            ),
        )

    @staticmethod
    def _policy_message(policy: retry_policy.RetryPolicy) -> escalation_pb2.RetryPolicy:
        return escalation_pb2.RetryPolicy(
            max_attempts=policy.max_attempts, delay_minutes=policy.delay_minutes, multiplier=policy.multiplier
        )

    async def _idempotent(
        self,
        method: str,
        request: Message,
        request_id: str,
        response_type: Callable[[], M],
        produce: Callable[[], Any],
    ) -> M:
        """Answer a repeated request_id with the first response (AIP-155)."""
        if len(request_id) > MAX_NAME_LENGTH:
            raise InvalidArgument([FieldViolation("request_id", f"at most {MAX_NAME_LENGTH} characters")])
        if request_id:
            first = await self._deps.database.run(
                lambda session: store.find_idempotent_response(session, method=method, request_id=request_id)
            )
            if first is not None:
                return from_document(first, response_type())
        response: M = await produce()
        if request_id:
            document = to_document(response)
            try:
                await self._deps.database.run(
                    lambda session: store.store_idempotent_response(
                        session,
                        method=method,
                        request_id=request_id,
                        request_digest=request_digest(request),
                        document=document,
                        now=self._deps.clock(),
                    )
                )
            except IntegrityError:
                first = await self._deps.database.run(
                    lambda session: store.find_idempotent_response(
                        session, method=method, request_id=request_id
                    )
                )
                if first is not None:
                    return from_document(first, response_type())
        return response

    async def PlanRecoveryEscalationRetries(
        self,
        request: escalation_pb2.PlanRecoveryEscalationRetriesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.PlanRecoveryEscalationRetriesResponse:
        policy = self._policy(request.policy)

        async def produce() -> escalation_pb2.PlanRecoveryEscalationRetriesResponse:
            evaluated_at = self._deps.clock()
            decisions = await self._deps.database.run(
                lambda session: self._decisions(session, plan_id=request.plan_id, policy=policy)
            )
            return escalation_pb2.PlanRecoveryEscalationRetriesResponse(
                evaluated_at=timestamp(evaluated_at),
                policy=self._policy_message(policy),
                decisions=[self._decision_message(decision) for decision in decisions],
                retry_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.RETRY),
                wait_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.WAIT),
                suppress_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.SUPPRESS),
            )

        return await self._idempotent(
            "PlanRecoveryEscalationRetries",
            request,
            request.request_id,
            escalation_pb2.PlanRecoveryEscalationRetriesResponse,
            produce,
        )

    async def RunRecoveryEscalationRetryWorker(
        self,
        request: escalation_pb2.RunRecoveryEscalationRetryWorkerRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
        policy = self._policy(request.policy)
        dry_run = request.dry_run if request.HasField("dry_run") else True
        if request.limit < 0:
            raise InvalidArgument([FieldViolation("limit", "must not be negative (0 means 50)")])
        limit = request.limit or DEFAULT_RETRY_WORKER_LIMIT
        if not dry_run:
            require_config(self._deps.connector_config)

        async def produce() -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
            now = self._deps.clock()

            def run(
                session: Session,
            ) -> tuple[list[retry_policy.RetryPlanDecision], list[store.StoredDelivery]]:
                decisions = self._decisions(session, plan_id=request.plan_id, policy=policy)
                retried: list[store.StoredDelivery] = []
                if not dry_run:
                    for decision in decisions:
                        if decision.decision is retry_policy.Decision.RETRY and len(retried) < limit:
                            retried.append(
                                store.start_new_round(
                                    session,
                                    delivery_id=decision.delivery.delivery_id,
                                    now=now,
                                    allowed_states=(store.DEAD_LETTERED,),
                                )
                            )
                return decisions, retried

            decisions, retried = await self._deps.database.run(run)
            results: list[Any] = []
            if retried:
                self._delivery.wake()
                await self._delivery.wait_for_round(
                    {delivery.delivery_id: delivery.attempt_count for delivery in retried},
                    round_deadline(context),
                )
                current = await self._deps.database.run(
                    lambda session: store.get_deliveries(
                        session, delivery_ids=[d.delivery_id for d in retried], with_attempts=False
                    )
                )
                results = [result_message(delivery) for delivery in current]
            return escalation_pb2.RunRecoveryEscalationRetryWorkerResponse(
                dry_run=dry_run,
                decisions=[self._decision_message(decision) for decision in decisions],
                results=results,
                retried_count=len(retried),
            )

        return await self._idempotent(
            "RunRecoveryEscalationRetryWorker",
            request,
            request.request_id,
            escalation_pb2.RunRecoveryEscalationRetryWorkerResponse,
            produce,
        )

    async def GetRecoveryEscalationDelivery(
        self,
        request: escalation_pb2.GetRecoveryEscalationDeliveryRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.GetRecoveryEscalationDeliveryResponse:
        if not request.delivery_id:
            raise InvalidArgument([FieldViolation("delivery_id", "required")])
        delivery = await self._deps.database.run(
            lambda session: store.get_delivery(session, delivery_id=request.delivery_id)
        )
        return escalation_pb2.GetRecoveryEscalationDeliveryResponse(delivery=delivery_message(delivery))

    async def ListRecoveryEscalationDeliveries(
        self,
        request: escalation_pb2.ListRecoveryEscalationDeliveriesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.ListRecoveryEscalationDeliveriesResponse:
        if request.state not in common_pb2.DeliveryState.values():
            raise InvalidArgument([FieldViolation("state", "unknown delivery state")])
        state = (
            ""
            if request.state == common_pb2.DELIVERY_STATE_UNSPECIFIED
            else delivery_state_name(request.state)
        )
        page = await self._deps.database.run(
            lambda session: store.list_deliveries(
                session,
                page_size=request.page_size,
                page_token=request.page_token,
                plan_id=request.plan_id,
                receiver=request.receiver,
                state=state,
            )
        )
        return escalation_pb2.ListRecoveryEscalationDeliveriesResponse(
            deliveries=[delivery_message(delivery) for delivery in page.deliveries],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def ReplayRecoveryEscalationDelivery(
        self,
        request: escalation_pb2.ReplayRecoveryEscalationDeliveryRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> escalation_pb2.ReplayRecoveryEscalationDeliveryResponse:
        if not request.delivery_id:
            raise InvalidArgument([FieldViolation("delivery_id", "required")])
        require_config(self._deps.connector_config)

        async def produce() -> escalation_pb2.ReplayRecoveryEscalationDeliveryResponse:
            now = self._deps.clock()
            replayed = await self._deps.database.run(
                lambda session: store.start_new_round(
                    session, delivery_id=request.delivery_id, now=now, allowed_states=(store.DEAD_LETTERED,)
                )
            )
            self._delivery.wake()
            await self._delivery.wait_for_round(
                {replayed.delivery_id: replayed.attempt_count}, round_deadline(context)
            )
            delivery = await self._deps.database.run(
                lambda session: store.get_delivery(session, delivery_id=request.delivery_id)
            )
            return escalation_pb2.ReplayRecoveryEscalationDeliveryResponse(
                delivery=delivery_message(delivery)
            )

        return await self._idempotent(
            "ReplayRecoveryEscalationDelivery",
            request,
            request.request_id,
            escalation_pb2.ReplayRecoveryEscalationDeliveryResponse,
            produce,
        )
