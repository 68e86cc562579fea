"""Evidence the SDK scenario records: a failed slack execution and a six-hour-old playbook whose slack
row is open and breached (240-minute SLO) and whose jira row is resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from cavra_recovery_client import (
    ClosureState,
    ConnectorRecoveryPlaybook,
    ExecutionStatus,
    PlaybookProvider,
    RecoveryClosure,
    RetryExecution,
)

# One instant per test run, so re-sending a sample is byte-identical (an idempotent no-op).
NOW = datetime.now(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def failed_execution(suffix: str) -> RetryExecution:
    return RetryExecution(
        execution_id=f"exec-py-{suffix}",
        provider="slack",
        execution_status=ExecutionStatus.EXECUTION_STATUS_FAILED,
        executed_at=timestamp(NOW - timedelta(minutes=30)),
        run_id="run-1",
    )


def delivered_execution(suffix: str) -> RetryExecution:
    return RetryExecution(
        execution_id=f"exec-py-batch-{suffix}",
        provider="jira",
        execution_status=ExecutionStatus.EXECUTION_STATUS_DELIVERED,
        executed_at=timestamp(NOW - timedelta(minutes=20)),
        delivery_success=True,
    )


def breached_playbook(suffix: str) -> ConnectorRecoveryPlaybook:
    return ConnectorRecoveryPlaybook(
        playbook_id=f"pb-py-{suffix}",
        generated_at=timestamp(NOW - timedelta(hours=6)),
        providers=[
            PlaybookProvider(provider="slack", failure_count=4, status_codes=[500]),
            PlaybookProvider(provider="jira", failure_count=1, status_codes=[429]),
        ],
    )


def jira_resolved(suffix: str) -> RecoveryClosure:
    return RecoveryClosure(
        closure_id=f"closure-py-{suffix}",
        playbook_id=f"pb-py-{suffix}",
        provider="jira",
        closure_state=ClosureState.CLOSURE_STATE_RESOLVED,
        closed_by="release-manager",
        closed_at=timestamp(NOW - timedelta(hours=1)),
    )


def execution_without_time() -> RetryExecution:
    return RetryExecution(
        execution_id="exec-no-time",
        provider="slack",
        execution_status=ExecutionStatus.EXECUTION_STATUS_FAILED,
    )
