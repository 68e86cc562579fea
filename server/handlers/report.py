"""ReportService: SLO report, executive report, rendering, dashboard and schedule runs."""

from __future__ import annotations

from typing import Any

from google.api import httpbody_pb2

from cavra.recovery.v1 import common_pb2, report_pb2, report_pb2_grpc
from cavra_recovery.server.domain.closure_trends import ClosureTrendDay
from cavra_recovery.server.domain.executive_report import ExecutiveReport, normalize_schedule_interval
from cavra_recovery.server.domain.paging import Listing, next_page_token, page_request
from cavra_recovery.server.domain.rendering import render_html, render_markdown
from cavra_recovery.server.domain.slo_report import (
    ProviderRecoverySummary,
    RecoveryRow,
    RecoveryTotals,
    RetryRecoveryReport,
    normalize_recovery_slo_minutes,
    normalize_row_limit,
)
from cavra_recovery.server.domain.validation import Violations
from cavra_recovery.server.handlers.escalation_plans import alert_level_value, checked_limit
from cavra_recovery.server.handlers.report_delivery import ReportDeliveryHandlers, schedule_run_to_proto
from cavra_recovery.server.handlers.report_listing import ReportListingHandlers
from cavra_recovery.server.handlers.timestamps import to_timestamp
from cavra_recovery.server.operations.executive_reports import executive_report
from cavra_recovery.server.operations.idempotency import request_key
from cavra_recovery.server.operations.reports import slo_report
from cavra_recovery.server.operations.schedule import run_schedule
from cavra_recovery.server.request_context import caller_identity
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage import dashboard as dashboard_storage
from cavra_recovery.server.storage import executive_reports as executive_storage
from cavra_recovery.server.storage import reports as report_storage
from cavra_recovery.server.storage import schedule as schedule_storage

# Ten years of minutes, like the SLO: a longer window never closes.
MAX_SCHEDULE_INTERVAL_MINUTES = 3650 * 24 * 60
MARKDOWN_CONTENT_TYPE = "text/markdown; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
SCHEDULE_RUNS = Listing("ReportService.ListExecutiveReportScheduleRuns")


def _enum(enum_type: Any, prefix: str, value: str) -> int:
    return int(enum_type.Value(prefix + value.upper().replace("-", "_")))


def state_counts_to_proto(pairs: tuple[tuple[str, int], ...]) -> list[report_pb2.ClosureStateCount]:
    return [
        report_pb2.ClosureStateCount(
            closure_state=_enum(common_pb2.ClosureState, "CLOSURE_STATE_", state), count=count
        )
        for state, count in pairs
    ]


def totals_to_proto(totals: RecoveryTotals) -> report_pb2.RecoveryTotals:
    message = report_pb2.RecoveryTotals(
        executions=totals.executions,
        successes=totals.successes,
        failures=totals.failures,
        rows=totals.rows,
        closed=totals.closed,
        open=totals.open,
        breached=totals.breached,
        closure_state_counts=state_counts_to_proto(totals.closure_state_counts),
    )
    for name in ("success_rate", "mean_minutes_to_close", "p90_minutes_to_close", "slo_attainment"):
        value = getattr(totals, name)
        if value is not None:
            setattr(message, name, value)
    return message


def summary_to_proto(summary: ProviderRecoverySummary) -> report_pb2.ProviderRecoverySummary:
    message = report_pb2.ProviderRecoverySummary(
        provider=summary.provider,
        category=_enum(common_pb2.ProviderCategory, "PROVIDER_CATEGORY_", summary.category),
        executions=summary.executions,
        delivered=summary.delivered,
        failed=summary.failed,
        skipped=summary.skipped,
        playbook_rows=summary.playbook_rows,
        closures=summary.closures,
        open=summary.open,
        breached=summary.breached,
        closed=summary.closed,
    )
    if summary.latest_execution_at is not None:
        message.latest_execution_at.CopyFrom(to_timestamp(summary.latest_execution_at))
    if summary.latest_closure_at is not None:
        message.latest_closure_at.CopyFrom(to_timestamp(summary.latest_closure_at))
    for name in ("mean_minutes_to_close", "p90_minutes_to_close", "slo_attainment"):
        value = getattr(summary, name)
        if value is not None:
            setattr(message, name, value)
    return message


def trend_to_proto(trend: ClosureTrendDay) -> report_pb2.ClosureTrendDay:
    return report_pb2.ClosureTrendDay(
        day=trend.day,
        total=trend.total,
        state_counts=state_counts_to_proto(trend.state_counts),
        provider_counts=[report_pb2.ProviderCount(provider=p, count=n) for p, n in trend.provider_counts],
    )


def row_to_proto(row: RecoveryRow) -> report_pb2.RecoveryRow:
    message = report_pb2.RecoveryRow(
        playbook_id=row.playbook_id,
        provider=row.provider,
        category=_enum(common_pb2.ProviderCategory, "PROVIDER_CATEGORY_", row.category),
        generated_at=to_timestamp(row.generated_at),
        failure_count=row.failure_count,
        status=_enum(common_pb2.RecoveryRowStatus, "RECOVERY_ROW_STATUS_", row.status.value),
        age_minutes=row.age_minutes,
        closure_id=row.closure_id or "",
    )
    if row.closure_state is not None:
        message.closure_state = _enum(common_pb2.ClosureState, "CLOSURE_STATE_", row.closure_state)
    if row.closed_at is not None:
        message.closed_at.CopyFrom(to_timestamp(row.closed_at))
    if row.closure_minutes is not None:
        message.closure_minutes = row.closure_minutes
    return message


def retry_recovery_report_to_proto(report: RetryRecoveryReport) -> report_pb2.RetryRecoveryReport:
    return report_pb2.RetryRecoveryReport(
        report_id=report.report_id,
        generated_at=to_timestamp(report.generated_at),
        recovery_slo_minutes=report.recovery_slo_minutes,
        level=alert_level_value(report.level.value),
        totals=totals_to_proto(report.totals),
        provider_summaries=[summary_to_proto(s) for s in report.provider_summaries],
        rows=[row_to_proto(r) for r in report.rows],
        rows_truncated=report.rows_truncated,
        closure_trends=[trend_to_proto(t) for t in report.closure_trends],
    )


def executive_report_to_proto(report: ExecutiveReport) -> report_pb2.RecoveryExecutiveReport:
    message = report_pb2.RecoveryExecutiveReport(
        report_id=report.report_id,
        generated_at=to_timestamp(report.generated_at),
        generated_by=report.generated_by,
        status=alert_level_value(report.status.value),
        business_impact=report.business_impact,
        key_risks=[
            report_pb2.KeyRisk(
                severity=alert_level_value(r.severity.value), title=r.title, count=r.count, owner=r.owner
            )
            for r in report.key_risks
        ],
        recommended_actions=list(report.recommended_actions),
        provider_summaries=[summary_to_proto(s) for s in report.provider_summaries],
        closure_trends=[trend_to_proto(t) for t in report.closure_trends],
        recovery_slo_minutes=report.recovery_slo_minutes,
        recovery_report_id=report.recovery_report_id,
        escalation_plan_id=report.escalation_plan_id,
        totals=totals_to_proto(report.totals),
        escalation_count=report.escalation_count,
    )
    if report.change is not None:
        change = report.change
        message.change.CopyFrom(
            report_pb2.ExecutiveReportChange(
                previous_report_id=change.previous_report_id,
                previous_status=alert_level_value(change.previous_status.value),
                breached_delta=change.breached_delta,
                open_delta=change.open_delta,
                failures_delta=change.failures_delta,
                escalations_delta=change.escalations_delta,
            )
        )
        if change.mean_minutes_to_close_delta is not None:
            message.change.mean_minutes_to_close_delta = change.mean_minutes_to_close_delta
        if change.slo_attainment_delta is not None:
            message.change.slo_attainment_delta = change.slo_attainment_delta
    return message


class ReportHandler(ReportDeliveryHandlers, ReportListingHandlers, report_pb2_grpc.ReportServiceServicer):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        ReportDeliveryHandlers.__init__(self, dependencies)
        ReportListingHandlers.__init__(self, dependencies)
        self._deps = dependencies

    async def GetRetryRecoveryReport(
        self, request: report_pb2.GetRetryRecoveryReportRequest, context: Any
    ) -> report_pb2.GetRetryRecoveryReportResponse:
        checks = Violations()
        report_id = checks.check_id("report_id", request.report_id)
        row_limit = normalize_row_limit(checked_limit(checks, "row_limit", request.row_limit))
        checks.raise_if_any()
        if report_id:
            report = await self._deps.database.run(
                lambda session: report_storage.get_retry_recovery_report(session, report_id=report_id)
            )
        else:
            now = self._deps.clock()
            slo = normalize_recovery_slo_minutes(request.recovery_slo_minutes)
            report = await self._deps.database.run(
                lambda session: slo_report(session, now=now, recovery_slo_minutes=slo, row_limit=row_limit)
            )
        return report_pb2.GetRetryRecoveryReportResponse(report=retry_recovery_report_to_proto(report))

    async def _executive_report(
        self, checks: Violations, *, report_id: str, slo_minutes: int, generated_by: str
    ) -> ExecutiveReport:
        """The stored report `report_id`, or the report of this instant; raises `checks` first."""
        checks.check_id("report_id", report_id)
        generated_by = checks.check_actor("generated_by", generated_by, caller_identity())
        checks.raise_if_any()
        if report_id:
            return await self._deps.database.run(
                lambda session: executive_storage.get_executive_report(session, report_id=report_id)
            )
        now = self._deps.clock()
        slo = normalize_recovery_slo_minutes(slo_minutes)
        return await self._deps.database.run(
            lambda session: executive_report(
                session,
                now=now,
                recovery_slo_minutes=slo,
                generated_by=generated_by,
                routing=self._deps.connector_config,
            )
        )

    async def GetRecoveryExecutiveReport(
        self, request: report_pb2.GetRecoveryExecutiveReportRequest, context: Any
    ) -> report_pb2.GetRecoveryExecutiveReportResponse:
        report = await self._executive_report(
            Violations(),
            report_id=request.report_id,
            slo_minutes=request.recovery_slo_minutes,
            generated_by=request.generated_by,
        )
        return report_pb2.GetRecoveryExecutiveReportResponse(report=executive_report_to_proto(report))

    async def RenderRecoveryExecutiveReport(
        self, request: report_pb2.RenderRecoveryExecutiveReportRequest, context: Any
    ) -> httpbody_pb2.HttpBody:
        checks = Violations()
        if request.format not in common_pb2.ReportFormat.values():
            checks.add("format", f"has unknown value {request.format}")
        report = await self._executive_report(
            checks,
            report_id=request.report_id,
            slo_minutes=request.recovery_slo_minutes,
            generated_by=request.generated_by,
        )
        if request.format == common_pb2.REPORT_FORMAT_MARKDOWN:
            return httpbody_pb2.HttpBody(
                content_type=MARKDOWN_CONTENT_TYPE, data=render_markdown(report).encode("utf-8")
            )
        return httpbody_pb2.HttpBody(content_type=HTML_CONTENT_TYPE, data=render_html(report).encode("utf-8"))

    async def GetRollbackDrillDashboard(
        self, request: report_pb2.GetRollbackDrillDashboardRequest, context: Any
    ) -> report_pb2.GetRollbackDrillDashboardResponse:
        now = self._deps.clock()
        dashboard = await self._deps.database.read(
            lambda connection: dashboard_storage.rollback_drill_dashboard(connection, now=now)
        )
        return report_pb2.GetRollbackDrillDashboardResponse(
            generated_at=to_timestamp(dashboard.generated_at),
            escalation_plans=dashboard.escalation_plans,
            escalation_routes=dashboard.escalation_routes,
            executive_reports=dashboard.executive_reports,
            retry_recovery_reports=dashboard.retry_recovery_reports,
            acknowledgements=dashboard.acknowledgements,
            deliveries_ok=dashboard.deliveries_ok,
            deliveries_failed=dashboard.deliveries_failed,
            dead_letters=dashboard.dead_letters,
            playbooks=dashboard.playbooks,
            closures=dashboard.closures,
            retry_executions_ok=dashboard.retry_executions_ok,
            retry_executions_failed=dashboard.retry_executions_failed,
            schedule_runs=dashboard.schedule_runs,
            escalations_advanced=dashboard.escalations_advanced,
            deliveries_silenced=dashboard.deliveries_silenced,
            deliveries_inhibited=dashboard.deliveries_inhibited,
            escalations_stopped_by_acknowledgement=dashboard.escalations_stopped_by_acknowledgement,
            escalations_stopped_by_resolution=dashboard.escalations_stopped_by_resolution,
            service_version=self._deps.build.service_version,
            contract=self._deps.build.contract,
            server_build=self._deps.build.server_build,
        )

    async def RunExecutiveReportSchedule(
        self, request: report_pb2.RunExecutiveReportScheduleRequest, context: Any
    ) -> report_pb2.RunExecutiveReportScheduleResponse:
        checks = Violations()
        checks.check_count("interval_minutes", request.interval_minutes, MAX_SCHEDULE_INTERVAL_MINUTES)
        generated_by = checks.check_actor("generated_by", request.generated_by, caller_identity())
        checks.check_id("request_id", request.request_id)
        checks.raise_if_any()
        return await run_schedule(
            self._deps.database,
            request_key("RunExecutiveReportSchedule", request),
            report_pb2.RunExecutiveReportScheduleResponse,
            now=self._deps.clock(),
            interval_minutes=normalize_schedule_interval(request.interval_minutes),
            recovery_slo_minutes=normalize_recovery_slo_minutes(request.recovery_slo_minutes),
            generated_by=generated_by,
            routing=self._deps.connector_config,
            respond=lambda outcome: report_pb2.RunExecutiveReportScheduleResponse(
                run=schedule_run_to_proto(outcome.run), created=outcome.created
            ),
        )

    async def ListExecutiveReportScheduleRuns(
        self, request: report_pb2.ListExecutiveReportScheduleRunsRequest, context: Any
    ) -> report_pb2.ListExecutiveReportScheduleRunsResponse:
        checks = Violations()
        page = page_request(checks, SCHEDULE_RUNS, page_size=request.page_size, page_token=request.page_token)
        checks.raise_if_any()
        result = await self._deps.database.run(
            lambda session: schedule_storage.list_schedule_runs(session, page=page)
        )
        return report_pb2.ListExecutiveReportScheduleRunsResponse(
            runs=[schedule_run_to_proto(run) for run in result.runs],
            next_page_token=next_page_token(page, result.next_cursor),
            total_size=result.total_size,
        )
