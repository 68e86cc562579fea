"""Stored SLO reports and executive reports as listings: ids, levels and times, newest first.

The report documents are never read here: a listing of a thousand reports reads their columns only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.paging import PageCursor, PageRequest
from cavra_recovery.server.storage.models import (
    EscalationPlanRecord,
    ExecutiveReportRecord,
    RetryRecoveryReportRecord,
)


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Bounds on generated_at ([start, end)) and the plan a report is linked to; None: no bound."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    plan_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecoveryReportEntry:
    report_id: str
    generated_at: datetime
    recovery_slo_minutes: int
    level: str


@dataclass(frozen=True, slots=True)
class ExecutiveReportEntry:
    report_id: str
    generated_at: datetime
    status: str
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_plan_id: str


@dataclass(frozen=True, slots=True)
class RecoveryReportPage:
    reports: tuple[RecoveryReportEntry, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


@dataclass(frozen=True, slots=True)
class ExecutiveReportPage:
    reports: tuple[ExecutiveReportEntry, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int


def _time_conditions(column: Any, filters: ReportFilter) -> list[Any]:
    conditions: list[Any] = []
    if filters.start_time is not None:
        conditions.append(column >= filters.start_time)
    if filters.end_time is not None:
        conditions.append(column < filters.end_time)
    return conditions


def _recovery_entry(record: Any) -> RecoveryReportEntry:
    return RecoveryReportEntry(
        report_id=record.report_id,
        generated_at=record.generated_at,
        recovery_slo_minutes=record.recovery_slo_minutes,
        level=record.level,
    )


def _executive_entry(record: Any) -> ExecutiveReportEntry:
    return ExecutiveReportEntry(
        report_id=record.report_id,
        generated_at=record.generated_at,
        status=record.status,
        recovery_slo_minutes=record.recovery_slo_minutes,
        recovery_report_id=record.recovery_report_id,
        escalation_plan_id=record.escalation_plan_id,
    )


_RECOVERY_COLUMNS = (
    RetryRecoveryReportRecord.id,
    RetryRecoveryReportRecord.report_id,
    RetryRecoveryReportRecord.generated_at,
    RetryRecoveryReportRecord.recovery_slo_minutes,
    RetryRecoveryReportRecord.level,
)
_EXECUTIVE_COLUMNS = (
    ExecutiveReportRecord.id,
    ExecutiveReportRecord.report_id,
    ExecutiveReportRecord.generated_at,
    ExecutiveReportRecord.status,
    ExecutiveReportRecord.recovery_slo_minutes,
    ExecutiveReportRecord.recovery_report_id,
    ExecutiveReportRecord.escalation_plan_id,
)


def list_recovery_reports(
    session: Session, *, page: PageRequest, filters: ReportFilter
) -> RecoveryReportPage:
    """Stored SLO reports newest first, keyset-paged on the id; by plan: the one the plan was built from."""
    report = RetryRecoveryReportRecord
    conditions = _time_conditions(report.generated_at, filters)
    if filters.plan_id is not None:
        conditions.append(
            report.report_id.in_(
                select(EscalationPlanRecord.recovery_report_id).where(
                    EscalationPlanRecord.plan_id == filters.plan_id
                )
            )
        )
    total = int(session.scalar(select(func.count()).select_from(report).where(*conditions)) or 0)
    if page.after is not None:
        conditions.append(report.id < page.after.row_id)
    records = session.execute(
        select(*_RECOVERY_COLUMNS).where(*conditions).order_by(report.id.desc()).limit(page.page_size + 1)
    ).all()
    more = len(records) > page.page_size
    records = records[: page.page_size]
    return RecoveryReportPage(
        reports=tuple(_recovery_entry(record) for record in records),
        next_cursor=PageCursor(records[-1].id) if more else None,
        total_size=total,
    )


def list_executive_reports(
    session: Session, *, page: PageRequest, filters: ReportFilter
) -> ExecutiveReportPage:
    """Stored executive reports newest first, keyset-paged on the surrogate id; by the plan they link to."""
    report = ExecutiveReportRecord
    conditions = _time_conditions(report.generated_at, filters)
    if filters.plan_id is not None:
        conditions.append(report.escalation_plan_id == filters.plan_id)
    total = int(session.scalar(select(func.count()).select_from(report).where(*conditions)) or 0)
    if page.after is not None:
        conditions.append(report.id < page.after.row_id)
    records = session.execute(
        select(*_EXECUTIVE_COLUMNS).where(*conditions).order_by(report.id.desc()).limit(page.page_size + 1)
    ).all()
    more = len(records) > page.page_size
    records = records[: page.page_size]
    return ExecutiveReportPage(
        reports=tuple(_executive_entry(record) for record in records),
        next_cursor=PageCursor(records[-1].id) if more else None,
        total_size=total,
    )


def recovery_report_entry(session: Session, *, report_id: str) -> RecoveryReportEntry | None:
    """One stored SLO report's id, instant, SLO and level; None when it is not stored."""
    record = session.execute(
        select(*_RECOVERY_COLUMNS).where(RetryRecoveryReportRecord.report_id == report_id)
    ).first()
    return None if record is None else _recovery_entry(record)


def plan_executive_reports(session: Session, *, plan_id: str) -> tuple[ExecutiveReportEntry, ...]:
    """Every stored executive report built from one plan, oldest first."""
    records = session.execute(
        select(*_EXECUTIVE_COLUMNS)
        .where(ExecutiveReportRecord.escalation_plan_id == plan_id)
        .order_by(ExecutiveReportRecord.id)
    ).all()
    return tuple(_executive_entry(record) for record in records)
