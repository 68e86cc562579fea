"""docs/grpcurl.md works as written: every grpcurl command in it runs, in order, against a real server.

Each ```sh block holds one command; a `# exit status N` comment above it documents an expected failure.
Only the address (127.0.0.1:50051) is substituted. Variables a command assigns (PLAN_ID=$(… | jq …))
carry over to the next commands, as in the reader's shell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cavra.recovery.v1 import escalation_pb2, evidence_pb2, report_pb2
from tests.clients.grpcurl_tool import grpcurl_binary
from tests.conftest import REPO_ROOT, ServerProcess, in_ci

DOC = REPO_ROOT / "docs" / "grpcurl.md"
DOC_ADDRESS = "127.0.0.1:50051"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECTED_EXIT = re.compile(r"^#\s*exit status (\d+)", re.MULTILINE)
ASSIGNMENT = re.compile(r"^([A-Z_][A-Z0-9_]*)=\$\(")


@dataclass(frozen=True)
class DocCommand:
    text: str
    expected_exit: int

    @property
    def assigns(self) -> str | None:
        match = ASSIGNMENT.match(self.text)
        return match.group(1) if match else None


def fenced_blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC.read_text()) if lang == language]


def doc_commands() -> list[DocCommand]:
    commands = []
    for block in fenced_blocks("sh"):
        expected = EXPECTED_EXIT.search(block)
        text = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("#")).strip()
        commands.append(DocCommand(text=text, expected_exit=int(expected.group(1)) if expected else 0))
    return commands


def test_grpcurl_doc_invokes_every_rpc() -> None:
    documented = " ".join(command.text for command in doc_commands())
    for file in (evidence_pb2.DESCRIPTOR, escalation_pb2.DESCRIPTOR, report_pb2.DESCRIPTOR):
        for service in file.services_by_name.values():
            for method in service.methods:
                assert f"{service.full_name}/{method.name}" in documented, (
                    f"{method.name} is not in {DOC.name}"
                )
    assert "list" in documented and "describe" in documented


def test_grpcurl_doc_commands_work_as_written(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    grpcurl = grpcurl_binary()
    if shutil.which("jq") is None:
        if in_ci():
            pytest.fail("CI=true but jq is not installed: docs/grpcurl.md uses it")
        pytest.skip("jq is not installed")
    [connectors_yaml] = fenced_blocks("yaml")
    (tmp_path / "connectors.yaml").write_text(connectors_yaml)
    [run_line] = fenced_blocks("shell")
    env = dict(re.findall(r"\b([A-Z_]+_SECRET)=(\S+)", run_line))
    assert "CAVRA_CONNECTORS=var/connectors.yaml" in run_line and env
    server = server_factory(
        database_url=sqlite_url,
        extra_args=["--connectors", str(tmp_path / "connectors.yaml")],
        env=env,
        http=False,
    )

    commands = doc_commands()
    rc_dir = tmp_path / "exit-status"
    rc_dir.mkdir()
    script = ["set -u -o pipefail"]
    for index, command in enumerate(commands):
        script.append(f"echo '=== command {index}' | tee /dev/stderr")
        script.append(command.text.replace(DOC_ADDRESS, server.grpc_address))
        script.append("status=$?")
        if command.assigns:
            # A command that captures an id must capture a real one, not jq's "null".
            name = command.assigns
            script.append(f'if [ "${{{name}:-null}}" = null ] && [ $status -eq 0 ]; then status=99; fi')
        script.append(f"echo $status > {rc_dir}/{index}")
    finished = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env={"PATH": f"{grpcurl.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    statuses = [int((rc_dir / str(index)).read_text()) for index in range(len(commands))]
    failures = [
        f"command {index} exited {status}, documented {command.expected_exit}:\n{command.text}"
        for index, (command, status) in enumerate(zip(commands, statuses, strict=True))
        if status != command.expected_exit
    ]
    assert not failures, "\n\n".join(failures) + f"\n\nstdout:\n{finished.stdout}\nstderr:\n{finished.stderr}"
    assert "retry_execution.executed_at" in finished.stderr  # the documented INVALID_ARGUMENT example
