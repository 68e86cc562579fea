import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from cavra.recovery.v1 import delivery_pb2 as _delivery_pb2
from cavra.recovery.v1 import trail_pb2 as _trail_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClosureStateCount(_message.Message):
    __slots__ = ("closure_state", "count")
    CLOSURE_STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    closure_state: _common_pb2.ClosureState
    count: int
    def __init__(self, closure_state: _Optional[_Union[_common_pb2.ClosureState, str]] = ..., count: _Optional[int] = ...) -> None: ...

class ProviderCount(_message.Message):
    __slots__ = ("provider", "count")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    provider: str
    count: int
    def __init__(self, provider: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class RecoveryRow(_message.Message):
    __slots__ = ("playbook_id", "provider", "category", "generated_at", "failure_count", "status", "age_minutes", "closure_state", "closure_id", "closed_at", "closure_minutes")
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AGE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_STATE_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    playbook_id: str
    provider: str
    category: _common_pb2.ProviderCategory
    generated_at: _timestamp_pb2.Timestamp
    failure_count: int
    status: _common_pb2.RecoveryRowStatus
    age_minutes: int
    closure_state: _common_pb2.ClosureState
    closure_id: str
    closed_at: _timestamp_pb2.Timestamp
    closure_minutes: int
    def __init__(self, playbook_id: _Optional[str] = ..., provider: _Optional[str] = ..., category: _Optional[_Union[_common_pb2.ProviderCategory, str]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failure_count: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.RecoveryRowStatus, str]] = ..., age_minutes: _Optional[int] = ..., closure_state: _Optional[_Union[_common_pb2.ClosureState, str]] = ..., closure_id: _Optional[str] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closure_minutes: _Optional[int] = ...) -> None: ...

class ProviderRecoverySummary(_message.Message):
    __slots__ = ("provider", "category", "executions", "delivered", "failed", "skipped", "playbook_rows", "closures", "open", "breached", "closed", "latest_execution_at", "latest_closure_at", "mean_minutes_to_close", "p90_minutes_to_close", "slo_attainment")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    PLAYBOOK_ROWS_FIELD_NUMBER: _ClassVar[int]
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    BREACHED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    LATEST_EXECUTION_AT_FIELD_NUMBER: _ClassVar[int]
    LATEST_CLOSURE_AT_FIELD_NUMBER: _ClassVar[int]
    MEAN_MINUTES_TO_CLOSE_FIELD_NUMBER: _ClassVar[int]
    P90_MINUTES_TO_CLOSE_FIELD_NUMBER: _ClassVar[int]
    SLO_ATTAINMENT_FIELD_NUMBER: _ClassVar[int]
    provider: str
    category: _common_pb2.ProviderCategory
    executions: int
    delivered: int
    failed: int
    skipped: int
    playbook_rows: int
    closures: int
    open: int
    breached: int
    closed: int
    latest_execution_at: _timestamp_pb2.Timestamp
    latest_closure_at: _timestamp_pb2.Timestamp
    mean_minutes_to_close: float
    p90_minutes_to_close: float
    slo_attainment: float
    def __init__(self, provider: _Optional[str] = ..., category: _Optional[_Union[_common_pb2.ProviderCategory, str]] = ..., executions: _Optional[int] = ..., delivered: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., playbook_rows: _Optional[int] = ..., closures: _Optional[int] = ..., open: _Optional[int] = ..., breached: _Optional[int] = ..., closed: _Optional[int] = ..., latest_execution_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latest_closure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mean_minutes_to_close: _Optional[float] = ..., p90_minutes_to_close: _Optional[float] = ..., slo_attainment: _Optional[float] = ...) -> None: ...

class ClosureTrendDay(_message.Message):
    __slots__ = ("day", "total", "state_counts", "provider_counts")
    DAY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    STATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_COUNTS_FIELD_NUMBER: _ClassVar[int]
    day: str
    total: int
    state_counts: _containers.RepeatedCompositeFieldContainer[ClosureStateCount]
    provider_counts: _containers.RepeatedCompositeFieldContainer[ProviderCount]
    def __init__(self, day: _Optional[str] = ..., total: _Optional[int] = ..., state_counts: _Optional[_Iterable[_Union[ClosureStateCount, _Mapping]]] = ..., provider_counts: _Optional[_Iterable[_Union[ProviderCount, _Mapping]]] = ...) -> None: ...

class RecoveryTotals(_message.Message):
    __slots__ = ("executions", "successes", "failures", "success_rate", "rows", "closed", "open", "breached", "closure_state_counts", "mean_minutes_to_close", "p90_minutes_to_close", "slo_attainment")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSES_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    BREACHED_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_STATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    MEAN_MINUTES_TO_CLOSE_FIELD_NUMBER: _ClassVar[int]
    P90_MINUTES_TO_CLOSE_FIELD_NUMBER: _ClassVar[int]
    SLO_ATTAINMENT_FIELD_NUMBER: _ClassVar[int]
    executions: int
    successes: int
    failures: int
    success_rate: float
    rows: int
    closed: int
    open: int
    breached: int
    closure_state_counts: _containers.RepeatedCompositeFieldContainer[ClosureStateCount]
    mean_minutes_to_close: float
    p90_minutes_to_close: float
    slo_attainment: float
    def __init__(self, executions: _Optional[int] = ..., successes: _Optional[int] = ..., failures: _Optional[int] = ..., success_rate: _Optional[float] = ..., rows: _Optional[int] = ..., closed: _Optional[int] = ..., open: _Optional[int] = ..., breached: _Optional[int] = ..., closure_state_counts: _Optional[_Iterable[_Union[ClosureStateCount, _Mapping]]] = ..., mean_minutes_to_close: _Optional[float] = ..., p90_minutes_to_close: _Optional[float] = ..., slo_attainment: _Optional[float] = ...) -> None: ...

class RetryRecoveryReport(_message.Message):
    __slots__ = ("report_id", "generated_at", "recovery_slo_minutes", "level", "totals", "provider_summaries", "rows", "rows_truncated", "closure_trends")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    ROWS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_TRENDS_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    recovery_slo_minutes: int
    level: _common_pb2.AlertLevel
    totals: RecoveryTotals
    provider_summaries: _containers.RepeatedCompositeFieldContainer[ProviderRecoverySummary]
    rows: _containers.RepeatedCompositeFieldContainer[RecoveryRow]
    rows_truncated: bool
    closure_trends: _containers.RepeatedCompositeFieldContainer[ClosureTrendDay]
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_slo_minutes: _Optional[int] = ..., level: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., totals: _Optional[_Union[RecoveryTotals, _Mapping]] = ..., provider_summaries: _Optional[_Iterable[_Union[ProviderRecoverySummary, _Mapping]]] = ..., rows: _Optional[_Iterable[_Union[RecoveryRow, _Mapping]]] = ..., rows_truncated: _Optional[bool] = ..., closure_trends: _Optional[_Iterable[_Union[ClosureTrendDay, _Mapping]]] = ...) -> None: ...

class GetRetryRecoveryReportRequest(_message.Message):
    __slots__ = ("recovery_slo_minutes", "row_limit", "report_id")
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    ROW_LIMIT_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    recovery_slo_minutes: int
    row_limit: int
    report_id: str
    def __init__(self, recovery_slo_minutes: _Optional[int] = ..., row_limit: _Optional[int] = ..., report_id: _Optional[str] = ...) -> None: ...

class GetRetryRecoveryReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: RetryRecoveryReport
    def __init__(self, report: _Optional[_Union[RetryRecoveryReport, _Mapping]] = ...) -> None: ...

class KeyRisk(_message.Message):
    __slots__ = ("severity", "title", "count", "owner")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    severity: _common_pb2.AlertLevel
    title: str
    count: int
    owner: str
    def __init__(self, severity: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., title: _Optional[str] = ..., count: _Optional[int] = ..., owner: _Optional[str] = ...) -> None: ...

class ExecutiveReportChange(_message.Message):
    __slots__ = ("previous_report_id", "previous_status", "breached_delta", "open_delta", "failures_delta", "escalations_delta", "mean_minutes_to_close_delta", "slo_attainment_delta")
    PREVIOUS_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    BREACHED_DELTA_FIELD_NUMBER: _ClassVar[int]
    OPEN_DELTA_FIELD_NUMBER: _ClassVar[int]
    FAILURES_DELTA_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_DELTA_FIELD_NUMBER: _ClassVar[int]
    MEAN_MINUTES_TO_CLOSE_DELTA_FIELD_NUMBER: _ClassVar[int]
    SLO_ATTAINMENT_DELTA_FIELD_NUMBER: _ClassVar[int]
    previous_report_id: str
    previous_status: _common_pb2.AlertLevel
    breached_delta: int
    open_delta: int
    failures_delta: int
    escalations_delta: int
    mean_minutes_to_close_delta: float
    slo_attainment_delta: float
    def __init__(self, previous_report_id: _Optional[str] = ..., previous_status: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., breached_delta: _Optional[int] = ..., open_delta: _Optional[int] = ..., failures_delta: _Optional[int] = ..., escalations_delta: _Optional[int] = ..., mean_minutes_to_close_delta: _Optional[float] = ..., slo_attainment_delta: _Optional[float] = ...) -> None: ...

class RecoveryExecutiveReport(_message.Message):
    __slots__ = ("report_id", "generated_at", "generated_by", "status", "business_impact", "key_risks", "recommended_actions", "provider_summaries", "closure_trends", "recovery_slo_minutes", "recovery_report_id", "escalation_plan_id", "totals", "escalation_count", "change")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_IMPACT_FIELD_NUMBER: _ClassVar[int]
    KEY_RISKS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_TRENDS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    generated_at: _timestamp_pb2.Timestamp
    generated_by: str
    status: _common_pb2.AlertLevel
    business_impact: str
    key_risks: _containers.RepeatedCompositeFieldContainer[KeyRisk]
    recommended_actions: _containers.RepeatedScalarFieldContainer[str]
    provider_summaries: _containers.RepeatedCompositeFieldContainer[ProviderRecoverySummary]
    closure_trends: _containers.RepeatedCompositeFieldContainer[ClosureTrendDay]
    recovery_slo_minutes: int
    recovery_report_id: str
    escalation_plan_id: str
    totals: RecoveryTotals
    escalation_count: int
    change: ExecutiveReportChange
    def __init__(self, report_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., generated_by: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., business_impact: _Optional[str] = ..., key_risks: _Optional[_Iterable[_Union[KeyRisk, _Mapping]]] = ..., recommended_actions: _Optional[_Iterable[str]] = ..., provider_summaries: _Optional[_Iterable[_Union[ProviderRecoverySummary, _Mapping]]] = ..., closure_trends: _Optional[_Iterable[_Union[ClosureTrendDay, _Mapping]]] = ..., recovery_slo_minutes: _Optional[int] = ..., recovery_report_id: _Optional[str] = ..., escalation_plan_id: _Optional[str] = ..., totals: _Optional[_Union[RecoveryTotals, _Mapping]] = ..., escalation_count: _Optional[int] = ..., change: _Optional[_Union[ExecutiveReportChange, _Mapping]] = ...) -> None: ...

class GetRecoveryExecutiveReportRequest(_message.Message):
    __slots__ = ("recovery_slo_minutes", "generated_by", "report_id")
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    recovery_slo_minutes: int
    generated_by: str
    report_id: str
    def __init__(self, recovery_slo_minutes: _Optional[int] = ..., generated_by: _Optional[str] = ..., report_id: _Optional[str] = ...) -> None: ...

class GetRecoveryExecutiveReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: RecoveryExecutiveReport
    def __init__(self, report: _Optional[_Union[RecoveryExecutiveReport, _Mapping]] = ...) -> None: ...

class RenderRecoveryExecutiveReportRequest(_message.Message):
    __slots__ = ("format", "report_id", "recovery_slo_minutes", "generated_by")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    format: _common_pb2.ReportFormat
    report_id: str
    recovery_slo_minutes: int
    generated_by: str
    def __init__(self, format: _Optional[_Union[_common_pb2.ReportFormat, str]] = ..., report_id: _Optional[str] = ..., recovery_slo_minutes: _Optional[int] = ..., generated_by: _Optional[str] = ...) -> None: ...

class GetRollbackDrillDashboardRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRollbackDrillDashboardResponse(_message.Message):
    __slots__ = ("generated_at", "escalation_plans", "escalation_routes", "executive_reports", "retry_recovery_reports", "acknowledgements", "deliveries_ok", "deliveries_failed", "dead_letters", "playbooks", "closures", "retry_executions_ok", "retry_executions_failed", "schedule_runs", "service_version", "contract", "server_build", "escalations_advanced", "deliveries_silenced", "deliveries_inhibited", "escalations_stopped_by_acknowledgement", "escalations_stopped_by_resolution")
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_PLANS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_ROUTES_FIELD_NUMBER: _ClassVar[int]
    EXECUTIVE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    RETRY_RECOVERY_REPORTS_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENTS_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_OK_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FAILED_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    PLAYBOOKS_FIELD_NUMBER: _ClassVar[int]
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    RETRY_EXECUTIONS_OK_FIELD_NUMBER: _ClassVar[int]
    RETRY_EXECUTIONS_FAILED_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_RUNS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    SERVER_BUILD_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_ADVANCED_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_SILENCED_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_INHIBITED_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_STOPPED_BY_ACKNOWLEDGEMENT_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_STOPPED_BY_RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    generated_at: _timestamp_pb2.Timestamp
    escalation_plans: int
    escalation_routes: int
    executive_reports: int
    retry_recovery_reports: int
    acknowledgements: int
    deliveries_ok: int
    deliveries_failed: int
    dead_letters: int
    playbooks: int
    closures: int
    retry_executions_ok: int
    retry_executions_failed: int
    schedule_runs: int
    service_version: str
    contract: str
    server_build: str
    escalations_advanced: int
    deliveries_silenced: int
    deliveries_inhibited: int
    escalations_stopped_by_acknowledgement: int
    escalations_stopped_by_resolution: int
    def __init__(self, generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., escalation_plans: _Optional[int] = ..., escalation_routes: _Optional[int] = ..., executive_reports: _Optional[int] = ..., retry_recovery_reports: _Optional[int] = ..., acknowledgements: _Optional[int] = ..., deliveries_ok: _Optional[int] = ..., deliveries_failed: _Optional[int] = ..., dead_letters: _Optional[int] = ..., playbooks: _Optional[int] = ..., closures: _Optional[int] = ..., retry_executions_ok: _Optional[int] = ..., retry_executions_failed: _Optional[int] = ..., schedule_runs: _Optional[int] = ..., service_version: _Optional[str] = ..., contract: _Optional[str] = ..., server_build: _Optional[str] = ..., escalations_advanced: _Optional[int] = ..., deliveries_silenced: _Optional[int] = ..., deliveries_inhibited: _Optional[int] = ..., escalations_stopped_by_acknowledgement: _Optional[int] = ..., escalations_stopped_by_resolution: _Optional[int] = ...) -> None: ...

class ExecutiveReportScheduleRun(_message.Message):
    __slots__ = ("run_id", "window_start", "window_end", "interval_minutes", "report_id", "created_at")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MINUTES_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    window_start: _timestamp_pb2.Timestamp
    window_end: _timestamp_pb2.Timestamp
    interval_minutes: int
    report_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, run_id: _Optional[str] = ..., window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval_minutes: _Optional[int] = ..., report_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunExecutiveReportScheduleRequest(_message.Message):
    __slots__ = ("interval_minutes", "recovery_slo_minutes", "generated_by", "request_id")
    INTERVAL_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SLO_MINUTES_FIELD_NUMBER: _ClassVar[int]
    GENERATED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    interval_minutes: int
    recovery_slo_minutes: int
    generated_by: str
    request_id: str
    def __init__(self, interval_minutes: _Optional[int] = ..., recovery_slo_minutes: _Optional[int] = ..., generated_by: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RunExecutiveReportScheduleResponse(_message.Message):
    __slots__ = ("run", "created")
    RUN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    run: ExecutiveReportScheduleRun
    created: bool
    def __init__(self, run: _Optional[_Union[ExecutiveReportScheduleRun, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListExecutiveReportScheduleRunsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExecutiveReportScheduleRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token", "total_size")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[ExecutiveReportScheduleRun]
    next_page_token: str
    total_size: int
    def __init__(self, runs: _Optional[_Iterable[_Union[ExecutiveReportScheduleRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class DeliverExecutiveReportScheduleRunRequest(_message.Message):
    __slots__ = ("run_id", "receivers", "retries", "timeout_seconds", "dry_run", "request_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    receivers: _containers.RepeatedScalarFieldContainer[str]
    retries: int
    timeout_seconds: int
    dry_run: bool
    request_id: str
    def __init__(self, run_id: _Optional[str] = ..., receivers: _Optional[_Iterable[str]] = ..., retries: _Optional[int] = ..., timeout_seconds: _Optional[int] = ..., dry_run: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeliverExecutiveReportScheduleRunResponse(_message.Message):
    __slots__ = ("run", "results", "success", "delivery_evidence_id")
    RUN_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    run: ExecutiveReportScheduleRun
    results: _containers.RepeatedCompositeFieldContainer[_delivery_pb2.ReceiverDeliveryResult]
    success: bool
    delivery_evidence_id: str
    def __init__(self, run: _Optional[_Union[ExecutiveReportScheduleRun, _Mapping]] = ..., results: _Optional[_Iterable[_Union[_delivery_pb2.ReceiverDeliveryResult, _Mapping]]] = ..., success: _Optional[bool] = ..., delivery_evidence_id: _Optional[str] = ...) -> None: ...
