"""Enqueueing deliveries in the caller's transaction: the write half of the transactional outbox.

One delivery row per receiver, each holding the public-safe notification document built now; the rows
commit with the RPC's transaction and only then may the worker send them, so a crash between commit and
send loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cavra_recovery.connectors import ConnectorConfig, KeyRisk, NotificationRoute, PlanSummary
from cavra_recovery.server.delivery.notifications import escalation_document, report_document
from cavra_recovery.server.domain.errors import FieldViolation, InvalidArgument
from cavra_recovery.server.domain.escalation_plan import EscalationPlan
from cavra_recovery.server.domain.executive_report import ExecutiveReport
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.tracing import current_traceparent

DEFAULT_RETRIES = 2
MAX_RETRIES = 10
DEFAULT_MAX_ROUTES = 20
MAX_MAX_ROUTES = 1000
MAX_TIMEOUT_SECONDS = 300


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """A deliver request's knobs, validated and defaulted."""

    max_attempts: int = DEFAULT_RETRIES + 1
    timeout_seconds: float | None = None  # None: each receiver's own
    max_routes: int = DEFAULT_MAX_ROUTES
    dry_run: bool = False


def delivery_options(
    violations: Violations,
    *,
    retries: int,
    timeout_seconds: int,
    max_routes: int,
    dry_run: bool,
    request_id: str,
) -> DeliveryOptions:
    """Defaults for zero values (retries 2, the receiver's timeout, 20 routes); bad values go to
    `violations` (the caller raises them together with its other fields')."""
    if not 0 <= retries <= MAX_RETRIES:
        violations.add("retries", f"must be between 0 and {MAX_RETRIES} (0 means 2)")
    if not 0 <= timeout_seconds <= MAX_TIMEOUT_SECONDS:
        violations.add(
            "timeout_seconds", f"must be between 0 and {MAX_TIMEOUT_SECONDS} (0: the receiver's own)"
        )
    if not 0 <= max_routes <= MAX_MAX_ROUTES:
        violations.add("max_routes", f"must be between 0 and {MAX_MAX_ROUTES} (0 means 20)")
    violations.check_id("request_id", request_id)
    return DeliveryOptions(
        max_attempts=(retries or DEFAULT_RETRIES) + 1,
        timeout_seconds=float(timeout_seconds) if timeout_seconds else None,
        max_routes=max_routes or DEFAULT_MAX_ROUTES,
        dry_run=dry_run,
    )


def check_receiver_names(
    config: ConnectorConfig, names: Sequence[str], *, field: str = "receivers"
) -> tuple[str, ...]:
    """The names, each once, in order; an unknown name is InvalidArgument naming its index.

    The caller has already checked each name's length and characters (Violations.check_name).
    """
    known = set(config.receiver_names())
    violations = [
        FieldViolation(
            f"{field}[{index}]", "empty receiver name" if not name else f"unknown receiver {name!r}"
        )
        for index, name in enumerate(names)
        if name not in known
    ]
    if violations:
        raise InvalidArgument(violations, reason=Reason.UNKNOWN_RECEIVER)
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class PlanForDelivery:
    """What the outbox needs of an escalation plan: its public fields only."""

    plan_id: str
    generated_at: datetime
    alert_level: str
    summary: PlanSummary
    routes: tuple[NotificationRoute, ...]


@dataclass(frozen=True, slots=True)
class EnqueuedDelivery:
    delivery_id: str
    receiver: str
    provider: str


@dataclass(frozen=True, slots=True)
class EnqueuedRequest:
    delivery_evidence_id: str
    deliveries: tuple[EnqueuedDelivery, ...]


def new_delivery_id() -> str:
    return f"dlv_{uuid.uuid4().hex}"


def new_delivery_evidence_id() -> str:
    return f"dle_{uuid.uuid4().hex}"


def routes_by_receiver(
    plan: PlanForDelivery, config: ConnectorConfig, explicit: Sequence[str]
) -> dict[str, list[NotificationRoute]]:
    """Receiver → the routes its notification lists, in plan order.

    Explicit receivers get every route; otherwise each route goes where today's routing policy sends it,
    and a plan without routes goes to the default receiver (so its "all clear" is seen somewhere).
    """
    if explicit:
        return {name: list(plan.routes) for name in explicit}
    chosen: dict[str, list[NotificationRoute]] = {}
    for route in plan.routes:
        for name in config.receivers_for_route(
            severity=route.severity, category=route.category, provider=route.provider
        ):
            chosen.setdefault(name, []).append(route)
    if not chosen:
        chosen[config.routing.default] = []
    return chosen


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a route is not sent: `silenced` by a silence id, or `inhibited` by another route's key."""

    state: str
    by: str


def enqueue_escalation(
    session: Any,
    *,
    plan: PlanForDelivery,
    config: ConnectorConfig,
    receivers: Sequence[str],
    options: DeliveryOptions,
    now: datetime,
    action: str = "trigger",
    suppressed: Mapping[str, Suppression] | None = None,
) -> EnqueuedRequest:
    """One delivery request and one outbox row per receiver for `plan`.

    Routes in `suppressed` (by dedup key) are left out of the notifications and listed in each
    document's `suppressed_routes`; a receiver all of whose routes are suppressed gets a final
    SILENCED or INHIBITED row that is never sent."""
    suppressed = suppressed or {}
    evidence_id = new_delivery_evidence_id()
    store.add_delivery_request(
        session,
        delivery_evidence_id=evidence_id,
        request_id=None,
        plan_id=plan.plan_id,
        schedule_run_id=None,
        dry_run=options.dry_run,
        now=now,
    )
    enqueued = []
    for name, routes in routes_by_receiver(plan, config, receivers).items():
        receiver = config.receiver(name)
        delivery_id = new_delivery_id()
        sendable = [route for route in routes if route.dedup_key not in suppressed]
        held = [
            (route.dedup_key, suppressed[route.dedup_key])
            for route in routes
            if route.dedup_key in suppressed
        ]
        document = escalation_document(
            notification_id=delivery_id,
            plan_id=plan.plan_id,
            generated_at=plan.generated_at,
            alert_level=plan.alert_level,
            summary=plan.summary,
            routes=sendable if sendable or not held else routes,
            max_routes=options.max_routes,
            action=action,
        )
        if held:
            document["suppressed_routes"] = [
                {"dedup_key": key, "state": why.state, "by": why.by} for key, why in held
            ]
        store.add_delivery(
            session,
            delivery_id=delivery_id,
            delivery_evidence_id=evidence_id,
            plan_id=plan.plan_id,
            schedule_run_id=None,
            receiver=name,
            provider=receiver.provider,
            max_attempts=options.max_attempts,
            timeout_seconds=options.timeout_seconds,
            notification=document,
            route_count=len(document["routes"]),
            dry_run=options.dry_run,
            now=now,
            traceparent=current_traceparent(),
            suppressed_state=held[0][1].state if held and not sendable else None,
        )
        enqueued.append(EnqueuedDelivery(delivery_id=delivery_id, receiver=name, provider=receiver.provider))
    return EnqueuedRequest(delivery_evidence_id=evidence_id, deliveries=tuple(enqueued))


@dataclass(frozen=True, slots=True)
class ReportForDelivery:
    report_id: str
    generated_at: datetime
    status: str
    business_impact: str
    key_risks: tuple[KeyRisk, ...]
    recommended_actions: tuple[str, ...]
    markdown: str


def enqueue_report(
    session: Any,
    *,
    schedule_run_id: str,
    report: ReportForDelivery,
    config: ConnectorConfig,
    receivers: Sequence[str],
    options: DeliveryOptions,
    now: datetime,
) -> EnqueuedRequest:
    """One delivery per receiver (explicit, or the routing policy's default) for a schedule run's report."""
    evidence_id = new_delivery_evidence_id()
    store.add_delivery_request(
        session,
        delivery_evidence_id=evidence_id,
        request_id=None,
        plan_id=None,
        schedule_run_id=schedule_run_id,
        dry_run=options.dry_run,
        now=now,
    )
    enqueued = []
    for name in receivers or (config.routing.default,):
        receiver = config.receiver(name)
        delivery_id = new_delivery_id()
        document = report_document(
            notification_id=delivery_id,
            report_id=report.report_id,
            generated_at=report.generated_at,
            status=report.status,
            business_impact=report.business_impact,
            key_risks=report.key_risks,
            recommended_actions=report.recommended_actions,
            markdown=report.markdown,
        )
        store.add_delivery(
            session,
            delivery_id=delivery_id,
            delivery_evidence_id=evidence_id,
            plan_id=None,
            schedule_run_id=schedule_run_id,
            receiver=name,
            provider=receiver.provider,
            max_attempts=options.max_attempts,
            timeout_seconds=options.timeout_seconds,
            notification=document,
            route_count=0,
            dry_run=options.dry_run,
            now=now,
            traceparent=current_traceparent(),
        )
        enqueued.append(EnqueuedDelivery(delivery_id=delivery_id, receiver=name, provider=receiver.provider))
    return EnqueuedRequest(delivery_evidence_id=evidence_id, deliveries=tuple(enqueued))


def plan_for_delivery(plan: EscalationPlan) -> PlanForDelivery:
    """The public fields of a stored plan, as the notification documents carry them."""
    summary = plan.executive_summary
    return PlanForDelivery(
        plan_id=plan.plan_id,
        generated_at=plan.generated_at,
        alert_level=str(plan.alert_level),
        summary=PlanSummary(
            tracked_providers=summary.tracked_providers,
            executions=summary.executions,
            failures=summary.failures,
            open=summary.open,
            breached=summary.breached,
            closure_rate=summary.closure_rate,
        ),
        routes=tuple(
            NotificationRoute(
                dedup_key=route.dedup_key,
                severity=str(route.severity),
                category=str(route.category),
                provider=route.provider,
                status=str(route.status),
                playbook_id=route.playbook_id or None,
                failure_count=route.failure_count,
                age_minutes=route.age_minutes,
                reason=route.reason,
                action=route.action,
            )
            for route in plan.routes
        ),
    )


def report_for_delivery(report: ExecutiveReport, markdown: str) -> ReportForDelivery:
    return ReportForDelivery(
        report_id=report.report_id,
        generated_at=report.generated_at,
        status=str(report.status),
        business_impact=report.business_impact,
        key_risks=tuple(
            KeyRisk(severity=str(risk.severity), title=risk.title, count=risk.count, owner=risk.owner)
            for risk in report.key_risks
        ),
        recommended_actions=tuple(report.recommended_actions),
        markdown=markdown,
    )
