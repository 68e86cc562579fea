"""The evidence trail of one plan: everything that followed from it, read in one transaction.

The trail holds stored records as the repositories return them; the handler keeps only their ids,
states, counts and times. `retry_worker_runs` are the stored runs (RPC, background, replay) and their
decisions: what happened. `retry_decisions` are computed at `now` under the default policy, exactly as
PlanRecoveryEscalationRetries would answer for the plan: what would happen now. The steps of the
plan's escalation policies come with it, and each record's position in the evidence ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from cavra_recovery.server.domain import retry_policy
from cavra_recovery.server.domain.escalation_plan import EscalationPlan
from cavra_recovery.server.operations.retries import retry_decisions
from cavra_recovery.server.storage import deliveries as delivery_store
from cavra_recovery.server.storage import escalations as escalation_store
from cavra_recovery.server.storage import plans as plan_store
from cavra_recovery.server.storage import report_listing
from cavra_recovery.server.storage import retry_runs as run_store
from cavra_recovery.server.storage.acknowledgements import StoredAcknowledgement, plan_acknowledgements
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.deliveries import StoredDelivery
from cavra_recovery.server.storage.escalations import StoredEscalation, StoredStep
from cavra_recovery.server.storage.ledger.positions import LedgerPosition, ledger_positions, record_id
from cavra_recovery.server.storage.report_listing import ExecutiveReportEntry, RecoveryReportEntry


@dataclass(frozen=True, slots=True)
class EvidenceTrail:
    evaluated_at: datetime
    # None only if the plan's SLO report row is missing, which its foreign key prevents.
    recovery_report: RecoveryReportEntry | None
    plan: EscalationPlan
    deliveries: tuple[StoredDelivery, ...]
    acknowledgements: tuple[StoredAcknowledgement, ...]
    retry_decisions: tuple[retry_policy.RetryPlanDecision, ...]
    executive_reports: tuple[ExecutiveReportEntry, ...]
    retry_worker_runs: tuple[run_store.StoredRetryRun, ...]
    escalations: tuple[StoredEscalation, ...] = ()
    escalation_steps: tuple[StoredStep, ...] = ()
    ledger_positions: tuple[LedgerPosition, ...] = ()


def _ledgered(trail: EvidenceTrail) -> list[tuple[str, str]]:
    """The (ledger kind, record id) of every record in the trail (routes: the plan's entry covers them)."""
    records = [("escalation_plan", trail.plan.plan_id)]
    if trail.recovery_report is not None:
        records.append(("slo_report", trail.recovery_report.report_id))
    for delivery in trail.deliveries:
        records.append(("delivery", delivery.delivery_id))
        records += [
            (
                "delivery_attempt",
                record_id(
                    "delivery_attempt",
                    {"delivery_id": delivery.delivery_id, "attempt_number": attempt.attempt_number},
                ),
            )
            for attempt in delivery.attempts
        ]
    records += [("acknowledgement", stored.acknowledgement_id) for stored in trail.acknowledgements]
    records += [("executive_report", report.report_id) for report in trail.executive_reports]
    for run in trail.retry_worker_runs:
        records.append(("retry_run", run.run_id))
        records += [
            (
                "retry_decision",
                record_id("retry_decision", {"run_id": run.run_id, "delivery_id": d.delivery_id}),
            )
            for d in run.decisions
        ]
    records += [
        (
            "escalation_step",
            record_id(
                "escalation_step", {"plan_id": step.plan_id, "dedup_key": step.dedup_key, "step": step.step}
            ),
        )
        for step in trail.escalation_steps
    ]
    return records


def read_evidence_trail(session: Session, *, plan_id: str, now: datetime) -> EvidenceTrail:
    """The trail of a stored plan (NotFound otherwise), without its routes."""
    plan = plan_store.get_escalation_plan(session, plan_id=plan_id, route_limit=0)
    trail = EvidenceTrail(
        evaluated_at=now,
        recovery_report=report_listing.recovery_report_entry(session, report_id=plan.recovery_report_id),
        plan=plan,
        deliveries=delivery_store.plan_deliveries(session, plan_id=plan_id),
        acknowledgements=plan_acknowledgements(session, plan_id=plan_id),
        retry_decisions=tuple(
            retry_decisions(session, plan_id=plan_id, policy=retry_policy.RetryPolicy(), now=now)
        ),
        executive_reports=report_listing.plan_executive_reports(session, plan_id=plan_id),
        retry_worker_runs=run_store.plan_retry_runs(session, plan_id=plan_id),
    )
    escalations, steps = escalation_store.escalations_of_plan(session, plan_id=plan_id)
    trail = replace(trail, escalations=tuple(escalations), escalation_steps=tuple(steps))
    return replace(trail, ledger_positions=tuple(ledger_positions(session, _ledgered(trail))))


async def evidence_trail(database: Database, *, plan_id: str, now: datetime) -> EvidenceTrail:
    return await database.run(lambda session: read_evidence_trail(session, plan_id=plan_id, now=now))
