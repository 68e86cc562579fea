"""The gateway's own behaviour: deliberate differences from grpc-gateway, auth and deadline pass-through,
the OpenAPI document, /metrics, and `cavra-recovery gateway` in front of a remote gRPC server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import grpc
import httpx
import pytest
import trustme

from cavra_recovery.server.gateway import check_gateway_listen
from cavra_recovery.server.settings import SettingsError
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


@pytest.mark.go
def test_headers_over_a_mebibyte_are_plain_text_refusals_on_both(gateway_pair: GatewayPair) -> None:
    """The documented difference: the same 1 MiB limit, Go answers 431 and aiohttp 400, neither as JSON."""
    under, over = {"X-Padding": "b" * 900_000}, {"X-Padding": "b" * 1_100_000}
    ours, go = gateway_pair.both("GET", f"{PREFIX}/retry-executions", headers=under)
    assert (ours.status, go.status) == (200, 200)
    ours, go = gateway_pair.both("GET", f"{PREFIX}/retry-executions", headers=over)
    assert (ours.status, go.status) == (400, 431)
    assert ours.headers["content-type"].startswith("text/plain")
    assert go.headers["content-type"].startswith("text/plain")


@pytest.mark.go
def test_deep_object_body_is_400_naming_the_depth_limit(gateway_pair: GatewayPair) -> None:
    body = b'{"providers": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    ours, go = gateway_pair.both("POST", f"{PREFIX}/connector-recovery-playbooks", content=body)
    assert (ours.status, go.status) == (400, 400)
    assert ours.json() == {"code": 3, "message": "request body nests JSON deeper than 200 levels"}
    assert go.json()["code"] == 3


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


GATEWAY_COMMAND = [*SERVER_COMMAND[:-1], "gateway"]


@contextmanager
def standalone_gateway(*arguments: str) -> Iterator[str]:
    """`cavra-recovery gateway ARGUMENTS --http-listen 127.0.0.1:<free>`, yielding its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*GATEWAY_COMMAND, *arguments, "--http-listen", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if "http listening on" in line or not line:
                break
        assert process.poll() is None, "the standalone gateway exited"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def test_gateway_subcommand_fronts_a_remote_grpc_server(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    grpc_only = server_factory(database_url=sqlite_url, http=False)
    with standalone_gateway("--grpc-target", grpc_only.grpc_address) as base:
        recorded = httpx.post(f"{base}{PREFIX}/retry-executions", json=EXECUTION)
        assert recorded.status_code == 200, recorded.text
        listed = httpx.get(f"{base}{PREFIX}/retry-executions")
        assert [e["execution_id"] for e in listed.json()["retry_executions"]] == ["ex-1"]


def test_gateway_subcommand_refuses_a_public_listen_unless_the_upstream_enforces_auth() -> None:
    result = subprocess.run(
        [*GATEWAY_COMMAND, "--grpc-target", "127.0.0.1:1", "--http-listen", f"0.0.0.0:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert "http listening on" not in result.stderr
    check_gateway_listen("127.0.0.1:8080", upstream_enforces_auth=False)
    check_gateway_listen("0.0.0.0:8080", upstream_enforces_auth=True)
    with pytest.raises(SettingsError, match="--upstream-enforces-auth"):
        check_gateway_listen("[::]:8080", upstream_enforces_auth=False)


class UpstreamRelay(grpc.GenericRpcHandler):
    """A TLS gRPC server that relays every unary call, as bytes, to the real (plaintext) server."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.authorizations: list[str] = []

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        call = self.channel.unary_unary(handler_call_details.method)

        def relay(request: bytes, context: grpc.ServicerContext) -> bytes:
            passed = ("authorization", "x-request-id")
            metadata = [(k, v) for k, v in context.invocation_metadata() if k in passed]
            self.authorizations += [str(v) for k, v in metadata if k == "authorization"]
            try:
                # The gateway sends no deadline here; a bounded one keeps a stuck relay from hanging the test.
                response: bytes = call(request, metadata=metadata, timeout=30)
            except grpc.RpcError as error:
                context.abort(error.code(), error.details() or "")
            return response

        return grpc.unary_unary_rpc_method_handler(relay)


@pytest.fixture
def tls_upstream(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> Iterator[tuple[str, Path, UpstreamRelay]]:
    """The real server behind a local TLS gRPC server whose certificate (from a trustme CA) names only
    `recovery.internal`; yields its 127.0.0.1 address, the CA file and the relay."""
    grpc_only = server_factory(database_url=sqlite_url, http=False)
    authority = trustme.CA()
    certificate = authority.issue_cert("recovery.internal")
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    credentials = grpc.ssl_server_credentials(
        [(certificate.private_key_pem.bytes(), b"".join(pem.bytes() for pem in certificate.cert_chain_pems))]
    )
    with grpc.insecure_channel(grpc_only.grpc_address) as channel:
        relay = UpstreamRelay(channel)
        tls_server = grpc.server(ThreadPoolExecutor(max_workers=4), handlers=[relay])
        port = tls_server.add_secure_port("127.0.0.1:0", credentials)
        tls_server.start()
        try:
            yield f"127.0.0.1:{port}", ca_file, relay
        finally:
            tls_server.stop(grace=None).wait()


def test_gateway_subcommand_fronts_a_tls_grpc_server(tls_upstream: tuple[str, Path, UpstreamRelay]) -> None:
    target, ca_file, relay = tls_upstream
    tls_arguments = ["--grpc-target", target, "--grpc-ca-file", str(ca_file), "--grpc-server-name"]
    with standalone_gateway(*tls_arguments, "recovery.internal") as base:
        recorded = httpx.post(
            f"{base}{PREFIX}/retry-executions", json=EXECUTION, headers={"Authorization": "Bearer over-tls"}
        )
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["retry_execution"]["execution_id"] == "ex-1"
        missing = httpx.get(f"{base}{PREFIX}/retry-executions/nope")
        assert (missing.status_code, missing.json()["code"]) == (404, 5)
    assert relay.authorizations == ["Bearer over-tls"]
    # Without the CA (system roots) or with the wrong name the handshake fails: the certificate is checked.
    for arguments in (["--grpc-target", target, "--grpc-tls"], [*tls_arguments, "other.internal"]):
        with standalone_gateway(*arguments) as base:
            refused = httpx.get(f"{base}{PREFIX}/retry-executions", headers={"Grpc-Timeout": "5S"})
            assert refused.status_code in (503, 504), refused.text
            assert refused.json()["code"] in (14, 4)
    # A plaintext gateway in front of the TLS port gets no answer either.
    with standalone_gateway("--grpc-target", target) as base:
        plaintext = httpx.get(f"{base}{PREFIX}/retry-executions", headers={"Grpc-Timeout": "5S"})
        assert plaintext.status_code in (503, 504), plaintext.text
