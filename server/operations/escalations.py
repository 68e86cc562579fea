"""Escalation policies at run time (docs/escalation-policies.md): start on delivery, advance on the tick,
stop on an acknowledgement or a resolving closure; silences and inhibition on every notification.

`advance_escalations` runs in one transaction on any replica: each step is claimed by the unique
(plan, route, step) before its delivery is enqueued, so a step is notified once however many replicas
tick at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig, NotificationRoute
from cavra_recovery.connectors.escalation_config import EscalationPolicy
from cavra_recovery.server.delivery.outbox import (
    DeliveryOptions,
    EnqueuedRequest,
    PlanForDelivery,
    Suppression,
    enqueue_escalation,
    plan_for_delivery,
)
from cavra_recovery.server.domain.escalation_policy import (
    STOPPING_ACKNOWLEDGEMENTS,
    Decision,
    EscalationStatus,
    Inhibition,
    PolicyTimings,
    decide,
    inhibitor_for,
    silence_for,
    step_reason,
)
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage import deliveries as delivery_store
from cavra_recovery.server.storage import escalations as store
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage.escalations import StoredEscalation, StoredStep

# Escalations looked at per tick; the rest wait for the next one.
TICK_BATCH = 500
SENT = "sent"


def policy_timings(policy: EscalationPolicy) -> PolicyTimings:
    return PolicyTimings(tuple(level.ack_timeout for level in policy.levels), policy.repeat)


def _labels(route: NotificationRoute) -> dict[str, str]:
    return {"severity": route.severity, "category": route.category, "provider": route.provider}


def suppressions(
    session: Session,
    *,
    plan: PlanForDelivery,
    config: ConnectorConfig,
    now: datetime,
    routes: Iterable[NotificationRoute] | None = None,
) -> dict[str, Suppression]:
    """Dedup key → why the route is not sent: an active silence first, else an inhibit rule."""
    silences = [silence.rule() for silence in store.silences_in_force(session, now=now)]
    rules = tuple(
        Inhibition(
            source=dict(_match_items(rule.source)),
            target=dict(_match_items(rule.target)),
            equal=rule.equal,
        )
        for rule in config.inhibit_rules
    )
    labels = {route.dedup_key: _labels(route) for route in plan.routes}
    held: dict[str, Suppression] = {}
    for route in plan.routes if routes is None else routes:
        silence_id = silence_for(silences, labels[route.dedup_key], now)
        if silence_id is not None:
            held[route.dedup_key] = Suppression(delivery_store.SILENCED, silence_id)
            continue
        inhibitor = inhibitor_for(rules, route.dedup_key, labels[route.dedup_key], labels)
        if inhibitor is not None:
            held[route.dedup_key] = Suppression(delivery_store.INHIBITED, inhibitor)
    return held


def _match_items(match: object) -> list[tuple[str, str]]:
    return [
        (key, value)
        for key in ("severity", "category", "provider")
        if (value := getattr(match, key)) is not None
    ]


def enqueue_plan_delivery(
    session: Session,
    *,
    plan: PlanForDelivery,
    config: ConnectorConfig,
    receivers: Sequence[str],
    options: DeliveryOptions,
    now: datetime,
) -> EnqueuedRequest:
    """A deliver call's outbox rows, silenced and inhibited routes held back; then, unless it is a dry
    run or the caller named the receivers, every route under a policy starts at level 1."""
    held = suppressions(session, plan=plan, config=config, now=now)
    enqueued = enqueue_escalation(
        session, plan=plan, config=config, receivers=receivers, options=options, now=now, suppressed=held
    )
    if not options.dry_run and not receivers:
        start_escalations(
            session,
            plan=plan,
            config=config,
            held=held,
            delivery_evidence_id=enqueued.delivery_evidence_id,
            now=now,
        )
    return enqueued


def start_escalations(
    session: Session,
    *,
    plan: PlanForDelivery,
    config: ConnectorConfig,
    held: Mapping[str, Suppression],
    delivery_evidence_id: str,
    now: datetime,
) -> int:
    """Start, at level 1, every route of a delivered plan that a routing rule puts under a policy
    (a route already escalating keeps its chain); returns how many started."""
    started = 0
    for route in plan.routes:
        name = config.escalation_policy_for_route(
            severity=route.severity, category=route.category, provider=route.provider
        )
        if name is None:
            continue
        policy = config.escalation_policy(name)
        timings = policy_timings(policy)
        escalation = StoredEscalation(
            plan_id=plan.plan_id,
            dedup_key=route.dedup_key,
            provider=route.provider,
            severity=route.severity,
            category=route.category,
            playbook_id=route.playbook_id or "",
            policy=name,
            status=EscalationStatus.ACTIVE.value,
            current_step=1,
            current_step_at=now,
            next_step_at=now + timings.timeout_of(1),
            started_at=now,
            stopped_at=None,
            stop_reason="",
        )
        if not store.start_escalation(session, escalation):
            continue
        why = held.get(route.dedup_key)
        store.claim_step(
            session,
            StoredStep(
                plan_id=plan.plan_id,
                dedup_key=route.dedup_key,
                step=1,
                level=1,
                cycle=0,
                reason=step_reason(timings, 1),
                receivers=policy.levels[0].receivers,
                outcome=why.state if why else SENT,
                suppressed_by=why.by if why else "",
                delivery_evidence_id=delivery_evidence_id,
                created_at=now,
            ),
        )
        started += 1
    return started


@dataclass(frozen=True, slots=True)
class TickOutcome:
    advanced: int = 0
    stopped: int = 0

    @property
    def enqueued(self) -> bool:
        return self.advanced > 0


def advance_escalations(
    session: Session, *, config: ConnectorConfig, now: datetime, limit: int = TICK_BATCH
) -> TickOutcome:
    """One tick: stop acknowledged or resolved escalations, notify the next step of those whose level
    timed out (each step claimed once), and mark chains that ran out."""
    escalations = store.active_escalations(session, limit=limit)
    if not escalations:
        return TickOutcome()
    acknowledgements = acknowledgement_store.latest_acknowledgement_states(
        session, plan_ids={escalation.plan_id for escalation in escalations}
    )
    closed = store.closed_recoveries(session, {(e.playbook_id, e.provider) for e in escalations})
    plans: dict[str, PlanForDelivery] = {}
    advanced = stopped = 0
    for escalation in escalations:
        try:
            policy = config.escalation_policy(escalation.policy)
        except KeyError:
            store.move_escalation(
                session,
                plan_id=escalation.plan_id,
                dedup_key=escalation.dedup_key,
                from_step=escalation.current_step,
                status=EscalationStatus.EXHAUSTED.value,
                current_step=escalation.current_step,
                current_step_at=escalation.current_step_at,
                next_step_at=None,
                now=now,
                stop_reason=f"stopped: policy {escalation.policy!r} is no longer configured",
            )
            stopped += 1
            continue
        acknowledgement = acknowledgements.get((escalation.plan_id, escalation.provider))
        decision = decide(
            policy_timings(policy),
            current_step=escalation.current_step,
            current_step_at=escalation.current_step_at,
            now=now,
            acknowledgement=None if acknowledgement is None else acknowledgement[0],
            resolved=(escalation.playbook_id, escalation.provider) in closed,
        )
        if decision.status is not EscalationStatus.ACTIVE:
            _stop(session, escalation, decision, now)
            stopped += 1
        elif decision.step is not None:
            if escalation.plan_id not in plans:
                plans[escalation.plan_id] = plan_for_delivery(
                    plan_store.get_escalation_plan(session, plan_id=escalation.plan_id)
                )
            advanced += _notify_step(
                session, escalation, policy, decision, plans[escalation.plan_id], config, now
            )
    return TickOutcome(advanced=advanced, stopped=stopped)


def _stop(session: Session, escalation: StoredEscalation, decision: Decision, now: datetime) -> None:
    store.move_escalation(
        session,
        plan_id=escalation.plan_id,
        dedup_key=escalation.dedup_key,
        from_step=escalation.current_step,
        status=decision.status.value,
        current_step=escalation.current_step,
        current_step_at=escalation.current_step_at,
        next_step_at=None,
        now=now,
        stop_reason=decision.why,
    )


def _notify_step(
    session: Session,
    escalation: StoredEscalation,
    policy: EscalationPolicy,
    decision: Decision,
    plan: PlanForDelivery,
    config: ConnectorConfig,
    now: datetime,
) -> int:
    assert decision.step is not None
    route = next((r for r in plan.routes if r.dedup_key == escalation.dedup_key), None)
    if route is None:
        return 0
    level, cycle = policy_timings(policy).position(decision.step)
    receivers = policy.levels[level - 1].receivers
    held = suppressions(session, plan=plan, config=config, now=now, routes=(route,))
    why = held.get(route.dedup_key)
    step = StoredStep(
        plan_id=escalation.plan_id,
        dedup_key=escalation.dedup_key,
        step=decision.step,
        level=level,
        cycle=cycle,
        reason=decision.why,
        receivers=receivers,
        outcome=why.state if why else SENT,
        suppressed_by=why.by if why else "",
        delivery_evidence_id=None,
        created_at=now,
    )
    if not store.claim_step(session, step):
        return 0
    enqueued = enqueue_escalation(
        session,
        plan=replace(plan, routes=(route,)),
        config=config,
        receivers=receivers,
        options=DeliveryOptions(),
        now=now,
        suppressed=held,
    )
    store.record_step_delivery(
        session,
        plan_id=escalation.plan_id,
        dedup_key=escalation.dedup_key,
        step=decision.step,
        delivery_evidence_id=enqueued.delivery_evidence_id,
    )
    store.move_escalation(
        session,
        plan_id=escalation.plan_id,
        dedup_key=escalation.dedup_key,
        from_step=escalation.current_step,
        status=EscalationStatus.ACTIVE.value,
        current_step=decision.step,
        current_step_at=now,
        next_step_at=decision.next_step_at,
        now=now,
    )
    return 1


def stop_on_acknowledgement(
    session: Session, *, plan_id: str, provider: str, state: str, now: datetime
) -> int:
    """Stop the plan's escalations about `provider` at once when `state` stops them."""
    if state not in STOPPING_ACKNOWLEDGEMENTS:
        return 0
    escalations, _ = store.escalations_of_plan(session, plan_id=plan_id)
    stopped = 0
    for escalation in escalations:
        if escalation.provider == provider and escalation.status == EscalationStatus.ACTIVE.value:
            _stop(
                session,
                escalation,
                Decision(EscalationStatus.ACKNOWLEDGED, why=f"stopped: acknowledgement {state}"),
                now,
            )
            stopped += 1
    return stopped
