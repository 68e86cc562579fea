"""EscalationService evidence-trail RPCs: acknowledgements by plan and provider, a plan's evidence
trail, and the configured receivers with the routing rules.

The trail and the receiver listing are public-safe by construction: their messages have no field for
a note, an actor, an error text, a URL or a credential, so nothing here can copy one in.
"""

from __future__ import annotations

from typing import Any

from cavra.recovery.v1 import common_pb2, retry_runs_pb2, trail_pb2
from cavra_recovery.server.domain.evidence import category_for_provider
from cavra_recovery.server.domain.paging import (
    Listing,
    PageCursor,
    PageRequest,
    next_page_token,
    page_request,
)
from cavra_recovery.server.domain.retry_policy import RetryPlanDecision
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.delivery_mapping import delivery_state, failure_reason
from cavra_recovery.server.handlers.escalation_plans import alert_level_value
from cavra_recovery.server.handlers.escalation_policies import step_message
from cavra_recovery.server.handlers.timestamps import to_optional_timestamp, to_timestamp
from cavra_recovery.server.operations.trail import EvidenceTrail, evidence_trail
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage.acknowledgements import StoredAcknowledgement
from cavra_recovery.server.storage.deliveries import StoredAttempt, StoredDelivery
from cavra_recovery.server.storage.retry_runs import StoredRetryRun

ACKNOWLEDGEMENTS = Listing("EscalationService.ListRecoveryEscalationAcknowledgements")
RECEIVERS = Listing("EscalationService.ListEscalationReceivers")


def _enum_value(enum_type: Any, prefix: str, name: str) -> int:
    """`name` ("dead_lettered", "retry-execution") as the value of `PREFIX_NAME`; UNSPECIFIED when unknown."""
    full = f"{prefix}_{name.upper().replace('-', '_')}"
    return int(enum_type.Value(full)) if full in enum_type.keys() else 0


def acknowledgement_state_value(state: str | None) -> int:
    return _enum_value(common_pb2.AcknowledgementState, "ACKNOWLEDGEMENT_STATE", state or "")


def acknowledgement_entry(stored: StoredAcknowledgement) -> trail_pb2.AcknowledgementEntry:
    return trail_pb2.AcknowledgementEntry(
        acknowledgement_id=stored.acknowledgement_id,
        plan_id=stored.plan_id,
        provider=stored.provider,
        state=acknowledgement_state_value(stored.state),
        acknowledged_by=stored.acknowledged_by,
        acknowledged_at=to_timestamp(stored.acknowledged_at),
        note=stored.note,
    )


def _trail_attempt(attempt: StoredAttempt) -> trail_pb2.TrailDeliveryAttempt:
    return trail_pb2.TrailDeliveryAttempt(
        attempt_number=attempt.attempt_number,
        started_at=to_timestamp(attempt.started_at),
        finished_at=to_timestamp(attempt.finished_at),
        success=attempt.success,
        http_status=attempt.http_status,
        failure_reason=failure_reason(attempt.failure_reason),
        retryable=attempt.retryable,
        latency_ms=attempt.latency_ms,
        body_sha256=[str(request.get("body_sha256", "")) for request in attempt.requests],
    )


def _trail_delivery(delivery: StoredDelivery) -> trail_pb2.TrailDelivery:
    return trail_pb2.TrailDelivery(
        delivery_id=delivery.delivery_id,
        delivery_evidence_id=delivery.delivery_evidence_id,
        receiver=delivery.receiver,
        provider=delivery.provider,
        state=delivery_state(delivery.state),
        attempt_count=delivery.attempt_count,
        round_count=delivery.round_count,
        created_at=to_timestamp(delivery.created_at),
        updated_at=to_timestamp(delivery.updated_at),
        attempts=[_trail_attempt(attempt) for attempt in delivery.attempts],
    )


def _trail_decision(decision: RetryPlanDecision) -> trail_pb2.TrailRetryDecision:
    return trail_pb2.TrailRetryDecision(
        delivery_id=decision.delivery.delivery_id,
        receiver=decision.delivery.receiver,
        decision=_enum_value(common_pb2.RetryDecision, "RETRY_DECISION", decision.decision.value),
        reason=decision.reason,
        attempt_count=decision.delivery.attempt_count,
        next_attempt_at=to_optional_timestamp(decision.next_attempt_at),
        acknowledgement_state=acknowledgement_state_value(decision.delivery.acknowledgement_state),
    )


def _trail_escalation_steps(trail: EvidenceTrail) -> list[trail_pb2.TrailEscalationStep]:
    routes = {escalation.dedup_key: escalation for escalation in trail.escalations}
    return [
        trail_pb2.TrailEscalationStep(
            dedup_key=step.dedup_key,
            provider=routes[step.dedup_key].provider if step.dedup_key in routes else "",
            policy=routes[step.dedup_key].policy if step.dedup_key in routes else "",
            step=step_message(step),
        )
        for step in trail.escalation_steps
    ]


def _trail_run(run: StoredRetryRun) -> retry_runs_pb2.TrailRetryWorkerRun:
    """A stored run without its `requested_by` (no actor in the trail)."""
    return retry_runs_pb2.TrailRetryWorkerRun(
        run_id=run.run_id,
        trigger=_enum_value(retry_runs_pb2.RetryRunTrigger, "RETRY_RUN_TRIGGER", run.trigger),
        dry_run=run.dry_run,
        started_at=to_timestamp(run.started_at),
        finished_at=to_timestamp(run.finished_at),
        decisions=[
            retry_runs_pb2.TrailRetryWorkerDecision(
                delivery_id=decision.delivery_id,
                receiver=decision.receiver,
                provider=decision.provider,
                decision=_enum_value(common_pb2.RetryDecision, "RETRY_DECISION", decision.decision),
                reason=decision.reason,
                attempt_number=decision.attempt_number,
                outcome_state=delivery_state(decision.outcome_state),
            )
            for decision in run.decisions
        ],
    )


def trail_message(trail: EvidenceTrail) -> trail_pb2.RecoveryEvidenceTrail:
    plan = trail.plan
    message = trail_pb2.RecoveryEvidenceTrail(
        plan=trail_pb2.TrailPlan(
            plan_id=plan.plan_id,
            generated_at=to_timestamp(plan.generated_at),
            alert_level=alert_level_value(plan.alert_level.value),
            recovery_slo_minutes=plan.recovery_slo_minutes,
            recovery_report_id=plan.recovery_report_id,
            escalation_count=plan.escalation_count,
            critical_escalation_count=plan.critical_escalation_count,
            selected_providers=list(plan.selected_providers),
        ),
        deliveries=[_trail_delivery(delivery) for delivery in trail.deliveries],
        acknowledgements=[
            trail_pb2.TrailAcknowledgement(
                acknowledgement_id=stored.acknowledgement_id,
                provider=stored.provider,
                state=acknowledgement_state_value(stored.state),
                acknowledged_at=to_timestamp(stored.acknowledged_at),
            )
            for stored in trail.acknowledgements
        ],
        retry_decisions=[_trail_decision(decision) for decision in trail.retry_decisions],
        evaluated_at=to_timestamp(trail.evaluated_at),
        escalation_steps=_trail_escalation_steps(trail),
        ledger_entries=[
            trail_pb2.TrailLedgerEntry(
                kind=position.kind,
                record_id=position.record_id,
                sequence=position.sequence,
                leaf_index=position.leaf_index or 0,
                sealed=position.leaf_index is not None,
            )
            for position in trail.ledger_positions
        ],
        executive_reports=[
            trail_pb2.TrailExecutiveReport(
                report_id=report.report_id,
                generated_at=to_timestamp(report.generated_at),
                status=alert_level_value(report.status),
                recovery_report_id=report.recovery_report_id,
            )
            for report in trail.executive_reports
        ],
        retry_worker_runs=[_trail_run(run) for run in trail.retry_worker_runs],
    )
    if trail.recovery_report is not None:
        report = trail.recovery_report
        message.recovery_report.CopyFrom(
            trail_pb2.TrailRecoveryReport(
                report_id=report.report_id,
                generated_at=to_timestamp(report.generated_at),
                recovery_slo_minutes=report.recovery_slo_minutes,
                level=alert_level_value(report.level),
            )
        )
    return message


def _routing_rule(rule: Any) -> trail_pb2.EscalationRoutingRule:
    match = rule.match
    return trail_pb2.EscalationRoutingRule(
        match=trail_pb2.EscalationRouteMatch(
            severity=_enum_value(common_pb2.AlertLevel, "ALERT_LEVEL", match.severity or ""),
            category=_enum_value(common_pb2.RouteCategory, "ROUTE_CATEGORY", match.category or ""),
            provider=match.provider or "",
        ),
        receivers=list(rule.receivers),
        continue_matching=rule.continue_matching,
    )


def receivers_response(
    config: Any, page: PageRequest, provider: str
) -> trail_pb2.ListEscalationReceiversResponse:
    """One page of the configured receivers in configuration order (keyed by 1-based position)."""
    if config is None:
        return trail_pb2.ListEscalationReceiversResponse()
    default = config.routing.default
    matching = [
        (position, receiver)
        for position, receiver in enumerate(config.receivers, start=1)
        if not provider or receiver.provider == provider
    ]
    after = 0 if page.after is None else page.after.row_id
    remaining = [(position, receiver) for position, receiver in matching if position > after]
    listed = remaining[: page.page_size]
    more = len(remaining) > page.page_size
    return trail_pb2.ListEscalationReceiversResponse(
        receivers=[
            trail_pb2.EscalationReceiver(
                name=receiver.name,
                provider=receiver.provider,
                category=_enum_value(
                    common_pb2.ProviderCategory, "PROVIDER_CATEGORY", category_for_provider(receiver.provider)
                ),
                is_default=receiver.name == default,
            )
            for _, receiver in listed
        ],
        next_page_token=next_page_token(page, PageCursor(listed[-1][0]) if more else None),
        total_size=len(matching),
        default_receiver=default,
        routing_rules=[_routing_rule(rule) for rule in config.routing.rules],
    )


class EvidenceTrailHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def ListRecoveryEscalationAcknowledgements(
        self, request: trail_pb2.ListRecoveryEscalationAcknowledgementsRequest, context: Any
    ) -> trail_pb2.ListRecoveryEscalationAcknowledgementsResponse:
        checks = Violations()
        plan_id = checks.check_id("plan_id", request.plan_id)
        provider = checks.check_provider("provider", request.provider)
        page = page_request(
            checks,
            ACKNOWLEDGEMENTS,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(plan_id, provider),
        )
        checks.raise_if_any()
        result = await self._deps.database.run(
            lambda session: acknowledgement_store.list_acknowledgements(
                session, page=page, plan_id=plan_id, provider=provider
            )
        )
        return trail_pb2.ListRecoveryEscalationAcknowledgementsResponse(
            acknowledgements=[acknowledgement_entry(stored) for stored in result.acknowledgements],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def GetRecoveryEvidenceTrail(
        self, request: trail_pb2.GetRecoveryEvidenceTrailRequest, context: Any
    ) -> trail_pb2.GetRecoveryEvidenceTrailResponse:
        checks = Violations()
        plan_id = checks.require_id("plan_id", request.plan_id)
        checks.raise_if_any()
        trail = await evidence_trail(self._deps.database, plan_id=plan_id, now=self._deps.clock())
        return trail_pb2.GetRecoveryEvidenceTrailResponse(trail=trail_message(trail))

    async def ListEscalationReceivers(
        self, request: trail_pb2.ListEscalationReceiversRequest, context: Any
    ) -> trail_pb2.ListEscalationReceiversResponse:
        checks = Violations()
        provider = checks.check_provider("provider", request.provider)
        page = page_request(
            checks, RECEIVERS, page_size=request.page_size, page_token=request.page_token, filters=(provider,)
        )
        checks.raise_if_any()
        return receivers_response(self._deps.connector_config, page, provider)
