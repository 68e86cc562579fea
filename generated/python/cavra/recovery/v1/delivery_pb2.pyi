import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RedactedHeader(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class RedactedRequest(_message.Message):
    __slots__ = ("method", "url", "headers", "body_sha256")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_SHA256_FIELD_NUMBER: _ClassVar[int]
    method: str
    url: str
    headers: _containers.RepeatedCompositeFieldContainer[RedactedHeader]
    body_sha256: str
    def __init__(self, method: _Optional[str] = ..., url: _Optional[str] = ..., headers: _Optional[_Iterable[_Union[RedactedHeader, _Mapping]]] = ..., body_sha256: _Optional[str] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("attempt_number", "started_at", "finished_at", "success", "http_status", "failure_reason", "retryable", "latency_ms", "requests", "error", "suppressed_by")
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_BY_FIELD_NUMBER: _ClassVar[int]
    attempt_number: int
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    success: bool
    http_status: int
    failure_reason: _common_pb2.DeliveryFailureReason
    retryable: bool
    latency_ms: int
    requests: _containers.RepeatedCompositeFieldContainer[RedactedRequest]
    error: str
    suppressed_by: str
    def __init__(self, attempt_number: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., success: _Optional[bool] = ..., http_status: _Optional[int] = ..., failure_reason: _Optional[_Union[_common_pb2.DeliveryFailureReason, str]] = ..., retryable: _Optional[bool] = ..., latency_ms: _Optional[int] = ..., requests: _Optional[_Iterable[_Union[RedactedRequest, _Mapping]]] = ..., error: _Optional[str] = ..., suppressed_by: _Optional[str] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("delivery_id", "delivery_evidence_id", "plan_id", "schedule_run_id", "receiver", "provider", "state", "attempt_count", "max_attempts", "next_attempt_at", "created_at", "updated_at", "route_count", "external_reference", "attempts", "suppressed_by")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_BY_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    delivery_evidence_id: str
    plan_id: str
    schedule_run_id: str
    receiver: str
    provider: str
    state: _common_pb2.DeliveryState
    attempt_count: int
    max_attempts: int
    next_attempt_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    route_count: int
    external_reference: str
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    suppressed_by: str
    def __init__(self, delivery_id: _Optional[str] = ..., delivery_evidence_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., schedule_run_id: _Optional[str] = ..., receiver: _Optional[str] = ..., provider: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DeliveryState, str]] = ..., attempt_count: _Optional[int] = ..., max_attempts: _Optional[int] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., route_count: _Optional[int] = ..., external_reference: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ..., suppressed_by: _Optional[str] = ...) -> None: ...

class ReceiverDeliveryResult(_message.Message):
    __slots__ = ("receiver", "provider", "delivery_id", "state", "success", "attempt_count", "http_status", "failure_reason", "route_count", "error", "suppressed_by")
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    ROUTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_BY_FIELD_NUMBER: _ClassVar[int]
    receiver: str
    provider: str
    delivery_id: str
    state: _common_pb2.DeliveryState
    success: bool
    attempt_count: int
    http_status: int
    failure_reason: _common_pb2.DeliveryFailureReason
    route_count: int
    error: str
    suppressed_by: str
    def __init__(self, receiver: _Optional[str] = ..., provider: _Optional[str] = ..., delivery_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DeliveryState, str]] = ..., success: _Optional[bool] = ..., attempt_count: _Optional[int] = ..., http_status: _Optional[int] = ..., failure_reason: _Optional[_Union[_common_pb2.DeliveryFailureReason, str]] = ..., route_count: _Optional[int] = ..., error: _Optional[str] = ..., suppressed_by: _Optional[str] = ...) -> None: ...
