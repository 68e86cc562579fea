"""The contract's version is visible: GetRollbackDrillDashboard reports the package version (the same as
the OpenAPI document's info.version and pyproject.toml), the proto package, and the server build."""

from __future__ import annotations

import json
import platform
import tomllib
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from cavra.recovery.v1 import report_pb2, report_pb2_grpc
from tests.conftest import REPO_ROOT, ServerProcess, start_server_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("version") / "cavra.db"
    process = start_server_process(database_url=f"sqlite:///{database}")
    yield process
    process.stop()


def test_dashboard_reports_package_version_contract_and_build(server: ServerProcess) -> None:
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    with grpc.insecure_channel(server.grpc_address) as channel:
        dashboard = report_pb2_grpc.ReportServiceStub(channel).GetRollbackDrillDashboard(
            report_pb2.GetRollbackDrillDashboardRequest(), timeout=30
        )
    assert dashboard.service_version == version
    assert dashboard.contract == "cavra.recovery.v1"
    assert dashboard.server_build.startswith(f"cavra-recovery {version}; Python {platform.python_version()}")
    document = json.loads(Path(REPO_ROOT / "generated/openapi/recovery.swagger.json").read_text())
    assert document["info"]["version"] == version
    served = httpx.get(f"http://{server.http_address}/openapi.json", timeout=30).json()
    assert served["info"]["version"] == dashboard.service_version
