"""Counts for the rollback drill dashboard (SPEC §10), read in one statement on a pooled connection.

Executions and closures are totals kept in `dashboard_counters` (maintained with the evidence
summaries in the intake transaction), read by primary key instead of counting or summing the history;
every other count is a COUNT over its own (small) table. The statement is built once, so a call costs one
round trip and no statement building.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from cavra_recovery.server.domain.dashboard import DrillDashboard
from cavra_recovery.server.storage.escalation_tables import EscalationRecord, EscalationStepRecord
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
from cavra_recovery.server.storage.summaries.tables import (
    CLOSURES,
    RETRY_EXECUTIONS_FAILED,
    RETRY_EXECUTIONS_OK,
    DashboardCounterRecord,
)

DELIVERED = "delivered"
# A delivery whose last attempt failed: still retrying, or dead-lettered after its attempts ran out.
FAILED_DELIVERY_STATES = ("retrying", "dead_lettered")
DEAD_LETTERED = "dead_lettered"


def _count(model: type, *where: ColumnElement[bool]) -> ColumnElement[int]:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def _counter(name: str) -> ColumnElement[int]:
    counter = DashboardCounterRecord
    return func.coalesce(select(counter.value).where(counter.name == name).scalar_subquery(), 0)


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
    _counter(CLOSURES).label("closures"),
    _counter(RETRY_EXECUTIONS_OK).label("retry_executions_ok"),
    _counter(RETRY_EXECUTIONS_FAILED).label("retry_executions_failed"),
    _count(ScheduleRunRecord).label("schedule_runs"),
    _count(EscalationStepRecord, EscalationStepRecord.step > 1).label("escalations_advanced"),
    _count(DeliveryRecord, DeliveryRecord.state == "silenced").label("deliveries_silenced"),
    _count(DeliveryRecord, DeliveryRecord.state == "inhibited").label("deliveries_inhibited"),
    _count(EscalationRecord, EscalationRecord.status == "acknowledged").label(
        "escalations_stopped_by_acknowledgement"
    ),
    _count(EscalationRecord, EscalationRecord.status == "resolved").label(
        "escalations_stopped_by_resolution"
    ),
)


def rollback_drill_dashboard(connection: Connection, *, now: datetime) -> DrillDashboard:
    counts = connection.execute(_COUNTS).one()._mapping
    return DrillDashboard(generated_at=now, **{name: int(value or 0) for name, value in counts.items()})
