"""Every RPC's HTTP rule, read straight from the descriptors, answers through the gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from google.api import annotations_pb2

from cavra.recovery.v1 import escalation_pb2, evidence_pb2, report_pb2
from tests.conftest import ServerProcess, start_server_process

SERVICES = (
    evidence_pb2.DESCRIPTOR.services_by_name["EvidenceService"],
    escalation_pb2.DESCRIPTOR.services_by_name["EscalationService"],
    report_pb2.DESCRIPTOR.services_by_name["ReportService"],
)


def http_bindings() -> list[tuple[str, str, str, str]]:
    """(rpc, HTTP method, path template, body) for every binding, additional ones included."""
    bindings = []
    for service in SERVICES:
        for rpc in service.methods:
            options = rpc.GetOptions()
            assert options.HasExtension(annotations_pb2.http), f"{rpc.full_name} has no google.api.http rule"
            rule = options.Extensions[annotations_pb2.http]
            for binding in (rule, *rule.additional_bindings):
                pattern = binding.WhichOneof("pattern")
                assert pattern is not None
                bindings.append((rpc.full_name, pattern.upper(), getattr(binding, pattern), binding.body))
    return bindings


BINDINGS = http_bindings()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("gateway-routes") / "cavra.db"
    process = start_server_process(database_url=f"sqlite:///{database}")
    yield process
    process.stop()


def concrete_path(template: str) -> str:
    return re.sub(r"\{[^}]*\}", "route-probe", template)


def test_every_rpc_has_a_binding() -> None:
    rpcs = {rpc.full_name for service in SERVICES for rpc in service.methods}
    assert rpcs == {binding[0] for binding in BINDINGS}
    assert len(BINDINGS) > len(rpcs)  # additional_bindings are counted too


@pytest.mark.parametrize(
    ("rpc", "method", "template", "body"), BINDINGS, ids=[f"{b[0]}:{b[2]}" for b in BINDINGS]
)
def test_route_reaches_the_server(
    server: ServerProcess, rpc: str, method: str, template: str, body: str
) -> None:
    path = concrete_path(template)
    with httpx.Client(base_url=f"http://{server.http_address}", timeout=30) as client:
        response = client.request(
            method, path, json={} if body else None, headers={"X-Request-Id": "route-probe"}
        )
    # Only an RPC answer carries the server's header metadata; routing errors never reach the server.
    assert response.headers.get("grpc-metadata-x-request-id") == "route-probe", (
        response.status_code,
        response.text,
    )
    assert response.status_code != 405
    document = response.json() if response.headers["content-type"] == "application/json" else {}
    if response.status_code == 404:
        assert document["details"][0]["domain"] == "recovery.cavra.dev", document


@pytest.mark.parametrize(("rpc", "method", "template", "body"), BINDINGS[:3])
def test_other_methods_on_a_route_are_not_allowed(
    server: ServerProcess, rpc: str, method: str, template: str, body: str
) -> None:
    with httpx.Client(base_url=f"http://{server.http_address}", timeout=30) as client:
        response = client.request("DELETE", concrete_path(template))
    assert response.status_code == 405
    assert response.json() == {"code": 12, "message": "Method Not Allowed"}
    assert method in response.headers["allow"]
