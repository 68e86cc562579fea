"""The read retry policy of both Python clients against a real restart: with wait_for_ready=False a read
issued while nothing listens fails with UNAVAILABLE and only the RetryPolicy carries it across."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from cavra_recovery_client import AsyncRecoveryClient, RecoveryClient, RecoveryError, RetryPolicy, StatusCode
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
    """The given policy (by default the SDK's default), recording each backoff it hands out."""

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
