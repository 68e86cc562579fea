"""End to end over a real socket: evidence in through EvidenceService, plan, executive report, dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def test_breached_webhook_playbook_escalates_and_reports(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        reports = report_pb2_grpc.ReportServiceStub(channel)

        evidence.RecordConnectorRecoveryPlaybook(
            evidence_pb2.RecordConnectorRecoveryPlaybookRequest(
                playbook=evidence_pb2.ConnectorRecoveryPlaybook(
                    playbook_id="pb-webhook-1",
                    generated_at=stamp(datetime.now(UTC) - timedelta(minutes=5)),
                    providers=[evidence_pb2.PlaybookProvider(provider="webhook", failure_count=3)],
                )
            ),
            timeout=10,
        )

        plan = escalation.CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(
                recovery_slo_minutes=1, generated_by="release-manager", request_id="e2e-plan-1"
            ),
            timeout=10,
        ).plan
        assert plan.escalation_count == 1
        assert plan.slo_breached_count == 1
        assert list(plan.selected_providers) == ["webhook"]
        assert plan.alert_level == common_pb2.ALERT_LEVEL_CRITICAL
        (route,) = plan.escalation_routes
        assert route.status == common_pb2.ROUTE_STATUS_BREACHED
        assert route.category == common_pb2.ROUTE_CATEGORY_WEBHOOK
        assert route.reason == "recovery SLO breached"
        assert route.age_minutes >= 5

        fetched = escalation.GetRecoveryEscalationPlan(
            escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=plan.plan_id), timeout=10
        ).plan
        assert fetched == plan
        listed = escalation.ListRecoveryEscalationPlans(
            escalation_pb2.ListRecoveryEscalationPlansRequest(provider="webhook"), timeout=10
        )
        assert [p.plan_id for p in listed.plans] == [plan.plan_id]

        report = reports.GetRecoveryExecutiveReport(
            report_pb2.GetRecoveryExecutiveReportRequest(recovery_slo_minutes=1, generated_by="exec"),
            timeout=10,
        ).report
        assert report.key_risks[0].title == "Connector recovery SLO breached"
        assert report.key_risks[0].severity == common_pb2.ALERT_LEVEL_CRITICAL
        assert report.business_impact == "Connector recovery requires leadership attention"
        assert report.escalation_plan_id == plan.plan_id
        again = reports.GetRecoveryExecutiveReport(
            report_pb2.GetRecoveryExecutiveReportRequest(report_id=report.report_id), timeout=10
        ).report
        assert again == report

        slo_report = reports.GetRetryRecoveryReport(
            report_pb2.GetRetryRecoveryReportRequest(report_id=plan.recovery_report_id), timeout=10
        ).report
        assert slo_report.totals.breached == 1
        assert slo_report.rows[0].status == common_pb2.RECOVERY_ROW_STATUS_BREACHED

        dashboard = reports.GetRollbackDrillDashboard(
            report_pb2.GetRollbackDrillDashboardRequest(), timeout=10
        )
        assert (dashboard.escalation_plans, dashboard.escalation_routes, dashboard.executive_reports) == (
            1,
            1,
            1,
        )
        assert dashboard.playbooks == 1

        markdown = reports.RenderRecoveryExecutiveReport(
            report_pb2.RenderRecoveryExecutiveReportRequest(
                report_id=report.report_id, format=common_pb2.REPORT_FORMAT_MARKDOWN
            ),
            timeout=10,
        )
        assert markdown.content_type == "text/markdown; charset=utf-8"
        assert "Connector recovery SLO breached: 1" in markdown.data.decode()
        html = reports.RenderRecoveryExecutiveReport(
            report_pb2.RenderRecoveryExecutiveReportRequest(report_id=report.report_id), timeout=10
        )
        assert html.content_type == "text/html; charset=utf-8"
        assert "<svg" in html.data.decode()

        first_run = reports.RunExecutiveReportSchedule(
            report_pb2.RunExecutiveReportScheduleRequest(), timeout=10
        )
        second_run = reports.RunExecutiveReportSchedule(
            report_pb2.RunExecutiveReportScheduleRequest(), timeout=10
        )
        assert first_run.created and not second_run.created
        assert second_run.run == first_run.run
        assert first_run.run.interval_minutes == 1440
        runs = reports.ListExecutiveReportScheduleRuns(
            report_pb2.ListExecutiveReportScheduleRunsRequest(), timeout=10
        )
        assert [r.run_id for r in runs.runs] == [first_run.run.run_id]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ("GetRetryRecoveryReport", "row_limit"),
        ("ListRecoveryEscalationPlans", "page_token"),
        ("RunExecutiveReportSchedule", "interval_minutes"),
        ("GetRecoveryEscalationPlan", "plan_id"),
    ],
)
def test_bad_input_is_invalid_argument_with_the_field_named(
    server: ServerProcess, call: str, field: str
) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        requests = {
            "GetRetryRecoveryReport": (
                report_pb2_grpc.ReportServiceStub(channel),
                report_pb2.GetRetryRecoveryReportRequest(row_limit=-1),
            ),
            "ListRecoveryEscalationPlans": (
                escalation_pb2_grpc.EscalationServiceStub(channel),
                escalation_pb2.ListRecoveryEscalationPlansRequest(page_token="%%%"),
            ),
            "RunExecutiveReportSchedule": (
                report_pb2_grpc.ReportServiceStub(channel),
                report_pb2.RunExecutiveReportScheduleRequest(interval_minutes=-5),
            ),
            "GetRecoveryEscalationPlan": (
                escalation_pb2_grpc.EscalationServiceStub(channel),
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=""),
            ),
        }
        stub, request = requests[call]
        with pytest.raises(grpc.RpcError) as raised:
            getattr(stub, call)(request, timeout=10)
        error = raised.value
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        assert status is not None
        violations = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations += [v.field for v in bad_request.field_violations]
        assert violations == [field]


def test_unknown_ids_are_not_found(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        reports = report_pb2_grpc.ReportServiceStub(channel)
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        calls = [
            lambda: reports.GetRetryRecoveryReport(
                report_pb2.GetRetryRecoveryReportRequest(report_id="nope"), timeout=10
            ),
            lambda: reports.GetRecoveryExecutiveReport(
                report_pb2.GetRecoveryExecutiveReportRequest(report_id="nope"), timeout=10
            ),
            lambda: escalation.GetRecoveryEscalationPlan(
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id="nope"), timeout=10
            ),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as raised:
                call()
            assert raised.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
