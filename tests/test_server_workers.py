"""`--workers N`: N server processes share the gRPC and HTTP ports (SO_REUSEPORT) and stop together."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cavra.recovery.v1 import report_pb2, report_pb2_grpc
from tests.conftest import REPO_ROOT, SERVER_COMMAND, free_port

DASHBOARD_PATH = "/runtime/go-pilot/rollback-drill-notifications/dashboard"


def test_two_worker_processes_serve_grpc_and_http_and_stop_on_sigterm(sqlite_url: str) -> None:
    grpc_port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            *SERVER_COMMAND,
            "--workers",
            "2",
            "--grpc-listen",
            f"127.0.0.1:{grpc_port}",
            "--http-listen",
            f"127.0.0.1:{http_port}",
            "--database-url",
            sqlite_url,
            "--migrate",
        ],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    ready: list[str] = []
    try:
        while len([line for line in ready if "http listening on" in line]) < 2:
            line = process.stderr.readline()
            assert line, "server exited before both workers were ready:\n" + "\n".join(ready)
            ready.append(line)
        assert sum("grpc listening on" in line for line in ready) == 2

        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            dashboard = report_pb2_grpc.ReportServiceStub(channel).GetRollbackDrillDashboard(
                report_pb2.GetRollbackDrillDashboardRequest(), timeout=10
            )
            assert dashboard.escalation_plans == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}{DASHBOARD_PATH}", timeout=10) as response:
            # Zero counts are omitted, as grpc-gateway does; the instant is always there.
            assert "generated_at" in json.load(response)
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(30)
        rest = process.stderr.read()
        process.stderr.close()
    assert returncode == 0, rest
    assert rest.count("stopped") == 2
