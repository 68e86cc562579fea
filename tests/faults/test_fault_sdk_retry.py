"""Both SDKs' default retry policies against the 10 s database cut of test 1 (issue 15): every call
completes, and the server stores exactly one record per call.

Python: `RecoveryClient` with its defaults, from 4 threads. Go: tests/faults/sdkintake, a program on
the Go SDK with its defaults, from 4 goroutines (built with the Go toolchain; missing, the Go test
skips locally and fails under CI=true).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from cavra_recovery_client import RecoveryClient, RecoveryError
from tests.conftest import ServerProcess, in_ci
from tests.faults.conftest import ProxiedPostgres
from tests.faults.outage_kit import (
    FAST_DATABASE_CHECK_ENV,
    CallFailure,
    IntakeLoad,
    Outage,
    Recorder,
    RecorderFactory,
    stored_execution_ids,
)
from tests.platform.evidence_builders import retry_execution

pytestmark = pytest.mark.postgres

SDK_INTAKE_SOURCE = Path(__file__).resolve().parent / "sdkintake"
WARM_UP_SECONDS = 2.0
CUT_SECONDS = 10.0
AFTER_SECONDS = 6.0
# The Go SDK's default deadline is 30 s; a call cannot take longer.
GO_DRAIN_SECONDS = 60.0
GRPC_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


def sdk_failure(error: Exception) -> CallFailure | None:
    if isinstance(error, RecoveryError):
        return CallFailure(error.code.value, error.message, error.reason, error.domain)
    return None


def python_sdk_recorder(address: str) -> RecorderFactory:
    """Each thread its own RecoveryClient with every default (deadline, retry policy, request ids)."""

    @contextmanager
    def for_thread(index: int) -> Iterator[Recorder]:
        with RecoveryClient(address, plaintext=True) as client:

            def record(execution_id: str) -> None:
                client.record_retry_execution(retry_execution(index, execution_id=execution_id))

            yield record

    return for_thread


def test_python_sdk_defaults_complete_every_call_across_the_cut(
    proxied_postgres: ProxiedPostgres, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory(database_url=proxied_postgres.url, http=False, env=FAST_DATABASE_CHECK_ENV)
    load = IntakeLoad(
        python_sdk_recorder(server.grpc_address), threads=4, prefix="exec-py-sdk", describe=sdk_failure
    )
    outage = Outage(server.log_lines)
    with load.running():
        time.sleep(WARM_UP_SECONDS)
        outage.cut(proxied_postgres.proxy, seconds=CUT_SECONDS)
        time.sleep(AFTER_SECONDS)

    failures = Counter((o.failure.code, o.failure.message) for o in load.outcomes if o.failure is not None)
    assert not failures, f"{sum(failures.values())} of {len(load.outcomes)} calls failed: {dict(failures)}"
    calls = {o.execution_id for o in load.outcomes}
    assert stored_execution_ids(server.grpc_address) == calls


def go_command() -> str:
    go = shutil.which("go")
    if go is None:
        if in_ci():
            pytest.fail("CI=true but the go command is missing: the Go SDK fault test must run")
        pytest.skip("the go command is not installed")
    return go


@pytest.mark.go
def test_go_sdk_defaults_complete_every_call_across_the_cut(
    proxied_postgres: ProxiedPostgres, server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    binary = tmp_path / "sdkintake"
    subprocess.run(
        [go_command(), "build", "-o", str(binary), "."], cwd=SDK_INTAKE_SOURCE, check=True, timeout=600
    )
    server = server_factory(database_url=proxied_postgres.url, http=False, env=FAST_DATABASE_CHECK_ENV)
    intake = subprocess.Popen(
        [str(binary), "-target", server.grpc_address, "-clients", "4", "-prefix", "exec-go-sdk"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(WARM_UP_SECONDS)
        Outage(server.log_lines).cut(proxied_postgres.proxy, seconds=CUT_SECONDS)
        time.sleep(AFTER_SECONDS)
        output, errors = intake.communicate(input="", timeout=GO_DRAIN_SECONDS)
    finally:
        if intake.poll() is None:
            intake.kill()
            intake.wait(10)
    assert intake.returncode == 0, errors

    outcomes = [json.loads(line) for line in output.splitlines()]
    failures = Counter((GRPC_CODE_NAMES[o["code"]], o.get("message", "")) for o in outcomes if o["code"] != 0)
    assert outcomes and not failures, (
        f"{sum(failures.values())} of {len(outcomes)} calls failed: {dict(failures)}"
    )
    assert stored_execution_ids(server.grpc_address) == {o["id"] for o in outcomes}
