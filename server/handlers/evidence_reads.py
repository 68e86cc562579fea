"""EvidenceService reads: ids of Get requests, List filters and pages, and stored records back to proto."""

from __future__ import annotations

from cavra.recovery.v1 import evidence_pb2
from cavra_recovery.server.domain.evidence import (
    ClosureFilter,
    ConnectorRecoveryPlaybook,
    PlaybookFilter,
    RecoveryClosure,
    RetryExecution,
    RetryExecutionFilter,
    TimeRange,
)
from cavra_recovery.server.domain.paging import Listing, PageRequest, page_request

# Violations reported per error: a 5,000-record batch of garbage must still fit in gRPC trailers.
from cavra_recovery.server.handlers.evidence_mapping import (
    ALL_PLAYBOOKS,
    CLOSURE_STATE_FROM_PROTO,
    CLOSURE_STATE_TO_PROTO,
    EXECUTION_STATUS_FROM_PROTO,
    EXECUTION_STATUS_TO_PROTO,
    PROVIDER_CATEGORY_TO_PROTO,
    EvidenceChecks,
)
from cavra_recovery.server.handlers.timestamps import to_timestamp

RETRY_EXECUTIONS = Listing("EvidenceService.ListRetryExecutions", keyed_by_time=True)
PLAYBOOKS = Listing("EvidenceService.ListConnectorRecoveryPlaybooks", keyed_by_time=True)
CLOSURES = Listing("EvidenceService.ListRecoveryClosures", keyed_by_time=True)


def _id_from_get(field: str, value: str) -> str:
    checks = EvidenceChecks()
    checks.require_id(field, value)
    checks.raise_if_any()
    return value


def execution_id_from_request(request: evidence_pb2.GetRetryExecutionRequest) -> str:
    return _id_from_get("execution_id", request.execution_id)


def playbook_id_from_request(request: evidence_pb2.GetConnectorRecoveryPlaybookRequest) -> str:
    return _id_from_get("playbook_id", request.playbook_id)


def _window(checks: EvidenceChecks, request: object) -> TimeRange:
    start = checks.timestamp("start_time", request, "start_time", required=False)
    end = checks.timestamp("end_time", request, "end_time", required=False)
    checks.check_time_range("start_time", start, "end_time", end)
    return TimeRange(start, end)


def retry_execution_query(
    request: evidence_pb2.ListRetryExecutionsRequest,
) -> tuple[RetryExecutionFilter, PageRequest]:
    checks = EvidenceChecks()
    checks.check_provider("provider", request.provider)
    status = checks.enum(
        "execution_status", request.execution_status, EXECUTION_STATUS_FROM_PROTO, required=False
    )
    window = _window(checks, request)
    where = RetryExecutionFilter(provider=request.provider or None, execution_status=status, executed=window)
    page = page_request(
        checks, RETRY_EXECUTIONS, page_size=request.page_size, page_token=request.page_token, filters=(where,)
    )
    checks.raise_if_any()
    return where, page


def playbook_query(
    request: evidence_pb2.ListConnectorRecoveryPlaybooksRequest,
) -> tuple[PlaybookFilter, PageRequest]:
    checks = EvidenceChecks()
    checks.check_provider("provider", request.provider)
    window = _window(checks, request)
    where = PlaybookFilter(provider=request.provider or None, generated=window)
    page = page_request(
        checks, PLAYBOOKS, page_size=request.page_size, page_token=request.page_token, filters=(where,)
    )
    checks.raise_if_any()
    return where, page


def closure_query(
    request: evidence_pb2.ListRecoveryClosuresRequest,
) -> tuple[ClosureFilter, PageRequest]:
    checks = EvidenceChecks()
    if request.playbook_id != ALL_PLAYBOOKS:
        checks.require_id("playbook_id", request.playbook_id)
    checks.check_provider("provider", request.provider)
    state = checks.enum("closure_state", request.closure_state, CLOSURE_STATE_FROM_PROTO, required=False)
    window = _window(checks, request)
    where = ClosureFilter(
        playbook_id=None if request.playbook_id == ALL_PLAYBOOKS else request.playbook_id,
        provider=request.provider or None,
        closure_state=state,
        closed=window,
    )
    page = page_request(
        checks, CLOSURES, page_size=request.page_size, page_token=request.page_token, filters=(where,)
    )
    checks.raise_if_any()
    return where, page


def retry_execution_to_proto(execution: RetryExecution) -> evidence_pb2.RetryExecution:
    message = evidence_pb2.RetryExecution(
        execution_id=execution.execution_id,
        provider=execution.provider,
        execution_status=EXECUTION_STATUS_TO_PROTO[execution.execution_status],
        executed_at=to_timestamp(execution.executed_at),
        run_id=execution.run_id,
        retry_plan_id=execution.retry_plan_id,
        approval_decision_id=execution.approval_decision_id,
        delivery_id=execution.delivery_id,
        audit_id=execution.audit_id,
        delivery_success=execution.delivery_success,
        skipped_reason=execution.skipped_reason,
    )
    if execution.recorded_at is not None:
        message.recorded_at.CopyFrom(to_timestamp(execution.recorded_at))
    return message


def playbook_to_proto(playbook: ConnectorRecoveryPlaybook) -> evidence_pb2.ConnectorRecoveryPlaybook:
    message = evidence_pb2.ConnectorRecoveryPlaybook(
        playbook_id=playbook.playbook_id,
        generated_at=to_timestamp(playbook.generated_at),
        lookback_hours=playbook.lookback_hours,
        min_failure_count=playbook.min_failure_count,
    )
    for entry in playbook.providers:
        provider = message.providers.add(
            provider=entry.provider,
            category=PROVIDER_CATEGORY_TO_PROTO[entry.category],
            failure_count=entry.failure_count,
            status_codes=entry.status_codes,
        )
        if entry.latest_failure_at is not None:
            provider.latest_failure_at.CopyFrom(to_timestamp(entry.latest_failure_at))
    if playbook.recorded_at is not None:
        message.recorded_at.CopyFrom(to_timestamp(playbook.recorded_at))
    return message


def closure_to_proto(closure: RecoveryClosure) -> evidence_pb2.RecoveryClosure:
    message = evidence_pb2.RecoveryClosure(
        closure_id=closure.closure_id,
        playbook_id=closure.playbook_id,
        provider=closure.provider,
        closure_state=CLOSURE_STATE_TO_PROTO[closure.closure_state],
        closed_by=closure.closed_by,
        closed_at=to_timestamp(closure.closed_at),
        external_ref=closure.external_ref,
        notes=closure.notes,
        verification_refs=closure.verification_refs,
    )
    if closure.recorded_at is not None:
        message.recorded_at.CopyFrom(to_timestamp(closure.recorded_at))
    return message
