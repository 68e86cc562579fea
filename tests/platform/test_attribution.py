"""Attribution from identity (docs/identity.md): with auth on, every stored actor field is the caller's
token name, over gRPC and over the gateway, whatever the request said; a request naming anyone else is
refused and stores nothing. With auth off, the request's own value is stored as before."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import yaml
from google.api import httpbody_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    ledger_pb2,
    policy_pb2,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
TOKENS = {
    "go-backend": ("ingest-attr-3b9f", ["ingest"]),
    "release-manager": ("operator-attr-71c2", ["operator"]),
    "executive": ("viewer-attr-0d5e", ["viewer"]),
}
IMPOSTOR = "the-auditor"


def token_of(name: str) -> str:
    return TOKENS[name][0]


class Refused(Exception):
    def __init__(self, code: str, fields: list[str]) -> None:
        super().__init__(code, fields)
        self.code = code
        self.fields = fields


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    http_method: str
    path: str
    # "*": the whole request is the body; a field name: that field is; None: query parameters.
    body: str | None


ROUTES = {
    "CreateRecoveryEscalationPlan": Route(
        "escalation", "CreateRecoveryEscalationPlan", "POST", "/recovery-escalation-plan", "*"
    ),
    "GetRecoveryEscalationPlan": Route(
        "escalation", "GetRecoveryEscalationPlan", "GET", "/recovery-escalations/{plan_id}", None
    ),
    "AcknowledgeRecoveryEscalation": Route(
        "escalation",
        "AcknowledgeRecoveryEscalation",
        "POST",
        "/recovery-escalations/{plan_id}/acknowledgements",
        "*",
    ),
    "DeliverRecoveryEscalation": Route(
        "escalation", "DeliverRecoveryEscalation", "POST", "/recovery-escalations/{plan_id}/deliver", "*"
    ),
    "RecordConnectorRecoveryPlaybook": Route(
        "evidence", "RecordConnectorRecoveryPlaybook", "POST", "/connector-recovery-playbooks", "playbook"
    ),
    "RecordRecoveryClosure": Route(
        "evidence",
        "RecordRecoveryClosure",
        "POST",
        "/connector-recovery-playbooks/{playbook_id}/closures",
        "closure",
    ),
    "ListRecoveryClosures": Route(
        "evidence",
        "ListRecoveryClosures",
        "GET",
        "/connector-recovery-playbooks/{playbook_id}/closures",
        None,
    ),
    "BatchRecordEvidence": Route("evidence", "BatchRecordEvidence", "POST", "/evidence:batchRecord", "*"),
    "GetRecoveryExecutiveReport": Route(
        "report", "GetRecoveryExecutiveReport", "GET", "/recovery-executive-report", None
    ),
    "RenderRecoveryExecutiveReport": Route(
        "report", "RenderRecoveryExecutiveReport", "GET", "/recovery-executive-report/rendered", None
    ),
    "RunExecutiveReportSchedule": Route(
        "report", "RunExecutiveReportSchedule", "POST", "/recovery-executive-report/schedule-run", "*"
    ),
    "CreateRecoveryEscalationSilence": Route(
        "escalation", "CreateRecoveryEscalationSilence", "POST", "/recovery-escalation-silences", "*"
    ),
    "ListRecoveryEscalationSilences": Route(
        "escalation", "ListRecoveryEscalationSilences", "GET", "/recovery-escalation-silences", None
    ),
}
RESPONSES: dict[str, type[Message]] = {
    "CreateRecoveryEscalationPlan": escalation_pb2.CreateRecoveryEscalationPlanResponse,
    "GetRecoveryEscalationPlan": escalation_pb2.GetRecoveryEscalationPlanResponse,
    "AcknowledgeRecoveryEscalation": escalation_pb2.AcknowledgeRecoveryEscalationResponse,
    "DeliverRecoveryEscalation": escalation_pb2.DeliverRecoveryEscalationResponse,
    "RecordConnectorRecoveryPlaybook": evidence_pb2.RecordConnectorRecoveryPlaybookResponse,
    "RecordRecoveryClosure": evidence_pb2.RecordRecoveryClosureResponse,
    "ListRecoveryClosures": evidence_pb2.ListRecoveryClosuresResponse,
    "BatchRecordEvidence": evidence_pb2.BatchRecordEvidenceResponse,
    "GetRecoveryExecutiveReport": report_pb2.GetRecoveryExecutiveReportResponse,
    "RunExecutiveReportSchedule": report_pb2.RunExecutiveReportScheduleResponse,
    "RenderRecoveryExecutiveReport": httpbody_pb2.HttpBody,
    "CreateRecoveryEscalationSilence": policy_pb2.CreateRecoveryEscalationSilenceResponse,
    "ListRecoveryEscalationSilences": policy_pb2.ListRecoveryEscalationSilencesResponse,
}


class GrpcTransport:
    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self.stubs = {
            "escalation": escalation_pb2_grpc.EscalationServiceStub(self.channel),
            "evidence": evidence_pb2_grpc.EvidenceServiceStub(self.channel),
            "report": report_pb2_grpc.ReportServiceStub(self.channel),
        }

    def call(self, method: str, request: Message, caller: str | None) -> Any:
        stub = self.stubs[ROUTES[method].service]
        metadata = [("authorization", f"Bearer {token_of(caller)}")] if caller else None
        try:
            return getattr(stub, method)(request, metadata=metadata, timeout=30)
        except grpc.RpcError as error:
            rich = rich_error(error)
            raise Refused(rich.code.name, rich.fields) from None

    def close(self) -> None:
        self.channel.close()


class GatewayTransport:
    def __init__(self, address: str) -> None:
        self.http = httpx.Client(base_url=f"http://{address}{PREFIX}", timeout=30)

    def call(self, method: str, request: Message, caller: str | None) -> Any:
        route = ROUTES[method]
        fields = json_format.MessageToDict(request)
        path = route.path
        for name in ("plan_id", "playbook_id"):
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", getattr(request, name))
                fields.pop(_json(name), None)
        headers = {"Authorization": f"Bearer {token_of(caller)}"} if caller else {}
        if route.body is None:
            answer = self.http.request(route.http_method, path, params=fields, headers=headers)
        else:
            body = fields if route.body == "*" else fields.get(_json(route.body), {})
            answer = self.http.request(route.http_method, path, json=body, headers=headers)
        if answer.status_code != 200:
            status = answer.json()
            violations = [
                violation["field"]
                for detail in status.get("details", [])
                for violation in detail.get("field_violations", [])
            ]
            raise Refused(_code_name(status["code"]), violations)
        if RESPONSES[method] is httpbody_pb2.HttpBody:
            return httpbody_pb2.HttpBody(content_type=answer.headers["content-type"], data=answer.content)
        response = RESPONSES[method]()
        json_format.Parse(answer.text, response, ignore_unknown_fields=False)
        return response

    def close(self) -> None:
        self.http.close()


def _json(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _code_name(number: int) -> str:
    return next(code.name for code in grpc.StatusCode if code.value[0] == number)


def write_auth_config(path: Path) -> Path:
    entries = [
        {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "roles": roles}
        for name, (token, roles) in TOKENS.items()
    ]
    path.write_text(yaml.safe_dump({"tokens": entries}))
    return path


def write_connectors(path: Path) -> Path:
    # A dry run never sends, so the receiver's address is never reached.
    receiver = {
        "name": "ops-hook",
        "provider": "webhook",
        "url": "https://hooks.example.invalid/cavra",
        "secret_env": "ATTRIBUTION_TEST_WEBHOOK_SECRET",
    }
    path.write_text(yaml.safe_dump({"receivers": [receiver], "routing": {"default": "ops-hook"}}))
    return path


Transport = GrpcTransport | GatewayTransport


@pytest.fixture(params=["grpc", "gateway"])
def transport_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, *, auth: bool
) -> ServerProcess:
    extra = ["--connectors", str(write_connectors(tmp_path / "connectors.yaml"))]
    if auth:
        extra += ["--auth-config", str(write_auth_config(tmp_path / "auth.yaml"))]
    return server_factory(
        database_url=sqlite_url,
        extra_args=extra,
        env={"ATTRIBUTION_TEST_WEBHOOK_SECRET": "whsec_YXR0cmlidXRpb24tdGVzdC1zZWNyZXQtMzJieXRlcyE="},
    )


@pytest.fixture
def secured(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, transport_kind: str
) -> Iterator[Transport]:
    server = start(server_factory, sqlite_url, tmp_path, auth=True)
    transport: Transport = (
        GrpcTransport(server.grpc_address)
        if transport_kind == "grpc"
        else GatewayTransport(str(server.http_address))
    )
    yield transport
    transport.close()


def seed_breached_playbook(api: Transport, caller: str | None) -> None:
    generated_at = datetime.now(UTC) - timedelta(hours=8)
    playbook = build.playbook("pb-attr", ("slack",), generated_at=build.stamp(generated_at))
    api.call(
        "RecordConnectorRecoveryPlaybook",
        evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=playbook),
        caller,
    )


def closure(closure_id: str, closed_by: str) -> evidence_pb2.RecoveryClosure:
    return evidence_pb2.RecoveryClosure(
        closure_id=closure_id,
        playbook_id="pb-attr",
        provider="slack",
        closure_state=common_pb2.CLOSURE_STATE_MITIGATED,
        closed_at=build.stamp(datetime.now(UTC) - timedelta(hours=1)),
        closed_by=closed_by,
    )


@dataclass(frozen=True)
class ActorRow:
    """One RPC that stores an actor field: how to call it naming `said`, and how to read back what
    was stored (None when the call stored nothing of its own)."""

    method: str
    caller: str
    field: str
    request: Callable[[str, str], Message]  # (said, unique suffix) -> request
    stored: Callable[[Transport, Any, str], str | None]  # (api, response, unique suffix) -> actor


def _plan_actor(api: Transport, plan_id: str, caller: str) -> str:
    got = api.call(
        "GetRecoveryEscalationPlan", escalation_pb2.GetRecoveryEscalationPlanRequest(plan_id=plan_id), caller
    )
    return str(got.plan.generated_by)


def _closure_actor(api: Transport, closure_id: str) -> str | None:
    listed = api.call(
        "ListRecoveryClosures", evidence_pb2.ListRecoveryClosuresRequest(playbook_id="pb-attr"), "go-backend"
    )
    return next((c.closed_by for c in listed.closures if c.closure_id == closure_id), None)


def _report_actor(api: Transport, report_id: str) -> str:
    got = api.call(
        "GetRecoveryExecutiveReport",
        report_pb2.GetRecoveryExecutiveReportRequest(report_id=report_id),
        "executive",
    )
    return str(got.report.generated_by)


ROWS = [
    ActorRow(
        "CreateRecoveryEscalationPlan",
        "release-manager",
        "generated_by",
        lambda said, n: escalation_pb2.CreateRecoveryEscalationPlanRequest(
            generated_by=said, request_id=f"plan-{n}"
        ),
        lambda api, response, n: _plan_actor(api, response.plan.plan_id, "release-manager"),
    ),
    ActorRow(
        "AcknowledgeRecoveryEscalation",
        "release-manager",
        "acknowledged_by",
        lambda said, n: escalation_pb2.AcknowledgeRecoveryEscalationRequest(
            plan_id="{plan}",
            provider="slack",
            state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
            acknowledged_by=said,
            request_id=f"ack-{n}",
        ),
        lambda api, response, n: str(response.acknowledgement.acknowledged_by),
    ),
    ActorRow(
        "RecordRecoveryClosure",
        "go-backend",
        "closure.closed_by",
        lambda said, n: evidence_pb2.RecordRecoveryClosureRequest(
            playbook_id="pb-attr", closure=closure(f"closure-{n}", said)
        ),
        lambda api, response, n: _closure_actor(api, f"closure-{n}"),
    ),
    ActorRow(
        "BatchRecordEvidence",
        "go-backend",
        "records[0].closure.closed_by",
        lambda said, n: evidence_pb2.BatchRecordEvidenceRequest(
            records=[evidence_pb2.EvidenceRecord(closure=closure(f"batch-closure-{n}", said))]
        ),
        lambda api, response, n: _closure_actor(api, f"batch-closure-{n}"),
    ),
    ActorRow(
        "GetRecoveryExecutiveReport",
        "executive",
        "generated_by",
        lambda said, n: report_pb2.GetRecoveryExecutiveReportRequest(
            generated_by=said, recovery_slo_minutes=60 + int(n)
        ),
        lambda api, response, n: _report_actor(api, response.report.report_id),
    ),
    ActorRow(
        "RenderRecoveryExecutiveReport",
        "executive",
        "generated_by",
        lambda said, n: report_pb2.RenderRecoveryExecutiveReportRequest(
            format=common_pb2.REPORT_FORMAT_MARKDOWN, generated_by=said, recovery_slo_minutes=120 + int(n)
        ),
        lambda api, response, n: _report_actor(api, _rendered_report_id(response)),
    ),
    ActorRow(
        "RunExecutiveReportSchedule",
        "release-manager",
        "generated_by",
        lambda said, n: report_pb2.RunExecutiveReportScheduleRequest(
            generated_by=said, interval_minutes=1000 + int(n), recovery_slo_minutes=90 + int(n)
        ),
        lambda api, response, n: _report_actor(api, response.run.report_id),
    ),
    ActorRow(
        "DeliverRecoveryEscalation",
        "release-manager",
        "generated_by",
        # The only actor of a delivery is the plan `latest` builds; the request has no actor field.
        lambda said, n: escalation_pb2.DeliverRecoveryEscalationRequest(
            plan_id="latest", dry_run=True, recovery_slo_minutes=30 + int(n), request_id=f"deliver-{n}"
        ),
        lambda api, response, n: _plan_actor(api, response.plan.plan_id, "release-manager"),
    ),
]


def _silence_actor(api: Transport, silence_id: str) -> str | None:
    listed = api.call(
        "ListRecoveryEscalationSilences",
        policy_pb2.ListRecoveryEscalationSilencesRequest(page_size=1000),
        "executive",
    )
    return next((s.created_by for s in listed.silences if s.silence_id == silence_id), None)


def _silence_request(said: str, n: str) -> policy_pb2.CreateRecoveryEscalationSilenceRequest:
    request = policy_pb2.CreateRecoveryEscalationSilenceRequest(
        provider="slack", comment="maintenance window", created_by=said, request_id=f"silence-{n}"
    )
    request.ends_at.FromDatetime(datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2))
    return request


ROWS.append(
    ActorRow(
        "CreateRecoveryEscalationSilence",
        "release-manager",
        "created_by",
        _silence_request,
        lambda api, response, n: _silence_actor(api, response.silence.silence_id),
    )
)


def _rendered_report_id(body: httpbody_pb2.HttpBody) -> str:
    match = re.search(r"Report `([^`]+)`", body.data.decode("utf-8"))
    assert match is not None, body.data[:200]
    return match.group(1)


def _actor_fields(message: Descriptor, prefix: str = "", depth: int = 0) -> list[str]:
    """Every field of a request (nested messages included) that names who did something."""
    found = []
    for field in message.fields:
        path = f"{prefix}{field.name}"
        if field.name.endswith("_by"):
            found.append(path)
        elif (
            field.message_type is not None and depth < 4 and field.message_type.full_name.startswith("cavra.")
        ):
            found += _actor_fields(
                field.message_type, f"{path}[]." if field.is_repeated else f"{path}.", depth + 1
            )
    return found


def test_the_table_covers_every_actor_field_of_every_rpc() -> None:
    covered = {(row.method, re.sub(r"\[\d+\]", "[]", row.field)) for row in ROWS}
    services = [escalation_pb2, evidence_pb2, report_pb2, ledger_pb2]
    discovered = {
        (method.name, path)
        for module in services
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
        for path in _actor_fields(method.input_type)
    }
    assert discovered, "no actor field found: the scan is broken"
    assert discovered <= covered, sorted(discovered - covered)


def _with_plan(request: Message, plan_id: str) -> Message:
    if getattr(request, "plan_id", None) == "{plan}":
        request.plan_id = plan_id  # type: ignore[attr-defined]
    return request


def test_every_stored_actor_is_the_token_name_whatever_the_request_said(secured: Transport) -> None:
    seed_breached_playbook(secured, "go-backend")
    plan_id = secured.call(
        "CreateRecoveryEscalationPlan",
        escalation_pb2.CreateRecoveryEscalationPlanRequest(),
        "release-manager",
    ).plan.plan_id
    counter = 0
    for row in ROWS:
        for said in ("", row.caller, IMPOSTOR):
            counter += 1
            request = _with_plan(row.request(said, str(counter)), plan_id)
            if said == IMPOSTOR and row.method != "DeliverRecoveryEscalation":
                with pytest.raises(Refused) as refused:
                    secured.call(row.method, request, row.caller)
                assert refused.value.code == "INVALID_ARGUMENT", row.method
                assert row.field in refused.value.fields, (row.method, refused.value.fields)
                continue
            response = secured.call(row.method, request, row.caller)
            assert row.stored(secured, response, str(counter)) == row.caller, (row.method, said)


def test_a_refused_impostor_stores_nothing(secured: Transport) -> None:
    seed_breached_playbook(secured, "go-backend")
    with pytest.raises(Refused):
        secured.call(
            "RecordRecoveryClosure",
            evidence_pb2.RecordRecoveryClosureRequest(
                playbook_id="pb-attr", closure=closure("c-x", IMPOSTOR)
            ),
            "go-backend",
        )
    assert _closure_actor(secured, "c-x") is None
    with pytest.raises(Refused):
        secured.call(
            "GetRecoveryExecutiveReport",
            report_pb2.GetRecoveryExecutiveReportRequest(generated_by="release-manager"),
            "executive",
        )
    # The viewer's own read stores the report under the viewer's name, never under the name it typed.
    report = secured.call(
        "GetRecoveryExecutiveReport", report_pb2.GetRecoveryExecutiveReportRequest(), "executive"
    ).report
    assert _report_actor(secured, report.report_id) == "executive"


def test_with_auth_off_the_request_names_the_actor_as_before(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, transport_kind: str
) -> None:
    server = start(server_factory, sqlite_url, tmp_path, auth=False)
    api: Transport = (
        GrpcTransport(server.grpc_address)
        if transport_kind == "grpc"
        else GatewayTransport(str(server.http_address))
    )
    try:
        seed_breached_playbook(api, None)
        plan = api.call(
            "CreateRecoveryEscalationPlan",
            escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by=IMPOSTOR),
            None,
        ).plan
        assert plan.generated_by == IMPOSTOR
        ack = api.call(
            "AcknowledgeRecoveryEscalation",
            escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                plan_id=plan.plan_id,
                provider="slack",
                state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                acknowledged_by="ceo@corp",
            ),
            None,
        )
        assert ack.acknowledgement.acknowledged_by == "ceo@corp"
        with pytest.raises(Refused) as missing:
            api.call(
                "AcknowledgeRecoveryEscalation",
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan.plan_id,
                    provider="slack",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                ),
                None,
            )
        assert missing.value.fields == ["acknowledged_by"]
    finally:
        api.close()
