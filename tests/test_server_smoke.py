from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import ServerProcess


def test_health_check_answers_serving_over_a_real_socket(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.grpc_address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_sigterm_stops_the_server_cleanly(server: ServerProcess) -> None:
    assert server.stop() == 0
    assert "stopped" in server.log_text
