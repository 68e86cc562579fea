"""Bad flag or environment values stop `cavra-recovery serve` with one clear line and exit status 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from server.settings import SettingsError, parse_flag, parse_positive_int
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
