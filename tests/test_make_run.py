"""`make run` (the README's first command) migrates SQLite and serves gRPC + HTTP; grpcurl sees the API."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.conftest import READY_PATTERN, REPO_ROOT, free_port

TOOLS_BIN = Path(os.environ.get("CAVRA_TOOLS_BIN", REPO_ROOT / ".tools" / "bin"))


def test_make_run_serves_every_service_health_and_reflection(tmp_path: Path) -> None:
    grpc_address, http_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAVRA_", "MAKE"))}
    env.update(
        CAVRA_GRPC_LISTEN=grpc_address,
        CAVRA_HTTP_LISTEN=http_address,
        CAVRA_DATABASE_URL=f"sqlite:///{tmp_path / 'make-run.db'}",
    )
    process = subprocess.Popen(
        ["make", "-s", "run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    seen: dict[str, str] = {}
    try:
        while len(seen) < 2:
            line = process.stderr.readline()
            assert line, "make run exited before listening"
            if match := READY_PATTERN.search(line):
                seen[match.group(1)] = match.group(2)
        assert seen == {"grpc": grpc_address, "http": http_address}

        listed = subprocess.run(
            [str(TOOLS_BIN / "grpcurl"), "-plaintext", grpc_address, "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        assert set(listed) == {
            "cavra.recovery.v1.EvidenceService",
            "cavra.recovery.v1.EscalationService",
            "cavra.recovery.v1.ReportService",
            "cavra.recovery.v1.LedgerService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        }
        health = subprocess.run(
            [str(TOOLS_BIN / "grpcurl"), "-plaintext", grpc_address, "grpc.health.v1.Health/Check"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert '"status": "SERVING"' in health
        assert (tmp_path / "make-run.db").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        process.stderr.close()
