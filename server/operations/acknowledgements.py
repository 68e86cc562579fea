"""Acknowledging an escalation: a person's state for one (plan, provider) route of a stored plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import FieldViolation, InvalidArgument
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.operations.escalations import stop_on_acknowledgement
from cavra_recovery.server.operations.idempotency import RequestKey, run_once
from cavra_recovery.server.storage import acknowledgements as acknowledgement_store
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage.acknowledgements import StoredAcknowledgement
from cavra_recovery.server.storage.database import Database

M = TypeVar("M", bound=Message)


async def acknowledge(
    database: Database,
    key: RequestKey | None,
    response_type: type[M],
    *,
    now: datetime,
    plan_id: str,
    provider: str,
    state: str,
    acknowledged_by: str,
    note: str,
    respond: Callable[[StoredAcknowledgement], M],
) -> M:
    def act(session: Session) -> M:
        plan = plan_store.get_escalation_plan(session, plan_id=plan_id)
        if provider not in {route.provider for route in plan.routes}:
            raise InvalidArgument(
                [FieldViolation("provider", f"plan {plan.plan_id!r} has no route about {provider!r}")],
                reason=Reason.PROVIDER_NOT_IN_PLAN,
            )
        stored = acknowledgement_store.add_acknowledgement(
            session,
            plan_id=plan.plan_id,
            provider=provider,
            state=state,
            acknowledged_by=acknowledged_by,
            note=note,
            now=now,
        )
        # An escalation under a policy stops at once, not at the next tick.
        stop_on_acknowledgement(session, plan_id=plan.plan_id, provider=provider, state=state, now=now)
        return respond(stored)

    return await run_once(database, key, response_type, now=now, act=act)
