"""Every RPC of cavra.recovery.v1, with its message classes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from google.api import httpbody_pb2

from cavra.recovery.v1 import escalation_pb2 as esc
from cavra.recovery.v1 import evidence_pb2 as ev
from cavra.recovery.v1 import ledger_pb2 as led
from cavra.recovery.v1 import policy_pb2 as pol
from cavra.recovery.v1 import report_pb2 as rep
from cavra.recovery.v1 import trail_pb2 as trl
from cavra_recovery_client._channel import method

# The proto files whose services the clients cover (every RPC has one method per client).
ALL_FILES = (ev.DESCRIPTOR, esc.DESCRIPTOR, rep.DESCRIPTOR, led.DESCRIPTOR)

EvidenceInput: TypeAlias = (
    ev.EvidenceRecord | ev.RetryExecution | ev.ConnectorRecoveryPlaybook | ev.RecoveryClosure
)

RECORD_RETRY_EXECUTION = method(
    "EvidenceService", "RecordRetryExecution", ev.RecordRetryExecutionRequest, ev.RecordRetryExecutionResponse
)
GET_RETRY_EXECUTION = method(
    "EvidenceService", "GetRetryExecution", ev.GetRetryExecutionRequest, ev.GetRetryExecutionResponse
)
LIST_RETRY_EXECUTIONS = method(
    "EvidenceService", "ListRetryExecutions", ev.ListRetryExecutionsRequest, ev.ListRetryExecutionsResponse
)
RECORD_PLAYBOOK = method(
    "EvidenceService",
    "RecordConnectorRecoveryPlaybook",
    ev.RecordConnectorRecoveryPlaybookRequest,
    ev.RecordConnectorRecoveryPlaybookResponse,
)
GET_PLAYBOOK = method(
    "EvidenceService",
    "GetConnectorRecoveryPlaybook",
    ev.GetConnectorRecoveryPlaybookRequest,
    ev.GetConnectorRecoveryPlaybookResponse,
)
LIST_PLAYBOOKS = method(
    "EvidenceService",
    "ListConnectorRecoveryPlaybooks",
    ev.ListConnectorRecoveryPlaybooksRequest,
    ev.ListConnectorRecoveryPlaybooksResponse,
)
RECORD_CLOSURE = method(
    "EvidenceService",
    "RecordRecoveryClosure",
    ev.RecordRecoveryClosureRequest,
    ev.RecordRecoveryClosureResponse,
)
LIST_CLOSURES = method(
    "EvidenceService", "ListRecoveryClosures", ev.ListRecoveryClosuresRequest, ev.ListRecoveryClosuresResponse
)
BATCH_RECORD_EVIDENCE = method(
    "EvidenceService", "BatchRecordEvidence", ev.BatchRecordEvidenceRequest, ev.BatchRecordEvidenceResponse
)

CREATE_PLAN = method(
    "EscalationService",
    "CreateRecoveryEscalationPlan",
    esc.CreateRecoveryEscalationPlanRequest,
    esc.CreateRecoveryEscalationPlanResponse,
)
GET_PLAN = method(
    "EscalationService",
    "GetRecoveryEscalationPlan",
    esc.GetRecoveryEscalationPlanRequest,
    esc.GetRecoveryEscalationPlanResponse,
)
LIST_PLANS = method(
    "EscalationService",
    "ListRecoveryEscalationPlans",
    esc.ListRecoveryEscalationPlansRequest,
    esc.ListRecoveryEscalationPlansResponse,
)
LIST_ROUTES = method(
    "EscalationService",
    "ListRecoveryEscalationRoutes",
    esc.ListRecoveryEscalationRoutesRequest,
    esc.ListRecoveryEscalationRoutesResponse,
)
DELIVER = method(
    "EscalationService",
    "DeliverRecoveryEscalation",
    esc.DeliverRecoveryEscalationRequest,
    esc.DeliverRecoveryEscalationResponse,
)
ACKNOWLEDGE = method(
    "EscalationService",
    "AcknowledgeRecoveryEscalation",
    esc.AcknowledgeRecoveryEscalationRequest,
    esc.AcknowledgeRecoveryEscalationResponse,
)
PLAN_RETRIES = method(
    "EscalationService",
    "PlanRecoveryEscalationRetries",
    esc.PlanRecoveryEscalationRetriesRequest,
    esc.PlanRecoveryEscalationRetriesResponse,
)
RUN_RETRY_WORKER = method(
    "EscalationService",
    "RunRecoveryEscalationRetryWorker",
    esc.RunRecoveryEscalationRetryWorkerRequest,
    esc.RunRecoveryEscalationRetryWorkerResponse,
)
GET_DELIVERY = method(
    "EscalationService",
    "GetRecoveryEscalationDelivery",
    esc.GetRecoveryEscalationDeliveryRequest,
    esc.GetRecoveryEscalationDeliveryResponse,
)
LIST_DELIVERIES = method(
    "EscalationService",
    "ListRecoveryEscalationDeliveries",
    esc.ListRecoveryEscalationDeliveriesRequest,
    esc.ListRecoveryEscalationDeliveriesResponse,
)
REPLAY_DELIVERY = method(
    "EscalationService",
    "ReplayRecoveryEscalationDelivery",
    esc.ReplayRecoveryEscalationDeliveryRequest,
    esc.ReplayRecoveryEscalationDeliveryResponse,
)
CREATE_SILENCE = method(
    "EscalationService",
    "CreateRecoveryEscalationSilence",
    pol.CreateRecoveryEscalationSilenceRequest,
    pol.CreateRecoveryEscalationSilenceResponse,
)
LIST_SILENCES = method(
    "EscalationService",
    "ListRecoveryEscalationSilences",
    pol.ListRecoveryEscalationSilencesRequest,
    pol.ListRecoveryEscalationSilencesResponse,
)
EXPIRE_SILENCE = method(
    "EscalationService",
    "ExpireRecoveryEscalationSilence",
    pol.ExpireRecoveryEscalationSilenceRequest,
    pol.ExpireRecoveryEscalationSilenceResponse,
)
GET_ESCALATION_STATE = method(
    "EscalationService",
    "GetRecoveryEscalationState",
    pol.GetRecoveryEscalationStateRequest,
    pol.GetRecoveryEscalationStateResponse,
)

GET_RETRY_RECOVERY_REPORT = method(
    "ReportService",
    "GetRetryRecoveryReport",
    rep.GetRetryRecoveryReportRequest,
    rep.GetRetryRecoveryReportResponse,
)
GET_EXECUTIVE_REPORT = method(
    "ReportService",
    "GetRecoveryExecutiveReport",
    rep.GetRecoveryExecutiveReportRequest,
    rep.GetRecoveryExecutiveReportResponse,
)
RENDER_EXECUTIVE_REPORT = method(
    "ReportService",
    "RenderRecoveryExecutiveReport",
    rep.RenderRecoveryExecutiveReportRequest,
    httpbody_pb2.HttpBody,
)
GET_DASHBOARD = method(
    "ReportService",
    "GetRollbackDrillDashboard",
    rep.GetRollbackDrillDashboardRequest,
    rep.GetRollbackDrillDashboardResponse,
)
RUN_REPORT_SCHEDULE = method(
    "ReportService",
    "RunExecutiveReportSchedule",
    rep.RunExecutiveReportScheduleRequest,
    rep.RunExecutiveReportScheduleResponse,
)
LIST_SCHEDULE_RUNS = method(
    "ReportService",
    "ListExecutiveReportScheduleRuns",
    rep.ListExecutiveReportScheduleRunsRequest,
    rep.ListExecutiveReportScheduleRunsResponse,
)
DELIVER_SCHEDULE_RUN = method(
    "ReportService",
    "DeliverExecutiveReportScheduleRun",
    rep.DeliverExecutiveReportScheduleRunRequest,
    rep.DeliverExecutiveReportScheduleRunResponse,
)

LIST_RECOVERY_REPORTS = method(
    "ReportService",
    "ListRetryRecoveryReports",
    trl.ListRetryRecoveryReportsRequest,
    trl.ListRetryRecoveryReportsResponse,
)
LIST_EXECUTIVE_REPORTS = method(
    "ReportService",
    "ListRecoveryExecutiveReports",
    trl.ListRecoveryExecutiveReportsRequest,
    trl.ListRecoveryExecutiveReportsResponse,
)
LIST_ACKNOWLEDGEMENTS = method(
    "EscalationService",
    "ListRecoveryEscalationAcknowledgements",
    trl.ListRecoveryEscalationAcknowledgementsRequest,
    trl.ListRecoveryEscalationAcknowledgementsResponse,
)
GET_EVIDENCE_TRAIL = method(
    "EscalationService",
    "GetRecoveryEvidenceTrail",
    trl.GetRecoveryEvidenceTrailRequest,
    trl.GetRecoveryEvidenceTrailResponse,
)
LIST_RECEIVERS = method(
    "EscalationService",
    "ListEscalationReceivers",
    trl.ListEscalationReceiversRequest,
    trl.ListEscalationReceiversResponse,
)
GET_LEDGER_CHECKPOINT = method(
    "LedgerService", "GetLedgerCheckpoint", led.GetLedgerCheckpointRequest, led.GetLedgerCheckpointResponse
)
GET_LEDGER_INCLUSION_PROOF = method(
    "LedgerService",
    "GetLedgerInclusionProof",
    led.GetLedgerInclusionProofRequest,
    led.GetLedgerInclusionProofResponse,
)
GET_LEDGER_CONSISTENCY_PROOF = method(
    "LedgerService",
    "GetLedgerConsistencyProof",
    led.GetLedgerConsistencyProofRequest,
    led.GetLedgerConsistencyProofResponse,
)


def evidence_record(record: EvidenceInput) -> ev.EvidenceRecord:
    """Wrap a bare retry execution, playbook or closure in an EvidenceRecord for batches."""
    if isinstance(record, ev.EvidenceRecord):
        return record
    if isinstance(record, ev.RetryExecution):
        return ev.EvidenceRecord(retry_execution=record)
    if isinstance(record, ev.ConnectorRecoveryPlaybook):
        return ev.EvidenceRecord(playbook=record)
    return ev.EvidenceRecord(closure=record)


def batch_request(records: Iterable[EvidenceInput], request_id: str | None) -> ev.BatchRecordEvidenceRequest:
    return ev.BatchRecordEvidenceRequest(
        records=[evidence_record(r) for r in records], request_id=request_id or ""
    )
