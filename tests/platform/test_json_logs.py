"""`--log-format json`: every stderr line is one JSON object; each RPC writes one access line with its
request id, method, identity, status and latency; tokens, secrets and free-text evidence never appear."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from cavra.recovery.v1 import (
    common_pb2,
    escalation_pb2,
    escalation_pb2_grpc,
    evidence_pb2,
    evidence_pb2_grpc,
    report_pb2,
    report_pb2_grpc,
)
from tests.conftest import ServerProcess
from tests.platform import evidence_builders as build

TOKEN = "json-logs-operator-token-6f2b"
OTHER_TOKEN = "json-logs-viewer-token-0c1d"
WEBHOOK_SECRET = "whsec_anNvbi1sb2dzLXdlYmhvb2stc2VjcmV0LTMyYiE="
# Free text that a request carries and that must never be copied into a log line.
EVIDENCE_NOTE = "free-text-evidence-do-not-log-7731"
ACK_NOTE = "ack-note-do-not-log-5520"
DASHBOARD = "/runtime/go-pilot/rollback-drill-notifications/dashboard"


def start(server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path) -> ServerProcess:
    auth = tmp_path / "auth.yaml"
    auth.write_text(
        "tokens:\n"
        f"  - {{name: release-manager, sha256: {hashlib.sha256(TOKEN.encode()).hexdigest()}, "
        "roles: [operator, ingest]}\n"
        f"  - {{name: dashboard, sha256: {hashlib.sha256(OTHER_TOKEN.encode()).hexdigest()}, "
        "roles: [viewer]}\n"
    )
    connectors = tmp_path / "connectors.yaml"
    connectors.write_text(
        "receivers:\n"
        "  - {name: ops-hook, provider: webhook, url: 'https://hooks.example.invalid/x', "
        "secret_env: JSON_LOGS_WEBHOOK_SECRET}\n"
        "routing: {default: ops-hook}\n"
    )
    return server_factory(
        database_url=sqlite_url,
        extra_args=["--auth-config", str(auth), "--connectors", str(connectors), "--log-format", "json"],
        env={"JSON_LOGS_WEBHOOK_SECRET": WEBHOOK_SECRET},
    )


def make_calls(server: ServerProcess) -> dict[str, str]:
    """A mix of calls, failing ones included; returns the request id sent with each, by label."""
    ids: dict[str, str] = {}
    metadata = [("authorization", f"Bearer {TOKEN}")]

    def with_id(label: str) -> list[tuple[str, str]]:
        ids[label] = f"req-{label}"
        return [*metadata, ("x-request-id", ids[label])]

    with grpc.insecure_channel(server.grpc_address) as channel:
        evidence = evidence_pb2_grpc.EvidenceServiceStub(channel)
        escalation = escalation_pb2_grpc.EscalationServiceStub(channel)
        reports = report_pb2_grpc.ReportServiceStub(channel)
        evidence.RecordConnectorRecoveryPlaybook(
            evidence_pb2.RecordConnectorRecoveryPlaybookRequest(playbook=build.playbook("pb-json")),
            metadata=with_id("playbook"),
            timeout=10,
        )
        evidence.RecordRecoveryClosure(
            evidence_pb2.RecordRecoveryClosureRequest(
                playbook_id="pb-json",
                closure=evidence_pb2.RecoveryClosure(
                    closure_id="closure-json",
                    provider="slack",
                    closure_state=common_pb2.CLOSURE_STATE_RESOLVED,
                    closed_at=build.stamp(datetime(2026, 3, 1, 13, tzinfo=UTC)),
                    notes=EVIDENCE_NOTE,
                    external_ref=EVIDENCE_NOTE,
                ),
            ),
            metadata=with_id("closure"),
            timeout=10,
        )
        plan = escalation.CreateRecoveryEscalationPlan(
            escalation_pb2.CreateRecoveryEscalationPlanRequest(), metadata=with_id("plan"), timeout=10
        ).plan
        with pytest.raises(grpc.RpcError) as not_in_plan:
            escalation.AcknowledgeRecoveryEscalation(
                escalation_pb2.AcknowledgeRecoveryEscalationRequest(
                    plan_id=plan.plan_id,
                    provider="datadog",
                    state=common_pb2.ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED,
                    note=ACK_NOTE,
                ),
                metadata=with_id("ack-refused"),
                timeout=10,
            )
        assert not_in_plan.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        with pytest.raises(grpc.RpcError) as unauthenticated:
            reports.GetRollbackDrillDashboard(
                report_pb2.GetRollbackDrillDashboardRequest(),
                metadata=[
                    ("authorization", "Bearer not-a-configured-token-31"),
                    ("x-request-id", "req-bad-token"),
                ],
                timeout=10,
            )
        ids["bad-token"] = "req-bad-token"
        assert unauthenticated.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
        with pytest.raises(grpc.RpcError) as denied:
            escalation.CreateRecoveryEscalationPlan(
                escalation_pb2.CreateRecoveryEscalationPlanRequest(),
                metadata=[("authorization", f"Bearer {OTHER_TOKEN}"), ("x-request-id", "req-denied")],
                timeout=10,
            )
        ids["denied"] = "req-denied"
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    gateway = httpx.get(
        f"http://{server.http_address}{DASHBOARD}",
        headers={"Authorization": f"Bearer {OTHER_TOKEN}", "x-request-id": "req-gateway"},
        timeout=10,
    )
    assert gateway.status_code == 200
    ids["gateway"] = "req-gateway"
    return ids


def parsed_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = [line for line in server.log_lines if line.strip()]
    assert lines
    documents = []
    for line in lines:
        document = json.loads(line)  # every line, start-up and shutdown included, is one JSON object
        assert isinstance(document, dict), line
        assert {"time", "level", "logger", "message"} <= document.keys(), line
        documents.append(document)
    return documents


def test_every_line_is_json_with_one_access_line_per_rpc(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    server = start(server_factory, sqlite_url, tmp_path)
    ids = make_calls(server)
    time.sleep(0.5)  # the last access lines reach stderr
    server.stop()
    documents = parsed_lines(server)
    access = {doc["request_id"]: doc for doc in documents if "method" in doc}
    expected = {
        "playbook": ("RecordConnectorRecoveryPlaybook", "OK", "release-manager"),
        "closure": ("RecordRecoveryClosure", "OK", "release-manager"),
        "plan": ("CreateRecoveryEscalationPlan", "OK", "release-manager"),
        "ack-refused": ("AcknowledgeRecoveryEscalation", "INVALID_ARGUMENT", "release-manager"),
        "bad-token": ("GetRollbackDrillDashboard", "UNAUTHENTICATED", None),
        "denied": ("CreateRecoveryEscalationPlan", "PERMISSION_DENIED", "dashboard"),
        "gateway": ("GetRollbackDrillDashboard", "OK", "dashboard"),
    }
    for label, (method, status, identity) in expected.items():
        line = access[ids[label]]
        assert line["method"].endswith(f"/{method}"), line
        assert (line["status"], line["identity"], line["level"]) == (status, identity, "INFO"), line
        assert isinstance(line["latency_ms"], float | int) and line["latency_ms"] >= 0, line
    per_request = [doc["request_id"] for doc in documents if "method" in doc]
    assert all(per_request.count(ids[label]) == 1 for label in expected)
    text = "\n".join(server.log_lines)
    for never in (TOKEN, OTHER_TOKEN, "not-a-configured-token-31", WEBHOOK_SECRET, EVIDENCE_NOTE, ACK_NOTE):
        assert never not in text


def test_text_is_still_the_default_format(server: ServerProcess) -> None:
    assert not server.log_lines[0].startswith("{")
    assert "grpc listening on" in server.log_text
