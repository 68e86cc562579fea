"""The gateway's own behaviour: deliberate differences from grpc-gateway, auth and deadline pass-through,
the OpenAPI document, /metrics, and `cavra-recovery gateway` in front of a remote gRPC server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT, SERVER_COMMAND, ServerProcess, free_port
from tests.gateway.conftest import DASHBOARD, PREFIX, GatewayPair

EXECUTION = {
    "execution_id": "ex-1",
    "provider": "slack",
    "execution_status": "EXECUTION_STATUS_FAILED",
    "executed_at": "2026-01-01T01:00:00Z",
}


@pytest.mark.go
def test_wrong_method_is_405_with_allow_where_grpc_gateway_says_501(gateway_pair: GatewayPair) -> None:
    ours, go = gateway_pair.both("DELETE", f"{PREFIX}/retry-executions")
    assert (ours.status, go.status) == (405, 501)
    assert ours.json() == go.json() == {"code": 12, "message": "Method Not Allowed"}
    assert ours.headers["allow"] == "GET, POST"


@pytest.mark.go
def test_non_json_content_type_is_415_where_grpc_gateway_decodes_it_anyway(gateway_pair: GatewayPair) -> None:
    body = json.dumps(EXECUTION).encode()
    ours, go = gateway_pair.both(
        "POST", f"{PREFIX}/retry-executions", content=body, headers={"Content-Type": "text/xml"}
    )
    assert (ours.status, go.status) == (415, 200)
    assert ours.json()["code"] == 3
    assert "text/xml" in ours.json()["message"]


def test_json_bodies_are_accepted_with_curls_default_content_type(server: ServerProcess) -> None:
    response = httpx.post(
        f"http://{server.http_address}{PREFIX}/retry-executions",
        content=json.dumps(EXECUTION),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["retry_execution"]["execution_id"] == "ex-1"


def test_oversized_body_is_413_resource_exhausted(server: ServerProcess) -> None:
    response = httpx.post(
        f"http://{server.http_address}{PREFIX}/evidence:batchRecord",
        content=b'{"records": [' + b" " * (8 * 1024 * 1024) + b"]}",
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["code"] == 8


def test_unknown_path_is_404_not_found(server: ServerProcess) -> None:
    response = httpx.get(f"http://{server.http_address}/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"code": 5, "message": "Not Found"}


def test_grpc_timeout_header_becomes_the_call_deadline(server: ServerProcess) -> None:
    response = httpx.get(f"http://{server.http_address}{DASHBOARD}", headers={"Grpc-Timeout": "1n"})
    assert response.status_code == 504
    assert response.json()["code"] == 4


def test_openapi_document_is_served_at_well_known_paths(server: ServerProcess) -> None:
    expected = json.loads((REPO_ROOT / "generated" / "openapi" / "recovery.swagger.json").read_text())
    for path in ("/openapi.json", "/swagger.json"):
        response = httpx.get(f"http://{server.http_address}{path}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected


def test_metrics_are_served_in_prometheus_text(server: ServerProcess) -> None:
    httpx.get(f"http://{server.http_address}{DASHBOARD}")
    response = httpx.get(f"http://{server.http_address}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'grpc_method="GetRollbackDrillDashboard"' in response.text


def test_authorization_header_reaches_the_server_as_metadata(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    token = "gateway-test-token"
    config = tmp_path / "auth.yaml"
    config.write_text(
        "tokens:\n"
        f"  - name: viewer\n    sha256: {hashlib.sha256(token.encode()).hexdigest()}\n    roles: [viewer]\n"
    )
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config)])
    url = f"http://{server.http_address}{DASHBOARD}"
    anonymous = httpx.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 16
    assert anonymous.headers["www-authenticate"] == anonymous.json()["message"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in server.log_text


def test_gateway_subcommand_fronts_a_remote_grpc_server(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    grpc_only = server_factory(database_url=sqlite_url, http=False)
    port = free_port()
    command = [*SERVER_COMMAND[:-1], "gateway", "--grpc-target", grpc_only.grpc_address]
    process = subprocess.Popen(
        [*command, "--http-listen", f"127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "http listening on" in process.stderr.readline():
                break
        recorded = httpx.post(f"http://127.0.0.1:{port}{PREFIX}/retry-executions", json=EXECUTION)
        assert recorded.status_code == 200, recorded.text
        listed = httpx.get(f"http://127.0.0.1:{port}{PREFIX}/retry-executions")
        assert [e["execution_id"] for e in listed.json()["retry_executions"]] == ["ex-1"]
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
