"""Start-up refuses an unusable database; graceful shutdown turns health NOT_SERVING before stopping."""

from __future__ import annotations

import signal
import subprocess
import threading

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import REPO_ROOT, SERVER_COMMAND, ServerProcess


def test_an_unmigrated_database_fails_start_up_with_a_clear_message(sqlite_url: str) -> None:
    result = subprocess.run(
        [
            *SERVER_COMMAND,
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "off",
            "--database-url",
            sqlite_url,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "run `cavra-recovery migrate` or serve with --migrate" in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening on" not in result.stderr


def test_health_turns_not_serving_when_sigterm_starts_the_drain(server: ServerProcess) -> None:
    statuses: list[int] = []
    watching = threading.Event()

    def watch() -> None:
        with grpc.insecure_channel(server.grpc_address) as channel:
            stream = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=30)
            try:
                for response in stream:
                    statuses.append(response.status)
                    watching.set()
            except grpc.RpcError:
                pass  # the server closes the stream when it stops

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert watching.wait(10)
    server.process.send_signal(signal.SIGTERM)
    watcher.join(30)
    assert statuses[0] == health_pb2.HealthCheckResponse.SERVING
    assert health_pb2.HealthCheckResponse.NOT_SERVING in statuses[1:]
    assert server.stop() == 0
