"""Locating the real grpcurl binary the Makefile installs (`go install` into .tools/bin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, in_ci


def grpcurl_binary() -> Path:
    """$CAVRA_TOOLS_BIN/grpcurl, else the repository's .tools/bin/grpcurl; missing fails under CI."""
    tools = os.environ.get("CAVRA_TOOLS_BIN")
    binary = Path(tools) / "grpcurl" if tools else REPO_ROOT / ".tools" / "bin" / "grpcurl"
    if not binary.is_file():
        if in_ci():
            pytest.fail(f"CI=true but grpcurl is not installed at {binary} (run `make tools`)")
        pytest.skip(f"grpcurl is not installed at {binary} (run `make tools`)")
    return binary
