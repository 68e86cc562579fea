"""Two server replicas on one PostgreSQL database, each ticking every second: every level of every
route's chain is notified exactly once (the unique step claim), repeats included."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from cavra.recovery.v1 import policy_pb2
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import LocalReceiver, clients, deliver, local_receivers, seed_open_recovery
from tests.escalation.test_escalation_end_to_end import (
    start_policy_server,
    wait_until,
    write_policy_connectors,
)

PROVIDERS = ("slack", "teams", "jira")


@pytest.mark.postgres
def test_two_replicas_notify_each_level_once_per_plan_route(
    server_factory: Callable[..., ServerProcess], postgres_url: str, tmp_path: Path
) -> None:
    one, two = LocalReceiver(), LocalReceiver()
    with local_receivers(one, two):
        # Level 1 after 3 s, level 2 after 3 s, the chain once more: 4 steps per route.
        connectors = write_policy_connectors(tmp_path, one, two, level_two_timeout="3s", repeat=1)
        replicas = [start_policy_server(server_factory, postgres_url, connectors) for _ in range(2)]
        with clients(replicas[0].grpc_address) as api:
            seed_open_recovery(api, providers=PROVIDERS)
            response = deliver(api)
            keys = [route.dedup_key for route in response.plan.escalation_routes]
            assert len(keys) == len(PROVIDERS)
            # Level 1 (once, listing every route), then per route: level 2, level 1 again, level 2 again.
            assert wait_until(
                lambda: len(two.requests) >= 2 * len(keys) and len(one.requests) >= 1 + len(keys), 40
            )
            time.sleep(5)  # every chain is exhausted by now; nothing more may arrive
            state = api.escalation.GetRecoveryEscalationState(
                policy_pb2.GetRecoveryEscalationStateRequest(plan_id=response.plan.plan_id), timeout=10
            )
    assert len(one.requests) == 1 + len(keys)
    assert len(two.requests) == 2 * len(keys)
    first, *repeats = [request.body.decode() for request in one.requests]
    assert all(key in first for key in keys)
    per_key_one = Counter(key for body in repeats for key in keys if key in body)
    per_key_two = Counter(key for request in two.requests for key in keys if key in request.body.decode())
    assert per_key_one == dict.fromkeys(keys, 1)
    assert per_key_two == dict.fromkeys(keys, 2)
    for route in state.routes:
        assert [(step.level, step.cycle) for step in route.steps] == [(1, 0), (2, 0), (1, 1), (2, 1)]
        assert route.status == "exhausted"
    # Both replicas ran the scheduler.
    assert all("escalation scheduler started" in replica.log_text for replica in replicas)
