"""The SDK's one error type.

RecoveryError            every failed RPC: code, message and the decoded google.rpc details
                         (ErrorInfo reason/domain/metadata, BadRequest field violations)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class StatusCode(enum.StrEnum):
    """gRPC status codes, so callers compare against the SDK rather than grpc."""

    OK = "OK"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"
    DATA_LOSS = "DATA_LOSS"
    UNAUTHENTICATED = "UNAUTHENTICATED"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad request field (google.rpc.BadRequest.FieldViolation), named by its proto path."""

    field: str
    description: str


class RecoveryError(Exception):
    """A failed RPC. Every client method raises this and nothing else from grpc."""

    def __init__(
        self,
        code: StatusCode,
        message: str,
        *,
        method: str = "",
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.method = method
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: tuple[FieldViolation, ...] = tuple(field_violations)

    def violation(self, field: str) -> str | None:
        """The description of the first violation of `field`, or None."""
        return next((v.description for v in self.field_violations if v.field == field), None)

    def __str__(self) -> str:
        text = f"{self.code.value}: {self.message}"
        if self.reason:
            text += f" ({self.reason})"
        return f"{self.method}: {text}" if self.method else text

    def __repr__(self) -> str:
        return (
            f"RecoveryError(code={self.code.value!r}, message={self.message!r}, reason={self.reason!r}, "
            f"field_violations={list(self.field_violations)!r})"
        )


def closed_client_error(method: str) -> RecoveryError:
    """The error of a call made on (or racing with) a closed client, instead of grpc's own exception."""
    return RecoveryError(StatusCode.CANCELLED, "client is closed", method=method)


def error_from_rpc(error: grpc.RpcError, method: str) -> RecoveryError:
    """Decode a grpc (sync or asyncio) failure into RecoveryError."""
    call: Any = error
    code_value = call.code() if hasattr(call, "code") else None
    code = StatusCode(code_value.name) if code_value is not None else StatusCode.UNKNOWN
    message = (call.details() if hasattr(call, "details") else None) or ""
    result = RecoveryError(code, message, method=method)
    trailing = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            _apply_details(result, value)
    return result


def _apply_details(result: RecoveryError, encoded: bytes) -> None:
    status = status_pb2.Status.FromString(encoded)
    if status.message:
        result.message = status.message
        result.args = (status.message,)
    violations: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) and not result.reason:
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            result.reason, result.domain, result.metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
    result.field_violations = tuple(violations)
