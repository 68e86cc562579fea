"""The real grpcurl binary against the real server: reflection (list, describe), JSON invoke, rich errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.clients.grpcurl_tool import grpcurl_binary
from tests.conftest import ServerProcess

# grpcurl exits with 64 + the gRPC status code when the RPC fails.
EXIT_INVALID_ARGUMENT = 64 + 3
EXIT_NOT_FOUND = 64 + 5


@pytest.fixture
def grpcurl() -> Path:
    return grpcurl_binary()


def run(grpcurl: Path, server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(grpcurl), "-plaintext", server.grpc_address, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_with_body(
    grpcurl: Path, server: ServerProcess, method: str, body: object, *flags: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(grpcurl), "-plaintext", *flags, "-d", json.dumps(body), server.grpc_address, method],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_grpcurl_lists_the_three_services_health_and_reflection(
    grpcurl: Path, grpc_server: ServerProcess
) -> None:
    listed = run(grpcurl, grpc_server, "list")
    assert listed.returncode == 0, listed.stderr
    services = set(listed.stdout.split())
    assert {
        "cavra.recovery.v1.EvidenceService",
        "cavra.recovery.v1.EscalationService",
        "cavra.recovery.v1.ReportService",
        "grpc.health.v1.Health",
    } <= services
    assert {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} <= services


def test_grpcurl_describe_shows_proto_comments(grpcurl: Path, grpc_server: ServerProcess) -> None:
    method = run(
        grpcurl, grpc_server, "describe", "cavra.recovery.v1.EscalationService.CreateRecoveryEscalationPlan"
    )
    assert method.returncode == 0, method.stderr
    assert "// Builds and stores a plan from the SLO report of this instant." in method.stdout
    message = run(grpcurl, grpc_server, "describe", "cavra.recovery.v1.CreateRecoveryEscalationPlanRequest")
    assert message.returncode == 0, message.stderr
    assert "// Minutes; 0 means 240, values below 1 become 1." in message.stdout


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_both_reflection_versions_serve_descriptors_with_comments(
    grpc_server: ServerProcess, version: str
) -> None:
    """grpcurl asks v1 first; older tools only know v1alpha. Both carry the source info."""
    import grpc
    from google.protobuf import descriptor_pb2
    from grpc_reflection.v1alpha import reflection_pb2

    with grpc.insecure_channel(grpc_server.grpc_address) as channel:
        call = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        request = reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="cavra.recovery.v1.EscalationService.CreateRecoveryEscalationPlan"
        )
        (answer,) = list(call(iter([request]), timeout=30))
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in answer.file_descriptor_response.file_descriptor_proto
    ]
    escalation = next(f for f in files if f.name == "cavra/recovery/v1/escalation.proto")
    comments = [location.leading_comments for location in escalation.source_code_info.location]
    assert " Builds and stores a plan from the SLO report of this instant.\n" in comments
    assert any(f.name == "google/api/annotations.proto" for f in files)  # dependencies travel along


def test_grpcurl_describes_services_and_messages(grpcurl: Path, grpc_server: ServerProcess) -> None:
    service = run(grpcurl, grpc_server, "describe", "cavra.recovery.v1.EscalationService")
    assert service.returncode == 0, service.stderr
    assert "rpc CreateRecoveryEscalationPlan" in service.stdout
    assert "recovery-escalation-plan" in service.stdout  # the google.api.http annotation travels along
    message = run(grpcurl, grpc_server, "describe", "cavra.recovery.v1.CreateRecoveryEscalationPlanRequest")
    assert message.returncode == 0, message.stderr
    assert "int32 recovery_slo_minutes = 1" in message.stdout


def test_grpcurl_invokes_create_plan_with_json(grpcurl: Path, grpc_server: ServerProcess) -> None:
    created = run_with_body(
        grpcurl,
        grpc_server,
        "cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan",
        {"recovery_slo_minutes": 120, "generated_by": "grpcurl-test", "request_id": "grpcurl-plan-1"},
    )
    assert created.returncode == 0, created.stderr
    plan = json.loads(created.stdout)["plan"]
    assert plan["plan_id"] and plan["generated_by"] == "grpcurl-test"
    assert plan["recovery_slo_minutes"] == 120 and plan["alert_level"] == "ALERT_LEVEL_HEALTHY"
    fetched = run_with_body(
        grpcurl,
        grpc_server,
        "cavra.recovery.v1.EscalationService/GetRecoveryEscalationPlan",
        {"plan_id": plan["plan_id"]},
    )
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["plan"]["plan_id"] == plan["plan_id"]


def test_grpcurl_prints_the_field_violation_of_an_invalid_request(
    grpcurl: Path, grpc_server: ServerProcess
) -> None:
    body = {
        "retry_execution": {
            "execution_id": "e1",
            "provider": "slack",
            "execution_status": "EXECUTION_STATUS_FAILED",
        }
    }
    method = "cavra.recovery.v1.EvidenceService/RecordRetryExecution"

    failed = run_with_body(grpcurl, grpc_server, method, body)
    assert failed.returncode == EXIT_INVALID_ARGUMENT, failed.stderr
    assert "Code: InvalidArgument" in failed.stderr
    assert "type.googleapis.com/google.rpc.BadRequest" in failed.stderr
    assert '"field": "retry_execution.executed_at"' in failed.stderr

    formatted = run_with_body(grpcurl, grpc_server, method, body, "-format-error")
    assert formatted.returncode == EXIT_INVALID_ARGUMENT
    status = json.loads(formatted.stderr)  # -format-error prints the google.rpc.Status as JSON on stderr
    assert status["code"] == 3
    violations = [
        violation
        for detail in status["details"]
        if detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
        for violation in detail["field_violations"]
    ]
    assert [v["field"] for v in violations] == ["retry_execution.executed_at"]
    [info] = [d for d in status["details"] if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"]
    assert info["reason"] and info["domain"]


def test_grpcurl_unknown_plan_exits_with_not_found(grpcurl: Path, grpc_server: ServerProcess) -> None:
    missing = run_with_body(
        grpcurl,
        grpc_server,
        "cavra.recovery.v1.EscalationService/GetRecoveryEscalationPlan",
        {"plan_id": "plan_nope"},
    )
    assert missing.returncode == EXIT_NOT_FOUND
    assert "Code: NotFound" in missing.stderr
