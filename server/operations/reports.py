"""Building and storing the retry-recovery SLO report of an instant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cavra_recovery.server.domain.slo_report import DEFAULT_ROW_LIMIT, RetryRecoveryReport
from cavra_recovery.server.storage import reports as report_store


def slo_report(
    session: Session, *, now: datetime, recovery_slo_minutes: int, row_limit: int = DEFAULT_ROW_LIMIT
) -> RetryRecoveryReport:
    """The SLO report of `now`, stored (or under the stored one's id when its content is unchanged)."""
    report = report_store.compute_retry_recovery_report(
        session, now=now, recovery_slo_minutes=recovery_slo_minutes, row_limit=row_limit
    )
    return report_store.store_retry_recovery_report(session, report)
