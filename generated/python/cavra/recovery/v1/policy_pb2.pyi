import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecoveryEscalationSilence(_message.Message):
    __slots__ = ("silence_id", "provider", "category", "severity", "starts_at", "ends_at", "comment", "created_by", "created_at", "expired_at", "expired_by", "active")
    SILENCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_BY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    silence_id: str
    provider: str
    category: str
    severity: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    comment: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    expired_at: _timestamp_pb2.Timestamp
    expired_by: str
    active: bool
    def __init__(self, silence_id: _Optional[str] = ..., provider: _Optional[str] = ..., category: _Optional[str] = ..., severity: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expired_by: _Optional[str] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateRecoveryEscalationSilenceRequest(_message.Message):
    __slots__ = ("provider", "category", "severity", "starts_at", "ends_at", "comment", "created_by", "request_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    category: str
    severity: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    comment: str
    created_by: str
    request_id: str
    def __init__(self, provider: _Optional[str] = ..., category: _Optional[str] = ..., severity: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ..., created_by: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRecoveryEscalationSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: RecoveryEscalationSilence
    def __init__(self, silence: _Optional[_Union[RecoveryEscalationSilence, _Mapping]] = ...) -> None: ...

class ListRecoveryEscalationSilencesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "active_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    active_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., active_only: _Optional[bool] = ...) -> None: ...

class ListRecoveryEscalationSilencesResponse(_message.Message):
    __slots__ = ("silences", "next_page_token", "total_size")
    SILENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    silences: _containers.RepeatedCompositeFieldContainer[RecoveryEscalationSilence]
    next_page_token: str
    total_size: int
    def __init__(self, silences: _Optional[_Iterable[_Union[RecoveryEscalationSilence, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class ExpireRecoveryEscalationSilenceRequest(_message.Message):
    __slots__ = ("silence_id", "request_id")
    SILENCE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    silence_id: str
    request_id: str
    def __init__(self, silence_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExpireRecoveryEscalationSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: RecoveryEscalationSilence
    def __init__(self, silence: _Optional[_Union[RecoveryEscalationSilence, _Mapping]] = ...) -> None: ...

class RecoveryEscalationStep(_message.Message):
    __slots__ = ("step", "level", "cycle", "reason", "receivers", "outcome", "suppressed_by", "delivery_evidence_id", "notified_at")
    STEP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_BY_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    step: int
    level: int
    cycle: int
    reason: str
    receivers: _containers.RepeatedScalarFieldContainer[str]
    outcome: _common_pb2.DeliveryState
    suppressed_by: str
    delivery_evidence_id: str
    notified_at: _timestamp_pb2.Timestamp
    def __init__(self, step: _Optional[int] = ..., level: _Optional[int] = ..., cycle: _Optional[int] = ..., reason: _Optional[str] = ..., receivers: _Optional[_Iterable[str]] = ..., outcome: _Optional[_Union[_common_pb2.DeliveryState, str]] = ..., suppressed_by: _Optional[str] = ..., delivery_evidence_id: _Optional[str] = ..., notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RouteEscalationState(_message.Message):
    __slots__ = ("dedup_key", "provider", "severity", "category", "policy", "status", "current_level", "current_cycle", "next_step_at", "acknowledged", "resolved", "silenced", "silence_id", "inhibited", "inhibited_by", "stop_reason", "steps")
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CURRENT_CYCLE_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    SILENCED_FIELD_NUMBER: _ClassVar[int]
    SILENCE_ID_FIELD_NUMBER: _ClassVar[int]
    INHIBITED_FIELD_NUMBER: _ClassVar[int]
    INHIBITED_BY_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    dedup_key: str
    provider: str
    severity: _common_pb2.AlertLevel
    category: _common_pb2.RouteCategory
    policy: str
    status: str
    current_level: int
    current_cycle: int
    next_step_at: _timestamp_pb2.Timestamp
    acknowledged: bool
    resolved: bool
    silenced: bool
    silence_id: str
    inhibited: bool
    inhibited_by: str
    stop_reason: str
    steps: _containers.RepeatedCompositeFieldContainer[RecoveryEscalationStep]
    def __init__(self, dedup_key: _Optional[str] = ..., provider: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.AlertLevel, str]] = ..., category: _Optional[_Union[_common_pb2.RouteCategory, str]] = ..., policy: _Optional[str] = ..., status: _Optional[str] = ..., current_level: _Optional[int] = ..., current_cycle: _Optional[int] = ..., next_step_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged: _Optional[bool] = ..., resolved: _Optional[bool] = ..., silenced: _Optional[bool] = ..., silence_id: _Optional[str] = ..., inhibited: _Optional[bool] = ..., inhibited_by: _Optional[str] = ..., stop_reason: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[RecoveryEscalationStep, _Mapping]]] = ...) -> None: ...

class GetRecoveryEscalationStateRequest(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class GetRecoveryEscalationStateResponse(_message.Message):
    __slots__ = ("plan_id", "evaluated_at", "routes")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_AT_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    evaluated_at: _timestamp_pb2.Timestamp
    routes: _containers.RepeatedCompositeFieldContainer[RouteEscalationState]
    def __init__(self, plan_id: _Optional[str] = ..., evaluated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[RouteEscalationState, _Mapping]]] = ...) -> None: ...
