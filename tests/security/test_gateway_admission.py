"""The gateway answers from the headers before reading a body: 401/403 for a missing or wrong token,
413 for a declared body above --http-max-body-bytes, 503 past --http-max-in-flight; /metrics needs a
`metrics` or `auditor` token when auth is on; an unparsable request line is one quiet 400."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ServerProcess
from tests.security.security_kit import bearer, raw_http, status_of, write_auth_config

BATCH_PATH = (
    "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/evidence:batchRecord"
)
HUGE = 100 * 1024 * 1024


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _post_head(path: str, content_length: int, headers: dict[str, str] | None = None) -> bytes:
    """A POST's request line and headers only: the declared body never comes."""
    lines = [f"POST {path} HTTP/1.1", "Host: test", "Content-Type: application/json"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    lines.append(f"Content-Length: {content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_metrics_needs_a_metrics_or_auditor_token_when_auth_is_on(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_auth_config(tmp_path)
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config)])
    url = f"http://{server.http_address}/metrics"
    status, body = _get(url)
    assert status == 401
    assert json.loads(body)["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert _get(url, {"Authorization": "Bearer not-a-token"})[0] == 401
    for role in ("viewer", "operator", "ingest"):
        status, body = _get(url, bearer(role))
        assert status == 403, role
        assert json.loads(body)["details"][0]["reason"] == "ROLE_REQUIRED"
    for role in ("metrics", "auditor"):
        status, body = _get(url, bearer(role))
        assert status == 200, role
        assert b"grpc_server_started_total" in body


def test_metrics_stays_open_when_auth_is_off(server: ServerProcess) -> None:
    status, body = _get(f"http://{server.http_address}/metrics")
    assert status == 200
    assert b"grpc_server_started_total" in body


def test_a_post_without_a_token_is_401_before_its_body_is_sent(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_auth_config(tmp_path)
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config)])
    assert server.http_address is not None
    started = time.monotonic()
    response = raw_http(server.http_address, _post_head(BATCH_PATH, HUGE))
    assert status_of(response) == 401, response[:200]
    assert b"WWW-Authenticate: missing bearer token" in response
    assert b'"CREDENTIALS_MISSING"' in response
    # A token without the ingest role: 403, also before the body.
    response = raw_http(server.http_address, _post_head(BATCH_PATH, HUGE, bearer("viewer")))
    assert status_of(response) == 403, response[:200]
    assert b'"ROLE_REQUIRED"' in response
    # With the right token, a declared body above the limit is 413, still without reading it.
    response = raw_http(server.http_address, _post_head(BATCH_PATH, HUGE, bearer("ingest")))
    assert status_of(response) == 413, response[:200]
    assert time.monotonic() - started < 10


def test_the_standalone_gateway_in_front_of_an_auth_server_refuses_a_missing_token_before_the_body(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    import subprocess

    from tests.conftest import REPO_ROOT, VENV_BIN, free_port

    config = write_auth_config(tmp_path)
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--auth-config", str(config)])
    port = free_port()
    gateway = subprocess.Popen(
        [
            str(VENV_BIN / "cavra-recovery"),
            "gateway",
            "--grpc-target",
            server.grpc_address,
            "--http-listen",
            f"127.0.0.1:{port}",
            "--upstream-enforces-auth",
        ],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gateway.stderr is not None
        deadline = time.monotonic() + 30
        while "http listening on" not in gateway.stderr.readline():
            assert time.monotonic() < deadline and gateway.poll() is None
        response = raw_http(f"127.0.0.1:{port}", _post_head(BATCH_PATH, HUGE))
        assert status_of(response) == 401, response[:200]
        status, _ = _get(f"http://127.0.0.1:{port}/runtime/go-pilot/rollback-drill-notifications/dashboard")
        assert status == 401
        headers = bearer("viewer")
        url = f"http://127.0.0.1:{port}/runtime/go-pilot/rollback-drill-notifications/dashboard"
        assert _get(url, headers)[0] == 200
    finally:
        gateway.terminate()
        gateway.wait(20)
        if gateway.stderr is not None:
            gateway.stderr.close()


def test_requests_past_the_in_flight_limit_are_503_with_retry_after(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_auth_config(tmp_path)
    server = server_factory(
        database_url=sqlite_url, extra_args=["--auth-config", str(config), "--http-max-in-flight", "1"]
    )
    assert server.http_address is not None
    host, _, port = server.http_address.rpartition(":")
    # An authorized request whose body is still on its way holds the one slot.
    with socket.create_connection((host, int(port)), timeout=10) as holder:
        holder.sendall(_post_head(BATCH_PATH, 1000, bearer("ingest")) + b'{"records":')
        time.sleep(0.5)
        response = raw_http(server.http_address, _post_head(BATCH_PATH, 2, bearer("ingest")) + b"{}")
        assert status_of(response) == 503, response[:300]
        assert b"Retry-After: 1" in response
        # Probes are not counted.
        status, _ = _get(f"http://{server.http_address}/livez")
        assert status == 200
    time.sleep(0.5)
    response = raw_http(server.http_address, _post_head(BATCH_PATH, 2, bearer("ingest")) + b"{}")
    assert status_of(response) == 400, response[:300]


def test_a_request_line_with_raw_invalid_bytes_is_400_with_one_quiet_warning(server: ServerProcess) -> None:
    assert server.http_address is not None
    secret = b"\xff\xfe\x00sk_live_echo_me"
    for _ in range(5):
        response = raw_http(server.http_address, b"GET /" + secret + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(response) == 400, response[:200]
    response = raw_http(server.http_address, b"\x16\x03\x01\xff\xff garbage\r\n\r\n")
    assert status_of(response) == 400, response[:200]
    # The server still serves.
    assert _get(f"http://{server.http_address}/livez")[0] == 200
    server.stop()
    log = server.log_text
    assert "Traceback" not in log
    assert " ERROR " not in log
    assert "sk_live_echo_me" not in log
    warnings = [line for line in server.log_lines if "unparsable HTTP request" in line]
    assert 1 <= len(warnings) <= 2, warnings
    assert all(" WARNING " in line for line in warnings)
