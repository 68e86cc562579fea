"""Counts for the rollback drill dashboard (SPEC §10): one COUNT query per table, except executions and
closures, which are read from their maintained summaries instead of counting the history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.domain.dashboard import DrillDashboard
from server.domain.evidence import ExecutionStatus
from server.storage.models import (
    AcknowledgementRecord,
    DeliveryRecord,
    EscalationPlanRecord,
    EscalationRouteRecord,
    ExecutiveReportRecord,
    PlaybookRecord,
    RetryRecoveryReportRecord,
    ScheduleRunRecord,
)
from server.storage.summaries.tables import ClosureDaySummaryRecord, ExecutionSummaryRecord

DELIVERED = "delivered"
# A delivery whose last attempt failed: still retrying, or dead-lettered after its attempts ran out.
FAILED_DELIVERY_STATES = ("retrying", "dead_lettered")
DEAD_LETTERED = "dead_lettered"


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def rollback_drill_dashboard(session: Session, *, now: datetime) -> DrillDashboard:
    state = DeliveryRecord.state
    ok, failed, dead = session.execute(
        select(
            func.coalesce(func.sum(case((state == DELIVERED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((state.in_(FAILED_DELIVERY_STATES), 1), else_=0)), 0),
            func.coalesce(func.sum(case((state == DEAD_LETTERED, 1), else_=0)), 0),
        )
    ).one()
    executions_ok = executions_failed = 0
    for status, count in session.execute(
        select(ExecutionSummaryRecord.execution_status, ExecutionSummaryRecord.executions)
    ):
        if status == ExecutionStatus.DELIVERED.value:
            executions_ok += int(count)
        else:
            executions_failed += int(count)
    closures = session.scalar(select(func.coalesce(func.sum(ClosureDaySummaryRecord.closures), 0)))
    return DrillDashboard(
        generated_at=now,
        escalation_plans=_count(session, EscalationPlanRecord),
        escalation_routes=_count(session, EscalationRouteRecord),
        executive_reports=_count(session, ExecutiveReportRecord),
        retry_recovery_reports=_count(session, RetryRecoveryReportRecord),
        acknowledgements=_count(session, AcknowledgementRecord),
        deliveries_ok=int(ok),
        deliveries_failed=int(failed),
        dead_letters=int(dead),
        playbooks=_count(session, PlaybookRecord),
        closures=int(closures or 0),
        retry_executions_ok=int(executions_ok),
        retry_executions_failed=int(executions_failed),
        schedule_runs=_count(session, ScheduleRunRecord),
    )
