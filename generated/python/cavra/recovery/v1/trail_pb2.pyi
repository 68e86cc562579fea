import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from cavra.recovery.v1 import policy_pb2 as _policy_pb2
from cavra.recovery.v1 import retry_runs_pb2 as _retry_runs_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetryRecoveryReportEntry(_message.Message):
    __slots__ = ("report_id", "generated_at", "recovery_slo_minutes", "level")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    recovery_slo_minutes: int
    level: _common_pb2.AlertLevel
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_slo_minutes: _Optional[int] = ..., level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ...) -> None: ...

class ListRetryRecoveryReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "start_time", "end_time", "plan_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    plan_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., plan_id: _Optional[str] = ...) -> None: ...

class ListRetryRecoveryReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token", "total_size")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[RetryRecoveryReportEntry]
    next_page_token: str
    total_size: int
    def __init__(self, reports: _Optional[_Iterable[_Union[RetryRecoveryReportEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class RecoveryExecutiveReportEntry(_message.Message):
    __slots__ = ("report_id", "generated_at", "status", "recovery_slo_minutes", "recovery_report_id", "escalation_plan_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    status: _common_pb2.AlertLevel
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_plan_id: str
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., recovery_slo_minutes: _Optional[int] = ..., recovery_report_id: _Optional[str] = ..., escalation_plan_id: _Optional[str] = ...) -> None: ...

class ListRecoveryExecutiveReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "start_time", "end_time", "plan_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    plan_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., plan_id: _Optional[str] = ...) -> None: ...

class ListRecoveryExecutiveReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token", "total_size")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[RecoveryExecutiveReportEntry]
    next_page_token: str
    total_size: int
    def __init__(self, reports: _Optional[_Iterable[_Union[RecoveryExecutiveReportEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class AcknowledgementEntry(_message.Message):
    __slots__ = ("acknowledgement_id", "plan_id", "provider", "state", "acknowledged_by", "acknowledged_at", "note")
    ACKNOWLEDGEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    acknowledgement_id: str
    plan_id: str
    provider: str
    state: _common_pb2.AcknowledgementState
    acknowledged_by: str
    acknowledged_at: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, acknowledgement_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., provider: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.AcknowledgementState, str]] = ..., acknowledged_by: _Optional[str] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class ListRecoveryEscalationAcknowledgementsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "plan_id", "provider")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    plan_id: str
    provider: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., plan_id: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ListRecoveryEscalationAcknowledgementsResponse(_message.Message):
    __slots__ = ("acknowledgements", "next_page_token", "total_size")
    ACKNOWLEDGEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    acknowledgements: _containers.RepeatedCompositeFieldContainer[AcknowledgementEntry]
    next_page_token: str
    total_size: int
    def __init__(self, acknowledgements: _Optional[_Iterable[_Union[AcknowledgementEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class TrailRecoveryReport(_message.Message):
    __slots__ = ("report_id", "generated_at", "recovery_slo_minutes", "level")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    recovery_slo_minutes: int
    level: _common_pb2.AlertLevel
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_slo_minutes: _Optional[int] = ..., level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ...) -> None: ...

class TrailPlan(_message.Message):
    __slots__ = ("plan_id", "generated_at", "alert_level", "recovery_slo_minutes", "recovery_report_id", "escalation_count", "critical_escalation_count", "selected_providers")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    ALERT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_ESCALATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELECTED_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    generated_at: _timestamp_pb2.Timestamp
    alert_level: _common_pb2.AlertLevel
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_count: int
    critical_escalation_count: int
    selected_providers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, plan_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alert_level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., recovery_slo_minutes: _Optional[int] = ..., recovery_report_id: _Optional[str] = ..., escalation_count: _Optional[int] = ..., critical_escalation_count: _Optional[int] = ..., selected_providers: _Optional[_Iterable[str]] = ...) -> None: ...

class TrailDeliveryAttempt(_message.Message):
    __slots__ = ("attempt_number", "started_at", "finished_at", "success", "http_status", "failure_reason", "retryable", "latency_ms", "body_sha256")
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    BODY_SHA256_FIELD_NUMBER: _ClassVar[int]
    attempt_number: int
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    success: bool
    http_status: int
    failure_reason: _common_pb2.DeliveryFailureReason
    retryable: bool
    latency_ms: int
    body_sha256: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, attempt_number: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., success: _Optional[bool] = ..., http_status: _Optional[int] = ..., failure_reason: _Optional[_Union[_common_pb2.DeliveryFailureReason, str]] = ..., retryable: _Optional[bool] = ..., latency_ms: _Optional[int] = ..., body_sha256: _Optional[_Iterable[str]] = ...) -> None: ...

class TrailDelivery(_message.Message):
    __slots__ = ("delivery_id", "delivery_evidence_id", "receiver", "provider", "state", "attempt_count", "round_count", "created_at", "updated_at", "attempts")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    ROUND_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    delivery_evidence_id: str
    receiver: str
    provider: str
    state: _common_pb2.DeliveryState
    attempt_count: int
    round_count: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    attempts: _containers.RepeatedCompositeFieldContainer[TrailDeliveryAttempt]
    def __init__(self, delivery_id: _Optional[str] = ..., delivery_evidence_id: _Optional[str] = ..., receiver: _Optional[str] = ..., provider: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DeliveryState, str]] = ..., attempt_count: _Optional[int] = ..., round_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[TrailDeliveryAttempt, _Mapping]]] = ...) -> None: ...

class TrailAcknowledgement(_message.Message):
    __slots__ = ("acknowledgement_id", "provider", "state", "acknowledged_at")
    ACKNOWLEDGEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    acknowledgement_id: str
    provider: str
    state: _common_pb2.AcknowledgementState
    acknowledged_at: _timestamp_pb2.Timestamp
    def __init__(self, acknowledgement_id: _Optional[str] = ..., provider: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.AcknowledgementState, str]] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrailRetryDecision(_message.Message):
    __slots__ = ("delivery_id", "receiver", "decision", "reason", "attempt_count", "next_attempt_at", "acknowledgement_state")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENT_STATE_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    receiver: str
    decision: _common_pb2.RetryDecision
    reason: str
    attempt_count: int
    next_attempt_at: _timestamp_pb2.Timestamp
    acknowledgement_state: _common_pb2.AcknowledgementState
    def __init__(self, delivery_id: _Optional[str] = ..., receiver: _Optional[str] = ..., decision: _Optional[_Union[_common_pb2.RetryDecision, str]] = ..., reason: _Optional[str] = ..., attempt_count: _Optional[int] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledgement_state: _Optional[_Union[_common_pb2.AcknowledgementState, str]] = ...) -> None: ...

class TrailExecutiveReport(_message.Message):
    __slots__ = ("report_id", "generated_at", "status", "recovery_report_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    status: _common_pb2.AlertLevel
    recovery_report_id: str
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., recovery_report_id: _Optional[str] = ...) -> None: ...

class RecoveryEvidenceTrail(_message.Message):
    __slots__ = ("recovery_report", "plan", "deliveries", "acknowledgements", "retry_decisions", "evaluated_at", "executive_reports", "retry_worker_runs", "escalation_steps", "ledger_entries")
    RECOVERY_REPORT_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENTS_FIELD_NUMBER: _ClassVar[int]
    RETRY_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXECUTIVE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    RETRY_WORKER_RUNS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_STEPS_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    recovery_report: TrailRecoveryReport
    plan: TrailPlan
    deliveries: _containers.RepeatedCompositeFieldContainer[TrailDelivery]
    acknowledgements: _containers.RepeatedCompositeFieldContainer[TrailAcknowledgement]
    retry_decisions: _containers.RepeatedCompositeFieldContainer[TrailRetryDecision]
    evaluated_at: _timestamp_pb2.Timestamp
    executive_reports: _containers.RepeatedCompositeFieldContainer[TrailExecutiveReport]
    retry_worker_runs: _containers.RepeatedCompositeFieldContainer[_retry_runs_pb2.TrailRetryWorkerRun]
    escalation_steps: _containers.RepeatedCompositeFieldContainer[TrailEscalationStep]
    ledger_entries: _containers.RepeatedCompositeFieldContainer[TrailLedgerEntry]
    def __init__(self, recovery_report: _Optional[_Union[TrailRecoveryReport, _Mapping]] = ..., plan: _Optional[_Union[TrailPlan, _Mapping]] = ..., deliveries: _Optional[_Iterable[_Union[TrailDelivery, _Mapping]]] = ..., acknowledgements: _Optional[_Iterable[_Union[TrailAcknowledgement, _Mapping]]] = ..., retry_decisions: _Optional[_Iterable[_Union[TrailRetryDecision, _Mapping]]] = ..., evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., executive_reports: _Optional[_Iterable[_Union[TrailExecutiveReport, _Mapping]]] = ..., retry_worker_runs: _Optional[_Iterable[_Union[_retry_runs_pb2.TrailRetryWorkerRun, _Mapping]]] = ..., escalation_steps: _Optional[_Iterable[_Union[TrailEscalationStep, _Mapping]]] = ..., ledger_entries: _Optional[_Iterable[_Union[TrailLedgerEntry, _Mapping]]] = ...) -> None: ...

class TrailEscalationStep(_message.Message):
    __slots__ = ("dedup_key", "provider", "policy", "step")
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    dedup_key: str
    provider: str
    policy: str
    step: _policy_pb2.RecoveryEscalationStep
    def __init__(self, dedup_key: _Optional[str] = ..., provider: _Optional[str] = ..., policy: _Optional[str] = ..., step: _Optional[_Union[_policy_pb2.RecoveryEscalationStep, _Mapping]] = ...) -> None: ...

class TrailLedgerEntry(_message.Message):
    __slots__ = ("kind", "record_id", "sequence", "leaf_index", "sealed")
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    kind: str
    record_id: str
    sequence: int
    leaf_index: int
    sealed: bool
    def __init__(self, kind: _Optional[str] = ..., record_id: _Optional[str] = ..., sequence: _Optional[int] = ..., leaf_index: _Optional[int] = ..., sealed: _Optional[bool] = ...) -> None: ...

class GetRecoveryEvidenceTrailRequest(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class GetRecoveryEvidenceTrailResponse(_message.Message):
    __slots__ = ("trail",)
    TRAIL_FIELD_NUMBER: _ClassVar[int]
    trail: RecoveryEvidenceTrail
    def __init__(self, trail: _Optional[_Union[RecoveryEvidenceTrail, _Mapping]] = ...) -> None: ...

class EscalationReceiver(_message.Message):
    __slots__ = ("name", "provider", "category", "is_default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    provider: str
    category: _common_pb2.ProviderCategory
    is_default: bool
    def __init__(self, name: _Optional[str] = ..., provider: _Optional[str] = ..., category: _Optional[_Union[_common_pb2.ProviderCategory, str]] = ..., is_default: _Optional[bool] = ...) -> None: ...

class EscalationRouteMatch(_message.Message):
    __slots__ = ("severity", "category", "provider")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    severity: _common_pb2.AlertLevel
    category: _common_pb2.RouteCategory
    provider: str
    def __init__(self, severity: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., category: _Optional[_Union[_common_pb2.RouteCategory, str]] = ..., provider: _Optional[str] = ...) -> None: ...

class EscalationRoutingRule(_message.Message):
    __slots__ = ("match", "receivers", "continue_matching")
    MATCH_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_MATCHING_FIELD_NUMBER: _ClassVar[int]
    match: EscalationRouteMatch
    receivers: _containers.RepeatedScalarFieldContainer[str]
    continue_matching: bool
    def __init__(self, match: _Optional[_Union[EscalationRouteMatch, _Mapping]] = ..., receivers: _Optional[_Iterable[str]] = ..., continue_matching: _Optional[bool] = ...) -> None: ...

class ListEscalationReceiversRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "provider")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    provider: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ListEscalationReceiversResponse(_message.Message):
    __slots__ = ("receivers", "next_page_token", "total_size", "default_receiver", "routing_rules")
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RECEIVER_FIELD_NUMBER: _ClassVar[int]
    ROUTING_RULES_FIELD_NUMBER: _ClassVar[int]
    receivers: _containers.RepeatedCompositeFieldContainer[EscalationReceiver]
    next_page_token: str
    total_size: int
    default_receiver: str
    routing_rules: _containers.RepeatedCompositeFieldContainer[EscalationRoutingRule]
    def __init__(self, receivers: _Optional[_Iterable[_Union[EscalationReceiver, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., default_receiver: _Optional[str] = ..., routing_rules: _Optional[_Iterable[_Union[EscalationRoutingRule, _Mapping]]] = ...) -> None: ...
