"""Starting with PostgreSQL unreachable (issue 15): one clear line and exit 2, or, with
`--wait-for-database SECONDS`, progress lines until the database answers and then a normal start.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable

import grpc
import pytest

from cavra.recovery.v1 import evidence_pb2, evidence_pb2_grpc
from tests.conftest import REPO_ROOT, SERVER_COMMAND, ServerProcess
from tests.faults.conftest import ProxiedPostgres
from tests.platform.evidence_builders import retry_execution

pytestmark = pytest.mark.postgres

UNREACHABLE_SECONDS = 3.0


def test_start_with_the_database_unreachable_exits_2_with_one_line(proxied_postgres: ProxiedPostgres) -> None:
    proxied_postgres.proxy.cut()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    finished = subprocess.run(
        [
            *SERVER_COMMAND,
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "off",
            "--database-url",
            proxied_postgres.url,
            "--migrate",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    lines = finished.stderr.splitlines()
    excerpt = "\n".join([*lines[:2], "…", *lines[-2:]] if len(lines) > 4 else lines)
    assert (finished.returncode, len(lines)) == (2, 1), (
        f"exit {finished.returncode}, {len(lines)} lines:\n{excerpt}"
    )
    assert "database" in lines[0]
    assert proxied_postgres.password not in finished.stderr


def test_wait_for_database_starts_once_it_answers(
    proxied_postgres: ProxiedPostgres, server_factory: Callable[..., ServerProcess]
) -> None:
    proxied_postgres.proxy.cut()
    restorer = threading.Timer(UNREACHABLE_SECONDS, proxied_postgres.proxy.restore)
    restorer.start()
    started = time.monotonic()
    try:
        server = server_factory(
            database_url=proxied_postgres.url, http=False, extra_args=["--wait-for-database", "60"]
        )
    finally:
        restorer.join()
    assert time.monotonic() - started >= UNREACHABLE_SECONDS

    waiting = [line for line in server.log_lines if "listening on" not in line and "database" in line]
    assert waiting, "no progress line while waiting for the database:\n" + server.log_text
    assert "Traceback" not in server.log_text
    assert proxied_postgres.password not in server.log_text
    with grpc.insecure_channel(server.grpc_address) as channel:
        evidence_pb2_grpc.EvidenceServiceStub(channel).RecordRetryExecution(
            evidence_pb2.RecordRetryExecutionRequest(retry_execution=retry_execution(0)), timeout=10
        )
