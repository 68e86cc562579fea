"""Silences (create, expire: never deleted) and the escalation state of a plan's routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.delivery.outbox import plan_for_delivery
from cavra_recovery.server.domain.escalation_plan import EscalationRoute
from cavra_recovery.server.domain.escalation_policy import STOPPING_ACKNOWLEDGEMENTS
from cavra_recovery.server.operations.escalations import suppressions
from cavra_recovery.server.operations.idempotency import RequestKey, run_once
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage import deliveries as delivery_store
from cavra_recovery.server.storage import escalations as store
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.escalations import StoredEscalation, StoredSilence, StoredStep

M = TypeVar("M", bound=Message)


async def create_silence(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    provider: str,
    category: str,
    severity: str,
    starts_at: datetime | None,
    ends_at: datetime,
    comment: str,
    created_by: str,
    respond: Callable[[StoredSilence], M],
) -> M:
    def act(session: Session) -> M:
        silence = StoredSilence(
            silence_id=f"sil_{uuid.uuid4().hex}",
            provider=provider,
            category=category,
            severity=severity,
            starts_at=starts_at or now,
            ends_at=ends_at,
            comment=comment,
            created_by=created_by,
            created_at=now,
            expired_at=None,
            expired_by="",
        )
        return respond(store.add_silence(session, silence))

    return await run_once(database, key, response_type, now=now, act=act)


async def expire_silence(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    silence_id: str,
    expired_by: str,
    respond: Callable[[StoredSilence], M],
) -> M:
    def act(session: Session) -> M:
        return respond(store.expire_silence(session, silence_id=silence_id, expired_by=expired_by, now=now))

    return await run_once(database, key, response_type, now=now, act=act)


@dataclass(frozen=True, slots=True)
class RouteState:
    route: EscalationRoute
    escalation: StoredEscalation | None
    steps: tuple[StoredStep, ...]
    acknowledged: bool
    resolved: bool
    silence_id: str | None
    inhibited_by: str | None


def escalation_state(
    session: Session, *, plan_id: str, config: ConnectorConfig | None, now: datetime
) -> list[RouteState]:
    """Per route of the plan, in plan order: its escalation (if any), steps, and what holds it now."""
    plan = plan_store.get_escalation_plan(session, plan_id=plan_id)
    escalations, steps = store.escalations_of_plan(session, plan_id=plan_id)
    by_route = {escalation.dedup_key: escalation for escalation in escalations}
    acknowledgements = acknowledgement_store.latest_acknowledgement_states(session, plan_ids=[plan_id])
    closed = store.closed_recoveries(session, {(route.playbook_id, route.provider) for route in plan.routes})
    held = (
        {} if config is None else suppressions(session, plan=plan_for_delivery(plan), config=config, now=now)
    )
    states = []
    for route in plan.routes:
        acknowledgement = acknowledgements.get((plan_id, route.provider))
        why = held.get(route.dedup_key)
        states.append(
            RouteState(
                route=route,
                escalation=by_route.get(route.dedup_key),
                steps=tuple(step for step in steps if step.dedup_key == route.dedup_key),
                acknowledged=acknowledgement is not None and acknowledgement[0] in STOPPING_ACKNOWLEDGEMENTS,
                resolved=(route.playbook_id, route.provider) in closed,
                silence_id=why.by if why and why.state == delivery_store.SILENCED else None,
                inhibited_by=why.by if why and why.state == delivery_store.INHIBITED else None,
            )
        )
    return states
