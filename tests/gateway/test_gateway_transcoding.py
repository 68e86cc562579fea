"""Path templates and request transcoding for shapes our own protos do not use yet (nested path
variables, `*`/`**` segments, verbs, nested and repeated query fields, field bodies)."""

from __future__ import annotations

import pytest

from cavra.recovery.v1 import escalation_pb2, evidence_pb2
from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.query import parse_query
from cavra_recovery.server.gateway.routes import HttpRoute, PathTemplate, RouteTable
from cavra_recovery.server.gateway.transcode import build_request


def route(method: str, template: str, rpc: str, service: object, body: str = "") -> HttpRoute:
    descriptor = service.DESCRIPTOR.services_by_name[rpc.split(".")[0]].methods_by_name[rpc.split(".")[1]]  # type: ignore[attr-defined]
    from google.protobuf import message_factory

    return HttpRoute(
        http_method=method,
        template=PathTemplate.parse(template),
        body=body,
        response_body="",
        rpc=descriptor,
        request_class=message_factory.GetMessageClass(descriptor.input_type),
        response_class=message_factory.GetMessageClass(descriptor.output_type),
    )


def split(path: str) -> list[str]:
    return path[1:].split("/")


def test_template_binds_nested_variables_and_verbs() -> None:
    template = PathTemplate.parse("/v1/{closure.playbook_id}/closures:record")
    assert template.verb == "record"
    assert template.match(["v1", "pb-1", "closures"], "record") == {"closure.playbook_id": "pb-1"}
    assert template.match(["v1", "pb-1", "closures"], "") is None


def test_template_single_and_deep_wildcards() -> None:
    template = PathTemplate.parse("/v1/{name=shelves/*/books/**}/x")
    assert template.match(split("/v1/shelves/s1/books/a/b/c/x"), "") == {"name": "shelves/s1/books/a/b/c"}
    assert template.match(split("/v1/shelves/s1/books/x"), "") == {"name": "shelves/s1/books"}
    assert template.match(split("/v1/shelves/s1/x"), "") is None
    assert PathTemplate.parse("/v1/*/items").match(split("/v1/anything/items"), "") == {}


def test_route_table_prefers_the_last_registered_and_reports_other_methods() -> None:
    get = route("GET", "/p/{playbook_id}", "EvidenceService.GetConnectorRecoveryPlaybook", evidence_pb2)
    literal = route("GET", "/p/special", "EvidenceService.ListConnectorRecoveryPlaybooks", evidence_pb2)
    table = RouteTable.of([get, literal])
    match = table.match("GET", ["p", "special"])
    assert match is not None and match.route is literal
    assert table.allowed_methods(["p", "x"]) == ["GET"]
    assert table.match("POST", ["p", "x"]) is None


def test_field_body_with_nested_path_variable_and_query() -> None:
    record = route(
        "POST",
        "/p/{closure.playbook_id}/closures",
        "EvidenceService.RecordRecoveryClosure",
        evidence_pb2,
        body="closure",
    )
    match = RouteTable.of([record]).match("POST", ["p", "pb-9", "closures"])
    assert match is not None
    request = build_request(
        record,
        match.bindings,
        b'{"closureId": "cl-1", "provider": "slack"}',
        parse_query("request_id=r-1&closure.notes=ignored&playbookId=pb-q"),
    )
    assert request.closure.closure_id == "cl-1"
    assert request.closure.playbook_id == "pb-9"
    assert request.closure.notes == ""  # bound by the body: the query never overrides it
    assert request.request_id == "r-1"
    assert request.playbook_id == "pb-q"


def test_query_sets_repeated_nested_bool_and_enum_fields() -> None:
    deliver = route("GET", "/d/{plan_id}", "EscalationService.DeliverRecoveryEscalation", escalation_pb2)
    match = RouteTable.of([deliver]).match("GET", ["d", "latest"])
    assert match is not None
    request = build_request(
        deliver,
        match.bindings,
        b"",
        parse_query("receivers=a&receivers=b&dryRun=true&max_routes=%2B5&retries=0"),
    )
    assert list(request.receivers) == ["a", "b"]
    assert request.dry_run is True and request.max_routes == 5 and request.plan_id == "latest"
    plan = route("GET", "/r", "EscalationService.PlanRecoveryEscalationRetries", escalation_pb2)
    nested = build_request(plan, {}, b"", parse_query("policy.max_attempts=4&policy.multiplier=1.5"))
    assert nested.policy.max_attempts == 4 and nested.policy.multiplier == 1.5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dry_run=maybe", 'parsing field "dry_run": strconv.ParseBool: parsing "maybe": invalid syntax'),
        ("retries=1.5", 'parsing field "retries": strconv.ParseInt: parsing "1.5": invalid syntax'),
        ("receivers[x]=1", 'field "receivers" is not a map'),
        ("max_routes=1&max_routes=2", 'too many values for field "max_routes": 1, 2'),
    ],
)
def test_query_errors_use_grpc_gateways_wording(query: str, message: str) -> None:
    deliver = route("GET", "/d/{plan_id}", "EscalationService.DeliverRecoveryEscalation", escalation_pb2)
    with pytest.raises(TranscodeError) as error:
        build_request(deliver, {"plan_id": "p"}, b"", parse_query(query))
    assert str(error.value) == message
