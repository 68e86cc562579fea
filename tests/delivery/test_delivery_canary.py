"""Canary secrets planted in connector configuration and in every free-text evidence field never reach
an RPC response, a stored row outside the intake tables, a log line or an outgoing notification body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy import MetaData, create_engine, select

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    evidence_pb2,
    report_pb2,
    report_pb2_grpc,
)
from tests.delivery.delivery_kit import (
    DeliveryServerFactory,
    LocalReceiver,
    Reply,
    clients,
    local_receivers,
    seed_open_recovery,
    timestamp,
    wait_for_delivery,
    webhook_receiver,
)

QUERY_CANARY = "CanaryQueryToken0000000001"
SLACK_PATH_CANARY = "CanarySlackPathSecret0000001"
TEAMS_PATH_CANARY = "CanaryTeamsPathSecret0000001"
PD_KEY_CANARY = "CanaryPagerDutyRoutingKey0001"
NOTES_CANARY = "CanaryClosureNotesText0000001"
EXTERNAL_REF_CANARY = "CanaryExternalRefText00000001"
SKIPPED_CANARY = "CanarySkippedReasonText000001"
ACK_NOTE_CANARY = "CanaryAcknowledgementNote0001"
CONFIG_CANARIES = (QUERY_CANARY, SLACK_PATH_CANARY, TEAMS_PATH_CANARY, PD_KEY_CANARY)
FREE_TEXT_CANARIES = (NOTES_CANARY, EXTERNAL_REF_CANARY, SKIPPED_CANARY, ACK_NOTE_CANARY)
INTAKE_TABLES = {
    "retry_executions",
    "connector_recovery_playbooks",
    "playbook_providers",
    "recovery_closures",
    "escalation_acknowledgements",
}


def chat_receiver(name: str, provider: str, url_env: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": provider,
        "url_env": url_env,
        "allow_networks": ["127.0.0.0/8", "::1/128"],
    }


def leaked(text: str, canaries: tuple[str, ...]) -> list[str]:
    return [canary for canary in canaries if canary in text]


def message_text(message: Message) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True)


def test_no_canary_reaches_responses_stored_rows_logs_or_notification_bodies(
    delivery_server: DeliveryServerFactory, sqlite_url: str
) -> None:
    ops, slack, teams, pagerduty = (
        LocalReceiver(),
        LocalReceiver(default=Reply(400, body=b'{"error":"invalid_blocks"}')),
        LocalReceiver(),
        LocalReceiver(default=Reply(202, body=b'{"status":"success"}')),
    )
    with local_receivers(ops, slack, teams, pagerduty):
        base = ops.url.removesuffix("/hook")
        ops_receiver = webhook_receiver("ops", base)
        del ops_receiver["url"]
        server = delivery_server(
            sqlite_url,
            {**ops_receiver, "url_env": "CANARY_OPS_URL"},
            {
                "name": "chat",
                "provider": "slack",
                "url_env": "CANARY_SLACK_URL",
                "allow_networks": ["127.0.0.0/8", "::1/128"],
            },
            {
                "name": "teams",
                "provider": "teams",
                "url_env": "CANARY_TEAMS_URL",
                "allow_networks": ["127.0.0.0/8", "::1/128"],
            },
            {
                "name": "pager",
                "provider": "pagerduty",
                "url": pagerduty.url.removesuffix("/hook"),
                "routing_key_env": "CANARY_PD_KEY",
                "allow_networks": ["127.0.0.0/8", "::1/128"],
            },
            rules=[{"match": {"severity": "critical"}, "receivers": ["ops", "chat", "teams", "pager"]}],
            CANARY_OPS_URL=f"{ops.url}?token={QUERY_CANARY}",
            CANARY_SLACK_URL=f"{slack.url.removesuffix('/hook')}/services/T0CANARY/B0CANARY/{SLACK_PATH_CANARY}",
            CANARY_TEAMS_URL=(
                f"{teams.url.removesuffix('/hook')}/webhookb2/group@tenant/IncomingWebhook/{TEAMS_PATH_CANARY}/owner"
            ),
            CANARY_PD_KEY=PD_KEY_CANARY,
        )
        responses: list[Message] = []
        with clients(server.grpc_address) as api:
            now = datetime.now(UTC)
            seed_open_recovery(api, playbook_id="pb-canary", providers=("jira", "datadog"))
            for index, status in enumerate(
                (common_pb2.EXECUTION_STATUS_FAILED, common_pb2.EXECUTION_STATUS_SKIPPED)
            ):
                api.evidence.RecordRetryExecution(
                    evidence_pb2.RecordRetryExecutionRequest(
                        retry_execution=evidence_pb2.RetryExecution(
                            execution_id=f"exec-canary-{index}",
                            provider="servicenow",
                            execution_status=status,
                            executed_at=timestamp(now - timedelta(minutes=5)),
                            skipped_reason=f"operator wrote {SKIPPED_CANARY}",
                        )
                    ),
                    timeout=10,
                )
            api.evidence.RecordRecoveryClosure(
                evidence_pb2.RecordRecoveryClosureRequest(
                    playbook_id="pb-canary",
                    closure=evidence_pb2.RecoveryClosure(
                        closure_id="closure-canary",
                        playbook_id="pb-canary",
                        provider="jira",
                        closure_state=common_pb2.CLOSURE_STATE_DEFERRED,
                        closed_by="sre",
                        closed_at=timestamp(now),
                        external_ref=f"INC-{EXTERNAL_REF_CANARY}",
                        notes=f"customer said {NOTES_CANARY}",
                    ),
                ),
                timeout=10,
            )
            plan = api.escalation.CreateRecoveryEscalationPlan(
                escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by="canary"), timeout=10
            )
            responses.append(plan)
            delivered = api.escalation.DeliverRecoveryEscalation(
                escalation_pb2.DeliverRecoveryEscalationRequest(plan_id=plan.plan.plan_id, retries=1),
                timeout=30,
            )
            responses.append(delivered)
            for result in delivered.results:
                responses.append(wait_for_delivery(api, result.delivery_id))
            api.escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan.plan.plan_id,
                    provider="jira",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                    acknowledged_by="sre",
                    note=f"ack says {ACK_NOTE_CANARY}",
                ),
                timeout=10,
            )
            responses.append(
                api.escalation.ListRecoveryEscalationDeliveries(
                    escalation_pb2.ListRecoveryEscalationDeliveriesRequest(), timeout=10
                )
            )
            responses.append(
                api.escalation.PlanRecoveryEscalationRetries(
                    escalation_pb2.PlanRecoveryEscalationRetriesRequest(), timeout=10
                )
            )
            responses.append(
                api.escalation.RunRecoveryEscalationRetryWorker(
                    escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(), timeout=10
                )
            )
            reports = report_pb2_grpc.ReportServiceStub(api.channel)
            responses.append(
                reports.GetRecoveryExecutiveReport(report_pb2.GetRecoveryExecutiveReportRequest(), timeout=10)
            )
            run = reports.RunExecutiveReportSchedule(
                report_pb2.RunExecutiveReportScheduleRequest(), timeout=10
            )
            responses.append(
                reports.DeliverExecutiveReportScheduleRun(
                    report_pb2.DeliverExecutiveReportScheduleRunRequest(
                        run_id=run.run.run_id, receivers=["ops", "chat", "teams", "pager"]
                    ),
                    timeout=30,
                )
            )
        server.stop()
        received = {
            name: list(receiver.requests)
            for name, receiver in (("ops", ops), ("chat", slack), ("teams", teams), ("pager", pagerduty))
        }

    everything = CONFIG_CANARIES + FREE_TEXT_CANARIES
    assert delivered.results and all(result.attempt_count >= 1 for result in delivered.results)
    for response in responses:
        assert leaked(message_text(response), everything) == [], type(response).__name__

    engine = create_engine(sqlite_url)
    metadata = MetaData()
    metadata.reflect(engine)
    intake_text = ""
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = repr(connection.execute(select(table)).all())
            if table.name in INTAKE_TABLES:
                intake_text += rows
            else:
                assert leaked(rows, everything) == [], table.name
    engine.dispose()
    # Positive controls: the free text was stored for the auditor, and the secret URLs were really used.
    assert leaked(intake_text, FREE_TEXT_CANARIES) == list(FREE_TEXT_CANARIES)
    assert SLACK_PATH_CANARY in received["chat"][0].path
    assert QUERY_CANARY in received["ops"][0].path

    assert leaked(server.log_text, everything) == []

    assert all(received.values()), {name: len(requests) for name, requests in received.items()}
    for name, requests in received.items():
        # PagerDuty's Events API takes its routing key in the body: the one credential allowed there.
        allowed = (PD_KEY_CANARY,) if name == "pager" else ()
        for request in requests:
            body = request.body.decode()
            assert leaked(body, tuple(c for c in everything if c not in allowed)) == [], name
            if name == "pager":
                assert request.json()["routing_key"] == PD_KEY_CANARY
