"""The evidence-trail listings with authentication on, over a real socket, on SQLite and PostgreSQL:
SLO and executive reports by time and linked plan, acknowledgements by plan and provider, the
configured receivers without URLs or credentials, which roles may read them, and bad input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import yaml
from google.protobuf.message import Message

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
    trail_pb2,
)
from tests.conftest import ServerProcess, fresh_postgres_database, start_server_process
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
TOKENS = {
    "ingest": "trail-ingest-token-1b7c",
    "operator": "trail-operator-token-93ad",
    "viewer": "trail-viewer-token-51e0",
    "auditor": "trail-auditor-token-c6f2",
}
SECRET_ENV = "TRAIL_WEBHOOK_SECRET"
SECRET_CANARY = "whsec_" + "dHJhaWwtc2VjcmV0LWNhbmFyeS0xMjM0NQ=="
URL_CANARY = "receiverurlcanary77"
RECEIVERS = [
    {
        "name": "ops-webhook",
        "provider": "webhook",
        "url": f"https://hooks.example.com/cavra/ops?token={URL_CANARY}",
        "secret_env": SECRET_ENV,
    },
    {
        "name": "release-slack",
        "provider": "slack",
        "url": f"https://hooks.example.com/services/T0/B0/{URL_CANARY}",
    },
]
RULES = [
    {
        "match": {"severity": "critical", "category": "chatops"},
        "receivers": ["release-slack"],
        "continue": True,
    }
]


@dataclass
class World:
    server: ServerProcess
    channel: grpc.Channel
    # SLO minutes → the plan, its SLO report and its executive report.
    plans: dict[int, str]
    reports: dict[int, str]
    executive_reports: dict[int, str]
    acknowledgements: dict[tuple[int, str], str]
    before: datetime
    after: datetime

    def call(self, method: str, request: Message, role: str | None = "auditor") -> Any:
        service = "ReportService" if method in REPORT_METHODS else "EscalationService"
        invoke = self.channel.unary_unary(
            f"/cavra.recovery.v1.{service}/{method}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=RESPONSES[method].FromString,
        )
        metadata = () if role is None else (("authorization", f"Bearer {TOKENS[role]}"),)
        return invoke(request, timeout=30, metadata=metadata)


REPORT_METHODS = {"ListRetryRecoveryReports", "ListRecoveryExecutiveReports"}
RESPONSES: dict[str, Any] = {
    "ListRetryRecoveryReports": trail_pb2.ListRetryRecoveryReportsResponse,
    "ListRecoveryExecutiveReports": trail_pb2.ListRecoveryExecutiveReportsResponse,
    "ListRecoveryEscalationAcknowledgements": trail_pb2.ListRecoveryEscalationAcknowledgementsResponse,
    "GetRecoveryEvidenceTrail": trail_pb2.GetRecoveryEvidenceTrailResponse,
    "ListEscalationReceivers": trail_pb2.ListEscalationReceiversResponse,
}


def metadata(role: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKENS[role]}"),)


def write_files(directory: Path) -> tuple[Path, Path]:
    auth = directory / "auth.yaml"
    auth.write_text(
        yaml.safe_dump(
            {
                "tokens": [
                    {
                        "name": f"trail-{role}",
                        "sha256": hashlib.sha256(token.encode()).hexdigest(),
                        "roles": [role],
                    }
                    for role, token in TOKENS.items()
                ]
            }
        )
    )
    connectors = directory / "connectors.yaml"
    connectors.write_text(
        yaml.safe_dump({"receivers": RECEIVERS, "routing": {"default": "ops-webhook", "rules": RULES}})
    )
    return auth, connectors


def build_world(database_url: str, directory: Path) -> Iterator[World]:
    auth, connectors = write_files(directory)
    server = start_server_process(
        database_url=database_url,
        extra_args=["--auth-config", str(auth), "--connectors", str(connectors)],
        env={SECRET_ENV: SECRET_CANARY, "CAVRA_DELIVERY_WORKER": "off"},
    )
    try:
        with grpc.insecure_channel(server.grpc_address) as channel:
            before = datetime.now(UTC) - timedelta(seconds=1)
            now = datetime.now(UTC)
            playbook = build.playbook(
                "pb-listings", providers=("slack", "jira"), generated_at=build.stamp(now - timedelta(hours=3))
            )
            evidence_pb2_grpc.EvidenceServiceStub(channel).RecordConnectorRecoveryPlaybook(
                evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=playbook),
                timeout=30,
                metadata=metadata("ingest"),
            )
            escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
            reports = report_pb2_grpc.ReportServiceStub(channel)
            plans: dict[int, str] = {}
            slo_reports: dict[int, str] = {}
            executive_reports: dict[int, str] = {}
            # 240 minutes: both rows open; 60 minutes: both breached. Two SLO reports, two plans.
            for slo in (240, 60):
                plan = escalation.CreateRecoveryEscalationPlan(
                    escalation_pb2.CreateRecoveryEscalationPlanRequest(recovery_slo_minutes=slo),
                    timeout=30,
                    metadata=metadata("operator"),
                ).plan
                plans[slo], slo_reports[slo] = plan.plan_id, plan.recovery_report_id
                executive_reports[slo] = reports.GetRecoveryExecutiveReport(
                    report_pb2.GetRecoveryExecutiveReportRequest(recovery_slo_minutes=slo),
                    timeout=30,
                    metadata=metadata("operator"),
                ).report.report_id
            acknowledgements: dict[tuple[int, str], str] = {}
            for slo, provider in ((240, "slack"), (240, "jira"), (60, "slack")):
                acknowledgements[(slo, provider)] = escalation.AcknowledgeRecoveryEscalation(
                    escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                        plan_id=plans[slo],
                        provider=provider,
                        state=common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED,
                        acknowledged_by="trail-operator",
                        note=f"note for {provider}",
                    ),
                    timeout=30,
                    metadata=metadata("operator"),
                ).acknowledgement.acknowledgement_id
            yield World(
                server=server,
                channel=channel,
                plans=plans,
                reports=slo_reports,
                executive_reports=executive_reports,
                acknowledgements=acknowledgements,
                before=before,
                after=datetime.now(UTC) + timedelta(seconds=1),
            )
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp(f"trail-listings-{request.param}")
    if request.param == "sqlite":
        yield from build_world(f"sqlite:///{directory / 'cavra.db'}", directory)
    else:
        with fresh_postgres_database() as url:
            yield from build_world(url, directory)


def stamp(moment: datetime) -> Any:
    return build.stamp(moment)


def test_slo_reports_are_listed_newest_first_and_filtered_by_linked_plan_and_time(world: World) -> None:
    listed = world.call("ListRetryRecoveryReports", trail_pb2.ListRetryRecoveryReportsRequest())
    assert [r.report_id for r in listed.reports] == [world.reports[60], world.reports[240]]
    assert [r.recovery_slo_minutes for r in listed.reports] == [60, 240]
    assert listed.reports[0].level == common_pb2.ALERT_LEVEL_CRITICAL
    assert listed.reports[1].level == common_pb2.ALERT_LEVEL_WARNING
    assert listed.total_size == 2
    for slo in (240, 60):
        by_plan = world.call(
            "ListRetryRecoveryReports", trail_pb2.ListRetryRecoveryReportsRequest(plan_id=world.plans[slo])
        )
        assert [r.report_id for r in by_plan.reports] == [world.reports[slo]]
    within = trail_pb2.ListRetryRecoveryReportsRequest(
        start_time=stamp(world.before), end_time=stamp(world.after)
    )
    assert world.call("ListRetryRecoveryReports", within).total_size == 2
    later = trail_pb2.ListRetryRecoveryReportsRequest(start_time=stamp(world.after))
    assert list(world.call("ListRetryRecoveryReports", later).reports) == []
    earlier = trail_pb2.ListRetryRecoveryReportsRequest(end_time=stamp(world.before))
    assert list(world.call("ListRetryRecoveryReports", earlier).reports) == []


def test_executive_reports_are_listed_with_their_links_and_filtered_by_plan_and_time(world: World) -> None:
    listed = world.call("ListRecoveryExecutiveReports", trail_pb2.ListRecoveryExecutiveReportsRequest())
    assert [(r.report_id, r.escalation_plan_id, r.recovery_report_id) for r in listed.reports] == [
        (world.executive_reports[slo], world.plans[slo], world.reports[slo]) for slo in (60, 240)
    ]
    by_plan = world.call(
        "ListRecoveryExecutiveReports",
        trail_pb2.ListRecoveryExecutiveReportsRequest(plan_id=world.plans[240]),
    )
    assert [r.report_id for r in by_plan.reports] == [world.executive_reports[240]]
    assert by_plan.total_size == 1
    later = trail_pb2.ListRecoveryExecutiveReportsRequest(start_time=stamp(world.after))
    assert world.call("ListRecoveryExecutiveReports", later).total_size == 0


def test_acknowledgements_are_listed_by_plan_and_provider_with_their_notes(world: World) -> None:
    def listed(**filters: str) -> list[str]:
        request = trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(**filters)
        response = world.call("ListRecoveryEscalationAcknowledgements", request)
        assert response.total_size == len(response.acknowledgements)
        return [a.acknowledgement_id for a in response.acknowledgements]

    ids = world.acknowledgements
    assert listed() == [ids[(60, "slack")], ids[(240, "jira")], ids[(240, "slack")]]
    assert listed(plan_id=world.plans[240]) == [ids[(240, "jira")], ids[(240, "slack")]]
    assert listed(provider="slack") == [ids[(60, "slack")], ids[(240, "slack")]]
    assert listed(plan_id=world.plans[240], provider="jira") == [ids[(240, "jira")]]
    response = world.call(
        "ListRecoveryEscalationAcknowledgements",
        trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(plan_id=world.plans[60]),
    )
    (only,) = response.acknowledgements
    assert (only.provider, only.state, only.note) == (
        "slack",
        common_pb2.ACKNOWLEDGEMENT_STATE_ACCEPTED,
        "note for slack",
    )
    # With authentication on, the actor is the authenticated identity.
    assert only.acknowledged_by == "trail-operator"


def test_receivers_and_routing_rules_are_listed_without_urls_or_credentials(world: World) -> None:
    response = world.call("ListEscalationReceivers", trail_pb2.ListEscalationReceiversRequest())
    assert [(r.name, r.provider, r.category, r.is_default) for r in response.receivers] == [
        ("ops-webhook", "webhook", common_pb2.PROVIDER_CATEGORY_WEBHOOK, True),
        ("release-slack", "slack", common_pb2.PROVIDER_CATEGORY_CHATOPS, False),
    ]
    assert response.default_receiver == "ops-webhook"
    (rule,) = response.routing_rules
    assert rule.match.severity == common_pb2.ALERT_LEVEL_CRITICAL
    assert rule.match.category == common_pb2.ROUTE_CATEGORY_CHATOPS
    assert (rule.match.provider, list(rule.receivers), rule.continue_matching) == (
        "",
        ["release-slack"],
        True,
    )
    slack_only = world.call(
        "ListEscalationReceivers", trail_pb2.ListEscalationReceiversRequest(provider="slack")
    )
    assert [r.name for r in slack_only.receivers] == ["release-slack"]
    assert slack_only.total_size == 1
    rest = httpx.get(
        f"http://{world.server.http_address}{PREFIX}/escalation-receivers",
        headers={"authorization": f"Bearer {TOKENS['auditor']}"},
        timeout=30,
    )
    assert rest.status_code == 200, rest.text
    assert [r["name"] for r in rest.json()["receivers"]] == ["ops-webhook", "release-slack"]
    for text in (str(response), rest.text):
        for secret in (
            URL_CANARY,
            SECRET_CANARY,
            SECRET_CANARY.removeprefix("whsec_"),
            "hooks.example.com",
            "https",
        ):
            assert secret not in text


def _requests(world: World) -> dict[str, Message]:
    return {
        "ListRetryRecoveryReports": trail_pb2.ListRetryRecoveryReportsRequest(),
        "ListRecoveryExecutiveReports": trail_pb2.ListRecoveryExecutiveReportsRequest(),
        "ListRecoveryEscalationAcknowledgements": trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(),
        "GetRecoveryEvidenceTrail": trail_pb2.GetRecoveryEvidenceTrailRequest(plan_id=world.plans[240]),
        "ListEscalationReceivers": trail_pb2.ListEscalationReceiversRequest(),
    }


@pytest.mark.parametrize("role", ["auditor", "viewer", "operator"])
def test_auditors_viewers_and_operators_read_every_trail_rpc(world: World, role: str) -> None:
    for method, request in _requests(world).items():
        response = world.call(method, request, role=role)
        assert response.ByteSize() > 0, method


@pytest.mark.parametrize(("role", "code"), [("ingest", "PERMISSION_DENIED"), (None, "UNAUTHENTICATED")])
def test_the_ingest_role_and_a_missing_token_are_refused(world: World, role: str | None, code: str) -> None:
    for method, request in _requests(world).items():
        with pytest.raises(grpc.RpcError) as raised:
            world.call(method, request, role=role)
        assert raised.value.code() == getattr(grpc.StatusCode, code), method  # type: ignore[attr-defined]


def test_the_auditor_reads_the_trail_through_the_gateway(world: World) -> None:
    path = f"{PREFIX}/recovery-escalations/{world.plans[240]}/evidence-trail"
    url = f"http://{world.server.http_address}{path}"
    assert httpx.get(url, timeout=30).status_code == 401
    response = httpx.get(url, headers={"authorization": f"Bearer {TOKENS['auditor']}"}, timeout=30)
    assert response.status_code == 200, response.text
    trail = response.json()["trail"]
    assert trail["plan"]["plan_id"] == world.plans[240]
    assert [r["report_id"] for r in trail["executive_reports"]] == [world.executive_reports[240]]
    assert {a["acknowledgement_id"] for a in trail["acknowledgements"]} == {
        world.acknowledgements[(240, "slack")],
        world.acknowledgements[(240, "jira")],
    }


BAD_REQUESTS: list[tuple[str, Callable[[World], Message], list[str]]] = [
    (
        "ListRetryRecoveryReports",
        lambda w: trail_pb2.ListRetryRecoveryReportsRequest(
            start_time=stamp(w.after), end_time=stamp(w.before), plan_id="bad plan"
        ),
        ["plan_id", "start_time"],
    ),
    (
        "ListRecoveryExecutiveReports",
        lambda w: trail_pb2.ListRecoveryExecutiveReportsRequest(
            start_time=stamp(datetime(1990, 1, 1, tzinfo=UTC)), page_size=-1
        ),
        ["start_time", "page_size"],
    ),
    (
        "ListRecoveryEscalationAcknowledgements",
        lambda w: trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(
            provider="Slack!", plan_id="x" * 300
        ),
        ["plan_id", "provider"],
    ),
    ("GetRecoveryEvidenceTrail", lambda w: trail_pb2.GetRecoveryEvidenceTrailRequest(), ["plan_id"]),
    (
        "ListEscalationReceivers",
        lambda w: trail_pb2.ListEscalationReceiversRequest(provider="NOT A PROVIDER", page_token="garbage!"),
        ["provider", "page_token"],
    ),
]


@pytest.mark.parametrize(
    ("method", "build_request", "fields"), BAD_REQUESTS, ids=[row[0] for row in BAD_REQUESTS]
)
def test_bad_input_is_invalid_argument_with_field_violations(
    world: World, method: str, build_request: Callable[[World], Message], fields: list[str]
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        world.call(method, build_request(world))
    error = rich_error(raised.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error.message
    assert sorted(error.fields) == sorted(fields)
