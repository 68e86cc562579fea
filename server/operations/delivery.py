"""Deliver a plan or a schedule run through the outbox, replay a dead letter, run the retry worker.

A deliver call is three steps (docs/delivery.md): in one transaction reserve the request_id and put
one outbox row per receiver; after the commit wake the worker and wait, bounded by the caller's
deadline, for each row's first attempt; then read the rows and answer. The escalation and the
schedule-run deliver calls share that flow (`_deliver`); only what they enqueue and answer differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.delivery.outbox import (
    DeliveryOptions,
    EnqueuedRequest,
    enqueue_report,
    plan_for_delivery,
    report_for_delivery,
)
from cavra_recovery.server.delivery.service import DeliveryService
from cavra_recovery.server.domain.errors import FailedPrecondition
from cavra_recovery.server.domain.escalation_plan import EscalationPlan
from cavra_recovery.server.domain.executive_report import ScheduleRun
from cavra_recovery.server.domain.reasons import Reason
from cavra_recovery.server.domain.rendering import render_markdown
from cavra_recovery.server.operations import escalations as escalation_operations
from cavra_recovery.server.operations.idempotency import Pending, RequestKey, run_once
from cavra_recovery.server.operations.plans import create_plan
from cavra_recovery.server.storage import deliveries as delivery_store
from cavra_recovery.server.storage import executive_reports as executive_store
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage import retry_runs as run_store
from cavra_recovery.server.storage import schedule as schedule_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.deliveries import StoredDelivery

LATEST = "latest"
# Without a client deadline the deliver call still answers within this long.
MAX_ROUND_WAIT_SECONDS = 60.0
# Answer this long before the client's deadline, so the response is not cut off.
DEADLINE_MARGIN_SECONDS = 0.3

M = TypeVar("M", bound=Message)
S = TypeVar("S")


def require_routing(routing: ConnectorConfig | None) -> ConnectorConfig:
    if routing is None:
        raise FailedPrecondition(
            "no connector configuration: start the server with --connectors (CAVRA_CONNECTORS) to deliver",
            reason=Reason.CONNECTORS_NOT_CONFIGURED,
        )
    return routing


def round_deadline(time_remaining: float | None) -> float:
    """Event-loop time by which a call must stop waiting for attempts, given the client's time left."""
    budget = MAX_ROUND_WAIT_SECONDS if time_remaining is None else min(MAX_ROUND_WAIT_SECONDS, time_remaining)
    return asyncio.get_running_loop().time() + max(0.0, budget - DEADLINE_MARGIN_SECONDS)


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What a deliver call answers with: its evidence id and each receiver's delivery as it stands."""

    delivery_evidence_id: str
    dry_run: bool
    deliveries: tuple[StoredDelivery, ...]


@dataclass(frozen=True, slots=True)
class DeliveryCall:
    database: Database
    worker: DeliveryService
    key: RequestKey | None
    now: datetime
    time_remaining: float | None


async def _deliver(
    call: DeliveryCall,
    response_type: type[M],
    *,
    dry_run: bool,
    enqueue: Callable[[Session], tuple[EnqueuedRequest, S]],
    subject_of: Callable[[Session, delivery_store.StoredDeliveryRequest], S],
    respond: Callable[[S, DeliveryRound], M],
) -> M:
    def answer(session: Session, request: delivery_store.StoredDeliveryRequest, subject: S | None) -> M:
        deliveries = delivery_store.get_deliveries(
            session, delivery_ids=request.delivery_ids, with_attempts=False
        )
        found = subject if subject is not None else subject_of(session, request)
        return respond(found, DeliveryRound(request.delivery_evidence_id, request.dry_run, tuple(deliveries)))

    def act(session: Session) -> M | Pending:
        enqueued, subject = enqueue(session)
        if dry_run:
            call.worker.observe_dry_run(delivery.receiver for delivery in enqueued.deliveries)
            request = delivery_store.get_delivery_request(
                session, delivery_evidence_id=enqueued.delivery_evidence_id
            )
            return answer(session, request, subject)
        return Pending({"delivery_evidence_id": enqueued.delivery_evidence_id})

    async def finish(action: Mapping[str, Any]) -> M:
        evidence_id = str(action["delivery_evidence_id"])
        request = await call.database.run(
            lambda session: delivery_store.get_delivery_request(session, delivery_evidence_id=evidence_id)
        )
        # The outbox rows are committed; the sends happen outside any transaction.
        if not request.dry_run:
            call.worker.wake()
            await call.worker.wait_for_first_round(request.delivery_ids, round_deadline(call.time_remaining))
        return await call.database.run(lambda session: answer(session, request, None))

    return await run_once(call.database, call.key, response_type, now=call.now, act=act, finish=finish)


async def deliver_escalation(
    call: DeliveryCall,
    response_type: type[M],
    *,
    plan_id: str,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig,
    receivers: Sequence[str],
    options: DeliveryOptions,
    respond: Callable[[EscalationPlan, DeliveryRound], M],
) -> M:
    """Deliver a stored plan (or, for `latest`, a plan built now by `generated_by`) to its receivers."""

    def enqueue(session: Session) -> tuple[EnqueuedRequest, EscalationPlan]:
        if plan_id == LATEST:
            plan = create_plan(
                session,
                now=call.now,
                recovery_slo_minutes=recovery_slo_minutes,
                generated_by=generated_by,
                routing=routing,
            )
        else:
            plan = plan_store.get_escalation_plan(session, plan_id=plan_id)
        enqueued = escalation_operations.enqueue_plan_delivery(
            session,
            plan=plan_for_delivery(plan),
            config=routing,
            receivers=receivers,
            options=options,
            now=call.now,
        )
        return enqueued, plan

    def subject_of(session: Session, request: delivery_store.StoredDeliveryRequest) -> EscalationPlan:
        assert request.plan_id is not None
        return plan_store.get_escalation_plan(session, plan_id=request.plan_id)

    return await _deliver(
        call, response_type, dry_run=options.dry_run, enqueue=enqueue, subject_of=subject_of, respond=respond
    )


async def deliver_schedule_run(
    call: DeliveryCall,
    response_type: type[M],
    *,
    run_id: str,
    routing: ConnectorConfig,
    receivers: Sequence[str],
    options: DeliveryOptions,
    respond: Callable[[ScheduleRun, DeliveryRound], M],
) -> M:
    """Deliver a schedule run's executive report (Markdown) to the named or the default receivers."""

    def enqueue(session: Session) -> tuple[EnqueuedRequest, ScheduleRun]:
        run = schedule_store.get_schedule_run(session, run_id=run_id)
        report = executive_store.get_executive_report(session, report_id=run.report_id)
        enqueued = enqueue_report(
            session,
            schedule_run_id=run.run_id,
            report=report_for_delivery(report, render_markdown(report)),
            config=routing,
            receivers=receivers,
            options=options,
            now=call.now,
        )
        return enqueued, run

    def subject_of(session: Session, request: delivery_store.StoredDeliveryRequest) -> ScheduleRun:
        assert request.schedule_run_id is not None
        return schedule_store.get_schedule_run(session, run_id=request.schedule_run_id)

    return await _deliver(
        call, response_type, dry_run=options.dry_run, enqueue=enqueue, subject_of=subject_of, respond=respond
    )


async def deliveries_after_round(call: DeliveryCall, baselines: Mapping[str, int]) -> list[StoredDelivery]:
    """Wake the worker, wait (bounded) for one more attempt of each delivery, then read them."""
    call.worker.wake()
    await call.worker.wait_for_round(baselines, round_deadline(call.time_remaining))
    return await call.database.run(
        lambda session: delivery_store.get_deliveries(
            session, delivery_ids=list(baselines), with_attempts=True
        )
    )


async def replay_delivery(
    call: DeliveryCall,
    response_type: type[M],
    *,
    delivery_id: str,
    respond: Callable[[StoredDelivery], M],
    requested_by: str | None = None,
) -> M:
    """Put a dead-lettered delivery back in the outbox for a new round, and answer after its attempt.
    The replay is stored as a retry run (trigger `replay`) in the same transaction."""

    def act(session: Session) -> Pending:
        replayed = delivery_store.start_new_round(
            session, delivery_id=delivery_id, now=call.now, allowed_states=(delivery_store.DEAD_LETTERED,)
        )
        run_store.record_retry_run(
            session,
            trigger=run_store.REPLAY,
            requested_by=requested_by,
            dry_run=False,
            started_at=call.now,
            finished_at=call.now,
            decisions=[
                run_store.delivery_decision(replayed, "retry", "replayed", outcome_state=replayed.state)
            ],
        )
        return Pending({"baselines": {replayed.delivery_id: replayed.attempt_count}})

    async def finish(action: Mapping[str, Any]) -> M:
        baselines = {str(key): int(value) for key, value in action["baselines"].items()}
        (delivery,) = await deliveries_after_round(call, baselines)
        return respond(delivery)

    return await run_once(call.database, call.key, response_type, now=call.now, act=act, finish=finish)
