import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LedgerCheckpoint(_message.Message):
    __slots__ = ("tree_size", "root_hash", "previous_hash", "checkpoint_hash", "created_at", "note", "key_id")
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    root_hash: bytes
    previous_hash: str
    checkpoint_hash: str
    created_at: _timestamp_pb2.Timestamp
    note: str
    key_id: str
    def __init__(self, tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., previous_hash: _Optional[str] = ..., checkpoint_hash: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class GetLedgerCheckpointRequest(_message.Message):
    __slots__ = ("tree_size",)
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    def __init__(self, tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerCheckpointResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: LedgerCheckpoint
    def __init__(self, checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ...) -> None: ...

class GetLedgerInclusionProofRequest(_message.Message):
    __slots__ = ("kind", "record_id", "tree_size")
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    record_id: str
    tree_size: int
    def __init__(self, kind: _Optional[str] = ..., record_id: _Optional[str] = ..., tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerInclusionProofResponse(_message.Message):
    __slots__ = ("kind", "record_id", "digest", "seq", "leaf_index", "leaf_hash", "audit_path", "checkpoint")
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    AUDIT_PATH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    record_id: str
    digest: str
    seq: int
    leaf_index: int
    leaf_hash: bytes
    audit_path: _containers.RepeatedScalarFieldContainer[bytes]
    checkpoint: LedgerCheckpoint
    def __init__(self, kind: _Optional[str] = ..., record_id: _Optional[str] = ..., digest: _Optional[str] = ..., seq: _Optional[int] = ..., leaf_index: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ..., audit_path: _Optional[_Iterable[bytes]] = ..., checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ...) -> None: ...

class GetLedgerConsistencyProofRequest(_message.Message):
    __slots__ = ("from_size", "to_size")
    FROM_SIZE_FIELD_NUMBER: _ClassVar[int]
    TO_SIZE_FIELD_NUMBER: _ClassVar[int]
    from_size: int
    to_size: int
    def __init__(self, from_size: _Optional[int] = ..., to_size: _Optional[int] = ...) -> None: ...

class GetLedgerConsistencyProofResponse(_message.Message):
    __slots__ = ("from_checkpoint", "to_checkpoint", "proof")
    FROM_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    TO_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    from_checkpoint: LedgerCheckpoint
    to_checkpoint: LedgerCheckpoint
    proof: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, from_checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ..., to_checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ..., proof: _Optional[_Iterable[bytes]] = ...) -> None: ...
