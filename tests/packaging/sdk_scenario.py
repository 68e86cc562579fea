"""Run by tests/packaging inside a clean virtualenv holding only the built cavra-recovery-proto and
cavra-recovery-client wheels (and their dependencies), never imported by pytest itself.

`python -I sdk_scenario.py ADDRESS` records evidence, creates a plan and reads it back, once with the
blocking client and once with the asyncio one, checks an INVALID_ARGUMENT's field violation (the
grpcio-status path) and prints what it saw as one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from cavra_recovery_client import (
    AsyncRecoveryClient,
    ClosureState,
    ConnectorRecoveryPlaybook,
    ExecutionStatus,
    PlaybookProvider,
    RecoveryClient,
    RecoveryClosure,
    RecoveryError,
    RetryExecution,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def evidence(suffix: str) -> tuple[RetryExecution, ConnectorRecoveryPlaybook, RecoveryClosure]:
    execution = RetryExecution(
        execution_id=f"exec-{suffix}",
        provider="slack",
        execution_status=ExecutionStatus.EXECUTION_STATUS_FAILED,
        executed_at=timestamp(NOW - timedelta(minutes=30)),
        run_id=f"run-{suffix}",
    )
    playbook = ConnectorRecoveryPlaybook(
        playbook_id=f"pb-{suffix}",
        generated_at=timestamp(NOW - timedelta(hours=6)),
        providers=[
            PlaybookProvider(provider="slack", failure_count=4, status_codes=[500]),
            PlaybookProvider(provider="jira", failure_count=1, status_codes=[429]),
        ],
    )
    closure = RecoveryClosure(
        closure_id=f"closure-{suffix}",
        playbook_id=f"pb-{suffix}",
        provider="jira",
        closure_state=ClosureState.CLOSURE_STATE_RESOLVED,
        closed_by="release-manager",
        closed_at=timestamp(NOW - timedelta(hours=1)),
    )
    return execution, playbook, closure


def sync_scenario(address: str) -> dict[str, Any]:
    execution, playbook, closure = evidence("sync")
    with RecoveryClient(address, plaintext=True) as client:
        created = client.record_retry_execution(execution).created
        client.record_connector_recovery_playbook(playbook)
        client.record_recovery_closure(closure)
        plan = client.create_recovery_escalation_plan(generated_by="packaging-sync")
        read = client.get_recovery_escalation_plan(plan.plan_id)
        try:
            client.record_retry_execution(RetryExecution(execution_id="exec-bad", provider="slack"))
            violation = None
        except RecoveryError as error:
            violation = {"code": error.code.name, "fields": sorted(v.field for v in error.field_violations)}
    return {
        "created": created,
        "plan_id": plan.plan_id,
        "read_plan_id": read.plan_id,
        "read_generated_by": read.generated_by,
        "failed_execution_count": read.failed_execution_count,
        "error": violation,
    }


async def async_scenario(address: str) -> dict[str, Any]:
    execution, playbook, closure = evidence("async")
    async with AsyncRecoveryClient(address, plaintext=True) as client:
        created = (await client.record_retry_execution(execution)).created
        await client.record_connector_recovery_playbook(playbook)
        await client.record_recovery_closure(closure)
        plan = await client.create_recovery_escalation_plan(generated_by="packaging-async")
        read = await client.get_recovery_escalation_plan(plan.plan_id)
    return {
        "created": created,
        "plan_id": plan.plan_id,
        "read_plan_id": read.plan_id,
        "read_generated_by": read.generated_by,
        "failed_execution_count": read.failed_execution_count,
    }


def main() -> None:
    address = sys.argv[1]
    result = {"sync": sync_scenario(address), "async": asyncio.run(async_scenario(address))}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
