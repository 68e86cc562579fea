"""EscalationService delivery RPCs: deliver, acknowledge, retry planning, retry worker, deliveries."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
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
from server.domain.paging import Listing, next_page_token, page_request
from server.domain.slo_report import normalize_recovery_slo_minutes
from server.domain.validation import Violations
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
REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
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


def keep_first_response(session: Session, *, delivery_evidence_id: str, response: M) -> M:
    """Store `response` as the deliver call's first response, or return the one a racing call stored."""
    if store.store_response_document(
        session, delivery_evidence_id=delivery_evidence_id, document=to_document(response)
    ):
        return response
    first = store.get_delivery_request(session, delivery_evidence_id=delivery_evidence_id).response_document
    return response if first is None else from_document(first, type(response)())


def request_digest(message: Message) -> str:
    """SHA-256 of the request as sent: what a repeated request_id must match (AIP-155)."""
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


def request_id_reused() -> InvalidArgument:
    return InvalidArgument(
        [
            FieldViolation(
                "request_id", "was already used for a request with different parameters; use a new request_id"
            )
        ],
        reason=REQUEST_ID_REUSED,
    )


def check_same_request(stored_digest: str | None, digest: str) -> None:
    """A request_id reused with other parameters is refused, never answered with the first response.

    Rows stored before digests were kept (None) are taken as matching.
    """
    if stored_digest is not None and stored_digest != digest:
        raise request_id_reused()


def check_receiver_fields(violations: Violations, names: Any) -> None:
    for index, name in enumerate(names):
        violations.check_name(f"receivers[{index}]", name)


class EscalationDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    @property
    def _delivery(self) -> DeliveryService:
        return self._deps.delivery

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
            request_digest=request_digest(request),
        )
        violations.raise_if_any()
        config = require_config(self._deps.connector_config)
        receivers = check_receiver_names(config, list(request.receivers))
        recovery_slo_minutes = normalize_recovery_slo_minutes(request.recovery_slo_minutes)
        now = self._deps.clock()

        def replay(session: Session) -> store.StoredDeliveryRequest | None:
            existing = store.find_delivery_request(session, request_id=str(options.request_id))
            if existing is not None:
                check_same_request(existing.request_digest, str(options.request_digest))
            return existing

        def enqueue(session: Session) -> tuple[store.StoredDeliveryRequest, EscalationPlan | None]:
            # The request_id is unique on delivery_requests, inserted with the outbox rows below: the key
            # is reserved in the same transaction that enqueues, so only one of two racing calls enqueues.
            if options.request_id:
                existing = replay(session)
                if existing is not None:
                    return existing, None
            if request.plan_id == LATEST:
                plan = create_escalation_plan(
                    session,
                    now=now,
                    recovery_slo_minutes=recovery_slo_minutes,
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
            found = await self._deps.database.run(replay)
            if found is None:
                raise
            delivery_request, plan = found, None
        if delivery_request.response_document is not None:
            return from_document(
                delivery_request.response_document, escalation_pb2.DeliverRecoveryEscalationResponse()
            )
        # The outbox rows are committed; the sends happen outside any transaction (see docs/delivery.md).
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
            results = [result_message(delivery) for delivery in deliveries]
            response = escalation_pb2.DeliverRecoveryEscalationResponse(
                plan=plan_to_proto(stored_plan),
                results=results,
                success=all(result.success for result in results),
                delivery_evidence_id=delivery_request.delivery_evidence_id,
                dry_run=delivery_request.dry_run,
            )
            return keep_first_response(
                session, delivery_evidence_id=delivery_request.delivery_evidence_id, response=response
            )

        response = await self._deps.database.run(answer)
        if delivery_request.dry_run and plan is not None:
            self._delivery.observe_dry_run(result.receiver for result in response.results)
        return response

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
        acknowledged_by = request.acknowledged_by.strip()
        if not acknowledged_by:
            violations.add("acknowledged_by", "is required")
        violations.check_name("acknowledged_by", request.acknowledged_by)
        violations.check_text("note", request.note)
        violations.check_id("request_id", request.request_id)
        violations.raise_if_any()
        assert state is not None
        now = self._deps.clock()

        def replay(session: Session) -> ack_store.StoredAcknowledgement | None:
            existing = ack_store.find_acknowledgement(session, request_id=request.request_id)
            if existing is not None:
                stored = (
                    existing.plan_id,
                    existing.provider,
                    existing.state,
                    existing.acknowledged_by,
                    existing.note,
                )
                # The acknowledgement row is the request's record: compare its fields instead of a digest.
                if stored != (request.plan_id, request.provider, state, acknowledged_by, request.note):
                    raise request_id_reused()
            return existing

        def acknowledge(session: Session) -> ack_store.StoredAcknowledgement:
            if request.request_id:
                existing = replay(session)
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
            # The acknowledgement row carries the unique request_id: key and action commit together.
            return ack_store.add_acknowledgement(
                session,
                plan_id=plan.plan_id,
                provider=request.provider,
                state=state,
                acknowledged_by=acknowledged_by,
                note=request.note,
                request_id=request.request_id or None,
                now=now,
            )

        try:
            stored = await self._deps.database.run(acknowledge)
        except IntegrityError:
            if not request.request_id:
                raise
            found = await self._deps.database.run(replay)
            if found is None:
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
        *,
        method: str,
        request: Message,
        request_id: str,
        response_type: Callable[[], M],
        act: Callable[[Session], tuple[Mapping[str, Any], M | None]],
        finish: Callable[[Mapping[str, Any]], Awaitable[M]],
    ) -> M:
        """Act once per request_id (AIP-155), reserving the key in the action's own transaction.

        `act(session)` does the work and returns what it did (an action document) and, when no waiting is
        needed, the response itself. Otherwise `finish(action)` waits and builds the response after the
        commit; the first response kept is the one every call with this request_id answers. A call that
        finds the key held by another (committed) call finishes that call's action instead of acting again.
        """
        digest = request_digest(request)

        def reserve_and_act(session: Session) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
            if request_id:
                key = store.reserve_idempotency_key(
                    session,
                    method=method,
                    request_id=request_id,
                    request_digest=digest,
                    now=self._deps.clock(),
                )
                if key is not None:
                    check_same_request(key.request_digest, digest)
                    return key.action_document, key.response_document
            action, response = act(session)
            document = None if response is None else to_document(response)
            if request_id:
                if document is not None:
                    store.keep_idempotent_response(
                        session, method=method, request_id=request_id, document=document
                    )
                else:
                    store.record_idempotent_action(
                        session, method=method, request_id=request_id, document=action
                    )
            return action, document

        action, document = await self._deps.database.run(reserve_and_act)
        if document is not None:
            return from_document(document, response_type())
        if action is None:
            raise FailedPrecondition(
                f"request_id {request_id!r} holds no recorded action; use a new request_id",
                reason="REQUEST_ID_INCOMPLETE",
            )
        response = await finish(action)
        if not request_id:
            return response
        document = to_document(response)
        kept = await self._deps.database.run(
            lambda session: store.keep_idempotent_response(
                session, method=method, request_id=request_id, document=document
            )
        )
        return response if kept is document else from_document(kept, response_type())

    async def _results_after_round(
        self, baselines: Mapping[str, int], context: grpc.aio.ServicerContext[Any, Any]
    ) -> list[store.StoredDelivery]:
        """Wake the worker, wait (bounded) for one more attempt of each delivery, then read them."""
        self._delivery.wake()
        await self._delivery.wait_for_round(baselines, round_deadline(context))
        return await self._deps.database.run(
            lambda session: store.get_deliveries(session, delivery_ids=list(baselines), with_attempts=True)
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

        def act(
            session: Session,
        ) -> tuple[Mapping[str, Any], escalation_pb2.PlanRecoveryEscalationRetriesResponse]:
            evaluated_at = self._deps.clock()
            decisions = self._decisions(session, plan_id=request.plan_id, policy=policy)
            return {}, escalation_pb2.PlanRecoveryEscalationRetriesResponse(
                evaluated_at=timestamp(evaluated_at),
                policy=self._policy_message(policy),
                decisions=[self._decision_message(decision) for decision in decisions],
                retry_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.RETRY),
                wait_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.WAIT),
                suppress_count=sum(1 for d in decisions if d.decision is retry_policy.Decision.SUPPRESS),
            )

        async def finish(action: Mapping[str, Any]) -> escalation_pb2.PlanRecoveryEscalationRetriesResponse:
            raise AssertionError("retry planning answers inside its transaction")

        return await self._idempotent(
            method="PlanRecoveryEscalationRetries",
            request=request,
            request_id=request.request_id,
            response_type=escalation_pb2.PlanRecoveryEscalationRetriesResponse,
            act=act,
            finish=finish,
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
            require_config(self._deps.connector_config)

        def act(
            session: Session,
        ) -> tuple[Mapping[str, Any], escalation_pb2.RunRecoveryEscalationRetryWorkerResponse | None]:
            now = self._deps.clock()
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
            response = escalation_pb2.RunRecoveryEscalationRetryWorkerResponse(
                dry_run=dry_run,
                decisions=[self._decision_message(decision) for decision in decisions],
                retried_count=len(retried),
            )
            if not retried:
                return {}, response
            baselines = {delivery.delivery_id: delivery.attempt_count for delivery in retried}
            return {"response": to_document(response), "baselines": baselines}, None

        async def finish(
            action: Mapping[str, Any],
        ) -> escalation_pb2.RunRecoveryEscalationRetryWorkerResponse:
            response = from_document(
                action["response"], escalation_pb2.RunRecoveryEscalationRetryWorkerResponse()
            )
            baselines = {str(key): int(value) for key, value in action["baselines"].items()}
            current = await self._results_after_round(baselines, context)
            response.results.extend(result_message(delivery) for delivery in current)
            return response

        return await self._idempotent(
            method="RunRecoveryEscalationRetryWorker",
            request=request,
            request_id=request.request_id,
            response_type=escalation_pb2.RunRecoveryEscalationRetryWorkerResponse,
            act=act,
            finish=finish,
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
        require_config(self._deps.connector_config)

        def act(session: Session) -> tuple[Mapping[str, Any], None]:
            replayed = store.start_new_round(
                session,
                delivery_id=request.delivery_id,
                now=self._deps.clock(),
                allowed_states=(store.DEAD_LETTERED,),
            )
            return {"baselines": {replayed.delivery_id: replayed.attempt_count}}, None

        async def finish(
            action: Mapping[str, Any],
        ) -> escalation_pb2.ReplayRecoveryEscalationDeliveryResponse:
            baselines = {str(key): int(value) for key, value in action["baselines"].items()}
            (delivery,) = await self._results_after_round(baselines, context)
            return escalation_pb2.ReplayRecoveryEscalationDeliveryResponse(
                delivery=delivery_message(delivery)
            )

        return await self._idempotent(
            method="ReplayRecoveryEscalationDelivery",
            request=request,
            request_id=request.request_id,
            response_type=escalation_pb2.ReplayRecoveryEscalationDeliveryResponse,
            act=act,
            finish=finish,
        )
