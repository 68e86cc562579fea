import datetime

from cavra.recovery.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetryRunTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETRY_RUN_TRIGGER_UNSPECIFIED: _ClassVar[RetryRunTrigger]
    RETRY_RUN_TRIGGER_RPC: _ClassVar[RetryRunTrigger]
    RETRY_RUN_TRIGGER_BACKGROUND: _ClassVar[RetryRunTrigger]
    RETRY_RUN_TRIGGER_REPLAY: _ClassVar[RetryRunTrigger]
RETRY_RUN_TRIGGER_UNSPECIFIED: RetryRunTrigger
RETRY_RUN_TRIGGER_RPC: RetryRunTrigger
RETRY_RUN_TRIGGER_BACKGROUND: RetryRunTrigger
RETRY_RUN_TRIGGER_REPLAY: RetryRunTrigger

class TrailRetryWorkerDecision(_message.Message):
    __slots__ = ("delivery_id", "receiver", "provider", "decision", "reason", "attempt_number", "outcome_state")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_STATE_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    receiver: str
    provider: str
    decision: _common_pb2.RetryDecision
    reason: str
    attempt_number: int
    outcome_state: _common_pb2.DeliveryState
    def __init__(self, delivery_id: _Optional[str] = ..., receiver: _Optional[str] = ..., provider: _Optional[str] = ..., decision: _Optional[_Union[_common_pb2.RetryDecision, str]] = ..., reason: _Optional[str] = ..., attempt_number: _Optional[int] = ..., outcome_state: _Optional[_Union[_common_pb2.DeliveryState, str]] = ...) -> None: ...

class TrailRetryWorkerRun(_message.Message):
    __slots__ = ("run_id", "trigger", "dry_run", "started_at", "finished_at", "decisions")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    trigger: RetryRunTrigger
    dry_run: bool
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    decisions: _containers.RepeatedCompositeFieldContainer[TrailRetryWorkerDecision]
    def __init__(self, run_id: _Optional[str] = ..., trigger: _Optional[_Union[RetryRunTrigger, str]] = ..., dry_run: _Optional[bool] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decisions: _Optional[_Iterable[_Union[TrailRetryWorkerDecision, _Mapping]]] = ...) -> None: ...
