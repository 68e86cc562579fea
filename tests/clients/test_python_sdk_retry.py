"""The retry policy of both Python clients against a real restart: with wait_for_ready=False a read or
a write issued while nothing listens fails with UNAVAILABLE and only the RetryPolicy carries it across;
the retried write is stored once, under the request_id the SDK filled before the first attempt."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text

from cavra_recovery.server.storage.database import normalize_database_url
from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError, RetryPolicy, StatusCode
from tests.clients import sdk_evidence as sample
from tests.conftest import ServerProcess

ServerFactory = Callable[..., ServerProcess]

# The channel's own reconnect backoff kept short (0.1 s growing to 0.5 s), so what a read must outlast
# is the server's boot time, which the retry policy (not the channel) has to cover.
FAST_RECONNECT = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)


@dataclass(frozen=True)
class CountingRetry(RetryPolicy):
    """The given policy (by default the SDK's default), recording each backoff it hands out: the SDK
    asks for one after every failed attempt, so `waits` counts the failed attempts."""

    waits: list[float] = field(default_factory=list)
    failed: threading.Event = field(default_factory=threading.Event)

    def backoff(self, attempt: int) -> float:
        wait = RetryPolicy.backoff(self, attempt)
        self.waits.append(wait)
        self.failed.set()
        return wait


def test_default_policy_spans_a_restart() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 6
    waits = [policy.backoff(attempt) for attempt in range(1, policy.max_attempts)]
    assert 10.0 <= sum(waits) <= 15.0  # 0.5 + 1 + 2 + 4 + 5 s, +/-20%, inside the 30 s default deadline


def test_sync_fail_fast_read_is_retried_until_the_server_is_back(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry()
    with RecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        plan = client.create_recovery_escalation_plan()
        first.stop()

        def restart() -> None:
            policy.failed.wait(30)  # the first attempt has failed with UNAVAILABLE
            server_factory(database_url=sqlite_url, http=False, grpc_port=port)

        restarter = threading.Thread(target=restart)
        restarter.start()
        try:
            fetched = client.get_recovery_escalation_plan(plan.plan_id)
        finally:
            restarter.join()
    assert fetched.plan_id == plan.plan_id
    assert 1 <= len(policy.waits) < policy.max_attempts


def test_sync_fail_fast_read_with_a_single_attempt_fails_while_the_server_is_down(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry(max_attempts=1)
    with RecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        plan = client.create_recovery_escalation_plan()
        first.stop()
        with pytest.raises(RecoveryError) as caught:
            client.get_recovery_escalation_plan(plan.plan_id)
        assert caught.value.code is StatusCode.UNAVAILABLE
        assert len(policy.waits) == 1  # one attempt, no retry

        server_factory(database_url=sqlite_url, http=False, grpc_port=port)
        for _ in range(100):  # the channel reconnects within 0.5 s; each failed read is one attempt
            try:
                fetched = client.get_recovery_escalation_plan(plan.plan_id)
                break
            except RecoveryError as error:
                assert error.code is StatusCode.UNAVAILABLE
                time.sleep(0.2)
        else:
            pytest.fail("the client never read from the restarted server")
    assert fetched.plan_id == plan.plan_id


async def test_async_fail_fast_read_is_retried_until_the_server_is_back(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry()
    async with AsyncRecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        plan = await client.create_recovery_escalation_plan()
        await asyncio.to_thread(first.stop)
        read = asyncio.create_task(client.get_recovery_escalation_plan(plan.plan_id))
        assert await asyncio.to_thread(policy.failed.wait, 30)  # the first attempt failed: UNAVAILABLE
        await asyncio.to_thread(server_factory, database_url=sqlite_url, http=False, grpc_port=port)
        fetched = await read
    assert fetched.plan_id == plan.plan_id
    assert 1 <= len(policy.waits) < policy.max_attempts


async def test_async_fail_fast_read_with_a_single_attempt_fails_while_the_server_is_down(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry(max_attempts=1)
    async with AsyncRecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        plan = await client.create_recovery_escalation_plan()
        await asyncio.to_thread(first.stop)
        with pytest.raises(RecoveryError) as caught:
            await client.get_recovery_escalation_plan(plan.plan_id)
        assert caught.value.code is StatusCode.UNAVAILABLE
        assert len(policy.waits) == 1

        await asyncio.to_thread(server_factory, database_url=sqlite_url, http=False, grpc_port=port)
        for _ in range(100):
            try:
                fetched = await client.get_recovery_escalation_plan(plan.plan_id)
                break
            except RecoveryError as error:
                assert error.code is StatusCode.UNAVAILABLE
                await asyncio.sleep(0.2)
        else:
            pytest.fail("the client never read from the restarted server")
    assert fetched.plan_id == plan.plan_id


def stored_request_ids(database_url: str, method: str) -> list[str]:
    """The request_ids the server keeps for `method` (one row per request_id it acted on)."""
    engine = create_engine(normalize_database_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT request_id FROM idempotency_keys WHERE method = :method"), {"method": method}
            )
            return [str(row[0]) for row in rows]
    finally:
        engine.dispose()


def test_sync_fail_fast_write_is_retried_until_the_server_is_back_and_stored_once(
    server_factory: ServerFactory, database_url: str
) -> None:
    first = server_factory(database_url=database_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry()
    execution = sample.failed_execution("write-retry")
    with RecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        client.get_rollback_drill_dashboard()
        first.stop()

        def restart() -> None:
            policy.failed.wait(30)  # the first attempt has failed with UNAVAILABLE
            server_factory(database_url=database_url, http=False, grpc_port=port)

        restarter = threading.Thread(target=restart)
        restarter.start()
        try:
            recorded = client.record_retry_execution(execution)
        finally:
            restarter.join()
        assert recorded.created
        assert 1 <= len(policy.waits) < policy.max_attempts

        (request_id,) = stored_request_ids(database_url, "RecordRetryExecution")
        assert uuid.UUID(request_id).version == 4
        listed = client.list_retry_executions().retry_executions
        assert [e.execution_id for e in listed] == [execution.execution_id]
        # The SDK's request_id answers the first response (created); a new request_id acts again.
        repeated = client.record_retry_execution(execution, request_id=request_id)
        assert repeated.SerializeToString() == recorded.SerializeToString()
        assert client.record_retry_execution(execution).created is False


async def test_async_fail_fast_write_is_retried_until_the_server_is_back_and_stored_once(
    server_factory: ServerFactory, database_url: str
) -> None:
    first = server_factory(database_url=database_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    policy = CountingRetry()
    execution = sample.failed_execution("write-retry")
    async with AsyncRecoveryClient(
        first.grpc_address, plaintext=True, wait_for_ready=False, retry=policy, options=FAST_RECONNECT
    ) as client:
        await client.get_rollback_drill_dashboard()
        await asyncio.to_thread(first.stop)
        write = asyncio.create_task(client.record_retry_execution(execution))
        assert await asyncio.to_thread(policy.failed.wait, 30)  # the first attempt failed: UNAVAILABLE
        await asyncio.to_thread(server_factory, database_url=database_url, http=False, grpc_port=port)
        recorded = await write
        assert recorded.created
        assert 1 <= len(policy.waits) < policy.max_attempts

        (request_id,) = await asyncio.to_thread(stored_request_ids, database_url, "RecordRetryExecution")
        assert uuid.UUID(request_id).version == 4
        listed = (await client.list_retry_executions()).retry_executions
        assert [e.execution_id for e in listed] == [execution.execution_id]
        repeated = await client.record_retry_execution(execution, request_id=request_id)
        assert repeated.SerializeToString() == recorded.SerializeToString()
        assert (await client.record_retry_execution(execution)).created is False


def rejected_attempts(server: ServerProcess) -> int:
    """RecordRetryExecution calls the server answered INVALID_ARGUMENT, from its DEBUG access log."""
    return sum(
        "rpc /cavra.recovery.v1.EvidenceService/RecordRetryExecution INVALID_ARGUMENT" in line
        for line in server.log_lines
    )


def test_sync_write_rejected_with_invalid_argument_is_sent_once(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--log-level", "DEBUG"])
    with RecoveryClient(server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            client.record_retry_execution(sample.execution_without_time())
    assert caught.value.code is StatusCode.INVALID_ARGUMENT
    server.stop()  # and read its log to the end
    assert rejected_attempts(server) == 1


async def test_async_write_rejected_with_invalid_argument_is_sent_once(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    server = server_factory(database_url=sqlite_url, http=False, extra_args=["--log-level", "DEBUG"])
    async with AsyncRecoveryClient(server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            await client.record_retry_execution(sample.execution_without_time())
    assert caught.value.code is StatusCode.INVALID_ARGUMENT
    await asyncio.to_thread(server.stop)
    assert rejected_attempts(server) == 1
