"""`--workers N`: N server processes share the gRPC and HTTP ports (SO_REUSEPORT) and stop together;
they die with a SIGKILLed supervisor, and a second supervisor on the same ports refuses to start."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cavra.recovery.v1 import report_pb2, report_pb2_grpc
from tests.conftest import REPO_ROOT, SERVER_COMMAND, free_port

DASHBOARD_PATH = "/runtime/go-pilot/rollback-drill-notifications/dashboard"


def _start_workers(sqlite_url: str, grpc_port: int, http_port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
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


def _wait_ready(process: subprocess.Popen[str]) -> list[str]:
    assert process.stderr is not None
    ready: list[str] = []
    while len([line for line in ready if "http listening on" in line]) < 2:
        line = process.stderr.readline()
        assert line, "server exited before both workers were ready:\n" + "\n".join(ready)
        ready.append(line)
    return ready


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_two_worker_processes_serve_grpc_and_http_and_stop_on_sigterm(sqlite_url: str) -> None:
    grpc_port, http_port = free_port(), free_port()
    process = _start_workers(sqlite_url, grpc_port, http_port)
    assert process.stderr is not None
    try:
        ready = _wait_ready(process)
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


def test_children_of_a_sigkilled_supervisor_stop_listening_within_5_s(sqlite_url: str) -> None:
    grpc_port, http_port = free_port(), free_port()
    process = _start_workers(sqlite_url, grpc_port, http_port)
    children: list[psutil.Process] = []
    try:
        _wait_ready(process)
        children = psutil.Process(process.pid).children()
        assert len(children) >= 2
        assert _listening(grpc_port) and _listening(http_port)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 5
        while (_listening(grpc_port) or _listening(http_port)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _listening(grpc_port) and not _listening(http_port)
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, [child.pid for child in alive]
    finally:
        for child in children:
            if child.is_running():
                child.kill()
        if process.poll() is None:
            process.kill()
        assert process.stderr is not None
        process.stderr.close()


def test_a_second_supervisor_on_busy_ports_exits_2_with_a_clear_message(sqlite_url: str) -> None:
    grpc_port, http_port = free_port(), free_port()
    first = _start_workers(sqlite_url, grpc_port, http_port)
    second: subprocess.Popen[str] | None = None
    try:
        _wait_ready(first)
        second = _start_workers(sqlite_url, grpc_port, http_port)
        assert second.stderr is not None
        returncode = second.wait(60)
        message = second.stderr.read()
        second.stderr.close()
        assert returncode == 2, message
        assert f"cannot listen on 127.0.0.1:{grpc_port} for gRPC" in message
        assert "holds the port" in message
        assert "Traceback" not in message
        # The first set still serves, alone.
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        if second is not None and second.poll() is None:
            # The bug this guards against: a second set serving beside the first.
            for child in psutil.Process(second.pid).children():
                child.kill()
            second.kill()
            second.wait(10)
        first.send_signal(signal.SIGTERM)
        first_returncode = first.wait(30)
        assert first.stderr is not None
        first.stderr.close()
    assert first_returncode == 0
