"""A user's scenario through the REST client generated from the served OpenAPI document.

Run by tests/gateway/test_openapi_client.py with the python of a throwaway virtualenv that has only
the generated package (and its dependencies) installed: `python scenario.py BASE_URL`. It uses the
generated code as generated, and prints what it saw as one JSON object for the test to check.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

from cavra_recovery_escalation_service_client import Client
from cavra_recovery_escalation_service_client.api.escalation_service import (
    create_recovery_escalation_plan,
    get_recovery_escalation_plan,
)
from cavra_recovery_escalation_service_client.api.evidence_service import (
    record_connector_recovery_playbook,
    record_retry_execution,
)
from cavra_recovery_escalation_service_client.api.report_service import render_recovery_executive_report
from cavra_recovery_escalation_service_client.models import (
    RenderRecoveryExecutiveReportFormat,
    RpcStatus,
    V1ConnectorRecoveryPlaybook,
    V1CreateRecoveryEscalationPlanRequest,
    V1ExecutionStatus,
    V1PlaybookProvider,
    V1RetryExecution,
)
from cavra_recovery_escalation_service_client.types import Unset

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def unset_or(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


def listed(value: Any) -> list[Any]:
    return [] if isinstance(value, Unset) else list(value)


def main(base_url: str) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)
    seen: dict[str, Any] = {}

    execution = V1RetryExecution(
        execution_id="oapi-ex-1",
        provider="slack",
        execution_status=V1ExecutionStatus.EXECUTION_STATUS_FAILED,
        executed_at=NOW - datetime.timedelta(hours=1),
    )
    recorded = record_retry_execution.sync(client=client, body=execution, request_id="oapi-req-1")
    assert not isinstance(recorded, RpcStatus), recorded
    again = record_retry_execution.sync(client=client, body=execution)
    assert not isinstance(again, RpcStatus), again
    seen["recorded"] = {
        "created": unset_or(recorded.created),
        "created_again": unset_or(again.created),
        "execution_id": recorded.retry_execution.execution_id,
        "execution_status": recorded.retry_execution.execution_status.value,
        "recorded_at_is_datetime": isinstance(recorded.retry_execution.recorded_at, datetime.datetime),
    }

    playbook = V1ConnectorRecoveryPlaybook(
        playbook_id="oapi-pb-1",
        generated_at=NOW - datetime.timedelta(days=2),
        providers=[V1PlaybookProvider(provider="jira", failure_count=4)],
    )
    stored = record_connector_recovery_playbook.sync(client=client, body=playbook)
    assert not isinstance(stored, RpcStatus), stored

    created = create_recovery_escalation_plan.sync(
        client=client,
        body=V1CreateRecoveryEscalationPlanRequest(
            recovery_slo_minutes=240, generated_by="openapi-client", request_id="oapi-plan-1"
        ),
    )
    assert not isinstance(created, RpcStatus), created
    fetched = get_recovery_escalation_plan.sync(created.plan.plan_id, client=client)
    assert not isinstance(fetched, RpcStatus), fetched
    seen["plan"] = {
        "created_plan_id": created.plan.plan_id,
        "fetched_plan_id": fetched.plan.plan_id,
        "alert_level": fetched.plan.alert_level.value,
        "escalation_count": fetched.plan.escalation_count,
        "generated_by": fetched.plan.generated_by,
        "routes": sorted(
            (route.provider, route.status.value, route.severity.value)
            for route in fetched.plan.escalation_routes
        ),
    }

    rendered = render_recovery_executive_report.sync_detailed(
        client=client, format_=RenderRecoveryExecutiveReportFormat.REPORT_FORMAT_MARKDOWN
    )
    seen["markdown"] = {
        "status": int(rendered.status_code),
        "content_type": rendered.headers["content-type"],
        "body": rendered.parsed,
    }

    bad = record_retry_execution.sync_detailed(
        client=client,
        body=V1RetryExecution(
            execution_id="not an id",
            provider="slack",
            execution_status=V1ExecutionStatus.EXECUTION_STATUS_DELIVERED,
            executed_at=NOW,
        ),
    )
    status = bad.parsed
    assert isinstance(status, RpcStatus), status
    details = listed(status.details)
    seen["bad_request"] = {
        "http_status": int(bad.status_code),
        "code": status.code,
        "types": [detail.type_ for detail in details],
        "reasons": [detail.reason for detail in details if not isinstance(detail.reason, Unset)],
        "field_violations": [
            {"field": violation.field, "description": violation.description}
            for detail in details
            if not isinstance(detail.field_violations, Unset)
            for violation in detail.field_violations
        ],
    }

    missing = get_recovery_escalation_plan.sync("no-such-plan", client=client)
    assert isinstance(missing, RpcStatus), missing
    seen["not_found"] = {
        "code": missing.code,
        "reasons": [d.reason for d in listed(missing.details) if not isinstance(d.reason, Unset)],
        "metadata": [
            d.metadata.to_dict() for d in listed(missing.details) if not isinstance(d.metadata, Unset)
        ],
    }
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
