"""Our gateway and the real Go grpc-gateway v2 (proto names) in front of the same real server must give
the same status code and the same JSON for the same request.

Only values that differ by nature are left out of a comparison, each case naming them: the time a
dashboard is computed. Error messages written by protojson get one normalisation: protojson puts a
randomly chosen space or no-break space after "proto:" (on purpose, so nobody parses its messages).
Deliberate differences (405 instead of 501, 415, 413) are asserted in test_gateway_behaviour.py.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import start_server_process
from tests.gateway.conftest import (
    DASHBOARD,
    PREFIX,
    GatewayPair,
    Reply,
    build_go_gateway,
    start_go_gateway,
)

pytestmark = pytest.mark.go

PLAYBOOK = {
    "playbook_id": "pb-1",
    "generated_at": "2026-01-01T00:00:00Z",
    "lookback_hours": 24,
    "min_failure_count": 1,
    "providers": [
        {"provider": "slack", "failure_count": 3, "status_codes": [500, 503]},
        {"provider": "jira", "category": "PROVIDER_CATEGORY_ITSM", "failure_count": 1},
    ],
}
EXECUTION = {
    "execution_id": "ex-1",
    "provider": "slack",
    "execution_status": "EXECUTION_STATUS_FAILED",
    "executed_at": "2026-01-01T01:00:00Z",
    "run_id": "run-1",
}
CLOSURE = {
    "closure_id": "cl-1",
    "provider": "jira",
    "closure_state": "CLOSURE_STATE_RESOLVED",
    "closed_by": "release-manager",
    "closed_at": "2026-01-01T02:00:00Z",
}


@dataclass
class Seed:
    plan_id: str
    retry_report_id: str
    executive_report_id: str


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayPair, Seed]]:
    database = tmp_path_factory.mktemp("gateway-compat") / "cavra.db"
    server = start_server_process(database_url=f"sqlite:///{database}")
    go = start_go_gateway(build_go_gateway(), server.grpc_address)
    try:
        with (
            httpx.Client(base_url=f"http://{server.http_address}", timeout=30) as ours,
            httpx.Client(base_url=f"http://{go.address}", timeout=30) as go_client,
        ):
            gateways = GatewayPair(server=server, ours=ours, go=go_client)
            yield gateways, seed(ours)
    finally:
        go.stop()
        server.stop()


def seed(client: httpx.Client) -> Seed:
    for path, body in (
        ("/connector-recovery-playbooks", PLAYBOOK),
        ("/retry-executions", EXECUTION),
        (
            "/retry-executions",
            {
                **EXECUTION,
                "execution_id": "ex-2",
                "provider": "jira",
                "execution_status": "EXECUTION_STATUS_DELIVERED",
                "delivery_success": True,
            },
        ),
        ("/connector-recovery-playbooks/pb-1/closures", CLOSURE),
    ):
        response = client.post(PREFIX + path, json=body)
        assert response.status_code == 200, response.text
    plan = client.post(
        PREFIX + "/recovery-escalation-plan", json={"request_id": "seed-plan", "generated_by": "ci"}
    )
    assert plan.status_code == 200, plan.text
    retry_report = client.get(PREFIX + "/retry-recovery-report")
    executive_report = client.get(PREFIX + "/recovery-executive-report")
    return Seed(
        plan_id=plan.json()["plan"]["plan_id"],
        retry_report_id=retry_report.json()["report"]["report_id"],
        executive_report_id=executive_report.json()["report"]["report_id"],
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Dotted paths of values that differ by nature between two calls.
    ignore: tuple[str, ...] = ()
    # Send once before comparing, so both gateways see the stored (idempotent) state.
    warm_up: bool = False
    # The status both must answer; checks the case tests what it says.
    status: int = 200
    # A JSON value of the wrong type: protojson's wording is not reproduced (docs/gateway.md); both
    # messages must still name this field.
    type_error_field: str = ""


P = PREFIX
LEDGER = "/runtime/go-pilot/rollback-drill-notifications/ledger"
CASES = [
    Case("list retry executions", "GET", f"{P}/retry-executions"),
    Case("list with page_size", "GET", f"{P}/retry-executions?page_size=1"),
    Case(
        "lowerCamelCase query and enum by name",
        "GET",
        f"{P}/retry-executions?pageSize=5&execution_status=EXECUTION_STATUS_FAILED",
    ),
    Case("enum by number", "GET", f"{P}/retry-executions?execution_status=2"),
    Case(
        "timestamps with offsets",
        "GET",
        f"{P}/retry-executions?provider=slack&start_time=2026-01-01T00:00:00Z&end_time=2030-01-01T00:00:00.5%2B01:00",
    ),
    Case("unknown query parameter is ignored", "GET", f"{P}/retry-executions?utm_source=mail"),
    Case("get retry execution", "GET", f"{P}/retry-executions/ex-1"),
    Case("get unknown retry execution", "GET", f"{P}/retry-executions/missing", status=404),
    Case("empty path variable", "GET", f"{P}/retry-executions/", status=400),
    Case("bad int in query", "GET", f"{P}/retry-executions?page_size=abc", status=400),
    Case("int out of range", "GET", f"{P}/retry-executions?page_size=99999999999", status=400),
    Case("same field twice by both names", "GET", f"{P}/retry-executions?page_size=1&pageSize=2", status=400),
    Case("singular field repeated", "GET", f"{P}/retry-executions?page_size=1&page_size=2", status=400),
    Case("enum number out of set", "GET", f"{P}/retry-executions?execution_status=9", status=400),
    Case("enum bad name", "GET", f"{P}/retry-executions?execution_status=FAILED", status=400),
    Case("timestamp not RFC 3339", "GET", f"{P}/retry-executions?start_time=yesterday", status=400),
    Case("timestamp without zone", "GET", f"{P}/retry-executions?start_time=2026-01-01T00:00:00", status=400),
    Case(
        "timestamp month out of range",
        "GET",
        f"{P}/retry-executions?start_time=2026-13-01T00:00:00Z",
        status=400,
    ),
    Case("semicolon in query", "GET", f"{P}/retry-executions?provider=a;b", status=400),
    Case("bad escape in query", "GET", f"{P}/retry-executions?provider=%zz", status=400),
    Case("list playbooks", "GET", f"{P}/connector-recovery-playbooks?provider=slack"),
    Case("get playbook", "GET", f"{P}/connector-recovery-playbooks/pb-1"),
    Case("get unknown playbook", "GET", f"{P}/connector-recovery-playbooks/nope", status=404),
    Case("list closures of a playbook", "GET", f"{P}/connector-recovery-playbooks/pb-1/closures"),
    Case(
        "list closures of every playbook by state",
        "GET",
        f"{P}/connector-recovery-playbooks/-/closures?closure_state=CLOSURE_STATE_RESOLVED",
    ),
    Case("record retry execution again (idempotent)", "POST", f"{P}/retry-executions", json=EXECUTION),
    Case(
        "record retry execution in lowerCamelCase",
        "POST",
        f"{P}/retry-executions",
        json={
            "executionId": "ex-1",
            "provider": "slack",
            "executionStatus": "EXECUTION_STATUS_FAILED",
            "executedAt": "2026-01-01T01:00:00Z",
            "runId": "run-1",
        },
    ),
    Case(
        "conflicting retry execution",
        "POST",
        f"{P}/retry-executions",
        json={**EXECUTION, "provider": "teams"},
        status=409,
    ),
    Case(
        "invalid retry execution",
        "POST",
        f"{P}/retry-executions",
        json={"execution_id": "ex-bad", "provider": "slack"},
        status=400,
    ),
    Case("empty body", "POST", f"{P}/retry-executions", content=b"", status=400),
    Case("malformed JSON", "POST", f"{P}/retry-executions", content=b"{bad", status=400),
    Case("truncated JSON", "POST", f"{P}/retry-executions", content=b'{"execution_id":', status=400),
    Case("bad literal", "POST", f"{P}/retry-executions", content=b"nul", status=400),
    Case("JSON null body", "POST", f"{P}/retry-executions", content=b"null", status=400),
    Case("JSON array body", "POST", f"{P}/retry-executions", content=b"[1]", status=400),
    Case("unknown field", "POST", f"{P}/retry-executions", json={**EXECUTION, "colour": "red"}, status=400),
    Case(
        "unknown field on line 2",
        "POST",
        f"{P}/retry-executions",
        content=b'{"execution_id": "ex-9",\n  "bogus": 1}',
        status=400,
    ),
    Case(
        "duplicate field",
        "POST",
        f"{P}/retry-executions",
        content=b'{"provider":"a","provider":"b"}',
        status=400,
    ),
    Case(
        "duplicate field by both names",
        "POST",
        f"{P}/retry-executions",
        content=b'{"execution_id":"a","executionId":"b"}',
        status=400,
    ),
    Case(
        "nested unknown field",
        "POST",
        f"{P}/connector-recovery-playbooks",
        json={**PLAYBOOK, "providers": [{"provider": "x", "colour": 2}]},
        status=400,
    ),
    Case(
        "trailing data after the JSON value",
        "POST",
        f"{P}/retry-executions",
        content=b'{"execution_id":"ex-1","provider":"slack","execution_status":"EXECUTION_STATUS_FAILED",'
        b'"executed_at":"2026-01-01T01:00:00Z","run_id":"run-1"} trailing',
    ),
    Case(
        "closure of unknown playbook",
        "POST",
        f"{P}/connector-recovery-playbooks/nope/closures",
        json={**CLOSURE, "closure_id": "cl-x"},
        status=404,
    ),
    Case(
        "batch record replay",
        "POST",
        f"{P}/evidence:batchRecord",
        json={"records": [{"playbook": PLAYBOOK}, {"retry_execution": EXECUTION}]},
    ),
    Case("batch record with no records", "POST", f"{P}/evidence:batchRecord", json={}, status=400),
    # Computed at each call (the stored report's id names the content, not the instant).
    Case("retry recovery report", "GET", f"{P}/retry-recovery-report", ignore=("report.generated_at",)),
    Case("retry recovery report by id", "GET", f"{P}/retry-recovery-reports/{{retry_report_id}}"),
    Case("retry recovery report unknown id", "GET", f"{P}/retry-recovery-reports/rrr_nope", status=404),
    Case("executive report", "GET", f"{P}/recovery-executive-report"),
    Case("executive report by id", "GET", f"{P}/recovery-executive-reports/{{executive_report_id}}"),
    Case(
        "executive report with parameters",
        "GET",
        f"{P}/recovery-executive-report?recovery_slo_minutes=60&generated_by=ci",
        warm_up=True,
    ),
    Case(
        "rendered markdown (HttpBody)",
        "GET",
        f"{P}/recovery-executive-report/rendered?format=REPORT_FORMAT_MARKDOWN&report_id={{executive_report_id}}",
    ),
    Case(
        "rendered html (HttpBody)",
        "GET",
        f"{P}/recovery-executive-report/rendered?format=2&report_id={{executive_report_id}}",
    ),
    Case("dashboard", "GET", DASHBOARD, ignore=("generated_at",)),
    # The seeded database has no ledger checkpoint yet (docs/ledger.md): errors both gateways map alike.
    Case("ledger checkpoint before the first", "GET", f"{LEDGER}/checkpoint", status=400),
    Case("ledger checkpoint by size", "GET", f"{LEDGER}/checkpoints/5", status=404),
    Case(
        "ledger inclusion proof, unknown kind",
        "GET",
        f"{LEDGER}/inclusion-proof?kind=nope&record_id=x",
        status=400,
    ),
    Case("ledger consistency proof, bad sizes", "GET", f"{LEDGER}/consistency-proof?from_size=0", status=400),
    Case(
        "dashboard through the form POST fallback",
        "POST",
        DASHBOARD,
        content=b"ignored=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        ignore=("generated_at",),
    ),
    Case(
        "create plan with a repeated request id",
        "POST",
        f"{P}/recovery-escalation-plan",
        json={"request_id": "seed-plan", "generated_by": "ci"},
    ),
    Case("list plans", "GET", f"{P}/recovery-escalations?alert_level=ALERT_LEVEL_CRITICAL"),
    Case("get plan", "GET", f"{P}/recovery-escalations/{{plan_id}}"),
    Case("get unknown plan", "GET", f"{P}/recovery-escalations/plan_nope", status=404),
    Case("list a plan's routes", "GET", f"{P}/recovery-escalations/{{plan_id}}/routes?page_size=2"),
    Case("list routes of an unknown plan", "GET", f"{P}/recovery-escalations/plan_nope/routes", status=404),
    Case(
        "deliver without connectors",
        "POST",
        f"{P}/recovery-escalations/{{plan_id}}/deliver",
        json={"dry_run": True, "request_id": "deliver-1"},
        status=400,
    ),
    Case(
        "acknowledge unknown plan",
        "POST",
        f"{P}/recovery-escalations/plan_nope/acknowledgements",
        json={"provider": "slack", "state": "ACKNOWLEDGEMENT_STATE_ACCEPTED", "acknowledged_by": "me"},
        status=404,
    ),
    Case(
        "acknowledge with bad enum",
        "POST",
        f"{P}/recovery-escalations/{{plan_id}}/acknowledgements",
        json={"provider": "slack", "state": "NOT_A_STATE"},
        status=400,
        type_error_field="state",
    ),
    Case(
        "string for an int field",
        "POST",
        f"{P}/recovery-escalation-plan",
        json={"recovery_slo_minutes": "sixty"},
        status=400,
        type_error_field="recovery_slo_minutes",
    ),
    # protojson reads a quoted integer only as one plain ASCII JSON number, an enum only by name or as
    # an integer JSON number; Python's parser alone would take every form below.
    *(
        Case(
            f"quoted int32 {text!r}",
            "POST",
            f"{P}/recovery-escalations/retry-plan",
            json={"policy": {"max_attempts": text}},
            status=400,
            type_error_field="max_attempts",
        )
        for text in ("+4", "04", "4_0", "\u0664", " 4", "4 ", "4.5", "0x4", "")
    ),
    *(
        Case(
            f"quoted int32 {text!r} accepted",
            "POST",
            f"{P}/recovery-escalations/retry-plan",
            json={"policy": {"max_attempts": text, "delay_minutes": 1}},
            ignore=("evaluated_at",),
        )
        for text in ("4", "4.0", "4e0", "-0")
    ),
    Case(
        "int32 as an integral JSON number",
        "POST",
        f"{P}/recovery-escalations/retry-plan",
        json={"policy": {"max_attempts": 4.0}},
        ignore=("evaluated_at",),
    ),
    *(
        Case(
            f"enum as {value!r}",
            "POST",
            f"{P}/retry-executions",
            json={**EXECUTION, "execution_status": value},
            status=400,
            type_error_field="execution_status",
        )
        for value in ("2", "+2", " 2", True, False, "execution_status_failed")
    ),
    Case(
        "enum as an integer JSON number",
        "POST",
        f"{P}/retry-executions",
        json={**EXECUTION, "execution_status": 2},
    ),
    Case(
        "plan delivery retries",
        "POST",
        f"{P}/recovery-escalations/retry-plan",
        json={"policy": {}},
        ignore=("evaluated_at",),
    ),
    Case("retry worker dry run", "POST", f"{P}/recovery-escalations/retry-worker-run", json={}),
    Case(
        "list deliveries by state",
        "GET",
        f"{P}/recovery-escalation-deliveries?state=DELIVERY_STATE_DEAD_LETTERED",
    ),
    Case("get unknown delivery", "GET", f"{P}/recovery-escalation-deliveries/dlv_nope", status=404),
    Case(
        "replay without connectors",
        "POST",
        f"{P}/recovery-escalation-deliveries/dlv_nope/replay",
        json={},
        status=400,
    ),
    Case(
        "schedule run (same window returns the first run)",
        "POST",
        f"{P}/recovery-executive-report/schedule-run",
        json={"generated_by": "ci"},
        warm_up=True,
    ),
    Case("list silences", "GET", f"{P}/recovery-escalation-silences?active_only=true"),
    Case(
        "silence without an end",
        "POST",
        f"{P}/recovery-escalation-silences",
        json={"provider": "slack"},
        status=400,
    ),
    Case(
        "expire an unknown silence",
        "POST",
        f"{P}/recovery-escalation-silences/sil_nope/expire",
        json={},
        status=404,
    ),
    Case(
        "escalation state of a plan",
        "GET",
        f"{P}/recovery-escalations/{{plan_id}}/escalation-state",
        ignore=("evaluated_at",),
    ),
    Case("list schedule runs", "GET", f"{P}/recovery-executive-report/schedule-runs"),
    Case("list SLO reports by plan", "GET", f"{P}/retry-recovery-reports?plan_id={{plan_id}}"),
    Case(
        "list executive reports since",
        "GET",
        f"{P}/recovery-executive-reports?start_time=2020-01-01T00:00:00Z",
    ),
    Case(
        "list acknowledgements by plan and provider",
        "GET",
        f"{P}/recovery-escalation-acknowledgements?plan_id={{plan_id}}&provider=slack",
    ),
    Case(
        "evidence trail",
        "GET",
        f"{P}/recovery-escalations/{{plan_id}}/evidence-trail",
        ignore=("trail.evaluated_at",),
    ),
    Case(
        "evidence trail of an unknown plan",
        "GET",
        f"{P}/recovery-escalations/nope/evidence-trail",
        status=404,
    ),
    Case("receivers without connectors", "GET", f"{P}/escalation-receivers?page_size=5"),
    Case(
        "deliver schedule run without connectors",
        "POST",
        f"{P}/recovery-executive-report/schedule-runs/run_nope/deliver",
        json={},
        status=400,
    ),
    Case("unknown path", "GET", f"{P}/nope", status=404),
    Case("prefix alone", "GET", P, status=404),
    Case("verb on the wrong path", "POST", f"{P}/retry-executions:batchRecord", json={}, status=404),
    Case(
        "bad grpc-timeout header",
        "GET",
        f"{P}/retry-executions",
        headers={"Grpc-Timeout": "soon"},
        status=400,
    ),
    Case("generous grpc-timeout header", "GET", f"{P}/retry-executions", headers={"Grpc-Timeout": "30S"}),
    Case("zero grpc-timeout is no deadline", "GET", f"{P}/retry-executions", headers={"Grpc-Timeout": "0S"}),
    Case("zero nanosecond grpc-timeout", "GET", f"{P}/retry-executions", headers={"Grpc-Timeout": "0n"}),
    Case(
        "largest grpc-timeout the gRPC spec allows",
        "GET",
        f"{P}/retry-executions",
        headers={"Grpc-Timeout": "99999999H"},
    ),
    Case(
        "grpc-timeout past Go's duration range",
        "GET",
        f"{P}/retry-executions",
        headers={"Grpc-Timeout": "9999999999999H"},
    ),
    Case(
        "grpc-timeout digits past int64",
        "GET",
        f"{P}/retry-executions",
        headers={"Grpc-Timeout": "99999999999999999999H"},
        status=400,
    ),
    Case(
        "array body nested 1000 deep",
        "POST",
        f"{P}/connector-recovery-playbooks",
        content=b"[" * 1000 + b"]" * 1000,
        status=400,
    ),
    Case(
        "body nested past Go's 10000 levels",
        "POST",
        f"{P}/connector-recovery-playbooks",
        content=b"[" * 10001 + b"]" * 10001,
        status=400,
    ),
    Case(
        "deep body cut short",
        "POST",
        f"{P}/connector-recovery-playbooks",
        content=b'{"providers": ' + b"[" * 1000,
        status=400,
    ),
    Case("request line over 8 KiB", "GET", f"{P}/retry-executions?provider=" + "a" * 9000, status=400),
    Case(
        "header over 8 KiB",
        "GET",
        f"{P}/retry-executions/ex-1",
        headers={"X-Padding": "b" * 9000},
    ),
]


def _drop(value: Any, dotted: str) -> None:
    head, _, rest = dotted.partition(".")
    if isinstance(value, list):
        for item in value:
            _drop(item, dotted)
    elif isinstance(value, dict) and head in value:
        if rest:
            _drop(value[head], rest)
        else:
            del value[head]


def comparable(reply: Reply, ignore: tuple[str, ...]) -> Any:
    content_type = reply.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        return {"content_type": content_type, "body": reply.content.decode("utf-8", "replace")}
    document = copy.deepcopy(reply.json())
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        document["message"] = document["message"].replace("proto:\u00a0", "proto: ")
    for dotted in ignore:
        _drop(document, dotted)
    return document


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_status_and_json_as_grpc_gateway(pair: tuple[GatewayPair, Seed], case: Case) -> None:
    gateways, seeded = pair
    path = case.path.format(**seeded.__dict__)
    kwargs: dict[str, Any] = {"headers": case.headers}
    if case.json is not None:
        kwargs["json"] = case.json
    elif case.content is not None:
        kwargs["content"] = case.content
    if case.warm_up:
        gateways.send_ours(case.method, path, **kwargs)
    go = gateways.send_go(case.method, path, **kwargs)
    ours = gateways.send_ours(case.method, path, **kwargs)
    assert (ours.status, go.status) == (case.status, case.status), (ours.content, go.content)
    ours_document, go_document = comparable(ours, case.ignore), comparable(go, case.ignore)
    if case.type_error_field:
        camel = "".join(w.title() if i else w for i, w in enumerate(case.type_error_field.split("_")))
        for document in (ours_document, go_document):
            message = document.pop("message")
            assert case.type_error_field in message or camel in message, message
    assert ours_document == go_document


def test_suite_covers_every_documented_path(pair: tuple[GatewayPair, Seed]) -> None:
    """Every route of SPEC §10 (every annotated binding) appears in the compared cases."""
    from cavra_recovery.server.gateway import gateway_services
    from cavra_recovery.server.gateway.routes import RouteTable, routes_for_services

    routes = routes_for_services(gateway_services())
    covered = set()
    for case in CASES:
        raw = case.path.format(plan_id="p", retry_report_id="r", executive_report_id="e").split("?")[0]
        components = raw[1:].split("/")
        for route in routes:
            if RouteTable.of([route]).match(route.http_method, components) is not None:
                covered.add((route.http_method, route.template.text))
    missing = {(r.http_method, r.template.text) for r in routes} - covered
    assert not missing


def test_creating_a_record_answers_like_grpc_gateway(pair: tuple[GatewayPair, Seed]) -> None:
    """A first recording differs only in the caller-chosen id and the server's recorded_at."""
    gateways, _ = pair
    ours = gateways.send_ours("POST", f"{P}/retry-executions", json={**EXECUTION, "execution_id": "ex-ours"})
    go = gateways.send_go("POST", f"{P}/retry-executions", json={**EXECUTION, "execution_id": "ex-go"})
    assert ours.status == go.status == 200
    ours_body, go_body = ours.json(), go.json()
    assert ours_body["created"] is go_body["created"] is True
    for body in (ours_body, go_body):
        body["retry_execution"].pop("execution_id")
        body["retry_execution"].pop("recorded_at")
    assert ours_body == go_body


def test_response_headers_carry_server_metadata_like_grpc_gateway(pair: tuple[GatewayPair, Seed]) -> None:
    """Both forward the server's header metadata as Grpc-Metadata-*; only ours passes X-Request-Id on."""
    gateways, _ = pair
    ours, go = gateways.both("GET", f"{P}/retry-executions/ex-1", headers={"X-Request-Id": "compat-req-1"})
    assert ours.headers["grpc-metadata-x-request-id"] == ours.headers["x-request-id"] == "compat-req-1"
    assert go.headers["grpc-metadata-x-request-id"] not in ("", "compat-req-1")
    assert ours.headers["content-type"] == go.headers["content-type"] == "application/json"
