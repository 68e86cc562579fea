"""`make dist` and the three distributions as a user installs them (issue 13).

The wheels are built once per session (`make dist`: `python -m build` on generated/python, clients/python
and the repository root, `twine check --strict`). The SDK test installs only the stubs wheel and the SDK
wheel into a clean virtualenv, at the dependency floors the two distributions declare, and runs a sync
and an async scenario against a real server started from the repository. The server test installs the
server wheel into another clean virtualenv. Neither venv may import `server` or `connectors`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cavra_recovery_client import RecoveryClient
from tests.conftest import READY_PATTERN, REPO_ROOT, ServerProcess, free_port

HERE = Path(__file__).resolve().parent
VERSION = "0.1.0"
# What the generated code checks at import time (generated/python/pyproject.toml explains each).
FLOORS = {
    "protobuf": "7.35.1",
    "grpcio": "1.85.1",
    "googleapis-common-protos": "1.73.1",
    "grpcio-status": "1.85.1",
}


def run(command: list[str], *, cwd: Path | None = None, timeout: float = 600) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def base_python() -> str:
    # The interpreter the repository's .venv was made from, not the .venv itself.
    return getattr(sys, "_base_executable", None) or sys.executable


def clean_venv(directory: Path) -> Path:
    run([base_python(), "-m", "venv", str(directory)])
    return directory / "bin"


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "MAKEFLAGS": "", "NO_COLOR": "1", "COLUMNS": "400"}
    made = subprocess.run(
        ["make", "-s", "dist", f"DIST_DIR={out}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    # twine check --strict: one verdict per file (rich may still wrap or colour a line).
    verdicts = re.findall(
        r"Checking (\S+?):\s*(PASSED|FAILED|WARNING)", re.sub(r"\x1b\[[0-9;]*m|\n", "", made.stdout)
    )
    assert sorted(Path(name).name for name, _ in verdicts) == sorted(path.name for path in out.iterdir())
    assert {verdict for _, verdict in verdicts} == {"PASSED"}, made.stdout
    return out


def artifact(dist: Path, pattern: str) -> Path:
    [found] = sorted(dist.glob(pattern))
    return found


def test_make_dist_builds_a_wheel_and_an_sdist_of_each_distribution(dist: Path) -> None:
    names = sorted(path.name for path in dist.iterdir())
    assert names == [
        f"cavra_recovery-{VERSION}-py3-none-any.whl",
        f"cavra_recovery-{VERSION}.tar.gz",
        f"cavra_recovery_client-{VERSION}-py3-none-any.whl",
        f"cavra_recovery_client-{VERSION}.tar.gz",
        f"cavra_recovery_proto-{VERSION}-py3-none-any.whl",
        f"cavra_recovery_proto-{VERSION}.tar.gz",
    ]


def wheel_metadata(wheel: Path) -> tuple[set[str], list[str]]:
    """The wheel's top-level import names and its Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
        [metadata] = [name for name in files if name.endswith(".dist-info/METADATA")]
        requires = [
            line.removeprefix("Requires-Dist: ")
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ") and "extra ==" not in line
        ]
    tops = {name.split("/")[0] for name in files if not name.split("/")[0].endswith(".dist-info")}
    return tops, requires


def test_each_wheel_carries_its_own_names_and_floors(dist: Path) -> None:
    proto_tops, proto_requires = wheel_metadata(artifact(dist, "cavra_recovery_proto-*.whl"))
    assert proto_tops == {"cavra"}
    assert sorted(proto_requires) == [
        "googleapis-common-protos>=1.73.1",
        "grpcio>=1.85.1",
        "protobuf>=7.35.1",
    ]
    client_tops, client_requires = wheel_metadata(artifact(dist, "cavra_recovery_client-*.whl"))
    assert client_tops == {"cavra_recovery_client"}
    assert sorted(client_requires) == [f"cavra-recovery-proto=={VERSION}", "grpcio-status>=1.85.1"]
    server_tops, server_requires = wheel_metadata(artifact(dist, "cavra_recovery-*.whl"))
    assert server_tops == {"cavra_recovery"}
    assert f"cavra-recovery-proto=={VERSION}" in server_requires
    assert f"cavra-recovery-client=={VERSION}" in server_requires
    with zipfile.ZipFile(artifact(dist, "cavra_recovery-*.whl")) as archive:
        files = set(archive.namelist())
    # The alembic migrations (folders without __init__.py) and their template ship.
    assert "cavra_recovery/server/storage/migrations/env.py" in files
    assert "cavra_recovery/server/storage/migrations/script.py.mako" in files
    assert any(name.startswith("cavra_recovery/server/storage/migrations/versions/") for name in files)
    assert "cavra_recovery/connectors/__init__.py" in files
    assert "cavra_recovery/openapi/recovery.swagger.json" in files
    # The stubs' descriptor set (reflection with comments) ships in the proto wheel.
    with zipfile.ZipFile(artifact(dist, "cavra_recovery_proto-*.whl")) as archive:
        assert "cavra/recovery/v1/descriptor_set.binpb" in archive.namelist()


def test_the_versions_agree_with_the_pyprojects() -> None:
    for pyproject in ("pyproject.toml", "clients/python/pyproject.toml", "generated/python/pyproject.toml"):
        with (REPO_ROOT / pyproject).open("rb") as f:
            assert tomllib.load(f)["project"]["version"] == VERSION, pyproject


def assert_not_importable(python: Path, *names: str) -> None:
    for name in names:
        probe = subprocess.run(
            [str(python), "-I", "-c", f"import {name}"], capture_output=True, text=True, cwd=python.parent
        )
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, (name, probe.stderr)


def test_sdk_and_stub_wheels_alone_in_a_clean_venv_at_their_floors_run_sync_and_async_scenarios(
    dist: Path, tmp_path: Path, server_factory: Callable[..., ServerProcess], sqlite_url: str
) -> None:
    bin_dir = clean_venv(tmp_path / "venv")
    constraints = tmp_path / "floors.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in FLOORS.items()))
    run(
        [
            str(bin_dir / "pip"),
            "install",
            "--quiet",
            "--constraint",
            str(constraints),
            str(artifact(dist, "cavra_recovery_proto-*.whl")),
            str(artifact(dist, "cavra_recovery_client-*.whl")),
        ]
    )
    installed = {
        line.split("==")[0].lower(): line.split("==")[1]
        for line in run([str(bin_dir / "pip"), "freeze"]).splitlines()
        if "==" in line
    }
    # Only the two wheels, their four dependencies at their floors, and what those need in turn.
    assert installed.keys() <= {
        "cavra-recovery-proto",
        "cavra-recovery-client",
        *FLOORS,
        "typing_extensions",
    }, installed
    assert {name: installed[name] for name in FLOORS} == FLOORS
    assert "sqlalchemy" not in installed and "cavra-recovery" not in installed
    assert "No broken requirements found." in run([str(bin_dir / "pip"), "check"])
    assert_not_importable(bin_dir / "python", "server", "connectors", "cavra_recovery")

    server = server_factory(database_url=sqlite_url, http=False)
    scenario = [str(bin_dir / "python"), "-I", str(HERE / "sdk_scenario.py"), server.grpc_address]
    result = json.loads(run(scenario, cwd=tmp_path))
    sync, async_ = result["sync"], result["async"]
    assert sync["created"] is True and async_["created"] is True
    assert sync["read_plan_id"] == sync["plan_id"] and sync["read_generated_by"] == "packaging-sync"
    assert async_["read_plan_id"] == async_["plan_id"] and async_["read_generated_by"] == "packaging-async"
    assert sync["plan_id"] != async_["plan_id"]
    assert sync["failed_execution_count"] == 1 and async_["failed_execution_count"] == 2
    assert sync["error"]["code"] == "INVALID_ARGUMENT"
    assert "retry_execution.executed_at" in sync["error"]["fields"]


def test_server_wheel_in_a_clean_venv_runs_its_command_migrates_and_serves(
    dist: Path, tmp_path: Path
) -> None:
    bin_dir = clean_venv(tmp_path / "venv")
    run(
        [
            str(bin_dir / "pip"),
            "install",
            "--quiet",
            "--find-links",
            str(dist),
            # The tested dependency set (faster resolution); the wheels' own floors still apply.
            "--constraint",
            str(REPO_ROOT / "requirements.lock"),
            str(artifact(dist, "cavra_recovery-*.whl")),
        ]
    )
    assert "No broken requirements found." in run([str(bin_dir / "pip"), "check"])
    helped = run([str(bin_dir / "cavra-recovery"), "--help"], cwd=tmp_path)
    assert "serve" in helped and "migrate" in helped
    assert_not_importable(bin_dir / "python", "server", "connectors")
    database = tmp_path / "wheel.db"
    run([str(bin_dir / "cavra-recovery"), "migrate", "--database-url", f"sqlite:///{database}"], cwd=tmp_path)
    tables = run(
        [
            str(bin_dir / "python"),
            "-I",
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            "print(sorted(r[0] for r in c.execute(\"select name from sqlite_master where type='table'\")))",
            str(database),
        ]
    )
    assert "alembic_version" in tables and "retry_executions" in tables, tables

    # Served from the wheel: gRPC (the SDK from the repository reads the dashboard) and the gateway's
    # /openapi.json, which ships as package data (cavra_recovery.openapi).
    http_address = f"127.0.0.1:{free_port()}"
    command = [str(bin_dir / "cavra-recovery"), "serve", "--grpc-listen", "127.0.0.1:0"]
    command += ["--http-listen", http_address, "--database-url", f"sqlite:///{database}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        found: dict[str, str] = {}
        lines = []
        while len(found) < 2:
            line = process.stderr.readline()
            assert line, "the wheel's server exited:\n" + "".join(lines)
            lines.append(line)
            if match := READY_PATTERN.search(line):
                found[match.group(1)] = match.group(2)
        with urllib.request.urlopen(f"http://{found['http']}/openapi.json", timeout=10) as response:
            document = json.load(response)
        assert document["swagger"] == "2.0" and document["info"]["version"] == VERSION
        with RecoveryClient(found["grpc"], plaintext=True) as client:
            dashboard = client.get_rollback_drill_dashboard()
        assert dashboard.service_version == VERSION and dashboard.contract == "cavra.recovery.v1"
    finally:
        process.terminate()
        process.wait(20)
        if process.stderr is not None:
            process.stderr.close()
