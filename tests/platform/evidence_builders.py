"""Proto builders for evidence tests: valid records by default, any field overridable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import timestamp_pb2

from cavra.recovery.v1 import common_pb2, evidence_pb2

BASE_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(value)
    return message


def retry_execution(index: int = 0, **overrides: Any) -> evidence_pb2.RetryExecution:
    fields: dict[str, Any] = {
        "execution_id": f"exec-{index:07d}",
        "provider": ("slack", "jira", "webhook", "splunk")[index % 4],
        "execution_status": (
            common_pb2.EXECUTION_STATUS_DELIVERED,
            common_pb2.EXECUTION_STATUS_FAILED,
            common_pb2.EXECUTION_STATUS_SKIPPED,
        )[index % 3],
        "executed_at": stamp(BASE_TIME + timedelta(seconds=index)),
        "run_id": f"run-{index // 100}",
        "retry_plan_id": "plan-1",
        "delivery_id": f"delivery-{index}",
        "audit_id": f"audit-{index}",
        "delivery_success": index % 3 == 0,
        "skipped_reason": "connector paused by operator" if index % 3 == 2 else "",
    }
    fields.update(overrides)
    return evidence_pb2.RetryExecution(**fields)


def playbook(
    playbook_id: str = "playbook-1", providers: tuple[str, ...] = ("slack", "jira"), **overrides: Any
) -> evidence_pb2.ConnectorRecoveryPlaybook:
    fields: dict[str, Any] = {
        "playbook_id": playbook_id,
        "generated_at": stamp(BASE_TIME),
        "lookback_hours": 24,
        "min_failure_count": 2,
        "providers": [
            evidence_pb2.PlaybookProvider(
                provider=name,
                failure_count=3 + i,
                latest_failure_at=stamp(BASE_TIME - timedelta(minutes=5)),
                status_codes=[500, 503],
            )
            for i, name in enumerate(providers)
        ],
    }
    fields.update(overrides)
    return evidence_pb2.ConnectorRecoveryPlaybook(**fields)


def closure(
    closure_id: str = "closure-1", playbook_id: str = "playbook-1", provider: str = "slack", **overrides: Any
) -> evidence_pb2.RecoveryClosure:
    fields: dict[str, Any] = {
        "closure_id": closure_id,
        "playbook_id": playbook_id,
        "provider": provider,
        "closure_state": common_pb2.CLOSURE_STATE_RESOLVED,
        "closed_by": "release-manager",
        "closed_at": stamp(BASE_TIME + timedelta(minutes=30)),
        "external_ref": "INC-1234",
        "notes": "webhook secret rotated",
        "verification_refs": ["audit-1", "audit-2"],
    }
    fields.update(overrides)
    return evidence_pb2.RecoveryClosure(**fields)
