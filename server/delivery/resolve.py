"""PagerDuty `resolve` events when a recovery closes (SPEC §6).

When a closure in state resolved or mitigated becomes the latest closure of a (playbook, provider)
recovery, every PagerDuty receiver that was sent a `trigger` for a route about that recovery gets a
`resolve` for the same `dedup_key`. The worker scans recently recorded closures; the closure intake may
also call `enqueue_resolves_for_closure` in its own transaction. Both are idempotent: one resolve
delivery request per (closure, plan), keyed by a derived request_id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.delivery.outbox import DEFAULT_RETRIES, new_delivery_evidence_id, new_delivery_id
from cavra_recovery.server.storage import deliveries as store
from cavra_recovery.server.storage.models import (
    DeliveryRecord,
    DeliveryRequestRecord,
    EscalationRouteRecord,
    RecoveryClosureRecord,
)

CLOSING_STATES = ("resolved", "mitigated")


def resolve_request_id(closure_id: str, plan_id: str) -> str:
    return "resolve:" + hashlib.sha256(f"{closure_id}\0{plan_id}".encode()).hexdigest()[:48]


def _closes_recovery(session: Session, *, playbook_id: str, provider: str, closure_id: str) -> bool:
    latest = session.execute(
        select(RecoveryClosureRecord.closure_id, RecoveryClosureRecord.closure_state)
        .where(RecoveryClosureRecord.playbook_id == playbook_id, RecoveryClosureRecord.provider == provider)
        .order_by(RecoveryClosureRecord.closed_at.desc(), RecoveryClosureRecord.id.desc())
        .limit(1)
    ).one_or_none()
    return latest is not None and latest[0] == closure_id and latest[1] in CLOSING_STATES


def enqueue_resolves_for_closure(
    session: Session,
    *,
    config: ConnectorConfig,
    closure_id: str,
    playbook_id: str,
    provider: str,
    now: datetime,
) -> int:
    """Enqueue resolve deliveries for one closing closure; returns how many were enqueued."""
    if not _closes_recovery(session, playbook_id=playbook_id, provider=provider, closure_id=closure_id):
        return 0
    keys_by_plan: dict[str, set[str]] = {}
    for plan_id, dedup_key in session.execute(
        select(EscalationRouteRecord.plan_id, EscalationRouteRecord.dedup_key).where(
            EscalationRouteRecord.playbook_id == playbook_id, EscalationRouteRecord.provider == provider
        )
    ):
        keys_by_plan.setdefault(plan_id, set()).add(dedup_key)
    if not keys_by_plan:
        return 0
    pagerduty = {receiver.name for receiver in config.receivers if receiver.provider == "pagerduty"}
    triggers = session.scalars(
        select(DeliveryRecord).where(
            DeliveryRecord.plan_id.in_(list(keys_by_plan)),
            DeliveryRecord.provider == "pagerduty",
            DeliveryRecord.state == store.DELIVERED,
        )
    ).all()
    # plan → receiver → (trigger document, routes to resolve)
    to_resolve: dict[str, dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]]]]] = {}
    for trigger in triggers:
        document = trigger.notification
        if trigger.receiver not in pagerduty or document.get("action", "trigger") != "trigger":
            continue
        assert trigger.plan_id is not None
        wanted = keys_by_plan[trigger.plan_id]
        routes = [route for route in document.get("routes", []) if route.get("dedup_key") in wanted]
        if routes:
            per_receiver = to_resolve.setdefault(trigger.plan_id, {})
            _, known = per_receiver.setdefault(trigger.receiver, (document, []))
            seen = {route["dedup_key"] for route in known}
            known.extend(route for route in routes if route["dedup_key"] not in seen)
    enqueued = 0
    for plan_id, receivers in to_resolve.items():
        request_id = resolve_request_id(closure_id, plan_id)
        if session.scalar(
            select(DeliveryRequestRecord.id).where(DeliveryRequestRecord.request_id == request_id)
        ):
            continue
        enqueued += _enqueue_plan_resolves(
            session, request_id=request_id, plan_id=plan_id, receivers=receivers, now=now
        )
    return enqueued


def _enqueue_plan_resolves(
    session: Session,
    *,
    request_id: str,
    plan_id: str,
    receivers: Mapping[str, tuple[Mapping[str, Any], list[Mapping[str, Any]]]],
    now: datetime,
) -> int:
    is_postgresql = session.get_bind().dialect.name == "postgresql"
    # Another replica may be enqueueing the same resolve: the request_id is unique, so one of us wins.
    savepoint = session.begin_nested() if is_postgresql else None
    try:
        evidence_id = new_delivery_evidence_id()
        store.add_delivery_request(
            session,
            delivery_evidence_id=evidence_id,
            request_id=request_id,
            # No client request has this digest: a caller reusing the derived id is refused, not replayed.
            request_digest=hashlib.sha256(f"resolve\0{request_id}".encode()).hexdigest(),
            plan_id=plan_id,
            schedule_run_id=None,
            dry_run=False,
            now=now,
        )
        for receiver, (trigger, routes) in receivers.items():
            delivery_id = new_delivery_id()
            document = {
                **trigger,
                "notification_id": delivery_id,
                "action": "resolve",
                "routes": list(routes),
                "total_route_count": len(routes),
                "omitted_route_count": 0,
            }
            store.add_delivery(
                session,
                delivery_id=delivery_id,
                delivery_evidence_id=evidence_id,
                plan_id=plan_id,
                schedule_run_id=None,
                receiver=receiver,
                provider="pagerduty",
                max_attempts=DEFAULT_RETRIES + 1,
                timeout_seconds=None,
                notification=document,
                route_count=len(routes),
                dry_run=False,
                now=now,
            )
        session.flush()
    except IntegrityError:
        if savepoint is None:
            raise
        savepoint.rollback()
        return 0
    if savepoint is not None:
        savepoint.commit()
    return len(receivers)


def enqueue_resolves_since(
    session: Session, *, config: ConnectorConfig, since: datetime, now: datetime
) -> int:
    """Enqueue resolves for closing closures recorded since `since` (the worker's periodic scan)."""
    closures = session.execute(
        select(
            RecoveryClosureRecord.closure_id,
            RecoveryClosureRecord.playbook_id,
            RecoveryClosureRecord.provider,
        )
        .where(
            RecoveryClosureRecord.closure_state.in_(CLOSING_STATES),
            RecoveryClosureRecord.recorded_at >= since,
        )
        .order_by(RecoveryClosureRecord.recorded_at)
    ).all()
    return sum(
        enqueue_resolves_for_closure(
            session, config=config, closure_id=closure_id, playbook_id=playbook_id, provider=provider, now=now
        )
        for closure_id, playbook_id, provider in closures
    )
