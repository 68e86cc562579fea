"""ReportService listings of stored reports: SLO reports and executive reports, by time and linked plan."""

from __future__ import annotations

from typing import Any

from cavra.recovery.v1 import trail_pb2
from cavra_recovery.server.domain.paging import Listing, next_page_token, page_request
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.escalation_plans import alert_level_value, checked_timestamp
from cavra_recovery.server.handlers.timestamps import to_timestamp
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import report_listing
from cavra_recovery.server.storage.report_listing import ReportFilter

RECOVERY_REPORTS = Listing("ReportService.ListRetryRecoveryReports")
EXECUTIVE_REPORTS = Listing("ReportService.ListRecoveryExecutiveReports")


def report_filter(checks: Violations, request: Any) -> ReportFilter:
    """The time bounds and plan of a report listing request, each checked as a field."""
    plan_id = checks.check_id("plan_id", request.plan_id)
    start = checked_timestamp(checks, "start_time", request)
    end = checked_timestamp(checks, "end_time", request)
    checks.check_time_range("start_time", start, "end_time", end)
    return ReportFilter(start_time=start, end_time=end, plan_id=plan_id or None)


class ReportListingHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def ListRetryRecoveryReports(
        self, request: trail_pb2.ListRetryRecoveryReportsRequest, context: Any
    ) -> trail_pb2.ListRetryRecoveryReportsResponse:
        checks = Violations()
        filters = report_filter(checks, request)
        page = page_request(
            checks,
            RECOVERY_REPORTS,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(filters,),
        )
        checks.raise_if_any()
        result = await self._deps.database.run(
            lambda session: report_listing.list_recovery_reports(session, page=page, filters=filters)
        )
        return trail_pb2.ListRetryRecoveryReportsResponse(
            reports=[
                trail_pb2.RetryRecoveryReportEntry(
                    report_id=entry.report_id,
                    generated_at=to_timestamp(entry.generated_at),
                    recovery_slo_minutes=entry.recovery_slo_minutes,
                    level=alert_level_value(entry.level),
                )
                for entry in result.reports
            ],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )

    async def ListRecoveryExecutiveReports(
        self, request: trail_pb2.ListRecoveryExecutiveReportsRequest, context: Any
    ) -> trail_pb2.ListRecoveryExecutiveReportsResponse:
        checks = Violations()
        filters = report_filter(checks, request)
        page = page_request(
            checks,
            EXECUTIVE_REPORTS,
            page_size=request.page_size,
            page_token=request.page_token,
            filters=(filters,),
        )
        checks.raise_if_any()
        result = await self._deps.database.run(
            lambda session: report_listing.list_executive_reports(session, page=page, filters=filters)
        )
        return trail_pb2.ListRecoveryExecutiveReportsResponse(
            reports=[
                trail_pb2.RecoveryExecutiveReportEntry(
                    report_id=entry.report_id,
                    generated_at=to_timestamp(entry.generated_at),
                    status=alert_level_value(entry.status),
                    recovery_slo_minutes=entry.recovery_slo_minutes,
                    recovery_report_id=entry.recovery_report_id,
                    escalation_plan_id=entry.escalation_plan_id,
                )
                for entry in result.reports
            ],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )
