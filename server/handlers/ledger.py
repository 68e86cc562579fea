"""LedgerService: checkpoints and proofs of the evidence ledger, for auditors (docs/ledger.md)."""

from __future__ import annotations

from typing import Any

import grpc

from cavra.recovery.v1 import ledger_pb2, ledger_pb2_grpc
from cavra_recovery.server.handlers.timestamps import to_timestamp
from cavra_recovery.server.operations import ledger
from cavra_recovery.server.services import ServiceDependencies
from cavra_recovery.server.storage.ledger.checkpoints import Checkpoint

Context = grpc.aio.ServicerContext[Any, Any]


def checkpoint_to_proto(checkpoint: Checkpoint) -> ledger_pb2.LedgerCheckpoint:
    return ledger_pb2.LedgerCheckpoint(
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash,
        previous_hash=checkpoint.previous_hash,
        checkpoint_hash=checkpoint.checkpoint_hash,
        created_at=to_timestamp(checkpoint.created_at),
        note=checkpoint.note,
        key_id=checkpoint.key_id,
    )


class LedgerHandler(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies

    async def GetLedgerCheckpoint(
        self, request: ledger_pb2.GetLedgerCheckpointRequest, context: Context
    ) -> ledger_pb2.GetLedgerCheckpointResponse:
        checkpoint = await self._deps.database.read(
            lambda connection: ledger.get_checkpoint(connection, tree_size=request.tree_size)
        )
        return ledger_pb2.GetLedgerCheckpointResponse(checkpoint=checkpoint_to_proto(checkpoint))

    async def GetLedgerInclusionProof(
        self, request: ledger_pb2.GetLedgerInclusionProofRequest, context: Context
    ) -> ledger_pb2.GetLedgerInclusionProofResponse:
        proof = await self._deps.database.read(
            lambda connection: ledger.inclusion_proof(
                connection, kind=request.kind, record_id=request.record_id, tree_size=request.tree_size
            )
        )
        return ledger_pb2.GetLedgerInclusionProofResponse(
            kind=proof.kind,
            record_id=proof.record_id,
            digest=proof.digest,
            seq=proof.seq,
            leaf_index=proof.leaf_index,
            leaf_hash=proof.leaf_hash,
            audit_path=proof.audit_path,
            checkpoint=checkpoint_to_proto(proof.checkpoint),
        )

    async def GetLedgerConsistencyProof(
        self, request: ledger_pb2.GetLedgerConsistencyProofRequest, context: Context
    ) -> ledger_pb2.GetLedgerConsistencyProofResponse:
        older, newer, proof = await self._deps.database.read(
            lambda connection: ledger.consistency_proof(
                connection, from_size=request.from_size, to_size=request.to_size
            )
        )
        return ledger_pb2.GetLedgerConsistencyProofResponse(
            from_checkpoint=checkpoint_to_proto(older), to_checkpoint=checkpoint_to_proto(newer), proof=proof
        )
