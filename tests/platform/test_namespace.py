"""Installed, server/ and connectors/ are `cavra_recovery.server` and `cavra_recovery.connectors`
(docs/packaging.md): no Python file in the repository may import them by the folder names, or the
same module would load twice under two names in the repository and fail to import once installed."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from tests.conftest import REPO_ROOT

OLD_NAMES = {"server", "connectors"}
SKIPPED = {".venv", ".tools", "generated", "third_party", "node_modules", ".git", "build", "dist"}


def python_files() -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(REPO_ROOT):
        subdirectories[:] = [name for name in subdirectories if name not in SKIPPED]
        found += [Path(directory, name) for name in files if name.endswith(".py")]
    return found


def old_style_imports(path: Path, root: Path = REPO_ROOT) -> list[str]:
    """`file:line module` for every absolute import of `server…` or `connectors…` in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        where = f"{path.relative_to(root)}:{node.lineno}"
        found += [f"{where} {name}" for name in names if name.split(".")[0] in OLD_NAMES]
    return found


def test_the_scan_sees_the_server_connectors_and_tests() -> None:
    scanned = {str(path.relative_to(REPO_ROOT)) for path in python_files()}
    assert {"server/cli.py", "connectors/__init__.py", "tests/conftest.py"} <= scanned


def test_no_module_imports_server_or_connectors_by_the_folder_names() -> None:
    offending = [line for path in python_files() for line in old_style_imports(path)]
    assert offending == [], f"import them as cavra_recovery.server / .connectors: {offending}"


def test_the_scan_catches_an_old_style_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from server.settings import Settings\nimport connectors\nfrom cavra_recovery.server import cli\n"
    )
    assert old_style_imports(sample, tmp_path) == ["sample.py:1 server.settings", "sample.py:2 connectors"]
