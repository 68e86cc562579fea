"""Escalation policy records enter the ledger too: each route's escalation, every step, every silence.

A real server with a policy (level 1 times out after 3 s, tick 1 s) reaches level 2 and a silence is
created and expired; `ledger verify` passes, then an edited step reason and an edited silence comment
are each named (SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from cavra.recovery.v1 import policy_pb2
from cavra_recovery.server.storage.database import normalize_database_url
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import (
    LocalReceiver,
    clients,
    deliver,
    local_receivers,
    seed_open_recovery,
    timestamp,
)
from tests.escalation.test_escalation_end_to_end import start_policy_server, write_policy_connectors
from tests.ledger.ledger_kit import cli


def _execute(url: str, statement: str, parameters: dict[str, object]) -> None:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), parameters)
    finally:
        engine.dispose()


def _verify(url: str) -> tuple[int, str]:
    result = cli("ledger", "verify", "--database-url", url)
    return result.returncode, result.stdout + result.stderr


def test_escalations_steps_and_silences_are_in_the_ledger(
    server_factory: Callable[..., ServerProcess], database_url: str, tmp_path: Path
) -> None:
    with local_receivers(LocalReceiver(), LocalReceiver()) as (one, two):
        server = start_policy_server(
            server_factory, database_url, write_policy_connectors(tmp_path, one, two)
        )
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            plan_id = deliver(api).plan.plan_id
            deadline = time.monotonic() + 20
            while not two.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert two.requests, "level 2 was never notified"
            silence = api.escalation.CreateRecoveryEscalationSilence(
                policy_pb2.CreateRecoveryEscalationSilenceRequest(
                    provider="jira",
                    ends_at=timestamp(datetime.now(UTC) + timedelta(hours=1)),
                    comment="change freeze",
                ),
                timeout=10,
            ).silence
            api.escalation.ExpireRecoveryEscalationSilence(
                policy_pb2.ExpireRecoveryEscalationSilenceRequest(silence_id=silence.silence_id), timeout=10
            )
        server.stop()

    sealed = cli("ledger", "checkpoint", "--database-url", database_url)
    assert sealed.returncode == 0, sealed.stderr
    code, output = _verify(database_url)
    assert code == 0, output

    _execute(
        database_url,
        "UPDATE escalation_steps SET reason = 'level 2: acknowledged' WHERE plan_id = :p AND step = 2",
        {"p": plan_id},
    )
    code, output = _verify(database_url)
    assert code != 0
    assert "kind=escalation_step" in output and plan_id in output, output
    _execute(
        database_url,
        "UPDATE escalation_steps SET reason = 'level 2: no acknowledgement within 3s of level 1' "
        "WHERE plan_id = :p AND step = 2",
        {"p": plan_id},
    )
    assert _verify(database_url)[0] == 0

    _execute(
        database_url,
        "UPDATE escalation_silences SET provider = 'slack' WHERE silence_id = :s",
        {"s": silence.silence_id},
    )
    code, output = _verify(database_url)
    assert code != 0
    assert f"kind=silence id={silence.silence_id}" in output, output
