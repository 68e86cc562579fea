"""The ErrorInfo reasons are one closed set: `server/domain/reasons.py` spells each one, docs/errors.md
documents exactly that set, and nothing else in server/ spells a reason as a string literal."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grpc

from cavra_recovery.server.domain.reasons import Reason, Resource
from tests.conftest import REPO_ROOT

SERVER = REPO_ROOT / "server"
REASONS_MODULE = SERVER / "domain" / "reasons.py"
DOCUMENTED_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([A-Z_]+) \|", re.MULTILINE)
CODE_NAMES = {code.name for code in grpc.StatusCode}


def documented() -> dict[str, str]:
    """Reason → gRPC code name, from the tables of docs/errors.md."""
    rows = DOCUMENTED_ROW.findall((REPO_ROOT / "docs" / "errors.md").read_text(encoding="utf-8"))
    table = dict(rows)
    assert len(table) == len(rows), "a reason is documented twice"
    return table


def server_sources() -> list[Path]:
    return [path for path in sorted(SERVER.rglob("*.py")) if path != REASONS_MODULE]


def test_every_reason_is_documented_and_every_documented_reason_exists() -> None:
    table = documented()
    assert set(table) == {reason.value for reason in Reason}


def test_each_documented_code_is_a_grpc_code_and_not_found_reasons_go_with_not_found() -> None:
    for reason, code in documented().items():
        assert code in CODE_NAMES, f"{reason}: {code}"
        assert (code == "NOT_FOUND") == reason.endswith("_NOT_FOUND"), f"{reason}: {code}"


def test_every_resource_has_its_not_found_reason_and_every_not_found_reason_a_resource() -> None:
    derived = {resource.not_found for resource in Resource}
    assert derived == {reason for reason in Reason if reason.endswith("_NOT_FOUND")}
    assert all(resource.not_found == f"{resource.name}_NOT_FOUND" for resource in Resource)


def test_no_reason_is_passed_as_a_string_literal_in_server() -> None:
    literal = re.compile(r"""\breason\s*=\s*[rRbBuUfF]*["']""")
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in server_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert not found, "use server.domain.reasons.Reason:\n" + "\n".join(found)


def test_no_reason_value_is_spelled_outside_the_reasons_module() -> None:
    # Values that are also gRPC code names (INTERNAL, …) are spelled elsewhere as codes, not reasons.
    values = {reason.value for reason in Reason} - CODE_NAMES
    found = []
    for path in server_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and node.value in values:
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.value}")
    assert not found, "use server.domain.reasons.Reason:\n" + "\n".join(found)
