"""The evidence trail of one plan: everything that followed from it, read in one transaction.

The trail holds stored records as the repositories return them; the handler keeps only their ids,
states, counts and times. `retry_worker_runs` are the stored runs (RPC, background, replay) and their
decisions: what happened. `retry_decisions` are computed at `now` under the default policy, exactly as
PlanRecoveryEscalationRetries would answer for the plan: what would happen now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server.domain import retry_policy
from server.domain.escalation_plan import EscalationPlan
from server.operations.retries import retry_decisions
from server.storage import deliveries as delivery_store
from server.storage import plans as plan_store
from server.storage import report_listing
from server.storage import retry_runs as run_store
from server.storage.acknowledgements import StoredAcknowledgement, plan_acknowledgements
from server.storage.database import Database
from server.storage.deliveries import StoredDelivery
from server.storage.report_listing import ExecutiveReportEntry, RecoveryReportEntry


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


def read_evidence_trail(session: Session, *, plan_id: str, now: datetime) -> EvidenceTrail:
    """The trail of a stored plan (NotFound otherwise), without its routes."""
    plan = plan_store.get_escalation_plan(session, plan_id=plan_id, route_limit=0)
    return EvidenceTrail(
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


async def evidence_trail(database: Database, *, plan_id: str, now: datetime) -> EvidenceTrail:
    return await database.run(lambda session: read_evidence_trail(session, plan_id=plan_id, now=now))
