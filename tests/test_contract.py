"""The contract: protos lint clean, generated/ is what `make generate` produces, every RPC has a route."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

from google.api import annotations_pb2

from cavra.recovery.v1 import escalation_pb2, evidence_pb2, report_pb2
from tests.conftest import REPO_ROOT, VENV_BIN

# Hand-written files that live beside the generated code.
NOT_GENERATED = {
    "go/go.mod",
    "go/go.sum",
    "go-gateway/go.mod",
    "go-gateway/go.sum",
    # The cavra-recovery-proto distribution's build configuration (docs/packaging.md).
    "python/pyproject.toml",
}


def tree(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        # setuptools' metadata of the editable cavra-recovery-proto install (ignored by git).
        and not any(part.endswith(".egg-info") for part in path.parts)
    } - NOT_GENERATED


def test_buf_lint_passes() -> None:
    subprocess.run(["make", "-s", "third_party"], cwd=REPO_ROOT, check=True, capture_output=True)
    result = subprocess.run([str(VENV_BIN / "buf"), "lint"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def buf_breaking(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "buf"), "breaking", "proto", "--against", str(REPO_ROOT / "proto/released/v1.binpb")],
        cwd=root,
        capture_output=True,
        text=True,
    )


def test_buf_breaking_refuses_a_renamed_field_against_the_released_contract(tmp_path: Path) -> None:
    subprocess.run(["make", "-s", "third_party"], cwd=REPO_ROOT, check=True, capture_output=True)
    shutil.copytree(REPO_ROOT / "proto", tmp_path / "proto")
    shutil.copy2(REPO_ROOT / "buf.yaml", tmp_path / "buf.yaml")
    (tmp_path / "third_party").symlink_to(REPO_ROOT / "third_party")
    unchanged = buf_breaking(tmp_path)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    escalation = tmp_path / "proto/cavra/recovery/v1/escalation.proto"
    text = escalation.read_text()
    assert "  string plan_id = 1;\n" in text
    escalation.write_text(text.replace("  string plan_id = 1;\n", "  string plan_identifier = 1;\n", 1))
    renamed = buf_breaking(tmp_path)
    assert renamed.returncode != 0
    assert 'changed name from "plan_id" to "plan_identifier"' in renamed.stdout


def test_make_generate_reproduces_the_committed_generated_tree(tmp_path: Path) -> None:
    env = {**os.environ, "MAKEFLAGS": ""}
    result = subprocess.run(
        ["make", "-s", "generate", f"GEN_ROOT={tmp_path}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    committed, regenerated = REPO_ROOT / "generated", tmp_path / "generated"
    assert tree(regenerated) == tree(committed)
    differing = [
        name
        for name in sorted(tree(committed))
        if not filecmp.cmp(committed / name, regenerated / name, shallow=False)
    ]
    assert differing == [], f"generated/ is stale; run `make generate`: {differing}"


def test_every_rpc_has_an_http_rule_under_the_documented_prefix() -> None:
    prefix = "/runtime/go-pilot/rollback-drill-notifications/"
    for module in (evidence_pb2, escalation_pb2, report_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                rule = method.GetOptions().Extensions[annotations_pb2.http]
                path = getattr(rule, rule.WhichOneof("pattern"))
                assert path.startswith(prefix), method.full_name
