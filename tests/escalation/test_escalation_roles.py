"""Who may call the escalation-policy RPCs with authentication on: the auditor and the viewer read the
escalation state and the silences; only an operator creates or expires a silence, attributed to its token."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import yaml

from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, policy_pb2
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import failure_of, timestamp

TOKENS = {
    "release-manager": ("operator", "op-token-5e1a"),
    "auditor": ("auditor", "au-token-77c0"),
    "exec": ("viewer", "vi-token-2b9d"),
}


def bearer(name: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {TOKENS[name][1]}")]


@pytest.fixture
def stub(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> Iterator[escalation_pb2_grpc.EscalationServiceStub]:
    config = tmp_path / "auth.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "tokens": [
                    {"name": name, "sha256": hashlib.sha256(token.encode()).hexdigest(), "roles": [role]}
                    for name, (role, token) in TOKENS.items()
                ]
            }
        )
    )
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--auth-config", str(config)])
    with grpc.insecure_channel(server.grpc_address) as channel:
        yield escalation_pb2_grpc.EscalationServiceStub(channel)


def test_auditor_and_viewer_read_state_and_silences_and_only_an_operator_creates_them(
    stub: escalation_pb2_grpc.EscalationServiceStub,
) -> None:
    plan = stub.CreateRecoveryEscalationPlan(
        escalation_pb2.CreateRecoveryEscalationPlanRequest(), metadata=bearer("release-manager"), timeout=10
    ).plan
    create = policy_pb2.CreateRecoveryEscalationSilenceRequest(
        provider="slack", ends_at=timestamp(datetime.now(UTC) + timedelta(hours=1))
    )
    for reader in ("auditor", "exec"):
        state = stub.GetRecoveryEscalationState(
            policy_pb2.GetRecoveryEscalationStateRequest(plan_id=plan.plan_id),
            metadata=bearer(reader),
            timeout=10,
        )
        assert state.plan_id == plan.plan_id
        stub.ListRecoveryEscalationSilences(
            policy_pb2.ListRecoveryEscalationSilencesRequest(), metadata=bearer(reader), timeout=10
        )
        refused = failure_of(
            lambda reader=reader: stub.CreateRecoveryEscalationSilence(
                create, metadata=bearer(reader), timeout=10
            )
        )
        assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    silence = stub.CreateRecoveryEscalationSilence(
        create, metadata=bearer("release-manager"), timeout=10
    ).silence
    expired = stub.ExpireRecoveryEscalationSilence(
        policy_pb2.ExpireRecoveryEscalationSilenceRequest(silence_id=silence.silence_id),
        metadata=bearer("release-manager"),
        timeout=10,
    ).silence
    assert (silence.created_by, expired.expired_by) == ("release-manager", "release-manager")
