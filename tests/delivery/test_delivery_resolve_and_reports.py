"""PagerDuty resolve events when a recovery closes, and executive report schedule run delivery."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from cavra.recovery.v1 import common_pb2, evidence_pb2, report_pb2, report_pb2_grpc
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

PD_ROUTING_KEY = "delivery-test-routing-key-000000001"


def test_closing_a_recovery_resolves_the_pagerduty_alert_it_triggered(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    pagerduty = LocalReceiver(default=Reply(202, body=b'{"status":"success","message":"Event processed"}'))
    webhook = LocalReceiver()
    with local_receivers(pagerduty, webhook):
        base_url = pagerduty.url.removesuffix("/hook")
        server = delivery_server(
            sqlite_url,
            webhook_receiver("ops", webhook.url),
            {
                "name": "release-pagerduty",
                "provider": "pagerduty",
                "url": base_url,
                "routing_key_env": "DELIVERY_TEST_PD_KEY",
                "allow_networks": ["127.0.0.0/8", "::1/128"],
            },
            rules=[{"match": {"severity": "critical"}, "receivers": ["release-pagerduty", "ops"]}],
            DELIVERY_TEST_PD_KEY=PD_ROUTING_KEY,
        )
        with clients(server.grpc_address) as api:
            seed_open_recovery(api, playbook_id="pb-pd", providers=("slack",))
            response = deliver(api)
            assert response.success, response
            (trigger,) = [event.json() for event in pagerduty.requests]
            api.evidence.RecordRecoveryClosure(
                evidence_pb2.RecordRecoveryClosureRequest(
                    playbook_id="pb-pd",
                    closure=evidence_pb2.RecoveryClosure(
                        closure_id="closure-pd-1",
                        playbook_id="pb-pd",
                        provider="slack",
                        closure_state=common_pb2.CLOSURE_STATE_RESOLVED,
                        closed_by="sre",
                        closed_at=timestamp(datetime.now(UTC)),
                    ),
                ),
                timeout=10,
            )
            deadline = time.monotonic() + 30
            while len(pagerduty.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # more scans: the resolve is enqueued once

    assert trigger["event_action"] == "trigger"
    assert [request.path for request in pagerduty.requests] == ["/v2/enqueue", "/v2/enqueue"]
    resolve = pagerduty.requests[1].json()
    assert resolve == {
        "routing_key": PD_ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": trigger["dedup_key"],
    }
    # The webhook got the trigger notification only: resolves go to PagerDuty receivers.
    assert len(webhook.requests) == 1


def test_schedule_run_report_is_delivered_as_markdown_to_the_default_receiver(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    webhook = LocalReceiver()
    with local_receivers(webhook):
        server = delivery_server(sqlite_url, webhook_receiver("ops", webhook.url))
        with clients(server.grpc_address) as api:
            seed_open_recovery(api)
            reports = report_pb2_grpc.ReportServiceStub(api.channel)
            run = reports.RunExecutiveReportSchedule(
                report_pb2.RunExecutiveReportScheduleRequest(), timeout=10
            ).run
            response = reports.DeliverExecutiveReportScheduleRun(
                report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id=run.run_id, request_id="report-1"),
                timeout=30,
            )
            again = reports.DeliverExecutiveReportScheduleRun(
                report_pb2.DeliverExecutiveReportScheduleRunRequest(run_id=run.run_id, request_id="report-1"),
                timeout=30,
            )
            (result,) = response.results
            delivered = wait_for_delivery(api, result.delivery_id)

    assert response.success and again == response
    assert response.run.run_id == run.run_id
    assert delivered.schedule_run_id == run.run_id
    (request,) = webhook.requests
    data = request.json()["data"]
    assert data["report_id"] == run.report_id
    assert data["event_type"] == "cavra.go_backend.rollback_drill.recovery_executive_report"
    assert data["markdown"].strip()
