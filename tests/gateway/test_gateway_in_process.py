"""The gateway inside `serve` calls its own server in process (server/gateway/inprocess.py); the
standalone `cavra-recovery gateway` calls the same server over a gRPC channel. Both must answer every
request alike: HTTP status, JSON body and metadata headers, for answers and for every kind of refusal
(authentication, role, validation, not found, deadline), with the server's auth on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import ServerProcess
from tests.gateway.conftest import DASHBOARD, PREFIX
from tests.gateway.test_gateway_behaviour import standalone_gateway
from tests.platform.test_auth import INGEST_TOKEN, VIEWER_TOKEN, write_config

EXECUTION = {
    "execution_id": "in-process-1",
    "provider": "slack",
    "execution_status": "EXECUTION_STATUS_FAILED",
    "executed_at": "2026-01-05T10:05:00Z",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CASES: list[tuple[str, str, str, dict[str, object]]] = [
    ("read", "GET", f"{PREFIX}/retry-executions/in-process-1", {"headers": bearer(VIEWER_TOKEN)}),
    ("list", "GET", f"{PREFIX}/retry-executions?page_size=5", {"headers": bearer(VIEWER_TOKEN)}),
    ("not found", "GET", f"{PREFIX}/retry-executions/no-such", {"headers": bearer(VIEWER_TOKEN)}),
    ("no token", "GET", f"{PREFIX}/retry-executions/in-process-1", {}),
    ("unknown token", "GET", f"{PREFIX}/retry-executions/in-process-1", {"headers": bearer("nope")}),
    (
        "wrong role",
        "POST",
        f"{PREFIX}/retry-executions",
        {"headers": bearer(VIEWER_TOKEN), "json": EXECUTION},
    ),
    (
        "invalid record",
        "POST",
        f"{PREFIX}/retry-executions",
        {"headers": bearer(INGEST_TOKEN), "json": {**EXECUTION, "provider": "", "execution_id": "x y"}},
    ),
    (
        "resend unchanged",
        "POST",
        f"{PREFIX}/retry-executions",
        {"headers": bearer(INGEST_TOKEN), "json": EXECUTION},
    ),
    (
        "conflicting resend",
        "POST",
        f"{PREFIX}/retry-executions",
        {"headers": bearer(INGEST_TOKEN), "json": {**EXECUTION, "run_id": "other"}},
    ),
    ("deadline", "GET", DASHBOARD, {"headers": {**bearer(VIEWER_TOKEN), "Grpc-Timeout": "1n"}}),
    ("bad page token", "GET", f"{PREFIX}/retry-executions?page_token=zz", {"headers": bearer(VIEWER_TOKEN)}),
]


def test_in_process_and_channel_gateways_answer_alike(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "auth.yaml")
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(config)])
    ours = f"http://{server.http_address}"
    stored = httpx.post(f"{ours}{PREFIX}/retry-executions", json=EXECUTION, headers=bearer(INGEST_TOKEN))
    assert stored.status_code == 200 and stored.json()["created"] is True, stored.text
    with standalone_gateway("--grpc-target", server.grpc_address) as remote:
        for name, method, path, options in CASES:
            headers = {**dict(options.get("headers", {})), "X-Request-Id": f"same-{len(name)}"}  # type: ignore[call-overload]
            body = options.get("json")
            local = httpx.request(method, f"{ours}{path}", headers=headers, json=body)
            channel = httpx.request(method, f"{remote}{path}", headers=headers, json=body)
            if name == "deadline":
                # In process the deadline is checked before and after the handler: always 504. Over a
                # channel gRPC's deadline timer races a fast answer, and now and then the answer wins
                # (200); when it does not, the client words it "Stream removed (Deadline Exceeded)" and
                # the code is what a caller acts on.
                assert (local.status_code, local.json()["code"]) == (504, 4), local.text
                if channel.status_code != 200:
                    assert (channel.status_code, channel.json()["code"]) == (504, 4), channel.text
            else:
                assert (local.status_code, local.json()) == (channel.status_code, channel.json()), name
            assert local.headers["content-type"] == channel.headers["content-type"] == "application/json"
            if local.status_code not in (401, 403, 504):
                # (`serve`'s gateway refuses a token from the headers before calling; the standalone one
                # here has no tokens and lets the server refuse. A call whose deadline passed may end
                # before the server sent any metadata, over a socket as in process.) The server echoed
                # the request id as gRPC header metadata, in process as over a socket.
                for response in (local, channel):
                    assert response.headers["x-request-id"] == headers["X-Request-Id"], name
                    assert response.headers["grpc-metadata-x-request-id"] == headers["X-Request-Id"], name
    codes = {name: httpx.request(m, f"{ours}{p}", **o).status_code for name, m, p, o in CASES[:6]}  # type: ignore[arg-type]
    assert codes == {
        "read": 200,
        "list": 200,
        "not found": 404,
        "no token": 401,
        "unknown token": 401,
        "wrong role": 403,
    }


def test_in_process_calls_are_counted_and_logged_by_the_server(
    server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    """The server's own interceptors ran: its access line and its gRPC metrics include the HTTP call."""
    server = server_factory(database_url=sqlite_url, extra_args=["--log-level", "debug"])
    base = f"http://{server.http_address}"
    answer = httpx.get(f"{base}{PREFIX}/retry-executions/nothing-here", headers={"X-Request-Id": "counted-1"})
    assert answer.status_code == 404
    metrics = httpx.get(f"{base}/metrics").text
    handled = [
        line
        for line in metrics.splitlines()
        if line.startswith("grpc_server_handled_total{")
        and 'grpc_method="GetRetryExecution"' in line
        and 'grpc_code="NOT_FOUND"' in line
    ]
    assert handled and handled[0].endswith(" 1.0"), handled
    # The access line (DEBUG in text logs) names the method, the status and the request id.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("counted-1" in line for line in server.log_lines):
        time.sleep(0.1)
    access = [line for line in server.log_lines if "counted-1" in line and "GetRetryExecution" in line]
    assert access and "NOT_FOUND" in access[0], server.log_text
