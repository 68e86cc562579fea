"""Mutual TLS for gRPC (--tls-cert, --tls-key, --client-ca) with certificates made in the test, tokens
bound to a client certificate subject, the gateway's upstream client certificate, and the Python SDK."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
import trustme
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cavra.recovery.v1 import report_pb2, report_pb2_grpc
from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError
from tests.conftest import REPO_ROOT, SERVER_COMMAND, ServerProcess, free_port
from tests.platform.rpc_status import rich_error

BOT_TOKEN = "release-bot-token-5e1f"
BOUND_ELSEWHERE_TOKEN = "bound-elsewhere-token-a7c3"
FREE_TOKEN = "unbound-viewer-token-92bd"
DASHBOARD = "/runtime/go-pilot/rollback-drill-notifications/dashboard"


@dataclass(frozen=True)
class Pki:
    """Files of one test's PKI: the server's CA and certificate, the client CA, client certificates."""

    server_ca: Path
    server_cert: Path
    server_key: Path
    client_ca: Path
    bot_cert: Path  # subject CN=release-bot, signed by the client CA
    bot_key: Path
    stranger_cert: Path  # CN=release-bot too, but signed by a CA the server does not trust
    stranger_key: Path

    def read(self, name: str) -> bytes:
        return Path(getattr(self, name)).read_bytes()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    server_ca, client_ca, other_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server = server_ca.issue_cert("127.0.0.1", "localhost")
    bot = client_ca.issue_cert("release-bot", common_name="release-bot")
    stranger = other_ca.issue_cert("release-bot", common_name="release-bot")
    files: dict[str, Path] = {}
    for name, blob in {
        "server_ca": server_ca.cert_pem,
        "server_cert": server.cert_chain_pems[0],
        "server_key": server.private_key_pem,
        "client_ca": client_ca.cert_pem,
        "bot_cert": bot.cert_chain_pems[0],
        "bot_key": bot.private_key_pem,
        "stranger_cert": stranger.cert_chain_pems[0],
        "stranger_key": stranger.private_key_pem,
    }.items():
        files[name] = tmp_path / f"{name}.pem"
        blob.write_to_path(str(files[name]))
    return Pki(**files)


def write_auth_config(path: Path) -> Path:
    def entry(name: str, token: str, roles: list[str], subject: str | None) -> dict[str, object]:
        grant: dict[str, object] = {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest()}
        grant["roles"] = roles
        if subject is not None:
            grant["subject"] = subject
        return grant

    path.write_text(
        yaml.safe_dump(
            {
                "tokens": [
                    entry("release-bot", BOT_TOKEN, ["operator", "ingest"], "CN=release-bot"),
                    entry("deploy-bot", BOUND_ELSEWHERE_TOKEN, ["operator"], "CN=deploy-bot"),
                    entry("dashboard", FREE_TOKEN, ["viewer"], None),
                ]
            }
        )
    )
    return path


def tls_args(pki: Pki, *, client_ca: bool = True) -> list[str]:
    arguments = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    return arguments + (["--client-ca", str(pki.client_ca)] if client_ca else [])


@pytest.fixture
def mtls_server(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, pki: Pki
) -> ServerProcess:
    auth = write_auth_config(tmp_path / "auth.yaml")
    return server_factory(database_url=sqlite_url, extra_args=[*tls_args(pki), "--auth-config", str(auth)])


def channel(server: ServerProcess, pki: Pki, cert: str | None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        pki.read("server_ca"),
        pki.read(f"{cert}_key") if cert else None,
        pki.read(f"{cert}_cert") if cert else None,
    )
    return grpc.secure_channel(server.grpc_address, credentials)


def dashboard(chan: grpc.Channel, token: str) -> report_pb2.GetRollbackDrillDashboardResponse:
    return report_pb2_grpc.ReportServiceStub(chan).GetRollbackDrillDashboard(
        report_pb2.GetRollbackDrillDashboardRequest(),
        metadata=[("authorization", f"Bearer {token}")],
        timeout=10,
    )


def health(chan: grpc.Channel) -> int:
    answer = health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return int(answer.status)


def test_the_right_client_certificate_is_served(mtls_server: ServerProcess, pki: Pki) -> None:
    with channel(mtls_server, pki, "bot") as chan:
        assert health(chan) == health_pb2.HealthCheckResponse.SERVING
        assert dashboard(chan, BOT_TOKEN).playbooks == 0
        assert dashboard(chan, FREE_TOKEN).playbooks == 0


@pytest.mark.parametrize("cert", [None, "stranger"], ids=["no-client-certificate", "wrong-ca"])
def test_a_connection_without_a_trusted_client_certificate_is_refused(
    mtls_server: ServerProcess, pki: Pki, cert: str | None
) -> None:
    with channel(mtls_server, pki, cert) as chan, pytest.raises(grpc.RpcError) as refused:
        health(chan)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
    # Refused in the TLS handshake: not even health, which needs no token, was answered.


def test_plaintext_to_the_tls_port_is_refused(mtls_server: ServerProcess) -> None:
    with grpc.insecure_channel(mtls_server.grpc_address) as chan, pytest.raises(grpc.RpcError) as refused:
        health(chan)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]


def test_a_token_bound_to_another_subject_is_permission_denied(mtls_server: ServerProcess, pki: Pki) -> None:
    with channel(mtls_server, pki, "bot") as chan, pytest.raises(grpc.RpcError) as denied:
        dashboard(chan, BOUND_ELSEWHERE_TOKEN)
    error = rich_error(denied.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert [info.reason for info in error.error_infos] == ["CLIENT_CERTIFICATE_MISMATCH"]
    assert error.error_infos[0].metadata["principal"] == "deploy-bot"
    assert BOUND_ELSEWHERE_TOKEN not in mtls_server.log_text


def test_a_bound_token_needs_its_certificate_when_client_certificates_are_optional(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, pki: Pki
) -> None:
    # TLS without --client-ca: no client certificate is asked for, so a bound token cannot be used.
    auth = write_auth_config(tmp_path / "auth.yaml")
    server = server_factory(
        database_url=sqlite_url,
        http=False,
        extra_args=[*tls_args(pki, client_ca=False), "--auth-config", str(auth)],
    )
    with channel(server, pki, None) as chan:
        assert dashboard(chan, FREE_TOKEN).playbooks == 0
        with pytest.raises(grpc.RpcError) as denied:
            dashboard(chan, BOT_TOKEN)
    assert rich_error(denied.value).error_infos[0].reason == "CLIENT_CERTIFICATE_MISMATCH"  # type: ignore[arg-type]


def test_the_in_process_gateway_serves_over_a_tls_grpc_server(mtls_server: ServerProcess) -> None:
    url = f"http://{mtls_server.http_address}{DASHBOARD}"
    assert httpx.get(url, headers={"Authorization": f"Bearer {FREE_TOKEN}"}, timeout=10).status_code == 200
    assert httpx.get(url, timeout=10).status_code == 401
    # An HTTP caller presents no client certificate, so a token bound to one is refused here too.
    bound = httpx.get(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}, timeout=10)
    assert bound.status_code == 403
    assert "CLIENT_CERTIFICATE_MISMATCH" in bound.text


@contextmanager
def standalone_gateway(*arguments: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*SERVER_COMMAND[:-1], "gateway", *arguments, "--http-listen", f"127.0.0.1:{port}"],
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
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


def test_the_gateway_subcommand_presents_its_client_certificate(mtls_server: ServerProcess, pki: Pki) -> None:
    upstream = ["--grpc-target", mtls_server.grpc_address, "--grpc-ca-file", str(pki.server_ca)]
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    with standalone_gateway(
        *upstream, "--grpc-client-cert", str(pki.bot_cert), "--grpc-client-key", str(pki.bot_key)
    ) as base:
        # The bound token works through it: the upstream connection carries CN=release-bot.
        assert httpx.get(f"{base}{DASHBOARD}", headers=headers, timeout=10).status_code == 200
    with standalone_gateway(*upstream) as base:
        refused = httpx.get(f"{base}{DASHBOARD}", headers=headers, timeout=10)
    assert refused.status_code == 503


def test_the_python_sdk_presents_a_client_certificate(mtls_server: ServerProcess, pki: Pki) -> None:
    certificate = {
        "root_certificates": pki.read("server_ca"),
        "private_key": pki.read("bot_key"),
        "certificate_chain": pki.read("bot_cert"),
    }
    with RecoveryClient(mtls_server.grpc_address, token=BOT_TOKEN, **certificate) as client:  # type: ignore[arg-type]
        assert client.create_recovery_escalation_plan().generated_by == "release-bot"
    with RecoveryClient(mtls_server.grpc_address, token=BOUND_ELSEWHERE_TOKEN, **certificate) as client:  # type: ignore[arg-type]
        with pytest.raises(RecoveryError) as denied:
            client.create_recovery_escalation_plan()
    assert denied.value.reason == "CLIENT_CERTIFICATE_MISMATCH"


async def test_the_async_python_sdk_presents_a_client_certificate(
    mtls_server: ServerProcess, pki: Pki
) -> None:
    async with AsyncRecoveryClient(
        mtls_server.grpc_address,
        token=BOT_TOKEN,
        root_certificates=pki.read("server_ca"),
        private_key=pki.read("bot_key"),
        certificate_chain=pki.read("bot_cert"),
    ) as client:
        plan = await client.create_recovery_escalation_plan()
    assert plan.generated_by == "release-bot"
    async with AsyncRecoveryClient(
        mtls_server.grpc_address, token=BOT_TOKEN, root_certificates=pki.read("server_ca"), timeout=5
    ) as anonymous:
        with pytest.raises(RecoveryError) as refused:
            await anonymous.create_recovery_escalation_plan()
    # The handshake fails, so the call never reaches the server: UNAVAILABLE, or the deadline while the
    # SDK waits for a connection that is never ready.
    assert refused.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tls-cert", "cert.pem"], "--tls-cert (CAVRA_TLS_CERT) and --tls-key (CAVRA_TLS_KEY) go together"),
        (["--client-ca", "ca.pem"], "--client-ca (CAVRA_CLIENT_CA) needs --tls-cert and --tls-key"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "--tls-cert missing.pem: no such file"),
    ],
)
def test_incomplete_tls_flags_stop_start_up(arguments: list[str], message: str, tmp_path: Path) -> None:
    completed = subprocess.run(
        [*SERVER_COMMAND, "--database-url", f"sqlite:///{tmp_path}/x.db", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert completed.returncode == 2
    assert message in completed.stderr


def test_a_subject_binding_must_be_a_subject(tmp_path: Path) -> None:
    from cavra_recovery.server.auth import AuthConfigError, load_auth_config

    config = tmp_path / "auth.yaml"
    config.write_text(
        f"tokens:\n  - {{name: a, sha256: {'0' * 64}, roles: [viewer], subject: release-bot}}\n"
    )
    with pytest.raises(AuthConfigError, match=r"tokens\[0\]\.subject: must be a certificate subject"):
        load_auth_config(config)


def test_tls_and_the_log_format_come_from_the_environment_too(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, pki: Pki
) -> None:
    server = server_factory(
        database_url=sqlite_url,
        http=False,
        env={
            "CAVRA_TLS_CERT": str(pki.server_cert),
            "CAVRA_TLS_KEY": str(pki.server_key),
            "CAVRA_CLIENT_CA": str(pki.client_ca),
            "CAVRA_LOG_FORMAT": "json",
        },
    )
    with channel(server, pki, "bot") as chan:
        assert health(chan) == health_pb2.HealthCheckResponse.SERVING
    with channel(server, pki, None) as chan, pytest.raises(grpc.RpcError):
        health(chan)
    assert all(line.startswith("{") for line in server.log_lines if line.strip()), server.log_lines
