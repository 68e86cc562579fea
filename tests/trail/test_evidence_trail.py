"""GetRecoveryEvidenceTrail end to end, over gRPC and the HTTP gateway, on SQLite and PostgreSQL.

A real server delivers a real plan to two real local HTTP receivers (one fails once and then
accepts, one always fails and is replayed), the plan is acknowledged and an executive report is built
from it. The trail must then hold every link, and no canary planted in a secret, a URL, a note, an
actor or an evidence free-text field may appear in it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.json_format import MessageToDict

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
    retry_runs_pb2,
    trail_pb2,
)
from tests.conftest import ServerProcess, fresh_postgres_database, start_server_process
from tests.delivery.delivery_kit import (
    WEBHOOK_SECRET,
    LocalReceiver,
    Reply,
    delivery_env,
    local_receivers,
    webhook_receiver,
    write_connector_file,
)
from tests.platform import evidence_builders as build
from tests.platform.rpc_status import rich_error

PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
URL_CANARY = "urlcanary9f2e"
NOTE_CANARY = "note-canary-4471 customer incident text"
ACTOR_CANARY = "actor-canary-8812"
EVIDENCE_CANARY = "evidence-canary-3390 private ticket payload"
ERROR_BODY_CANARY = "response-body-canary-5523"
CANARIES = (
    URL_CANARY,
    NOTE_CANARY,
    ACTOR_CANARY,
    EVIDENCE_CANARY,
    ERROR_BODY_CANARY,
    WEBHOOK_SECRET,
    WEBHOOK_SECRET.removeprefix("whsec_"),
)


@dataclass
class TrailRun:
    """What the plan → deliver → acknowledge → executive report run produced."""

    server: ServerProcess
    plan_id: str
    recovery_report_id: str
    ops_delivery_id: str
    backup_delivery_id: str
    acknowledgement_id: str
    executive_report_id: str
    receiver_urls: tuple[str, ...]


def seed_evidence(channel: grpc.Channel) -> None:
    """A breached slack row and an open jira row, a failed slack execution, a deferred jira closure:
    every free-text field holds a canary."""
    now = datetime.now(UTC)
    playbook = build.playbook(
        "pb-trail", providers=("slack", "jira"), generated_at=build.stamp(now - timedelta(hours=8))
    )
    for provider in playbook.providers:
        provider.latest_failure_at.CopyFrom(build.stamp(now - timedelta(hours=9)))
    records = [
        evidence_pb2.EvidenceRecord(playbook=playbook),
        evidence_pb2.EvidenceRecord(
            retry_execution=build.retry_execution(
                2,
                provider="slack",
                executed_at=build.stamp(now - timedelta(hours=2)),
                skipped_reason=EVIDENCE_CANARY,
            )
        ),
        evidence_pb2.EvidenceRecord(
            closure=build.closure(
                "closure-trail",
                "pb-trail",
                "jira",
                closure_state=common_pb2.CLOSURE_STATE_DEFERRED,
                closed_by=ACTOR_CANARY,
                closed_at=build.stamp(now - timedelta(hours=1)),
                external_ref=EVIDENCE_CANARY,
                notes=EVIDENCE_CANARY,
                verification_refs=[],
            )
        ),
    ]
    evidence_pb2_grpc.EvidenceServiceStub(channel).BatchRecordEvidence(
        evidence_pb2.BatchRecordEvidenceRequest(records=records), timeout=30
    )


def wait_until_final(escalation: Any, delivery_id: str, attempts: int) -> Any:
    request = escalation_pb2.GetRecoveryEscalationDeliveryRequest(delivery_id=delivery_id)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while True:
        delivery = escalation.GetRecoveryEscalationDelivery(request, timeout=10).delivery
        if delivery.state in (
            common_pb2.DELIVERY_STATE_DELIVERED,
            common_pb2.DELIVERY_STATE_DEAD_LETTERED,
        ) and (delivery.attempt_count >= attempts):
            return delivery
        assert datetime.now(UTC) < deadline, f"delivery {delivery_id} did not settle: {delivery}"
        time.sleep(0.1)


def run_trail_sequence(database_url: str, directory: Path) -> Iterator[TrailRun]:
    ops = LocalReceiver(script=[Reply(status=503, body=ERROR_BODY_CANARY.encode())], default=Reply())
    backup = LocalReceiver(default=Reply(status=503, body=ERROR_BODY_CANARY.encode()))
    with local_receivers(ops, backup):
        receivers = [
            webhook_receiver("ops-webhook", f"{ops.url}?token={URL_CANARY}"),
            webhook_receiver("backup-webhook", f"{backup.url}?token={URL_CANARY}"),
        ]
        connectors = write_connector_file(directory, receivers)
        server = start_server_process(
            database_url=database_url, extra_args=["--connectors", str(connectors)], env=delivery_env()
        )
        try:
            with grpc.insecure_channel(server.grpc_address) as channel:
                seed_evidence(channel)
                escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
                plan = escalation.CreateRecoveryEscalationPlan(
                    escalation_pb2.CreateRecoveryEscalationPlanRequest(generated_by=ACTOR_CANARY), timeout=30
                ).plan
                delivered = escalation.DeliverRecoveryEscalation(
                    escalation_pb2.DeliverRecoveryEscalationRequest(
                        plan_id=plan.plan_id, receivers=["ops-webhook", "backup-webhook"], retries=1
                    ),
                    timeout=60,
                )
                ids = {result.receiver: result.delivery_id for result in delivered.results}
                wait_until_final(escalation, ids["ops-webhook"], attempts=2)
                wait_until_final(escalation, ids["backup-webhook"], attempts=2)
                escalation.ReplayRecoveryEscalationDelivery(
                    escalation_pb2.ReplayRecoveryEscalationDeliveryRequest(delivery_id=ids["backup-webhook"]),
                    timeout=30,
                )
                wait_until_final(escalation, ids["backup-webhook"], attempts=4)
                # A live retry-worker run: the dead letter is still in backoff, so it decides WAIT.
                worker_run = escalation.RunRecoveryEscalationRetryWorker(
                    escalation_pb2.RunRecoveryEscalationRetryWorkerRequest(
                        plan_id=plan.plan_id, dry_run=False
                    ),
                    timeout=60,
                )
                assert worker_run.retried_count == 0
                acknowledgement = escalation.AcknowledgeRecoveryEscalation(
                    escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                        plan_id=plan.plan_id,
                        provider="slack",
                        state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                        acknowledged_by=ACTOR_CANARY,
                        note=NOTE_CANARY,
                    ),
                    timeout=30,
                ).acknowledgement
                executive = (
                    report_pb2_grpc.ReportServiceStub(channel)
                    .GetRecoveryExecutiveReport(
                        report_pb2.GetRecoveryExecutiveReportRequest(generated_by=ACTOR_CANARY), timeout=30
                    )
                    .report
                )
            yield TrailRun(
                server=server,
                plan_id=plan.plan_id,
                recovery_report_id=plan.recovery_report_id,
                ops_delivery_id=ids["ops-webhook"],
                backup_delivery_id=ids["backup-webhook"],
                acknowledgement_id=acknowledgement.acknowledgement_id,
                executive_report_id=executive.report_id,
                receiver_urls=(ops.url, backup.url),
            )
        finally:
            server.stop()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrailRun]:
    directory = tmp_path_factory.mktemp(f"trail-{request.param}")
    if request.param == "sqlite":
        yield from run_trail_sequence(f"sqlite:///{directory / 'cavra.db'}", directory)
    else:
        with fresh_postgres_database() as url:
            yield from run_trail_sequence(url, directory)


def trail_over_grpc(run: TrailRun, plan_id: str | None = None) -> trail_pb2.GetRecoveryEvidenceTrailResponse:
    with grpc.insecure_channel(run.server.grpc_address) as channel:
        response: trail_pb2.GetRecoveryEvidenceTrailResponse = escalation_pb2_grpc.EscalationServiceStub(
            channel
        ).GetRecoveryEvidenceTrail(
            trail_pb2.GetRecoveryEvidenceTrailRequest(plan_id=plan_id or run.plan_id), timeout=30
        )
        return response


def trail_over_rest(run: TrailRun, plan_id: str | None = None) -> httpx.Response:
    path = f"{PREFIX}/recovery-escalations/{plan_id or run.plan_id}/evidence-trail"
    return httpx.get(f"http://{run.server.http_address}{path}", timeout=30)


def test_the_trail_links_report_plan_deliveries_attempts_acknowledgements_decisions_and_executive_report(
    run: TrailRun,
) -> None:
    trail = trail_over_grpc(run).trail
    assert trail.recovery_report.report_id == run.recovery_report_id
    assert trail.recovery_report.recovery_slo_minutes == 240
    assert trail.recovery_report.level == common_pb2.ALERT_LEVEL_CRITICAL
    assert trail.plan.plan_id == run.plan_id
    assert trail.plan.recovery_report_id == run.recovery_report_id
    assert trail.plan.alert_level == common_pb2.ALERT_LEVEL_CRITICAL
    assert list(trail.plan.selected_providers) == ["jira", "slack"]

    deliveries = {delivery.delivery_id: delivery for delivery in trail.deliveries}
    assert set(deliveries) == {run.ops_delivery_id, run.backup_delivery_id}
    ops = deliveries[run.ops_delivery_id]
    assert (ops.receiver, ops.provider, ops.state) == (
        "ops-webhook",
        "webhook",
        common_pb2.DELIVERY_STATE_DELIVERED,
    )
    assert [(a.attempt_number, a.success, a.http_status) for a in ops.attempts] == [
        (1, False, 503),
        (2, True, 200),
    ]
    assert ops.attempts[0].failure_reason == common_pb2.DELIVERY_FAILURE_REASON_SERVER_ERROR
    assert ops.attempts[0].retryable
    assert all(len(a.body_sha256) == 1 and len(a.body_sha256[0]) == 64 for a in ops.attempts)
    assert ops.round_count == 1
    backup = deliveries[run.backup_delivery_id]
    assert backup.state == common_pb2.DELIVERY_STATE_DEAD_LETTERED
    assert [a.attempt_number for a in backup.attempts] == [1, 2, 3, 4]
    # The replay is a second round of attempts.
    assert backup.round_count == 2

    assert [(a.acknowledgement_id, a.provider, a.state) for a in trail.acknowledgements] == [
        (run.acknowledgement_id, "slack", common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED)
    ]
    (decision,) = trail.retry_decisions
    assert (decision.delivery_id, decision.receiver) == (run.backup_delivery_id, "backup-webhook")
    assert decision.decision == common_pb2.RETRY_DECISION_WAIT
    assert decision.reason == "backoff_pending"
    assert decision.acknowledgement_state == common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED
    assert decision.next_attempt_at.ToDatetime(UTC) > trail.evaluated_at.ToDatetime(UTC)

    assert [(r.report_id, r.recovery_report_id) for r in trail.executive_reports] == [
        (run.executive_report_id, run.recovery_report_id)
    ]
    assert trail.executive_reports[0].status == common_pb2.ALERT_LEVEL_CRITICAL


def test_the_trail_shows_the_stored_retry_runs_background_replay_and_rpc(run: TrailRun) -> None:
    trail = trail_over_grpc(run).trail
    runs = list(trail.retry_worker_runs)
    assert [run.started_at.ToDatetime() for run in runs] == sorted(
        run.started_at.ToDatetime() for run in runs
    )
    assert len({run.run_id for run in runs}) == len(runs) == 7
    per_delivery: dict[str, list[tuple[int, int, str, int, int]]] = {}
    for worker_run in runs:
        assert worker_run.finished_at.ToDatetime() >= worker_run.started_at.ToDatetime()
        assert not worker_run.dry_run
        (decision,) = worker_run.decisions  # one of this plan's deliveries per run here
        per_delivery.setdefault(decision.delivery_id, []).append(
            (
                worker_run.trigger,
                decision.decision,
                decision.reason,
                decision.attempt_number,
                decision.outcome_state,
            )
        )
        assert decision.receiver in ("ops-webhook", "backup-webhook")
        assert decision.provider == "webhook"
    background, replay, rpc = (
        retry_runs_pb2.RETRY_RUN_TRIGGER_BACKGROUND,
        retry_runs_pb2.RETRY_RUN_TRIGGER_REPLAY,
        retry_runs_pb2.RETRY_RUN_TRIGGER_RPC,
    )
    retry, wait, suppress = (
        common_pb2.RETRY_DECISION_RETRY,
        common_pb2.RETRY_DECISION_WAIT,
        common_pb2.RETRY_DECISION_SUPPRESS,
    )
    retrying, pending, dead = (
        common_pb2.DELIVERY_STATE_RETRYING,
        common_pb2.DELIVERY_STATE_PENDING,
        common_pb2.DELIVERY_STATE_DEAD_LETTERED,
    )
    # The ops receiver failed once: the background worker decided to retry; its success decides nothing.
    assert per_delivery[run.ops_delivery_id] == [(background, retry, "backoff_scheduled", 1, retrying)]
    # The backup receiver: a round of two attempts, dead-lettered, replayed, two more, dead-lettered
    # again, and then the RPC worker run found it still in backoff.
    assert per_delivery[run.backup_delivery_id] == [
        (background, retry, "backoff_scheduled", 1, retrying),
        (background, suppress, "attempts_exhausted", 2, dead),
        (replay, retry, "replayed", 2, pending),
        (background, retry, "backoff_scheduled", 3, retrying),
        (background, suppress, "attempts_exhausted", 4, dead),
        (rpc, wait, "backoff_pending", 4, dead),
    ]
    # The last run is the RPC run, the newest.
    assert runs[-1].trigger == rpc


def test_rest_answers_the_same_trail_as_grpc(run: TrailRun) -> None:
    response = trail_over_rest(run)
    assert response.status_code == 200, response.text
    over_rest = response.json()["trail"]
    over_grpc = MessageToDict(trail_over_grpc(run).trail, preserving_proto_field_name=True)
    # Only the instant of reading differs between two reads.
    over_rest.pop("evaluated_at")
    over_grpc.pop("evaluated_at")
    assert over_rest == over_grpc
    assert over_rest["deliveries"] and over_rest["acknowledgements"] and over_rest["executive_reports"]
    assert len(over_rest["retry_worker_runs"]) == 7
    assert {run["trigger"] for run in over_rest["retry_worker_runs"]} == {
        "RETRY_RUN_TRIGGER_BACKGROUND",
        "RETRY_RUN_TRIGGER_REPLAY",
        "RETRY_RUN_TRIGGER_RPC",
    }


def test_no_secret_url_or_free_text_reaches_the_trail(run: TrailRun) -> None:
    grpc_text = json.dumps(MessageToDict(trail_over_grpc(run))) + str(trail_over_grpc(run))
    rest_text = trail_over_rest(run).text
    # The stored retry-worker runs are part of what is checked (their attempts failed with the
    # error-body canary, to URLs holding the URL canary).
    assert '"retry_worker_runs"' in rest_text and "retry_worker_runs" in grpc_text
    for text in (grpc_text, rest_text):
        for canary in CANARIES:
            assert canary not in text
        for url in run.receiver_urls:
            assert url not in text
        assert "127.0.0.1" not in text
        assert "/hook" not in text
    # The canaries did reach the stored records the trail was read from.
    with grpc.insecure_channel(run.server.grpc_address) as channel:
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        listed = escalation.ListRecoveryEscalationAcknowledgements(
            trail_pb2.ListRecoveryEscalationAcknowledgementsRequest(plan_id=run.plan_id), timeout=30
        )
    assert [(a.note, a.acknowledged_by) for a in listed.acknowledgements] == [(NOTE_CANARY, ACTOR_CANARY)]


def test_an_unknown_plan_is_not_found_over_grpc_and_rest(run: TrailRun) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        trail_over_grpc(run, plan_id="plan_unknown")
    error = rich_error(raised.value)  # type: ignore[arg-type]
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert [info.reason for info in error.error_infos] == ["ESCALATION_PLAN_NOT_FOUND"]
    response = trail_over_rest(run, plan_id="plan_unknown")
    assert response.status_code == 404
    assert response.json()["code"] == grpc.StatusCode.NOT_FOUND.value[0]


def test_a_malformed_plan_id_is_invalid_argument_on_plan_id_over_grpc_and_rest(run: TrailRun) -> None:
    for plan_id in ("", "plan id with spaces", "x" * 300):
        with grpc.insecure_channel(run.server.grpc_address) as channel:
            with pytest.raises(grpc.RpcError) as raised:
                escalation_pb2_grpc.EscalationServiceStub(channel).GetRecoveryEvidenceTrail(
                    trail_pb2.GetRecoveryEvidenceTrailRequest(plan_id=plan_id), timeout=30
                )
        error = rich_error(raised.value)  # type: ignore[arg-type]
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT, plan_id
        assert error.fields == ["plan_id"], plan_id
    response = trail_over_rest(run, plan_id="plan%20id%20with%20spaces")
    assert response.status_code == 400
    details = response.json()["details"]
    violations = [v["field"] for d in details if "field_violations" in d for v in d["field_violations"]]
    assert violations == ["plan_id"]
