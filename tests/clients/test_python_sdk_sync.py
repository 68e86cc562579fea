"""RecoveryClient (blocking) against the real server: evidence, plan, delivery, reports, errors, retries."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cavra_recovery_client import (
    AlertLevel,
    DeliveryState,
    RecoveryClient,
    RecoveryError,
    ReportFormat,
    StatusCode,
)
from tests.clients import sdk_evidence as sample
from tests.conftest import ServerProcess

ServerFactory = Callable[..., ServerProcess]


def test_sync_client_records_plans_delivers_and_reports(
    server_factory: ServerFactory, database_url: str, webhook_config: Path, httpserver: HTTPServer
) -> None:
    server = server_factory(
        database_url=database_url, extra_args=["--connectors", str(webhook_config)], http=False
    )
    with RecoveryClient(server.grpc_address, plaintext=True) as client:
        recorded = client.record_retry_execution(sample.failed_execution("sync"))
        assert recorded.created and recorded.retry_execution.execution_id == "exec-py-sync"
        assert client.record_retry_execution(sample.failed_execution("sync")).created is False
        client.record_connector_recovery_playbook(sample.breached_playbook("sync"))
        client.record_recovery_closure(sample.jira_resolved("sync"))
        batch = client.batch_record_evidence([sample.delivered_execution("sync")])
        assert batch.created_count == 1
        stored = client.get_connector_recovery_playbook("pb-py-sync")
        assert {p.provider for p in stored.providers} == {"slack", "jira"}
        assert client.list_recovery_closures().closures[0].closure_id == "closure-py-sync"

        plan = client.create_recovery_escalation_plan(generated_by="python-sdk-test")
        assert plan.alert_level == AlertLevel.ALERT_LEVEL_CRITICAL
        assert plan.slo_breached_count == 1 and plan.failed_execution_count == 1
        assert all(route.receivers[:1] == ["local-webhook"] for route in plan.escalation_routes)
        assert client.get_recovery_escalation_plan(plan.plan_id).plan_id == plan.plan_id
        assert [p.plan_id for p in client.list_recovery_escalation_plans().plans] == [plan.plan_id]
        assert plan.escalation_count >= 2
        capped = client.create_recovery_escalation_plan(route_limit=1)
        assert len(capped.escalation_routes) == 1 and capped.routes_truncated
        assert capped.escalation_count == plan.escalation_count

        delivered = client.deliver_recovery_escalation(plan.plan_id)
        assert delivered.success and not delivered.dry_run
        [result] = delivered.results
        assert result.receiver == "local-webhook" and result.state == DeliveryState.DELIVERY_STATE_DELIVERED
        [(request, _)] = httpserver.log
        assert request.headers["webhook-signature"].startswith("v1,")
        assert plan.plan_id in request.get_data(as_text=True)

        report = client.get_recovery_executive_report(generated_by="python-sdk-test")
        assert report.status == AlertLevel.ALERT_LEVEL_CRITICAL
        assert report.business_impact == "Connector recovery requires leadership attention"
        assert report.escalation_plan_id and report.recovery_report_id and report.key_risks
        rendered = client.render_recovery_executive_report(format=ReportFormat.REPORT_FORMAT_MARKDOWN)
        assert rendered.content_type.startswith("text/markdown") and rendered.data

        dashboard = client.get_rollback_drill_dashboard()
        assert (dashboard.playbooks, dashboard.closures, dashboard.deliveries_ok) == (1, 1, 1)


def test_sync_dry_run_delivery_sends_nothing(
    server_factory: ServerFactory, sqlite_url: str, webhook_config: Path, httpserver: HTTPServer
) -> None:
    server = server_factory(
        database_url=sqlite_url, extra_args=["--connectors", str(webhook_config)], http=False
    )
    with RecoveryClient(server.grpc_address, plaintext=True) as client:
        client.record_retry_execution(sample.failed_execution("dry"))
        delivered = client.deliver_recovery_escalation("latest", dry_run=True)
    assert delivered.dry_run and delivered.plan.plan_id
    assert {r.state for r in delivered.results} == {DeliveryState.DELIVERY_STATE_DRY_RUN}
    assert httpserver.log == []


def test_sync_validation_error_carries_field_violation(grpc_server: ServerProcess) -> None:
    with RecoveryClient(grpc_server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            client.record_retry_execution(sample.execution_without_time())
    error = caught.value
    assert error.code is StatusCode.INVALID_ARGUMENT
    assert error.violation("retry_execution.executed_at") is not None
    assert error.reason and error.domain
    assert error.method == "RecordRetryExecution"


def test_sync_unknown_plan_is_not_found(grpc_server: ServerProcess) -> None:
    with RecoveryClient(grpc_server.grpc_address, plaintext=True) as client:
        with pytest.raises(RecoveryError) as caught:
            client.get_recovery_escalation_plan("plan-that-does-not-exist")
    assert caught.value.code is StatusCode.NOT_FOUND
    assert caught.value.reason


def test_sync_read_is_retried_while_the_server_restarts(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    with RecoveryClient(first.grpc_address, plaintext=True) as client:
        plan = client.create_recovery_escalation_plan()
        first.stop()
        issuing = threading.Event()
        restarted: list[ServerProcess] = []

        def restart() -> None:
            issuing.wait()
            restarted.append(server_factory(database_url=sqlite_url, http=False, grpc_port=port))

        restarter = threading.Thread(target=restart)
        restarter.start()
        issuing.set()  # the new process needs far longer to boot than this call needs to be issued
        try:
            fetched = client.get_recovery_escalation_plan(plan.plan_id)
        finally:
            restarter.join()
    assert fetched.plan_id == plan.plan_id
    assert restarted and restarted[0].grpc_address == first.grpc_address


def test_sync_write_waits_for_the_server_while_it_restarts(
    server_factory: ServerFactory, sqlite_url: str
) -> None:
    first = server_factory(database_url=sqlite_url, http=False)
    port = int(first.grpc_address.rsplit(":", 1)[1])
    with RecoveryClient(first.grpc_address, plaintext=True) as client:
        client.get_rollback_drill_dashboard()
        first.stop()
        issuing = threading.Event()

        def restart() -> None:
            issuing.wait()
            server_factory(database_url=sqlite_url, http=False, grpc_port=port)

        restarter = threading.Thread(target=restart)
        restarter.start()
        issuing.set()  # the new process needs far longer to boot than this call needs to be issued
        try:
            plan = client.create_recovery_escalation_plan(generated_by="restart")
        finally:
            restarter.join()
        listed = client.list_recovery_escalation_plans().plans
    assert [p.plan_id for p in listed] == [plan.plan_id]


def test_sync_bearer_token_authenticates_and_roles_are_enforced(
    server_factory: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    tokens = {"operator-token-0123456789": "[operator, ingest]", "viewer-token-0123456789": "[viewer]"}
    auth = tmp_path / "auth.yaml"
    auth.write_text(
        "tokens:\n"
        + "".join(
            f"  - name: caller-{i}\n"
            f"    sha256: {hashlib.sha256(token.encode()).hexdigest()}\n"
            f"    roles: {roles}\n"
            for i, (token, roles) in enumerate(tokens.items())
        )
    )
    server = server_factory(database_url=sqlite_url, extra_args=["--auth-config", str(auth)], http=False)
    with RecoveryClient(server.grpc_address, plaintext=True, token="operator-token-0123456789") as operator:
        plan = operator.create_recovery_escalation_plan()
    with RecoveryClient(server.grpc_address, plaintext=True) as anonymous:
        with pytest.raises(RecoveryError) as missing:
            anonymous.get_recovery_escalation_plan(plan.plan_id)
    assert missing.value.code is StatusCode.UNAUTHENTICATED and missing.value.reason
    with RecoveryClient(server.grpc_address, plaintext=True, token="viewer-token-0123456789") as viewer:
        assert viewer.get_recovery_escalation_plan(plan.plan_id).plan_id == plan.plan_id
        with pytest.raises(RecoveryError) as denied:
            viewer.create_recovery_escalation_plan()
    assert denied.value.code is StatusCode.PERMISSION_DENIED
    assert denied.value.metadata["method"] == "CreateRecoveryEscalationPlan"
