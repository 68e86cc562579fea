"""Escalation policies end to end: a real server (tick 1 s) and two real local HTTP receivers, one per
level; level 1 times out after a few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    evidence_pb2,
    policy_pb2,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import (
    Clients,
    LocalReceiver,
    clients,
    deliver,
    delivery_env,
    local_receivers,
    seed_open_recovery,
    timestamp,
    webhook_receiver,
)

LEVEL_ONE_TIMEOUT_SECONDS = 3
PLAYBOOK = "pb-delivery-1"


def write_policy_connectors(
    directory: Path,
    level_one: LocalReceiver,
    level_two: LocalReceiver,
    *,
    level_two_timeout: str = "1h",
    repeat: int = 0,
) -> Path:
    path = directory / "connectors.yaml"
    document = {
        "receivers": [
            webhook_receiver("level-one", level_one.url),
            webhook_receiver("level-two", level_two.url),
        ],
        "escalation_policies": [
            {
                "name": "release-critical",
                "levels": [
                    {"receivers": ["level-one"], "ack_timeout": f"{LEVEL_ONE_TIMEOUT_SECONDS}s"},
                    {"receivers": ["level-two"], "ack_timeout": level_two_timeout},
                ],
                "repeat": repeat,
            }
        ],
        "routing": {
            "default": "level-one",
            "rules": [{"match": {"severity": "critical"}, "policy": "release-critical"}],
        },
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def start_policy_server(
    server_factory: Callable[..., ServerProcess], database_url: str, connectors: Path
) -> ServerProcess:
    return server_factory(
        database_url=database_url,
        extra_args=["--connectors", str(connectors)],
        env=delivery_env(CAVRA_ESCALATION_TICK_SECONDS="1"),
        http=False,
    )


@pytest.fixture
def receivers() -> Iterator[tuple[LocalReceiver, LocalReceiver]]:
    with local_receivers(LocalReceiver(), LocalReceiver()) as (one, two):
        yield one, two


def wait_until(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def escalation_state(api: Clients, plan_id: str) -> Any:
    return api.escalation.GetRecoveryEscalationState(
        policy_pb2.GetRecoveryEscalationStateRequest(plan_id=plan_id), timeout=10
    )


def test_an_unacknowledged_plan_reaches_level_two_after_the_timeout_and_not_before(
    server_factory: Callable[..., ServerProcess],
    sqlite_url: str,
    tmp_path: Path,
    receivers: tuple[LocalReceiver, LocalReceiver],
) -> None:
    one, two = receivers
    server = start_policy_server(server_factory, sqlite_url, write_policy_connectors(tmp_path, one, two))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        started = time.monotonic()
        response = deliver(api)
        assert [result.receiver for result in response.results] == ["level-one"]
        assert wait_until(lambda: len(one.requests) == 1, 10)
        time.sleep(LEVEL_ONE_TIMEOUT_SECONDS - 1)
        assert two.requests == [], "level 2 was notified before level 1's timeout"
        assert wait_until(lambda: len(two.requests) == 1, 10)
        assert time.monotonic() - started >= LEVEL_ONE_TIMEOUT_SECONDS
        (route,) = escalation_state(api, response.plan.plan_id).routes
        board = report_pb2_grpc.ReportServiceStub(api.channel).GetRollbackDrillDashboard(
            report_pb2.GetRollbackDrillDashboardRequest(), timeout=10
        )
    assert (route.policy, route.status, route.current_level) == ("release-critical", "active", 2)
    assert [(step.level, step.reason) for step in route.steps] == [
        (1, "level 1: escalation started by the delivery"),
        (2, "level 2: no acknowledgement within 3s of level 1"),
    ]
    assert all(step.delivery_evidence_id for step in route.steps)
    assert route.HasField("next_step_at") and not route.acknowledged and not route.silenced
    assert route.dedup_key in two.requests[0].body.decode()
    assert board.escalations_advanced == 1
    assert len(one.requests) == 1


def test_an_acknowledgement_within_the_timeout_stops_the_escalation(
    server_factory: Callable[..., ServerProcess],
    sqlite_url: str,
    tmp_path: Path,
    receivers: tuple[LocalReceiver, LocalReceiver],
) -> None:
    one, two = receivers
    server = start_policy_server(server_factory, sqlite_url, write_policy_connectors(tmp_path, one, two))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        plan_id = deliver(api).plan.plan_id
        api.escalation.AcknowledgeRecoveryEscalation(
            escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                plan_id=plan_id,
                provider="slack",
                state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                acknowledged_by="release-manager",
            ),
            timeout=10,
        )
        time.sleep(LEVEL_ONE_TIMEOUT_SECONDS + 2)
        (route,) = escalation_state(api, plan_id).routes
    assert two.requests == []
    assert (route.status, route.acknowledged, len(route.steps)) == ("acknowledged", True, 1)
    assert not route.HasField("next_step_at")


def test_a_resolving_closure_stops_the_escalation(
    server_factory: Callable[..., ServerProcess],
    sqlite_url: str,
    tmp_path: Path,
    receivers: tuple[LocalReceiver, LocalReceiver],
) -> None:
    one, two = receivers
    server = start_policy_server(server_factory, sqlite_url, write_policy_connectors(tmp_path, one, two))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        plan_id = deliver(api).plan.plan_id
        api.evidence.RecordRecoveryClosure(
            evidence_pb2.RecordRecoveryClosureRequest(
                playbook_id=PLAYBOOK,
                closure=evidence_pb2.RecoveryClosure(
                    closure_id="closure-resolves",
                    playbook_id=PLAYBOOK,
                    provider="slack",
                    closure_state=common_pb2.CLOSURE_STATE_RESOLVED,
                    closed_at=timestamp(datetime.now(UTC)),
                    closed_by="sre",
                ),
            ),
            timeout=10,
        )
        time.sleep(LEVEL_ONE_TIMEOUT_SECONDS + 2)
        (route,) = escalation_state(api, plan_id).routes
    assert two.requests == []
    assert (route.status, route.resolved, route.stop_reason) == (
        "resolved",
        True,
        "stopped: the recovery was closed",
    )


def test_an_active_silence_answers_silenced_for_the_route_and_sends_nothing(
    server_factory: Callable[..., ServerProcess],
    sqlite_url: str,
    tmp_path: Path,
    receivers: tuple[LocalReceiver, LocalReceiver],
) -> None:
    one, two = receivers
    server = start_policy_server(server_factory, sqlite_url, write_policy_connectors(tmp_path, one, two))
    with clients(server.grpc_address) as api:
        seed_open_recovery(api)
        created = api.escalation.CreateRecoveryEscalationSilence(
            policy_pb2.CreateRecoveryEscalationSilenceRequest(
                provider="slack",
                ends_at=timestamp(datetime.now(UTC) + timedelta(hours=1)),
                comment="planned Slack maintenance",
                created_by="release-manager",
            ),
            timeout=10,
        ).silence
        response = deliver(api)
        (result,) = response.results
        time.sleep(LEVEL_ONE_TIMEOUT_SECONDS + 2)
        (route,) = escalation_state(api, response.plan.plan_id).routes
        listed = api.escalation.ListRecoveryEscalationSilences(
            policy_pb2.ListRecoveryEscalationSilencesRequest(active_only=True), timeout=10
        )
        expired = api.escalation.ExpireRecoveryEscalationSilence(
            policy_pb2.ExpireRecoveryEscalationSilenceRequest(silence_id=created.silence_id), timeout=10
        ).silence
        after = api.escalation.ListRecoveryEscalationSilences(
            policy_pb2.ListRecoveryEscalationSilencesRequest(), timeout=10
        )
    assert (result.state, result.suppressed_by, result.success) == (
        common_pb2.DELIVERY_STATE_SILENCED,
        created.silence_id,
        True,
    )
    assert one.requests == [] and two.requests == []
    assert (route.silenced, route.silence_id) == (True, created.silence_id)
    # The chain kept its timing: level 2 was due and recorded SILENCED too, never sent.
    assert [step.outcome for step in route.steps] == [common_pb2.DELIVERY_STATE_SILENCED] * 2
    assert [silence.silence_id for silence in listed.silences] == [created.silence_id]
    assert expired.HasField("expired_at") and not expired.active
    assert [(s.silence_id, s.active) for s in after.silences] == [(created.silence_id, False)]
