"""LedgerService is for the auditor role: a viewer or operator token is denied, an auditor's is served."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import grpc

from cavra.recovery.v1 import ledger_pb2, ledger_pb2_grpc
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import failure_of
from tests.ledger.ledger_kit import cli

AUDITOR_TOKEN = "auditor-canary-0b9e44"
OPERATOR_TOKEN = "operator-canary-7d21c3"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_only_the_auditor_role_reads_ledger_checkpoints(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "auth.yaml"
    config.write_text(
        "tokens:\n"
        f"  - {{name: auditor, sha256: {_sha(AUDITOR_TOKEN)}, roles: [auditor]}}\n"
        f"  - {{name: release-manager, sha256: {_sha(OPERATOR_TOKEN)}, roles: [operator, viewer]}}\n"
    )
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--auth-config", str(config)])
    request = ledger_pb2.GetLedgerCheckpointRequest()
    with grpc.insecure_channel(server.grpc_address) as channel:
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        denied = failure_of(
            lambda: ledger.GetLedgerCheckpoint(
                request, metadata=[("authorization", f"Bearer {OPERATOR_TOKEN}")], timeout=10
            )
        )
        assert (denied.code, denied.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
        not_sealed = failure_of(
            lambda: ledger.GetLedgerCheckpoint(
                request, metadata=[("authorization", f"Bearer {AUDITOR_TOKEN}")], timeout=10
            )
        )
        assert (not_sealed.code, not_sealed.reason) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "LEDGER_NOT_SEALED",
        )
        # The migration entered nothing; a record-less ledger has nothing to seal yet.
        assert "nothing to seal" in cli("ledger", "checkpoint", "--database-url", sqlite_url).stdout
