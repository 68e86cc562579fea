"""Stored executive reports: each generated report is evidence, kept with its content digest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.server.domain.errors import NotFound
from cavra_recovery.server.domain.executive_report import (
    ExecutiveReport,
    executive_report_document,
    executive_report_from_document,
)
from cavra_recovery.server.domain.reasons import Resource
from cavra_recovery.server.storage.models import ExecutiveReportRecord


def latest_executive_report(
    session: Session, *, recovery_slo_minutes: int
) -> tuple[ExecutiveReport, str] | None:
    """The newest stored executive report for an SLO and its stored content digest, or None."""
    record = session.scalars(
        select(ExecutiveReportRecord)
        .where(ExecutiveReportRecord.recovery_slo_minutes == recovery_slo_minutes)
        .order_by(ExecutiveReportRecord.id.desc())
        .limit(1)
    ).first()
    return (
        None if record is None else (executive_report_from_document(record.document), record.content_digest)
    )


def store_executive_report(session: Session, executive: ExecutiveReport, *, content_digest: str) -> None:
    session.add(
        ExecutiveReportRecord(
            report_id=executive.report_id,
            generated_at=executive.generated_at,
            generated_by=executive.generated_by,
            status=executive.status.value,
            recovery_slo_minutes=executive.recovery_slo_minutes,
            recovery_report_id=executive.recovery_report_id,
            escalation_plan_id=executive.escalation_plan_id,
            content_digest=content_digest,
            document=executive_report_document(executive),
        )
    )
    session.flush()


def get_executive_report(session: Session, *, report_id: str) -> ExecutiveReport:
    record = session.scalars(
        select(ExecutiveReportRecord).where(ExecutiveReportRecord.report_id == report_id)
    ).first()
    if record is None:
        raise NotFound(Resource.EXECUTIVE_REPORT, report_id)
    return executive_report_from_document(record.document)
