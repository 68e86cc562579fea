"""The curl examples of docs/gateway.md run as written (only the address differs) against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT, ServerProcess, in_ci

DOC = REPO_ROOT / "docs" / "gateway.md"
BLOCKS = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)


def run(block: str, server: ServerProcess) -> subprocess.CompletedProcess[str]:
    script = block.replace("http://127.0.0.1:8080", f"http://{server.http_address}")
    return subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=60)


def require_curl() -> None:
    """Skip without curl locally; under CI=true a missing curl fails, so the examples are always run."""
    if shutil.which("curl") is None:
        if in_ci():
            pytest.fail("CI=true but curl is not installed: the documented curl examples must run")
        pytest.skip("curl is not installed")


def test_curl_examples_work_as_written(server: ServerProcess) -> None:
    require_curl()
    assert len(BLOCKS) == 3
    for block in BLOCKS[:2]:
        result = run(block, server)
        assert result.returncode == 0, (block, result.stdout, result.stderr)
    statuses = re.findall(r"HTTP (\d{3})", run(BLOCKS[2], server).stdout)
    expected = re.findall(r"# (\d{3})", BLOCKS[2])
    assert statuses == expected == ["404", "400", "400", "405", "504"]
