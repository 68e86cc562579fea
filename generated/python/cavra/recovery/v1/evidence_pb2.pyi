import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetryExecution(_message.Message):
    __slots__ = ("execution_id", "provider", "execution_status", "executed_at", "run_id", "retry_plan_id", "approval_decision_id", "delivery_id", "audit_id", "delivery_success", "skipped_reason", "recorded_at")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_STATUS_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    provider: str
    execution_status: _common_pb2.ExecutionStatus
    executed_at: _timestamp_pb2.Timestamp
    run_id: str
    retry_plan_id: str
    approval_decision_id: str
    delivery_id: str
    audit_id: str
    delivery_success: bool
    skipped_reason: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, execution_id: _Optional[str] = ..., provider: _Optional[str] = ..., execution_status: _Optional[_Union[_common_pb2.ExecutionStatus, str]] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_id: _Optional[str] = ..., retry_plan_id: _Optional[str] = ..., approval_decision_id: _Optional[str] = ..., delivery_id: _Optional[str] = ..., audit_id: _Optional[str] = ..., delivery_success: _Optional[bool] = ..., skipped_reason: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlaybookProvider(_message.Message):
    __slots__ = ("provider", "category", "failure_count", "latest_failure_at", "status_codes")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATEST_FAILURE_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODES_FIELD_NUMBER: _ClassVar[int]
    provider: str
    category: _common_pb2.ProviderCategory
    failure_count: int
    latest_failure_at: _timestamp_pb2.Timestamp
    status_codes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, provider: _Optional[str] = ..., category: _Optional[_Union[_common_pb2.ProviderCategory, str]] = ..., failure_count: _Optional[int] = ..., latest_failure_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_codes: _Optional[_Iterable[int]] = ...) -> None: ...

class ConnectorRecoveryPlaybook(_message.Message):
    __slots__ = ("playbook_id", "generated_at", "lookback_hours", "min_failure_count", "providers", "recorded_at")
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    LOOKBACK_HOURS_FIELD_NUMBER: _ClassVar[int]
    MIN_FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    playbook_id: str
    generated_at: _timestamp_pb2.Timestamp
    lookback_hours: int
    min_failure_count: int
    providers: _containers.RepeatedCompositeFieldContainer[PlaybookProvider]
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, playbook_id: _Optional[str] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lookback_hours: _Optional[int] = ..., min_failure_count: _Optional[int] = ..., providers: _Optional[_Iterable[_Union[PlaybookProvider, _Mapping]]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecoveryClosure(_message.Message):
    __slots__ = ("closure_id", "playbook_id", "provider", "closure_state", "closed_by", "closed_at", "external_ref", "notes", "verification_refs", "recorded_at")
    CLOSURE_ID_FIELD_NUMBER: _ClassVar[int]
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_STATE_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REF_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_REFS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    closure_id: str
    playbook_id: str
    provider: str
    closure_state: _common_pb2.ClosureState
    closed_by: str
    closed_at: _timestamp_pb2.Timestamp
    external_ref: str
    notes: str
    verification_refs: _containers.RepeatedScalarFieldContainer[str]
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, closure_id: _Optional[str] = ..., playbook_id: _Optional[str] = ..., provider: _Optional[str] = ..., closure_state: _Optional[_Union[_common_pb2.ClosureState, str]] = ..., closed_by: _Optional[str] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., external_ref: _Optional[str] = ..., notes: _Optional[str] = ..., verification_refs: _Optional[_Iterable[str]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvidenceRecord(_message.Message):
    __slots__ = ("retry_execution", "playbook", "closure")
    RETRY_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    PLAYBOOK_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    retry_execution: RetryExecution
    playbook: ConnectorRecoveryPlaybook
    closure: RecoveryClosure
    def __init__(self, retry_execution: _Optional[_Union[RetryExecution, _Mapping]] = ..., playbook: _Optional[_Union[ConnectorRecoveryPlaybook, _Mapping]] = ..., closure: _Optional[_Union[RecoveryClosure, _Mapping]] = ...) -> None: ...

class RecordRetryExecutionRequest(_message.Message):
    __slots__ = ("retry_execution", "request_id")
    RETRY_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    retry_execution: RetryExecution
    request_id: str
    def __init__(self, retry_execution: _Optional[_Union[RetryExecution, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordRetryExecutionResponse(_message.Message):
    __slots__ = ("retry_execution", "created")
    RETRY_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    retry_execution: RetryExecution
    created: bool
    def __init__(self, retry_execution: _Optional[_Union[RetryExecution, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetRetryExecutionRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class GetRetryExecutionResponse(_message.Message):
    __slots__ = ("retry_execution",)
    RETRY_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    retry_execution: RetryExecution
    def __init__(self, retry_execution: _Optional[_Union[RetryExecution, _Mapping]] = ...) -> None: ...

class ListRetryExecutionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "provider", "execution_status", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    provider: str
    execution_status: _common_pb2.ExecutionStatus
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ..., execution_status: _Optional[_Union[_common_pb2.ExecutionStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRetryExecutionsResponse(_message.Message):
    __slots__ = ("retry_executions", "next_page_token", "total_size")
    RETRY_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    retry_executions: _containers.RepeatedCompositeFieldContainer[RetryExecution]
    next_page_token: str
    total_size: int
    def __init__(self, retry_executions: _Optional[_Iterable[_Union[RetryExecution, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class RecordConnectorRecoveryPlaybookRequest(_message.Message):
    __slots__ = ("playbook", "request_id")
    PLAYBOOK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    playbook: ConnectorRecoveryPlaybook
    request_id: str
    def __init__(self, playbook: _Optional[_Union[ConnectorRecoveryPlaybook, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordConnectorRecoveryPlaybookResponse(_message.Message):
    __slots__ = ("playbook", "created")
    PLAYBOOK_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    playbook: ConnectorRecoveryPlaybook
    created: bool
    def __init__(self, playbook: _Optional[_Union[ConnectorRecoveryPlaybook, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetConnectorRecoveryPlaybookRequest(_message.Message):
    __slots__ = ("playbook_id",)
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    playbook_id: str
    def __init__(self, playbook_id: _Optional[str] = ...) -> None: ...

class GetConnectorRecoveryPlaybookResponse(_message.Message):
    __slots__ = ("playbook",)
    PLAYBOOK_FIELD_NUMBER: _ClassVar[int]
    playbook: ConnectorRecoveryPlaybook
    def __init__(self, playbook: _Optional[_Union[ConnectorRecoveryPlaybook, _Mapping]] = ...) -> None: ...

class ListConnectorRecoveryPlaybooksRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "provider", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    provider: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListConnectorRecoveryPlaybooksResponse(_message.Message):
    __slots__ = ("playbooks", "next_page_token", "total_size")
    PLAYBOOKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    playbooks: _containers.RepeatedCompositeFieldContainer[ConnectorRecoveryPlaybook]
    next_page_token: str
    total_size: int
    def __init__(self, playbooks: _Optional[_Iterable[_Union[ConnectorRecoveryPlaybook, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class RecordRecoveryClosureRequest(_message.Message):
    __slots__ = ("playbook_id", "closure", "request_id")
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    playbook_id: str
    closure: RecoveryClosure
    request_id: str
    def __init__(self, playbook_id: _Optional[str] = ..., closure: _Optional[_Union[RecoveryClosure, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordRecoveryClosureResponse(_message.Message):
    __slots__ = ("closure", "created")
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    closure: RecoveryClosure
    created: bool
    def __init__(self, closure: _Optional[_Union[RecoveryClosure, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListRecoveryClosuresRequest(_message.Message):
    __slots__ = ("playbook_id", "page_size", "page_token", "provider", "closure_state", "start_time", "end_time")
    PLAYBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    playbook_id: str
    page_size: int
    page_token: str
    provider: str
    closure_state: _common_pb2.ClosureState
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, playbook_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., provider: _Optional[str] = ..., closure_state: _Optional[_Union[_common_pb2.ClosureState, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRecoveryClosuresResponse(_message.Message):
    __slots__ = ("closures", "next_page_token", "total_size")
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    closures: _containers.RepeatedCompositeFieldContainer[RecoveryClosure]
    next_page_token: str
    total_size: int
    def __init__(self, closures: _Optional[_Iterable[_Union[RecoveryClosure, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class BatchRecordEvidenceRequest(_message.Message):
    __slots__ = ("records", "request_id")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[EvidenceRecord]
    request_id: str
    def __init__(self, records: _Optional[_Iterable[_Union[EvidenceRecord, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchRecordEvidenceResponse(_message.Message):
    __slots__ = ("created_count", "unchanged_count")
    CREATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    created_count: int
    unchanged_count: int
    def __init__(self, created_count: _Optional[int] = ..., unchanged_count: _Optional[int] = ...) -> None: ...
