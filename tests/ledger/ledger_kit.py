"""Ledger test kit: a realistic sequence over the real server, the CLI as a subprocess, and an
independent RFC 9162 verifier (written from the RFC, sharing no code with server/domain/merkle.py)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cavra.recovery.v1 import common_pb2, escalation_pb2, evidence_pb2, report_pb2, report_pb2_grpc
from tests.conftest import REPO_ROOT, VENV_BIN
from tests.delivery.delivery_kit import (
    DeliveryServerFactory,
    LocalReceiver,
    Reply,
    clients,
    deliver,
    local_receivers,
    seed_open_recovery,
    timestamp,
    wait_for_delivery,
    webhook_receiver,
)

CLI = str(VENV_BIN / "cavra-recovery")


def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *arguments], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, check=False
    )


def realistic_sequence(delivery_server: DeliveryServerFactory, database_url: str) -> dict[str, str]:
    """Intake, plan, a delivery that fails once then succeeds, an acknowledgement, an executive report and
    a schedule run, a retry execution and a closure; returns the ids the tamper tests touch."""
    webhook = LocalReceiver([Reply(status=503)])
    with local_receivers(webhook):
        server = delivery_server(database_url, webhook_receiver("ops", webhook.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api, providers=("slack", "jira"))
            api.evidence.RecordRetryExecution(
                evidence_pb2.RecordRetryExecutionRequest(
                    retry_execution=evidence_pb2.RetryExecution(
                        execution_id="exec-1",
                        provider="slack",
                        execution_status=common_pb2.EXECUTION_STATUS_FAILED,
                        executed_at=timestamp(datetime.now(UTC) - timedelta(hours=1)),
                    )
                ),
                timeout=10,
            )
            api.evidence.RecordRecoveryClosure(
                evidence_pb2.RecordRecoveryClosureRequest(
                    playbook_id="pb-delivery-1",
                    closure=evidence_pb2.RecoveryClosure(
                        closure_id="closure-1",
                        playbook_id="pb-delivery-1",
                        provider="jira",
                        closure_state=common_pb2.CLOSURE_STATE_RESOLVED,
                        closed_at=timestamp(datetime.now(UTC) - timedelta(minutes=5)),
                        closed_by="sre",
                    ),
                ),
                timeout=10,
            )
            response = deliver(api, retries=2)
            (result,) = response.results
            delivered = wait_for_delivery(api, result.delivery_id)
            assert delivered.state == common_pb2.DELIVERY_STATE_DELIVERED
            api.escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=response.plan.plan_id,
                    provider="slack",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                    acknowledged_by="release-manager",
                    request_id="ack-1",
                ),
                timeout=10,
            )
            reports = report_pb2_grpc.ReportServiceStub(api.channel)
            reports.GetRecoveryExecutiveReport(report_pb2.GetRecoveryExecutiveReportRequest(), timeout=10)
            reports.RunExecutiveReportSchedule(report_pb2.RunExecutiveReportScheduleRequest(), timeout=10)
        server.stop()
    assert len(webhook.requests) == 2, "the delivery was retried once"
    return {"plan_id": response.plan.plan_id, "delivery_id": result.delivery_id}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Rfc9162Verifier:
    """RFC 9162 §2.1.3.2 and §2.1.4.2, transcribed step by step."""

    @staticmethod
    def leaf(data: bytes) -> bytes:
        return sha256(b"\x00" + data)

    @staticmethod
    def node(left: bytes, right: bytes) -> bytes:
        return sha256(b"\x01" + left + right)

    def inclusion(
        self, leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes], root: bytes
    ) -> bool:
        if leaf_index >= tree_size:
            return False
        fn, sn, r = leaf_index, tree_size - 1, leaf_hash
        for p in path:
            if sn == 0:
                return False
            if fn % 2 == 1 or fn == sn:
                r = self.node(p, r)
                if fn % 2 == 0:
                    while fn % 2 == 0 and fn != 0:
                        fn >>= 1
                        sn >>= 1
            else:
                r = self.node(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root

    def consistency(
        self, first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        if first == second:
            return not proof and first_hash == second_hash
        if first == 0 or first > second or not proof:
            return False
        path = list(proof)
        if first & (first - 1) == 0:  # a power of two: prepend first_hash
            path.insert(0, first_hash)
        fn, sn = first - 1, second - 1
        while fn % 2 == 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn % 2 == 1 or fn == sn:
                fr = self.node(c, fr)
                sr = self.node(c, sr)
                if fn % 2 == 0:
                    while fn % 2 == 0 and fn != 0:
                        fn >>= 1
                        sn >>= 1
            else:
                sr = self.node(sr, c)
            fn >>= 1
            sn >>= 1
        return fr == first_hash and sr == second_hash and sn == 0

    def root(self, leaves: Sequence[bytes]) -> bytes:
        """MTH of RFC 9162 §2.1.1, recursively (leaves already hashed)."""
        if not leaves:
            return sha256(b"")
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return self.node(self.root(leaves[:k]), self.root(leaves[k:]))
