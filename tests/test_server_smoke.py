from __future__ import annotations

import os
import subprocess
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import REPO_ROOT, ServerProcess


def test_health_check_answers_serving_over_a_real_socket(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_sigterm_stops_the_server_cleanly(server: ServerProcess) -> None:
    assert server.stop() == 0
    assert "stopped" in server.log_text


def test_grpcurl_describes_a_method_through_reflection(server: ServerProcess) -> None:
    grpcurl = Path(os.environ.get("CAVRA_TOOLS_BIN", REPO_ROOT / ".tools" / "bin")) / "grpcurl"
    method = "cavra.recovery.v1.EvidenceService.RecordRetryExecution"
    result = subprocess.run(
        [str(grpcurl), "-plaintext", server.grpc_address, "describe", method],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "rpc RecordRetryExecution ( .cavra.recovery.v1.RecordRetryExecutionRequest )" in result.stdout
