"""AsyncRecoveryClient (grpc.aio) against the real server: the same scenario as the blocking client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cavra_recovery_client import (
    AlertLevel,
    AsyncRecoveryClient,
    DeliveryState,
    RecoveryError,
    StatusCode,
)
from tests.clients import sdk_evidence as sample
from tests.conftest import ServerProcess

ServerFactory = Callable[..., ServerProcess]


async def test_async_client_records_plans_delivers_and_reports(
    server_factory: ServerFactory, database_url: str, webhook_config: Path, httpserver: HTTPServer
) -> None:
    server = server_factory(
        database_url=database_url, extra_args=["--connectors", str(webhook_config)], http=False
    )
    async with AsyncRecoveryClient(server.grpc_address, plaintext=True) as client:
        recorded = await client.record_retry_execution(sample.failed_execution("async"))
        assert recorded.created
        await client.record_connector_recovery_playbook(sample.breached_playbook("async"))
        await client.record_recovery_closure(sample.jira_resolved("async"))
        batch = await client.batch_record_evidence([sample.delivered_execution("async")])
        assert batch.created_count == 1
        executions = await client.list_retry_executions()
        assert {e.execution_id for e in executions.retry_executions} == {
            "exec-py-async",
            "exec-py-batch-async",
        }

        plan = await client.create_recovery_escalation_plan(generated_by="python-sdk-async-test")
        assert plan.alert_level == AlertLevel.ALERT_LEVEL_CRITICAL
        assert plan.slo_breached_count == 1 and plan.failed_execution_count == 1
        assert (await client.get_recovery_escalation_plan(plan.plan_id)).plan_id == plan.plan_id

        delivered = await client.deliver_recovery_escalation(plan.plan_id)
        assert delivered.success
        [result] = delivered.results
        assert result.state == DeliveryState.DELIVERY_STATE_DELIVERED
        [(request, _)] = httpserver.log
        assert request.headers["webhook-signature"].startswith("v1,")

        report = await client.get_recovery_executive_report(generated_by="python-sdk-async-test")
        assert report.status == AlertLevel.ALERT_LEVEL_CRITICAL
        assert report.escalation_plan_id and report.key_risks
        dashboard = await client.get_rollback_drill_dashboard()
        assert (dashboard.playbooks, dashboard.closures, dashboard.deliveries_ok) == (1, 1, 1)


async def test_async_validation_error_carries_field_violation(grpc_server: ServerProcess) -> None:
    async with AsyncRecoveryClient(grpc_server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            await client.record_retry_execution(sample.execution_without_time())
    assert caught.value.code is StatusCode.INVALID_ARGUMENT
    assert caught.value.violation("retry_execution.executed_at") is not None
    assert caught.value.reason and caught.value.domain


async def test_async_unknown_plan_is_not_found(grpc_server: ServerProcess) -> None:
    async with AsyncRecoveryClient(grpc_server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            await client.get_recovery_escalation_plan("plan-that-does-not-exist")
    assert caught.value.code is StatusCode.NOT_FOUND


async def test_async_read_is_retried_while_the_server_restarts(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    async with AsyncRecoveryClient(first.grpc_address, plaintext=True) as client:
        plan = await client.create_recovery_escalation_plan()
        await asyncio.to_thread(first.stop)
        read = asyncio.create_task(client.get_recovery_escalation_plan(plan.plan_id))
        await asyncio.sleep(0)  # one loop turn: the task has issued the call and awaits the channel
        assert not read.done()
        await asyncio.to_thread(server_factory, database_url=sqlite_url, http=False, grpc_port=port)
        fetched = await read
    assert fetched.plan_id == plan.plan_id


async def test_async_write_waits_for_the_server_while_it_restarts(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    async with AsyncRecoveryClient(first.grpc_address, plaintext=True) as client:
        await client.get_rollback_drill_dashboard()
        await asyncio.to_thread(first.stop)
        write = asyncio.create_task(client.create_recovery_escalation_plan(generated_by="restart"))
        await asyncio.sleep(0)  # one loop turn: the task has issued the call and awaits the channel
        assert not write.done()
        await asyncio.to_thread(server_factory, database_url=sqlite_url, http=False, grpc_port=port)
        plan = await write
        listed = (await client.list_recovery_escalation_plans()).plans
    assert [p.plan_id for p in listed] == [plan.plan_id]
