"""Counts for the rollback drill dashboard (SPEC §10), read in one statement on a pooled connection.

Executions and closures come from their maintained summaries instead of counting the history; every
other count is a COUNT over its own (small) table. The statement is built once, so a call costs one
round trip and no statement building.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from cavra_recovery.server.domain.dashboard import DrillDashboard
from cavra_recovery.server.domain.evidence import ExecutionStatus
from cavra_recovery.server.storage.models import (
    AcknowledgementRecord,
    DeliveryRecord,
    EscalationPlanRecord,
    EscalationRouteRecord,
    ExecutiveReportRecord,
    PlaybookRecord,
    RetryRecoveryReportRecord,
    ScheduleRunRecord,
)
from cavra_recovery.server.storage.summaries.tables import ClosureDaySummaryRecord, ExecutionSummaryRecord

DELIVERED = "delivered"
# A delivery whose last attempt failed: still retrying, or dead-lettered after its attempts ran out.
FAILED_DELIVERY_STATES = ("retrying", "dead_lettered")
DEAD_LETTERED = "dead_lettered"


def _count(model: type, *where: ColumnElement[bool]) -> ColumnElement[int]:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def _sum(column: InstrumentedAttribute[int], *where: ColumnElement[bool]) -> ColumnElement[int]:
    return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()


_DELIVERED_STATUS = ExecutionStatus.DELIVERED.value
_COUNTS = select(
    _count(EscalationPlanRecord).label("escalation_plans"),
    _count(EscalationRouteRecord).label("escalation_routes"),
    _count(ExecutiveReportRecord).label("executive_reports"),
    _count(RetryRecoveryReportRecord).label("retry_recovery_reports"),
    _count(AcknowledgementRecord).label("acknowledgements"),
    _count(DeliveryRecord, DeliveryRecord.state == DELIVERED).label("deliveries_ok"),
    _count(DeliveryRecord, DeliveryRecord.state.in_(FAILED_DELIVERY_STATES)).label("deliveries_failed"),
    _count(DeliveryRecord, DeliveryRecord.state == DEAD_LETTERED).label("dead_letters"),
    _count(PlaybookRecord).label("playbooks"),
    _sum(ClosureDaySummaryRecord.closures).label("closures"),
    _sum(
        ExecutionSummaryRecord.executions, ExecutionSummaryRecord.execution_status == _DELIVERED_STATUS
    ).label("retry_executions_ok"),
    _sum(
        ExecutionSummaryRecord.executions, ExecutionSummaryRecord.execution_status != _DELIVERED_STATUS
    ).label("retry_executions_failed"),
    _count(ScheduleRunRecord).label("schedule_runs"),
)


def rollback_drill_dashboard(connection: Connection, *, now: datetime) -> DrillDashboard:
    counts = connection.execute(_COUNTS).one()._mapping
    return DrillDashboard(generated_at=now, **{name: int(value or 0) for name, value in counts.items()})
