"""Input checks and response bounds of the plan and report RPCs, over a real socket, on SQLite and PostgreSQL.

Each test starts a real server on the parametrized database (`database_url`): PostgreSQL rejects a NUL
byte in text where SQLite stores it, so a missed check shows up as INTERNAL on one database only.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import func, insert, select

from cavra.recovery.v1 import common_pb2, escalation_pb2, escalation_pb2_grpc, report_pb2, report_pb2_grpc
from cavra_recovery.server.domain.paging import filter_fingerprint
from cavra_recovery.server.domain.slo_report import MAX_RECOVERY_SLO_MINUTES
from cavra_recovery.server.handlers.escalation_plans import PLANS, ROUTES
from cavra_recovery.server.handlers.report import SCHEDULE_RUNS
from cavra_recovery.server.operations.reports import slo_report
from cavra_recovery.server.storage import plans as plan_storage
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.migrate import migrate
from cavra_recovery.server.storage.models import (
    PlaybookProviderRecord,
    PlaybookRecord,
    RetryExecutionRecord,
    RetryRecoveryReportRecord,
)
from cavra_recovery.server.storage.summaries.rebuild import rebuild_summaries
from tests.conftest import ServerProcess

HTTP_PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
OPEN_ROWS = 10_050
BREACHED_ROWS = 3


def seed_rows(database_url: str, now: datetime) -> None:
    """OPEN_ROWS open rows (slack/jira), BREACHED_ROWS breached jira rows, one failed webhook execution."""
    migrate(database_url)
    database = Database(database_url)

    def work(session: Any) -> None:
        rows = [(f"pb-open-{i:05d}", "slack" if i % 2 else "jira", 10) for i in range(OPEN_ROWS)]
        rows += [(f"pb-late-{i}", "jira", 300) for i in range(BREACHED_ROWS)]
        session.execute(
            insert(PlaybookRecord),
            [
                {
                    "playbook_id": playbook_id,
                    "generated_at": now - timedelta(minutes=age),
                    "content_digest": "0" * 64,
                    "recorded_at": now,
                }
                for playbook_id, _, age in rows
            ],
        )
        session.execute(
            insert(PlaybookProviderRecord),
            [
                {
                    "playbook_id": playbook_id,
                    "provider": provider,
                    "category": "chatops" if provider == "slack" else "itsm",
                    "failure_count": 1,
                    "latest_failure_at": now - timedelta(minutes=age),
                    "status_codes": [500],
                    "generated_at": now - timedelta(minutes=age),
                }
                for playbook_id, provider, age in rows
            ],
        )
        session.execute(
            insert(RetryExecutionRecord),
            [
                {
                    "execution_id": "exec-webhook-1",
                    "provider": "webhook",
                    "execution_status": "failed",
                    "executed_at": now - timedelta(minutes=5),
                    "content_digest": "0" * 64,
                    "recorded_at": now,
                }
            ],
        )
        # Inserted around intake: build the summaries from this history, as the migration does.
        rebuild_summaries(session.connection())

    try:
        database.run_sync(work)
    finally:
        database.dispose()


def rpc_error(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def violated_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields += [v.field for v in bad_request.field_violations]
    return fields


def forged_token(after: object, fingerprint: str) -> str:
    raw = json.dumps({"i": after, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def stamp(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def test_plan_responses_are_bounded_and_list_routes_pages_through_every_route(
    database_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    seed_rows(database_url, datetime.now(UTC))
    server = server_factory(database_url=database_url)
    total = OPEN_ROWS + BREACHED_ROWS + 1
    # A default client: no raised message size limits anywhere in this test.
    with grpc.insecure_channel(server.grpc_address) as channel:
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        plan = escalation.CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="limits"), timeout=120
        ).plan
        assert plan.escalation_count == total
        assert len(plan.escalation_routes) == 1000
        assert plan.routes_truncated
        assert plan.critical_escalation_count == BREACHED_ROWS + 1

        widest = escalation.GetRecoveryEscalationPlan(
            escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=plan.plan_id, route_limit=50_000),
            timeout=60,
        ).plan
        assert len(widest.escalation_routes) == 10_000
        assert widest.routes_truncated
        assert list(widest.escalation_routes[:1000]) == list(plan.escalation_routes)
        few = escalation.GetRecoveryEscalationPlan(
            escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=plan.plan_id, route_limit=7), timeout=60
        ).plan
        assert list(few.escalation_routes) == list(plan.escalation_routes[:7])
        assert few.routes_truncated and few.escalation_count == total

        small = escalation.CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(route_limit=2, request_id="limits-small"),
            timeout=120,
        ).plan
        assert len(small.escalation_routes) == 2 and small.escalation_count == total

        listed = escalation.ListRecoveryEscalationPlans(
            escalation_pb2.ListRecoveryEscalationPlansRequest(), timeout=60
        )
        assert [p.plan_id for p in listed.plans] == [small.plan_id, plan.plan_id]
        for listed_plan in listed.plans:
            assert len(listed_plan.escalation_routes) == 0
            assert listed_plan.routes_truncated
            assert listed_plan.escalation_count == total

        routes: list[escalation_pb2.EscalationRoute] = []
        token = ""
        pages = 0
        while True:
            page = escalation.ListRecoveryEscalationRoutes(
                escalation_pb2.ListRecoveryEscalationRoutesRequest(
                    plan_id=plan.plan_id, page_size=5000, page_token=token
                ),
                timeout=60,
            )
            assert len(page.routes) <= 1000
            assert page.total_size == total
            routes += page.routes
            pages += 1
            token = page.next_page_token
            if not token:
                break
        assert pages == 11
        assert len(routes) == total
        assert routes[:10_000] == list(widest.escalation_routes)
        assert len({route.dedup_key for route in routes}) == total

        default_page = escalation.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id=plan.plan_id), timeout=60
        )
        assert list(default_page.routes) == routes[:100]

        critical = escalation.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(
                plan_id=plan.plan_id, severity=common_pb2.ALERT_LEVEL_CRITICAL, page_size=2
            ),
            timeout=60,
        )
        assert critical.total_size == BREACHED_ROWS + 1
        assert list(critical.routes) == routes[:2]
        rest = escalation.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(
                plan_id=plan.plan_id,
                severity=common_pb2.ALERT_LEVEL_CRITICAL,
                page_size=2,
                page_token=critical.next_page_token,
            ),
            timeout=60,
        )
        assert list(rest.routes) == routes[2:4] and rest.next_page_token == ""
        webhook = escalation.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id=plan.plan_id, provider="webhook"),
            timeout=60,
        )
        assert [(r.provider, r.category) for r in webhook.routes] == [
            ("webhook", common_pb2.ROUTE_CATEGORY_RETRY_EXECUTION)
        ]
        jira_warnings = escalation.ListRecoveryEscalationRoutes(
            escalation_pb2.ListRecoveryEscalationRoutesRequest(
                plan_id=plan.plan_id, provider="jira", severity=common_pb2.ALERT_LEVEL_WARNING
            ),
            timeout=60,
        )
        assert jira_warnings.total_size == OPEN_ROWS // 2

        wrong_filters = rpc_error(
            lambda: escalation.ListRecoveryEscalationRoutes(
                escalation_pb2.ListRecoveryEscalationRoutesRequest(
                    plan_id=plan.plan_id, provider="jira", page_token=critical.next_page_token
                ),
                timeout=60,
            )
        )
        assert violated_fields(wrong_filters) == ["page_token"]
        other_plan = rpc_error(
            lambda: escalation.ListRecoveryEscalationRoutes(
                escalation_pb2.ListRecoveryEscalationRoutesRequest(
                    plan_id=small.plan_id,
                    severity=common_pb2.ALERT_LEVEL_CRITICAL,
                    page_token=critical.next_page_token,
                ),
                timeout=60,
            )
        )
        assert violated_fields(other_plan) == ["page_token"]
        healthy = rpc_error(
            lambda: escalation.ListRecoveryEscalationRoutes(
                escalation_pb2.ListRecoveryEscalationRoutesRequest(
                    plan_id=plan.plan_id, severity=common_pb2.ALERT_LEVEL_HEALTHY
                ),
                timeout=60,
            )
        )
        assert violated_fields(healthy) == ["severity"]
        missing = rpc_error(
            lambda: escalation.ListRecoveryEscalationRoutes(
                escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id="plan_missing"), timeout=60
            )
        )
        assert missing.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]

    url = f"http://{server.http_address}{HTTP_PREFIX}/recovery-escalations/{plan.plan_id}/routes?provider=webhook"
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.load(response)
    assert [route["provider"] for route in body["routes"]] == ["webhook"]
    assert body["total_size"] == "1"


def test_bad_strings_and_sizes_are_invalid_argument_naming_the_field(
    database_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory(database_url=database_url, http=False)
    nul, too_long = "a\x00b", "x" * 129
    with grpc.insecure_channel(server.grpc_address) as channel:
        esc = escalation_pb2_grpc.EscalationServiceStub(channel)
        rep = report_pb2_grpc.ReportServiceStub(channel)
        cases: list[tuple[Callable[..., Any], Any, list[str]]] = [
            (
                esc.CreateRecoveryEscalationPlan,
                escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by=nul),
                ["generated_by"],
            ),
            (
                esc.CreateRecoveryEscalationPlan,
                escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by=too_long),
                ["generated_by"],
            ),
            (
                esc.CreateRecoveryEscalationPlan,
                escalation_pb2.CreateRecoveryEscalationPlanRequest(request_id=nul, route_limit=-1),
                ["request_id", "route_limit"],
            ),
            (
                esc.CreateRecoveryEscalationPlan,
                escalation_pb2.CreateRecoveryEscalationPlanRequest(request_id="has space"),
                ["request_id"],
            ),
            (esc.GetRecoveryEscalationPlan, escalation_pb2.GetRecoveryEscalationPlanRequest(), ["plan_id"]),
            (
                esc.GetRecoveryEscalationPlan,
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=nul),
                ["plan_id"],
            ),
            (
                esc.GetRecoveryEscalationPlan,
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id="a/b", route_limit=-3),
                ["plan_id", "route_limit"],
            ),
            (
                esc.GetRecoveryEscalationPlan,
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=too_long),
                ["plan_id"],
            ),
            (
                esc.ListRecoveryEscalationPlans,
                escalation_pb2.ListRecoveryEscalationPlansRequest(provider="sl\x00ck", alert_level=99),
                ["alert_level", "provider"],
            ),
            (
                esc.ListRecoveryEscalationPlans,
                escalation_pb2.ListRecoveryEscalationPlansRequest(page_size=-1, page_token="t" * 600),
                ["page_size", "page_token"],
            ),
            (
                esc.ListRecoveryEscalationRoutes,
                escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id=nul, provider=nul, page_size=-1),
                ["page_size", "plan_id", "provider"],
            ),
            (
                esc.ListRecoveryEscalationRoutes,
                escalation_pb2.ListRecoveryEscalationRoutesRequest(plan_id="p", severity=42),
                ["severity"],
            ),
            (
                rep.GetRetryRecoveryReport,
                report_pb2.GetRetryRecoveryReportRequest(report_id=nul, row_limit=-1),
                ["report_id", "row_limit"],
            ),
            (
                rep.GetRecoveryExecutiveReport,
                report_pb2.GetRecoveryExecutiveReportRequest(generated_by=nul),
                ["generated_by"],
            ),
            (
                rep.GetRecoveryExecutiveReport,
                report_pb2.GetRecoveryExecutiveReportRequest(report_id=nul),
                ["report_id"],
            ),
            (
                rep.RenderRecoveryExecutiveReport,
                report_pb2.RenderRecoveryExecutiveReportRequest(report_id=too_long, format=9),
                ["format", "report_id"],
            ),
            (
                rep.RenderRecoveryExecutiveReport,
                report_pb2.RenderRecoveryExecutiveReportRequest(generated_by="\x7f"),
                ["generated_by"],
            ),
            (
                rep.RunExecutiveReportSchedule,
                report_pb2.RunExecutiveReportScheduleRequest(generated_by=nul, request_id=nul),
                ["generated_by", "request_id"],
            ),
            (
                rep.RunExecutiveReportSchedule,
                report_pb2.RunExecutiveReportScheduleRequest(interval_minutes=2**31 - 1),
                ["interval_minutes"],
            ),
            (
                rep.ListExecutiveReportScheduleRuns,
                report_pb2.ListExecutiveReportScheduleRunsRequest(page_size=-2, page_token="t" * 600),
                ["page_size", "page_token"],
            ),
        ]
        for method, request, fields in cases:
            error = rpc_error(lambda method=method, request=request: method(request, timeout=30))
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (request, error)  # type: ignore[attr-defined]
            assert sorted(violated_fields(error)) == fields, request
        # Ids this service generates (with '_') and plain unknown ids are NOT_FOUND, never INVALID_ARGUMENT.
        for call in (
            lambda: esc.GetRecoveryEscalationPlan(
                escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id="plan_0123abc"), timeout=30
            ),
            lambda: rep.GetRetryRecoveryReport(
                report_pb2.GetRetryRecoveryReportRequest(report_id="rrr_0123abc"), timeout=30
            ),
            lambda: rep.GetRecoveryExecutiveReport(
                report_pb2.GetRecoveryExecutiveReportRequest(report_id="exr_0123abc"), timeout=30
            ),
        ):
            assert rpc_error(call).code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


def test_forged_page_tokens_and_out_of_range_times_are_invalid_argument(
    database_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory(database_url=database_url, http=False)
    plan_fingerprint = filter_fingerprint(PLANS, plan_storage.PlanFilter())
    route_fingerprint = filter_fingerprint(ROUTES, "plan_x", None, "")
    runs_fingerprint = filter_fingerprint(SCHEDULE_RUNS)
    with grpc.insecure_channel(server.grpc_address) as channel:
        esc = escalation_pb2_grpc.EscalationServiceStub(channel)
        rep = report_pb2_grpc.ReportServiceStub(channel)
        for after in (10**30, 2**63, -1, True, 1.5, "7", None):
            for call in (
                lambda a=after: esc.ListRecoveryEscalationPlans(
                    escalation_pb2.ListRecoveryEscalationPlansRequest(
                        page_token=forged_token(a, plan_fingerprint)
                    ),
                    timeout=30,
                ),
                lambda a=after: esc.ListRecoveryEscalationRoutes(
                    escalation_pb2.ListRecoveryEscalationRoutesRequest(
                        plan_id="plan_x", page_token=forged_token(a, route_fingerprint)
                    ),
                    timeout=30,
                ),
                lambda a=after: rep.ListExecutiveReportScheduleRuns(
                    report_pb2.ListExecutiveReportScheduleRunsRequest(
                        page_token=forged_token(a, runs_fingerprint)
                    ),
                    timeout=30,
                ),
            ):
                error = rpc_error(call)
                assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, after  # type: ignore[attr-defined]
                assert violated_fields(error) == ["page_token"]
        # The largest id a token may name is accepted: an empty page, not an error.
        largest = esc.ListRecoveryEscalationPlans(
            escalation_pb2.ListRecoveryEscalationPlansRequest(
                page_token=forged_token(2**63 - 1, plan_fingerprint)
            ),
            timeout=30,
        )
        assert list(largest.plans) == [] and largest.total_size == 0
        runs = rep.ListExecutiveReportScheduleRuns(
            report_pb2.ListExecutiveReportScheduleRunsRequest(page_token=forged_token(0, runs_fingerprint)),
            timeout=30,
        )
        assert list(runs.runs) == []

        valid = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
        time_cases: list[tuple[dict[str, timestamp_pb2.Timestamp], list[str]]] = [
            ({"start_time": stamp(10**12)}, ["start_time"]),
            ({"end_time": stamp(-(10**12))}, ["end_time"]),
            ({"start_time": stamp(valid, nanos=-1)}, ["start_time"]),
            ({"end_time": stamp(valid, nanos=1_000_000_000)}, ["end_time"]),
            ({"start_time": stamp(0)}, ["start_time"]),
            ({"start_time": stamp(valid + 60), "end_time": stamp(valid)}, ["start_time"]),
            ({"start_time": stamp(valid), "end_time": stamp(valid)}, ["start_time"]),
        ]
        for times, fields in time_cases:
            error = rpc_error(
                lambda times=times: esc.ListRecoveryEscalationPlans(
                    escalation_pb2.ListRecoveryEscalationPlansRequest(**times), timeout=30
                )
            )
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, times  # type: ignore[attr-defined]
            assert violated_fields(error) == fields, times
        window = esc.ListRecoveryEscalationPlans(
            escalation_pb2.ListRecoveryEscalationPlansRequest(
                start_time=stamp(valid, nanos=999_999_999), end_time=stamp(valid + 1)
            ),
            timeout=30,
        )
        assert window.total_size == 0


def test_huge_and_negative_slo_minutes_are_clamped_on_every_rpc_that_takes_them(
    database_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory(database_url=database_url, http=False)
    with grpc.insecure_channel(server.grpc_address) as channel:
        esc = escalation_pb2_grpc.EscalationServiceStub(channel)
        rep = report_pb2_grpc.ReportServiceStub(channel)
        for given, expected in ((2**31 - 1, MAX_RECOVERY_SLO_MINUTES), (-(2**31), 1)):
            report = rep.GetRetryRecoveryReport(
                report_pb2.GetRetryRecoveryReportRequest(recovery_slo_minutes=given), timeout=60
            ).report
            assert report.recovery_slo_minutes == expected
            plan = esc.CreateRecoveryEscalationPlan(
                escalation_pb2.CreateRecoveryEscalationPlanRequest(recovery_slo_minutes=given), timeout=60
            ).plan
            assert plan.recovery_slo_minutes == expected
            executive = rep.GetRecoveryExecutiveReport(
                report_pb2.GetRecoveryExecutiveReportRequest(recovery_slo_minutes=given), timeout=60
            ).report
            assert executive.recovery_slo_minutes == expected
            rendered = rep.RenderRecoveryExecutiveReport(
                report_pb2.RenderRecoveryExecutiveReportRequest(recovery_slo_minutes=given), timeout=60
            )
            assert rendered.content_type.startswith("text/html")
        scheduled = rep.RunExecutiveReportSchedule(
            report_pb2.RunExecutiveReportScheduleRequest(recovery_slo_minutes=2**31 - 1), timeout=60
        )
        stored = rep.GetRecoveryExecutiveReport(
            report_pb2.GetRecoveryExecutiveReportRequest(report_id=scheduled.run.report_id), timeout=60
        ).report
        assert stored.recovery_slo_minutes == MAX_RECOVERY_SLO_MINUTES


def test_unchanged_slo_report_answers_fresh_ages_under_the_stored_id(
    database_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    earlier = started - timedelta(minutes=30)
    migrate(database_url)
    database = Database(database_url)
    try:
        database.run_sync(
            lambda session: session.execute(
                insert(PlaybookRecord),
                [
                    {
                        "playbook_id": "pb-aging",
                        "generated_at": started - timedelta(minutes=40),
                        "content_digest": "0" * 64,
                        "recorded_at": started,
                    }
                ],
            )
        )
        database.run_sync(
            lambda session: session.execute(
                insert(PlaybookProviderRecord),
                [
                    {
                        "playbook_id": "pb-aging",
                        "provider": "slack",
                        "category": "chatops",
                        "generated_at": started - timedelta(minutes=40),
                    }
                ],
            )
        )
        database.run_sync(lambda session: rebuild_summaries(session.connection()))
        # The stored snapshot, built 30 minutes ago: age 10, open under the default 240-minute SLO.
        snapshot = database.run_sync(
            lambda session: slo_report(session, now=earlier, recovery_slo_minutes=240)
        )
        assert [row.age_minutes for row in snapshot.rows] == [10]

        server = server_factory(database_url=database_url, http=False)
        with grpc.insecure_channel(server.grpc_address) as channel:
            rep = report_pb2_grpc.ReportServiceStub(channel)
            fresh = rep.GetRetryRecoveryReport(report_pb2.GetRetryRecoveryReportRequest(), timeout=60).report
            assert fresh.report_id == snapshot.report_id
            assert fresh.generated_at.ToDatetime(tzinfo=UTC) >= started
            assert fresh.rows[0].age_minutes >= 40
            assert fresh.rows[0].status == common_pb2.RECOVERY_ROW_STATUS_OPEN
            stored = rep.GetRetryRecoveryReport(
                report_pb2.GetRetryRecoveryReportRequest(report_id=snapshot.report_id), timeout=60
            ).report
            assert stored.generated_at.ToDatetime(tzinfo=UTC) == earlier
            assert stored.rows[0].age_minutes == 10
        count = database.run_sync(
            lambda session: session.scalar(select(func.count()).select_from(RetryRecoveryReportRecord))
        )
        assert count == 1
    finally:
        database.dispose()
