"""Inclusion and consistency proofs from the real server's LedgerService verify with the test-local
RFC 9162 verifier; checkpoints sealed by the server's periodic task are chained and signed."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cavra.recovery.v1 import common_pb2, evidence_pb2, evidence_pb2_grpc, ledger_pb2, ledger_pb2_grpc
from cavra_recovery_client import RecoveryClient
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import failure_of, timestamp
from tests.ledger.ledger_kit import Rfc9162Verifier, cli


def _record_executions(evidence: evidence_pb2_grpc.EvidenceServiceStub, first: int, count: int) -> None:
    executed = datetime.now(UTC) - timedelta(hours=1)
    evidence.BatchRecordEvidence(
        evidence_pb2.BatchRecordEvidenceRequest(
            records=[
                evidence_pb2.EvidenceRecord(
                    retry_execution=evidence_pb2.RetryExecution(
                        execution_id=f"exec-{i}",
                        provider="slack",
                        execution_status=common_pb2.EXECUTION_STATUS_FAILED,
                        executed_at=timestamp(executed),
                    )
                )
                for i in range(first, first + count)
            ]
        ),
        timeout=30,
    )


def _wait_for_checkpoint(ledger: ledger_pb2_grpc.LedgerServiceStub, size: int) -> ledger_pb2.LedgerCheckpoint:
    deadline = time.monotonic() + 30
    while True:
        try:
            checkpoint = ledger.GetLedgerCheckpoint(
                ledger_pb2.GetLedgerCheckpointRequest(), timeout=5
            ).checkpoint
            if checkpoint.tree_size >= size:
                return checkpoint
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert time.monotonic() < deadline, f"no checkpoint of size {size}"
        time.sleep(0.2)


def _verify_signature(note: str, public_key_file: Path) -> bool:
    """C2SP signed note, checked with the raw Ed25519 key and no server code."""
    name, key_id_hex, key_b64 = public_key_file.read_text().strip().split("+", 2)
    body, _, signatures = note.partition("\n\n")
    dash, signer, blob_b64 = signatures.strip().split(" ")
    blob = base64.b64decode(blob_b64)
    assert dash == "\u2014" and signer == name and blob[:4].hex() == key_id_hex
    algorithm, public = base64.b64decode(key_b64)[:1], base64.b64decode(key_b64)[1:]
    assert algorithm == b"\x01"
    assert hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4] == blob[:4]
    Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], (body + "\n").encode())
    return True


def test_proofs_from_the_server_verify_with_an_independent_rfc9162_verifier(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "ledger.key"
    generated = cli("ledger", "keygen", "--out", str(key))
    assert generated.returncode == 0, generated.stderr
    public_key = Path(f"{key}.pub")
    server = server_factory(
        database_url=sqlite_url,
        extra_args=["--ledger-signing-key", str(key), "--ledger-checkpoint-seconds", "1"],
        http=False,
    )
    verifier = Rfc9162Verifier()
    with grpc.insecure_channel(server.grpc_address) as channel:
        evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        _record_executions(evidence, 0, 5)
        first = _wait_for_checkpoint(ledger, 5)
        _record_executions(evidence, 5, 8)
        second = _wait_for_checkpoint(ledger, 13)
        assert first.tree_size == 5 and second.tree_size == 13
        assert first.previous_hash == "0" * 64
        for checkpoint in (first, second):
            assert _verify_signature(checkpoint.note, public_key)
            assert hashlib.sha256(checkpoint.note.split("\n\n")[0].encode() + b"\n").hexdigest() == (
                checkpoint.checkpoint_hash
            )
        # Chained: the second names the first's hash.
        assert f"\nprevious {first.checkpoint_hash}\n" in second.note
        assert second.previous_hash == first.checkpoint_hash

        leaves = []
        for i in range(13):
            proof = ledger.GetLedgerInclusionProof(
                ledger_pb2.GetLedgerInclusionProofRequest(kind="retry_execution", record_id=f"exec-{i}"),
                timeout=10,
            )
            data = json.dumps(
                {
                    "digest": proof.digest,
                    "index": proof.leaf_index,
                    "key": proof.record_id,
                    "kind": proof.kind,
                    "seq": proof.seq,
                },
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
            leaf = verifier.leaf(data)
            assert leaf == proof.leaf_hash
            assert verifier.inclusion(
                proof.leaf_index, second.tree_size, leaf, list(proof.audit_path), second.root_hash
            ), f"exec-{i}"
            assert not verifier.inclusion(
                proof.leaf_index,
                second.tree_size,
                verifier.leaf(data + b" "),
                list(proof.audit_path),
                second.root_hash,
            )
            leaves.append((proof.leaf_index, leaf))
        assert verifier.root([leaf for _, leaf in sorted(leaves)]) == second.root_hash

        older = ledger.GetLedgerInclusionProof(
            ledger_pb2.GetLedgerInclusionProofRequest(
                kind="retry_execution", record_id="exec-2", tree_size=5
            ),
            timeout=10,
        )
        assert older.checkpoint.tree_size == 5
        assert verifier.inclusion(
            older.leaf_index, 5, older.leaf_hash, list(older.audit_path), first.root_hash
        )

        consistency = ledger.GetLedgerConsistencyProof(
            ledger_pb2.GetLedgerConsistencyProofRequest(from_size=5, to_size=13), timeout=10
        )
        assert verifier.consistency(5, 13, first.root_hash, second.root_hash, list(consistency.proof))
        assert not verifier.consistency(5, 13, second.root_hash, second.root_hash, list(consistency.proof))

        # The Python SDK reads the same checkpoint and proofs.
        with RecoveryClient(server.grpc_address, plaintext=True) as client:
            assert client.get_ledger_checkpoint() == second
            assert client.get_ledger_checkpoint(tree_size=5) == first
            sdk_proof = client.get_ledger_inclusion_proof(
                kind="retry_execution", record_id="exec-2", tree_size=5
            )
            assert sdk_proof == older
            assert list(client.get_ledger_consistency_proof(from_size=5).proof) == list(consistency.proof)

        bad_kind = failure_of(
            lambda: ledger.GetLedgerInclusionProof(
                ledger_pb2.GetLedgerInclusionProofRequest(kind="nonsense", record_id=""), timeout=10
            )
        )
        assert bad_kind.code == grpc.StatusCode.INVALID_ARGUMENT
        assert set(bad_kind.fields) == {"kind", "record_id"}
        missing = failure_of(
            lambda: ledger.GetLedgerCheckpoint(ledger_pb2.GetLedgerCheckpointRequest(tree_size=7), timeout=10)
        )
        assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "LEDGER_CHECKPOINT_NOT_FOUND")
        bad_range = failure_of(
            lambda: ledger.GetLedgerConsistencyProof(
                ledger_pb2.GetLedgerConsistencyProofRequest(from_size=13, to_size=5), timeout=10
            )
        )
        assert bad_range.code == grpc.StatusCode.INVALID_ARGUMENT and bad_range.fields == ("from_size",)


@pytest.mark.parametrize("old_size", [1, 2, 3, 4, 5, 7, 8, 9])
def test_consistency_proofs_verify_for_every_split(old_size: int) -> None:
    """The server's proof builder against the independent verifier, for sizes around powers of two."""
    from cavra_recovery.server.domain import merkle

    verifier = Rfc9162Verifier()
    leaves = [verifier.leaf(f"leaf {i}".encode()) for i in range(17)]
    for new_size in range(old_size, 18):
        proof = merkle.consistency_proof(old_size, leaves[:new_size])
        assert verifier.consistency(
            old_size, new_size, verifier.root(leaves[:old_size]), verifier.root(leaves[:new_size]), proof
        ), (old_size, new_size)
        for index in range(new_size):
            path = merkle.inclusion_proof(index, leaves[:new_size])
            assert verifier.inclusion(index, new_size, leaves[index], path, verifier.root(leaves[:new_size]))
