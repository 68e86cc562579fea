import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from cavra.recovery.v1 import delivery_pb2 as _delivery_pb2
from cavra.recovery.v1 import trail_pb2 as _trail_pb2
from cavra.recovery.v1 import policy_pb2 as _policy_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EscalationRoute(_message.Message):
    __slots__ = ("dedup_key", "severity", "category", "provider", "status", "playbook_id", "failure_count", "age_minutes", "reason", "action", "receivers")
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    dedup_key: str
    severity: _common_pb2.AlertLevel
    category: _common_pb2.RouteCategory
    provider: str
    status: _common_pb2.RouteStatus
    playbook_id: str
    failure_count: int
    age_minutes: int
    reason: str
    action: str
    receivers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dedup_key: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., category: _Optional[_Union[_common_pb2.RouteCategory, str]] = ..., provider: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.RouteStatus, str]] = ..., playbook_id: _Optional[str] = ..., failure_count: _Optional[int] = ..., age_minutes: _Optional[int] = ..., reason: _Optional[str] = ..., action: _Optional[str] = ..., receivers: _Optional[_Iterable[str]] = ...) -> None: ...

class PlanExecutiveSummary(_message.Message):
    __slots__ = ("status", "tracked_providers", "executions", "failures", "open", "breached", "closure_rate")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRACKED_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    BREACHED_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_RATE_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.AlertLevel
    tracked_providers: int
    executions: int
    failures: int
    open: int
    breached: int
    closure_rate: float
    def __init__(self, status: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., tracked_providers: _Optional[int] = ..., executions: _Optional[int] = ..., failures: _Optional[int] = ..., open: _Optional[int] = ..., breached: _Optional[int] = ..., closure_rate: _Optional[float] = ...) -> None: ...

class RecoveryEscalationPlan(_message.Message):
    __slots__ = ("plan_id", "generated_at", "generated_by", "alert_level", "recovery_slo_minutes", "recovery_report_id", "escalation_count", "critical_escalation_count", "slo_breached_count", "failed_execution_count", "open_recovery_count", "provider_count", "selected_providers", "escalation_routes", "executive_summary", "routes_truncated")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    ALERT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_ESCALATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    SLO_BREACHED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_EXECUTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_RECOVERY_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELECTED_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_ROUTES_FIELD_NUMBER: _ClassVar[int]
    EXECUTIVE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ROUTES_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    generated_at: _timestamp_pb2.Timestamp
    generated_by: str
    alert_level: _common_pb2.AlertLevel
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_count: int
    critical_escalation_count: int
    slo_breached_count: int
    failed_execution_count: int
    open_recovery_count: int
    provider_count: int
    selected_providers: _containers.RepeatedScalarFieldContainer[str]
    escalation_routes: _containers.RepeatedCompositeFieldContainer[EscalationRoute]
    executive_summary: PlanExecutiveSummary
    routes_truncated: bool
    def __init__(self, plan_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., generated_by: _Optional[str] = ..., alert_level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., recovery_slo_minutes: _Optional[int] = ..., recovery_report_id: _Optional[str] = ..., escalation_count: _Optional[int] = ..., critical_escalation_count: _Optional[int] = ..., slo_breached_count: _Optional[int] = ..., failed_execution_count: _Optional[int] = ..., open_recovery_count: _Optional[int] = ..., provider_count: _Optional[int] = ..., selected_providers: _Optional[_Iterable[str]] = ..., escalation_routes: _Optional[_Iterable[_Union[EscalationRoute, _Mapping]]] = ..., executive_summary: _Optional[_Union[PlanExecutiveSummary, _Mapping]] = ..., routes_truncated: _Optional[bool] = ...) -> None: ...

class CreateRecoveryEscalationPlanRequest(_message.Message):
    __slots__ = ("recovery_slo_minutes", "generated_by", "request_id", "route_limit")
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    recovery_slo_minutes: int
    generated_by: str
    request_id: str
    route_limit: int
    def __init__(self, recovery_slo_minutes: _Optional[int] = ..., generated_by: _Optional[str] = ..., request_id: _Optional[str] = ..., route_limit: _Optional[int] = ...) -> None: ...

class CreateRecoveryEscalationPlanResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: RecoveryEscalationPlan
    def __init__(self, plan: _Optional[_Union[RecoveryEscalationPlan, _Mapping]] = ...) -> None: ...

class GetRecoveryEscalationPlanRequest(_message.Message):
    __slots__ = ("plan_id", "route_limit")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    route_limit: int
    def __init__(self, plan_id: _Optional[str] = ..., route_limit: _Optional[int] = ...) -> None: ...

class GetRecoveryEscalationPlanResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: RecoveryEscalationPlan
    def __init__(self, plan: _Optional[_Union[RecoveryEscalationPlan, _Mapping]] = ...) -> None: ...

class ListRecoveryEscalationPlansRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "alert_level", "provider", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALERT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    alert_level: _common_pb2.AlertLevel
    provider: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., alert_level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., provider: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRecoveryEscalationPlansResponse(_message.Message):
    __slots__ = ("plans", "next_page_token", "total_size")
    PLANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[RecoveryEscalationPlan]
    next_page_token: str
    total_size: int
    def __init__(self, plans: _Optional[_Iterable[_Union[RecoveryEscalationPlan, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ListRecoveryEscalationRoutesRequest(_message.Message):
    __slots__ = ("plan_id", "page_size", "page_token", "severity", "provider")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    page_size: int
    page_token: str
    severity: _common_pb2.AlertLevel
    provider: str
    def __init__(self, plan_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., provider: _Optional[str] = ...) -> None: ...

class ListRecoveryEscalationRoutesResponse(_message.Message):
    __slots__ = ("routes", "next_page_token", "total_size")
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[EscalationRoute]
    next_page_token: str
    total_size: int
    def __init__(self, routes: _Optional[_Iterable[_Union[EscalationRoute, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class DeliverRecoveryEscalationRequest(_message.Message):
    __slots__ = ("plan_id", "receivers", "retries", "timeout_seconds", "max_routes", "dry_run", "request_id", "recovery_slo_minutes")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_ROUTES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    receivers: _containers.RepeatedScalarFieldContainer[str]
    retries: int
    timeout_seconds: int
    max_routes: int
    dry_run: bool
    request_id: str
    recovery_slo_minutes: int
    def __init__(self, plan_id: _Optional[str] = ..., receivers: _Optional[_Iterable[str]] = ..., retries: _Optional[int] = ..., timeout_seconds: _Optional[int] = ..., max_routes: _Optional[int] = ..., dry_run: _Optional[bool] = ..., request_id: _Optional[str] = ..., recovery_slo_minutes: _Optional[int] = ...) -> None: ...

class DeliverRecoveryEscalationResponse(_message.Message):
    __slots__ = ("plan", "results", "success", "delivery_evidence_id", "dry_run")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    plan: RecoveryEscalationPlan
    results: _containers.RepeatedCompositeFieldContainer[_delivery_pb2.ReceiverDeliveryResult]
    success: bool
    delivery_evidence_id: str
    dry_run: bool
    def __init__(self, plan: _Optional[_Union[RecoveryEscalationPlan, _Mapping]] = ..., results: _Optional[_Iterable[_Union[_delivery_pb2.ReceiverDeliveryResult, _Mapping]]] = ..., success: _Optional[bool] = ..., delivery_evidence_id: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class RecoveryEscalationAcknowledgement(_message.Message):
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

class AcknowledgeRecoveryEscalationRequest(_message.Message):
    __slots__ = ("plan_id", "provider", "state", "acknowledged_by", "note", "request_id")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    provider: str
    state: _common_pb2.AcknowledgementState
    acknowledged_by: str
    note: str
    request_id: str
    def __init__(self, plan_id: _Optional[str] = ..., provider: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.AcknowledgementState, str]] = ..., acknowledged_by: _Optional[str] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcknowledgeRecoveryEscalationResponse(_message.Message):
    __slots__ = ("acknowledgement",)
    ACKNOWLEDGEMENT_FIELD_NUMBER: _ClassVar[int]
    acknowledgement: RecoveryEscalationAcknowledgement
    def __init__(self, acknowledgement: _Optional[_Union[RecoveryEscalationAcknowledgement, _Mapping]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("max_attempts", "delay_minutes", "multiplier")
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DELAY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    max_attempts: int
    delay_minutes: int
    multiplier: float
    def __init__(self, max_attempts: _Optional[int] = ..., delay_minutes: _Optional[int] = ..., multiplier: _Optional[float] = ...) -> None: ...

class RetryPlanDecision(_message.Message):
    __slots__ = ("delivery_id", "plan_id", "receiver", "provider", "decision", "reason", "attempt_count", "next_attempt_at", "acknowledgement_state")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENT_STATE_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    plan_id: str
    receiver: str
    provider: str
    decision: _common_pb2.RetryDecision
    reason: str
    attempt_count: int
    next_attempt_at: _timestamp_pb2.Timestamp
    acknowledgement_state: _common_pb2.AcknowledgementState
    def __init__(self, delivery_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., receiver: _Optional[str] = ..., provider: _Optional[str] = ..., decision: _Optional[_Union[_common_pb2.RetryDecision, str]] = ..., reason: _Optional[str] = ..., attempt_count: _Optional[int] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledgement_state: _Optional[_Union[_common_pb2.AcknowledgementState, str]] = ...) -> None: ...

class PlanRecoveryEscalationRetriesRequest(_message.Message):
    __slots__ = ("plan_id", "policy", "request_id")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    policy: RetryPolicy
    request_id: str
    def __init__(self, plan_id: _Optional[str] = ..., policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PlanRecoveryEscalationRetriesResponse(_message.Message):
    __slots__ = ("evaluated_at", "policy", "decisions", "retry_count", "wait_count", "suppress_count")
    EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    WAIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUPPRESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    evaluated_at: _timestamp_pb2.Timestamp
    policy: RetryPolicy
    decisions: _containers.RepeatedCompositeFieldContainer[RetryPlanDecision]
    retry_count: int
    wait_count: int
    suppress_count: int
    def __init__(self, evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., decisions: _Optional[_Iterable[_Union[RetryPlanDecision, _Mapping]]] = ..., retry_count: _Optional[int] = ..., wait_count: _Optional[int] = ..., suppress_count: _Optional[int] = ...) -> None: ...

class RunRecoveryEscalationRetryWorkerRequest(_message.Message):
    __slots__ = ("plan_id", "policy", "dry_run", "limit", "request_id")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    policy: RetryPolicy
    dry_run: bool
    limit: int
    request_id: str
    def __init__(self, plan_id: _Optional[str] = ..., policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., dry_run: _Optional[bool] = ..., limit: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RunRecoveryEscalationRetryWorkerResponse(_message.Message):
    __slots__ = ("dry_run", "decisions", "results", "retried_count")
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    RETRIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    decisions: _containers.RepeatedCompositeFieldContainer[RetryPlanDecision]
    results: _containers.RepeatedCompositeFieldContainer[_delivery_pb2.ReceiverDeliveryResult]
    retried_count: int
    def __init__(self, dry_run: _Optional[bool] = ..., decisions: _Optional[_Iterable[_Union[RetryPlanDecision, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[_delivery_pb2.ReceiverDeliveryResult, _Mapping]]] = ..., retried_count: _Optional[int] = ...) -> None: ...

class GetRecoveryEscalationDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id",)
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    def __init__(self, delivery_id: _Optional[str] = ...) -> None: ...

class GetRecoveryEscalationDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: _delivery_pb2.Delivery
    def __init__(self, delivery: _Optional[_Union[_delivery_pb2.Delivery, _Mapping]] = ...) -> None: ...

class ListRecoveryEscalationDeliveriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "plan_id", "receiver", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    plan_id: str
    receiver: str
    state: _common_pb2.DeliveryState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., plan_id: _Optional[str] = ..., receiver: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DeliveryState, str]] = ...) -> None: ...

class ListRecoveryEscalationDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token", "total_size")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[_delivery_pb2.Delivery]
    next_page_token: str
    total_size: int
    def __init__(self, deliveries: _Optional[_Iterable[_Union[_delivery_pb2.Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ReplayRecoveryEscalationDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id", "request_id")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    request_id: str
    def __init__(self, delivery_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReplayRecoveryEscalationDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: _delivery_pb2.Delivery
    def __init__(self, delivery: _Optional[_Union[_delivery_pb2.Delivery, _Mapping]] = ...) -> None: ...
