"""Bearer tokens and roles: the config file, the role map, and enforcement over a real socket."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cavra.recovery.v1 import (
    escalation_pb2,
    evidence_pb2,
    evidence_pb2_grpc,
    ledger_pb2,
    report_pb2,
    report_pb2_grpc,
)
from cavra_recovery.server.auth import METHOD_ROLES, AuthConfigError, Role, is_open_method, load_auth_config
from tests.conftest import SERVER_COMMAND, ServerProcess, free_port
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

INGEST_TOKEN = "ingest-canary-7f3a9c"
OPERATOR_TOKEN = "operator-canary-51d0e2"
VIEWER_TOKEN = "viewer-canary-c4b8a1"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def write_config(path: Path) -> Path:
    path.write_text(
        "tokens:\n"
        f"  - {{name: go-backend, sha256: {sha(INGEST_TOKEN)}, roles: [ingest]}}\n"
        f"  - {{name: release-manager, sha256: {sha(OPERATOR_TOKEN)}, roles: [operator, viewer]}}\n"
        f"  - {{name: executive, sha256: {sha(VIEWER_TOKEN).upper()}, roles: [viewer]}}\n"
    )
    return path


def test_yaml_and_toml_configs_load_the_same_grants(tmp_path: Path) -> None:
    from_yaml = load_auth_config(write_config(tmp_path / "auth.yaml"))
    toml = tmp_path / "auth.toml"
    toml.write_text(f'[[tokens]]\nname = "go-backend"\nsha256 = "{sha(INGEST_TOKEN)}"\nroles = ["ingest"]\n')
    from_toml = load_auth_config(toml)
    assert from_yaml.tokens[0] == from_toml.tokens[0]
    assert from_yaml.authenticate(INGEST_TOKEN) == from_toml.tokens[0]
    assert from_yaml.authenticate(VIEWER_TOKEN).roles == frozenset({Role.VIEWER})  # type: ignore[union-attr]
    assert from_yaml.authenticate("not-a-token") is None
    assert sha(INGEST_TOKEN) not in repr(from_yaml)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("tokens: []\n", "tokens"),
        ("token: []\n", "token"),
        (f"tokens:\n  - {{name: a, sha256: {INGEST_TOKEN}, roles: [ingest]}}\n", "tokens[0].sha256"),
        (f"tokens:\n  - {{name: a, sha256: {sha('x')}, roles: [ingest, admin]}}\n", "tokens[0].roles[1]"),
        (f"tokens:\n  - {{name: a, sha256: {sha('x')}, roles: []}}\n", "tokens[0].roles"),
        (
            f"tokens:\n  - {{name: a, token: {INGEST_TOKEN}, sha256: {sha('x')}, roles: [viewer]}}\n",
            "tokens[0].token",
        ),
        (
            f"tokens:\n  - {{name: a, sha256: {sha('x')}, roles: [viewer]}}\n"
            f"  - {{name: a, sha256: {sha('y')}, roles: [viewer]}}\n",
            "tokens[1].name",
        ),
        (
            f"tokens:\n  - {{name: a, sha256: {sha('x')}, roles: [viewer]}}\n"
            f"  - {{name: b, sha256: {sha('x')}, roles: [viewer]}}\n",
            "tokens[1].sha256",
        ),
    ],
)
def test_an_invalid_config_names_the_file_and_field_but_no_value(
    tmp_path: Path, body: str, field: str
) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(body)
    with pytest.raises(AuthConfigError) as caught:
        load_auth_config(path)
    assert str(path) in str(caught.value)
    assert f": {field}: " in str(caught.value)
    assert INGEST_TOKEN not in str(caught.value)


def test_unparsable_yaml_reports_the_position_not_the_line(tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(f"tokens:\n  - name: a\n   sha256: [{INGEST_TOKEN}\n")
    with pytest.raises(AuthConfigError) as caught:
        load_auth_config(path)
    assert "line" in str(caught.value) and INGEST_TOKEN not in str(caught.value)


def test_every_rpc_of_every_service_has_a_role_rule() -> None:
    methods = {
        f"/{service.full_name}/{method.name}"
        for module in (evidence_pb2, escalation_pb2, report_pb2, ledger_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert methods == set(METHOD_ROLES)
    assert all(not is_open_method(method) for method in methods)


@pytest.fixture
def secured(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> Iterator[grpc.Channel]:
    config = write_config(tmp_path / "auth.yaml")
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--auth-config", str(config)])
    with grpc.insecure_channel(server.grpc_address) as channel:
        yield channel
    server.stop()
    for token in (INGEST_TOKEN, OPERATOR_TOKEN, VIEWER_TOKEN):
        assert token not in server.log_text


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def record(
    channel: grpc.Channel, metadata: list[tuple[str, str]] | None
) -> evidence_pb2.RecordRetryExecutionResponse:
    request = evidence_pb2.RecordRetryExecutionRequest(retry_execution=build.retry_execution(1))
    return evidence_pb2_grpc.EvidenceServiceStub(channel).RecordRetryExecution(
        request, metadata=metadata, timeout=10
    )


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        (None, "CREDENTIALS_MISSING"),
        ([("authorization", INGEST_TOKEN)], "CREDENTIALS_MALFORMED"),
        (bearer("wrong-token"), "CREDENTIALS_INVALID"),
    ],
)
def test_a_missing_or_unknown_token_is_unauthenticated(
    secured: grpc.Channel, metadata: list[tuple[str, str]] | None, reason: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        record(secured, metadata)
    error = rich_error(caught.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert [info.reason for info in error.error_infos] == [reason]


def test_roles_decide_who_records_and_who_reads(secured: grpc.Channel) -> None:
    assert record(secured, bearer(INGEST_TOKEN)).created
    with pytest.raises(grpc.RpcError) as viewer_writes:
        record(secured, bearer(VIEWER_TOKEN))
    denied = rich_error(viewer_writes.value)  # type: ignore[arg-type]
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    assert denied.error_infos[0].reason == "ROLE_REQUIRED"
    assert denied.error_infos[0].metadata["principal"] == "executive"
    assert denied.error_infos[0].metadata["required_roles"] == "ingest"

    evidence = evidence_pb2_grpc.EvidenceServiceStub(secured)
    listing = evidence_pb2.ListRetryExecutionsRequest()
    for token in (INGEST_TOKEN, OPERATOR_TOKEN, VIEWER_TOKEN):
        assert evidence.ListRetryExecutions(listing, metadata=bearer(token), timeout=10).total_size == 1

    reports = report_pb2_grpc.ReportServiceStub(secured)
    with pytest.raises(grpc.RpcError) as ingest_reads_reports:
        reports.GetRetryRecoveryReport(
            report_pb2.GetRetryRecoveryReportRequest(), metadata=bearer(INGEST_TOKEN)
        )
    assert ingest_reads_reports.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]


def test_health_and_reflection_stay_open(secured: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(secured).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(secured)
    answers = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {service.name for answer in answers for service in answer.list_services_response.service}
    assert "cavra.recovery.v1.EvidenceService" in names


def test_an_invalid_auth_config_stops_start_up_naming_file_and_field(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "auth.yaml"
    config.write_text(f"tokens:\n  - {{name: go-backend, sha256: {sha('x')}, roles: [root]}}\n")
    listen = ["--grpc-listen", f"127.0.0.1:{free_port()}", "--http-listen", "off"]
    completed = subprocess.run(
        # --migrate: start-up checks the schema before it reads the auth config.
        [*SERVER_COMMAND, *listen, "--database-url", sqlite_url, "--migrate", "--auth-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert f"{config}: tokens[0].roles[0]" in completed.stderr
