"""A proto change that breaks the Go SDK's build fails `make test`.

The test copies the contract and the Makefile into a temporary tree, regenerates it with the Makefile's
own `generate` target and pinned tools, and builds clients/go against the result: unchanged protos build,
a renamed field the SDK uses does not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, in_ci

pytestmark = [pytest.mark.go, pytest.mark.slow]

# Copied so the temporary tree can run `make generate` exactly as the repository does.
TREE_FILES = [
    "Makefile",
    "buf.yaml",
    "buf.gen.yaml",
    "pyproject.toml",
    "requirements.lock",
    "clients/python/pyproject.toml",
    "openapi.yaml",
    "scripts/openapi_finish.py",
]
TREE_DIRS = ["proto", "generated", "clients/go"]


def go_command() -> str:
    go = shutil.which("go")
    if go is None:
        if in_ci():
            pytest.fail("CI=true but the go command is missing: the Go SDK contract check must run")
        pytest.skip("the go command is not installed")
    return go


def contract_tree(root: Path) -> Path:
    for name in TREE_FILES:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    for name in TREE_DIRS:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    # The virtualenv and the pinned Go tools are shared, not rebuilt.
    (root / ".venv").symlink_to(REPO_ROOT / ".venv")
    (root / ".tools").symlink_to(REPO_ROOT / ".tools")
    return root


def regenerate(root: Path) -> None:
    finished = subprocess.run(
        # -o: never reinstall the shared virtualenv from inside a test.
        ["make", "--no-print-directory", "-o", ".venv/bin/.installed", "generate"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def go_build(go: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    return subprocess.run(
        [go, "build", "./..."],
        cwd=root / "clients" / "go",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_renaming_a_field_the_go_sdk_uses_breaks_its_build(tmp_path: Path) -> None:
    go = go_command()
    root = contract_tree(tmp_path / "tree")

    regenerate(root)
    unchanged = go_build(go, root)
    assert unchanged.returncode == 0, f"the unchanged contract must build:\n{unchanged.stderr}"

    evidence = root / "proto" / "cavra" / "recovery" / "v1" / "evidence.proto"
    text = evidence.read_text()
    # RecoveryClosure.playbook_id (read by Client.RecordClosure) becomes playbook_ref.
    renamed = re.sub(
        r"(message RecoveryClosure \{.*?)string playbook_id = 2",
        r"\1string playbook_ref = 2",
        text,
        flags=re.DOTALL,
    )
    assert renamed != text
    evidence.write_text(renamed)
    regenerate(root)
    assert (
        "PlaybookRef"
        in (root / "generated" / "go" / "cavra" / "recovery" / "v1" / "evidence.pb.go").read_text()
    )

    broken = go_build(go, root)
    assert broken.returncode != 0, (
        "the Go SDK still builds against a contract without RecoveryClosure.playbook_id"
    )
    assert "GetPlaybookId" in broken.stderr
