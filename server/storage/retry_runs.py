"""Retry-worker runs and their decisions, stored in the transaction of the outbox change they cause.

A run is one pass that decided what to do with failed deliveries: a RunRecoveryEscalationRetryWorker
call (`rpc`), an operator's replay of a dead letter (`replay`), or the background delivery worker
deciding, after a failed attempt, to schedule another attempt or to dead-letter (`background`). Each
decision holds ids, a decision, an attempt number and the delivery state it left: never a URL, an
error text or a body. `record_retry_run` is the one write, so a ledger can hook it in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.ids import new_id
from cavra_recovery.server.storage.retry_run_tables import RetryWorkerDecisionRecord, RetryWorkerRunRecord

RPC = "rpc"
BACKGROUND = "background"
REPLAY = "replay"
TRIGGERS = (RPC, BACKGROUND, REPLAY)


class DecidedDelivery(Protocol):
    """What a decision records of a delivery (a StoredDelivery has it)."""

    @property
    def delivery_id(self) -> str: ...
    @property
    def plan_id(self) -> str | None: ...
    @property
    def receiver(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def attempt_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RetryRunDecision:
    delivery_id: str
    plan_id: str | None
    receiver: str
    provider: str
    decision: str  # retry, wait or suppress (retry_policy.Decision values)
    reason: str  # a reason code (retry_policy reasons, "attempts_exhausted", "replayed", …), never free text
    attempt_number: int  # attempts the delivery had made when the decision was taken
    outcome_state: str  # the delivery's state right after the decision


@dataclass(frozen=True, slots=True)
class StoredRetryRun:
    run_id: str
    trigger: str
    requested_by: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    decisions: tuple[RetryRunDecision, ...]


def delivery_decision(
    delivery: DecidedDelivery, decision: str, reason: str, *, outcome_state: str
) -> RetryRunDecision:
    """A decision about `delivery` as it stands (its attempt count so far)."""
    return RetryRunDecision(
        delivery_id=delivery.delivery_id,
        plan_id=delivery.plan_id,
        receiver=delivery.receiver,
        provider=delivery.provider,
        decision=decision,
        reason=reason,
        attempt_number=delivery.attempt_count,
        outcome_state=outcome_state,
    )


def record_retry_run(
    session: Session,
    *,
    trigger: str,
    requested_by: str | None,
    dry_run: bool,
    started_at: datetime,
    finished_at: datetime,
    decisions: Sequence[RetryRunDecision],
) -> str:
    """Store a run and its decisions in the caller's transaction; answers the new run id."""
    assert trigger in TRIGGERS, trigger
    run_id = new_id("rwrun")
    session.add(
        RetryWorkerRunRecord(
            run_id=run_id,
            trigger=trigger,
            requested_by=requested_by or "",
            dry_run=dry_run,
            started_at=started_at,
            finished_at=finished_at,
        )
    )
    session.flush()
    session.add_all(
        RetryWorkerDecisionRecord(
            run_id=run_id,
            delivery_id=d.delivery_id,
            plan_id=d.plan_id,
            receiver=d.receiver,
            provider=d.provider,
            decision=d.decision,
            reason=d.reason,
            attempt_number=d.attempt_number,
            outcome_state=d.outcome_state,
        )
        for d in decisions
    )
    session.flush()
    return run_id


def plan_retry_runs(session: Session, *, plan_id: str) -> tuple[StoredRetryRun, ...]:
    """The runs with a decision about one of the plan's deliveries, oldest first (by start), with only those
    decisions (a run of several plans shows in each plan's trail with that plan's part)."""
    rows = session.execute(
        select(RetryWorkerRunRecord, RetryWorkerDecisionRecord)
        .join(RetryWorkerDecisionRecord, RetryWorkerDecisionRecord.run_id == RetryWorkerRunRecord.run_id)
        .where(RetryWorkerDecisionRecord.plan_id == plan_id)
        .order_by(RetryWorkerRunRecord.started_at, RetryWorkerRunRecord.id, RetryWorkerDecisionRecord.id)
    ).all()
    runs: dict[str, tuple[RetryWorkerRunRecord, list[RetryRunDecision]]] = {}
    for run, decision in rows:
        runs.setdefault(run.run_id, (run, []))[1].append(
            RetryRunDecision(
                delivery_id=decision.delivery_id,
                plan_id=decision.plan_id,
                receiver=decision.receiver,
                provider=decision.provider,
                decision=decision.decision,
                reason=decision.reason,
                attempt_number=decision.attempt_number,
                outcome_state=decision.outcome_state,
            )
        )
    return tuple(
        StoredRetryRun(
            run_id=run.run_id,
            trigger=run.trigger,
            requested_by=run.requested_by,
            dry_run=run.dry_run,
            started_at=run.started_at,
            finished_at=run.finished_at,
            decisions=tuple(decisions),
        )
        for run, decisions in runs.values()
    )
