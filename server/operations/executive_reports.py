"""Building and storing the executive report of an instant, with the SLO report and plan it links to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig
from cavra_recovery.server.domain.executive_report import (
    ExecutiveReport,
    PlanCounts,
    build_executive_report,
    executive_report_digest,
    plan_counts_for,
)
from cavra_recovery.server.domain.ids import new_id
from cavra_recovery.server.operations.plans import plan_for_report
from cavra_recovery.server.operations.reports import slo_report
from cavra_recovery.server.storage import executive_reports as executive_store


def executive_report(
    session: Session,
    *,
    now: datetime,
    recovery_slo_minutes: int,
    generated_by: str,
    routing: ConnectorConfig | None = None,
) -> ExecutiveReport:
    """The executive report of `now` with its SLO report and plan, all stored.

    When the latest stored executive report for the same SLO has the same content (see
    `executive_report_digest`), that report is returned and nothing new is stored. Likewise the SLO
    report and the plan it links to are the latest stored ones when their content is unchanged.
    """
    report = slo_report(session, now=now, recovery_slo_minutes=recovery_slo_minutes)
    latest = executive_store.latest_executive_report(
        session, recovery_slo_minutes=report.recovery_slo_minutes
    )
    previous = None if latest is None else latest[0]
    candidate = build_executive_report(
        report,
        plan_counts_for(report),
        report_id=new_id("exr"),
        generated_at=now,
        generated_by=generated_by,
        escalation_plan_id="",
        previous=previous,
    )
    if latest is not None and latest[1] == executive_report_digest(candidate):
        return latest[0]
    plan = plan_for_report(
        session, report=report, now=now, generated_by=generated_by, routing=routing, reuse_unchanged=True
    )
    executive = build_executive_report(
        report,
        PlanCounts(plan.alert_level, plan.escalation_count, plan.critical_escalation_count),
        report_id=candidate.report_id,
        generated_at=now,
        generated_by=generated_by,
        escalation_plan_id=plan.plan_id,
        previous=previous,
    )
    executive_store.store_executive_report(
        session, executive, content_digest=executive_report_digest(executive)
    )
    return executive
