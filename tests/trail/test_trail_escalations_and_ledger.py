"""The evidence trail shows every escalation-policy step with its reason, and each record's position in
the evidence ledger: sequence numbers at once, leaf indexes that GetLedgerInclusionProof confirms once a
checkpoint has sealed them (real server, tick 1 s, checkpoints every second; SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cavra.recovery.v1 import common_pb2, escalation_pb2, ledger_pb2, ledger_pb2_grpc, trail_pb2
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import (
    LocalReceiver,
    clients,
    deliver,
    delivery_env,
    local_receivers,
    seed_open_recovery,
)
from tests.escalation.test_escalation_end_to_end import write_policy_connectors


def _trail(api, plan_id: str) -> trail_pb2.RecoveryEvidenceTrail:  # type: ignore[no-untyped-def]
    return api.escalation.GetRecoveryEvidenceTrail(
        trail_pb2.GetRecoveryEvidenceTrailRequest(plan_id=plan_id), timeout=10
    ).trail


def test_trail_shows_escalation_steps_and_ledger_positions(
    server_factory: Callable[..., ServerProcess], database_url: str, tmp_path: Path
) -> None:
    with local_receivers(LocalReceiver(), LocalReceiver()) as (one, two):
        server = server_factory(
            database_url=database_url,
            extra_args=[
                "--connectors",
                str(write_policy_connectors(tmp_path, one, two)),
                "--ledger-checkpoint-seconds",
                "1",
            ],
            env=delivery_env(CAVRA_ESCALATION_TICK_SECONDS="1"),
            http=False,
        )
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            response = deliver(api)
            plan_id = response.plan.plan_id
            deadline = time.monotonic() + 20
            while not two.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert two.requests, "level 2 was never notified"
            api.escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan_id,
                    provider="slack",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                    acknowledged_by="sre",
                ),
                timeout=10,
            )
            trail = _trail(api, plan_id)
            assert [(s.step.level, s.step.reason) for s in trail.escalation_steps] == [
                (1, "level 1: escalation started by the delivery"),
                (2, "level 2: no acknowledgement within 3s of level 1"),
            ]
            assert {s.policy for s in trail.escalation_steps} == {"release-critical"}
            assert all(s.step.delivery_evidence_id for s in trail.escalation_steps)

            kinds = {entry.kind for entry in trail.ledger_entries}
            assert kinds >= {
                "slo_report",
                "escalation_plan",
                "delivery",
                "delivery_attempt",
                "acknowledgement",
                "escalation_step",
            }, kinds
            ids = {(entry.kind, entry.record_id) for entry in trail.ledger_entries}
            assert ("escalation_plan", plan_id) in ids
            assert all(entry.sequence > 0 for entry in trail.ledger_entries)
            assert len({entry.sequence for entry in trail.ledger_entries}) == len(trail.ledger_entries)

            # Sealed within a few checkpoint windows: each leaf index is the one the inclusion proof uses.
            deadline = time.monotonic() + 20
            while not all(entry.sealed for entry in trail.ledger_entries) and time.monotonic() < deadline:
                time.sleep(0.5)
                trail = _trail(api, plan_id)
            assert all(entry.sealed for entry in trail.ledger_entries)
            ledger = ledger_pb2_grpc.LedgerServiceStub(api.channel)
            for entry in trail.ledger_entries:
                proof = ledger.GetLedgerInclusionProof(
                    ledger_pb2.GetLedgerInclusionProofRequest(kind=entry.kind, record_id=entry.record_id),
                    timeout=10,
                )
                assert (proof.leaf_index, proof.seq) == (entry.leaf_index, entry.sequence)
