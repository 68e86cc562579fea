"""Bad flag or environment values stop `cavra-recovery serve` with one clear line and exit status 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cavra_recovery.server.cli import build_parser
from cavra_recovery.server.settings import (
    RequestLimits,
    SettingsError,
    parse_flag,
    parse_positive_int,
    settings_from_arguments,
)
from tests.conftest import SERVER_COMMAND

CHECK_SECONDS = "CAVRA_DATABASE_CHECK_SECONDS"
CHECK_FAILURES = "CAVRA_DATABASE_CHECK_FAILURES"


def serve(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    return subprocess.run(
        [
            *SERVER_COMMAND,
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "off",
            "--database-url",
            f"sqlite:///{tmp_path / 'never-created.db'}",
            *args,
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        pytest.param({"CAVRA_WORKERS": "abc"}, [], "CAVRA_WORKERS", id="workers-abc"),
        pytest.param({"CAVRA_WORKERS": "0"}, [], "CAVRA_WORKERS", id="workers-zero"),
        pytest.param({"CAVRA_WORKERS": "-2"}, [], "CAVRA_WORKERS", id="workers-negative"),
        pytest.param({"CAVRA_WORKERS": "2.5"}, [], "CAVRA_WORKERS", id="workers-fraction"),
        pytest.param({"CAVRA_WORKERS": "1e3"}, [], "CAVRA_WORKERS", id="workers-exponent"),
        pytest.param({"CAVRA_WORKERS": "99999"}, [], "CAVRA_WORKERS", id="workers-huge"),
        pytest.param({}, ["--workers", "many"], "--workers", id="workers-flag"),
        pytest.param({"CAVRA_MIGRATE": "maybe"}, [], "CAVRA_MIGRATE", id="migrate-maybe"),
        pytest.param({}, ["--grpc-listen", "127.0.0.1:99999"], "99999", id="grpc-port-out-of-range"),
        pytest.param(
            {"CAVRA_DELIVERY_CONCURRENCY": "lots"}, ["--migrate"], "CAVRA_DELIVERY_CONCURRENCY", id="tuning"
        ),
        pytest.param(
            {"CAVRA_DATABASE_CHECK_SECONDS": "soon"}, [], "CAVRA_DATABASE_CHECK_SECONDS", id="check-s"
        ),
        pytest.param({}, ["--database-check-seconds", "0"], "--database-check-seconds", id="check-zero"),
        pytest.param(
            {"CAVRA_DATABASE_CHECK_FAILURES": "0"}, [], "CAVRA_DATABASE_CHECK_FAILURES", id="failures"
        ),
        pytest.param({"CAVRA_DATABASE_ISOLATION": "chaos"}, [], "CAVRA_DATABASE_ISOLATION", id="isolation"),
        pytest.param({}, ["--wait-for-database", "-1"], "--wait-for-database", id="wait-negative"),
        pytest.param(
            {"CAVRA_GRPC_MAX_RECEIVE_BYTES": "8M"}, [], "CAVRA_GRPC_MAX_RECEIVE_BYTES", id="receive-bytes"
        ),
        pytest.param({}, ["--http-max-in-flight", "0"], "--http-max-in-flight", id="in-flight-zero"),
        pytest.param({"CAVRA_RATE_LIMIT_BURST": "-1"}, [], "CAVRA_RATE_LIMIT_BURST", id="burst-negative"),
        pytest.param({}, ["--rate-limit-per-minute", "x"], "--rate-limit-per-minute", id="rate-word"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_status_2(
    tmp_path: Path, env: dict[str, str], args: list[str], named: str
) -> None:
    result = serve(tmp_path, env, *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "ERROR" in lines[0]


def test_a_bad_log_level_from_the_environment_is_an_argument_error(tmp_path: Path) -> None:
    result = serve(tmp_path, {"CAVRA_LOG_LEVEL": "loud"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--log-level: must be one of DEBUG, INFO, WARNING, ERROR; got 'loud'" in result.stderr


def test_parsers_accept_what_they_document() -> None:
    assert parse_positive_int("N", " 4 ") == 4
    assert parse_positive_int("N", 3) == 3
    assert [parse_flag("F", word) for word in ("1", "TRUE", "yes", "on", "", "0", "off", "No")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    for text in ("٣", "+3", "1_0", " "):
        with pytest.raises(SettingsError):
            parse_positive_int("N", text)
    with pytest.raises(SettingsError, match="'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"):
        parse_flag("F", "x" * 100)


def test_wait_for_database_prints_progress_then_fails_with_one_error_line(tmp_path: Path) -> None:
    # A SQLite file in a folder that never appears: the database stays unavailable for the whole wait.
    result = subprocess.run(
        [
            *SERVER_COMMAND,
            "--grpc-listen",
            "127.0.0.1:0",
            "--http-listen",
            "off",
            "--database-url",
            f"sqlite:///{tmp_path / 'missing' / 'never.db'}",
            "--wait-for-database",
            "1.5",
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "waiting for the database (cannot open the database file)" in result.stderr


def test_limits_come_from_flags_and_environment_with_documented_defaults() -> None:
    def limits(environ: dict[str, str], *args: str) -> RequestLimits:
        return settings_from_arguments(build_parser(environ).parse_args(["serve", *args])).limits

    assert limits({}) == RequestLimits(
        grpc_max_receive_bytes=8 * 1024 * 1024,
        grpc_max_concurrent_rpcs=256,
        http_max_body_bytes=8 * 1024 * 1024,
        http_max_in_flight=64,
        rate_limit_per_minute=600,
        rate_limit_burst=60,
    )
    environ = {
        "CAVRA_GRPC_MAX_RECEIVE_BYTES": "1000",
        "CAVRA_GRPC_MAX_CONCURRENT_RPCS": "7",
        "CAVRA_HTTP_MAX_BODY_BYTES": "2000",
        "CAVRA_HTTP_MAX_IN_FLIGHT": "3",
        "CAVRA_RATE_LIMIT_PER_MINUTE": "0",
        "CAVRA_RATE_LIMIT_BURST": "5",
    }
    assert limits(environ) == RequestLimits(1000, 7, 2000, 3, 0, 5)
    assert limits(environ, "--http-max-in-flight", "9", "--rate-limit-per-minute", "30") == RequestLimits(
        1000, 7, 2000, 9, 30, 5
    )
