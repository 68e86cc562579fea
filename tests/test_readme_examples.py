"""The README's grpcurl and curl examples run as written against a real server (only the ports differ)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, ServerProcess, in_ci

README = (REPO_ROOT / "README.md").read_text()
TRY_IT = README.split("## Try it", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```sh\n(.*?)```", TRY_IT, flags=re.S)
TOOLS_BIN = Path(os.environ.get("CAVRA_TOOLS_BIN", REPO_ROOT / ".tools" / "bin"))


def require_curl() -> None:
    """Skip without curl locally; under CI=true a missing curl fails, so the examples are always run."""
    if shutil.which("curl") is None:
        if in_ci():
            pytest.fail("CI=true but curl is not installed: the documented curl examples must run")
        pytest.skip("curl is not installed")


def test_readme_examples_work_as_written(server: ServerProcess, tmp_path: Path) -> None:
    require_curl()
    assert server.http_address is not None
    assert len(BLOCKS) == 2, "the Try it section has one grpcurl and one curl block"
    env = {**os.environ, "PATH": f"{TOOLS_BIN}:{os.environ['PATH']}"}
    for block in BLOCKS:
        script = block.replace("127.0.0.1:50051", server.grpc_address).replace(
            "127.0.0.1:8080", server.http_address
        )
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 0, (block, result.stdout, result.stderr)
    assert "<svg" in (tmp_path / "report.html").read_text()
