"""Forced serialization failures on PostgreSQL (issue 15, test 4): concurrent calls writing the same
request_id row, or the same evidence row, under SERIALIZABLE all answer OK with the same response,
because the server retries the losing transactions itself.

The database's own default isolation is SERIALIZABLE too, so the conflicts happen whatever the server
makes of CAVRA_DATABASE_ISOLATION; PostgreSQL's count of rolled-back transactions shows they did.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cavra.recovery.v1 import escalation_pb2, escalation_pb2_grpc, evidence_pb2, evidence_pb2_grpc
from cavra_recovery.server.storage.database import normalize_database_url
from tests.conftest import ServerProcess
from tests.faults.outage_kit import CallFailure, call_failure
from tests.platform.evidence_builders import playbook, retry_execution

pytestmark = pytest.mark.postgres

CONCURRENT_CALLS = 12
ROUNDS = 4
# PostgreSQL flushes an idle backend's statistics within 10 s.
STATS_FLUSH_SECONDS = 15.0


@pytest.fixture
def serializable_postgres(postgres_url: str) -> str:
    """A fresh database whose sessions default to SERIALIZABLE."""
    admin = create_engine(normalize_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = make_url(postgres_url).database
        connection.execute(
            text(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'serializable'")
        )
    admin.dispose()
    return postgres_url


@pytest.fixture
def serializable_server(
    serializable_postgres: str, server_factory: Callable[..., ServerProcess]
) -> Iterator[ServerProcess]:
    yield server_factory(
        database_url=serializable_postgres, http=False, env={"CAVRA_DATABASE_ISOLATION": "serializable"}
    )


def rolled_back_transactions(url: str) -> int:
    engine = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def wait_for_rollbacks(url: str, baseline: int) -> int:
    """Rolled-back transactions since `baseline`, once PostgreSQL's statistics show any (or after 15 s)."""
    deadline = time.monotonic() + STATS_FLUSH_SECONDS
    while (count := rolled_back_transactions(url) - baseline) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    return count


def all_at_once(address: str, call: Callable[[grpc.Channel], Any]) -> list[Any | CallFailure]:
    """`call` on CONCURRENT_CALLS ready channels released together; each result or CallFailure."""
    start = threading.Barrier(CONCURRENT_CALLS)

    def one() -> Any | CallFailure:
        with grpc.insecure_channel(address) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            start.wait(timeout=30)
            try:
                return call(channel)
            except grpc.RpcError as error:
                return call_failure(error)

    with ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
        return list(pool.map(lambda _: one(), range(CONCURRENT_CALLS)))


def test_concurrent_plans_with_one_request_id_all_answer_the_same_plan(
    serializable_server: ServerProcess, serializable_postgres: str
) -> None:
    with grpc.insecure_channel(serializable_server.grpc_address) as channel:
        evidence_pb2_grpc.EvidenceServiceStub(channel).RecordConnectorRecoveryPlaybook(
            evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=playbook()), timeout=10
        )
    baseline = rolled_back_transactions(serializable_postgres)
    rounds = []
    for _ in range(ROUNDS):
        request = escalation_pb2.CreateRecoveryEscalationPlanRequest(request_id=str(uuid.uuid4()))
        rounds.append(
            all_at_once(
                serializable_server.grpc_address,
                lambda channel, request=request: escalation_pb2_grpc.EscalationServiceStub(
                    channel
                ).CreateRecoveryEscalationPlan(request, timeout=30),
            )
        )

    failures = [result for results in rounds for result in results if isinstance(result, CallFailure)]
    assert failures == [], f"{len(failures)} of {ROUNDS * CONCURRENT_CALLS} calls failed: {set(failures)}"
    for results in rounds:
        assert all(result == results[0] for result in results), "one request_id answered different plans"
    assert len({results[0].plan.plan_id for results in rounds}) == ROUNDS
    assert wait_for_rollbacks(serializable_postgres, baseline) > 0, (
        "no transaction conflicted: nothing was forced"
    )


def test_concurrent_identical_intake_all_answer_ok_and_one_creates(
    serializable_server: ServerProcess, serializable_postgres: str
) -> None:
    baseline = rolled_back_transactions(serializable_postgres)
    rounds = []
    for index in range(ROUNDS):
        request = evidence_pb2.RecordRetryExecutionRequest(
            retry_execution=retry_execution(index, execution_id=f"exec-contended-{index}")
        )
        rounds.append(
            all_at_once(
                serializable_server.grpc_address,
                lambda channel, request=request: evidence_pb2_grpc.EvidenceServiceStub(
                    channel
                ).RecordRetryExecution(request, timeout=30),
            )
        )

    failures = [result for results in rounds for result in results if isinstance(result, CallFailure)]
    assert failures == [], f"{len(failures)} of {ROUNDS * CONCURRENT_CALLS} calls failed: {set(failures)}"
    for results in rounds:
        assert [result.created for result in results].count(True) == 1
        assert all(result.retry_execution == results[0].retry_execution for result in results)
    assert wait_for_rollbacks(serializable_postgres, baseline) > 0, (
        "no transaction conflicted: nothing was forced"
    )
