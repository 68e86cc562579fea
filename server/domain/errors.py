"""Errors the domain and storage raise; the transport maps each to one gRPC status with rich details.

DomainError                       reason -> google.rpc.ErrorInfo.reason
├── InvalidArgument               INVALID_ARGUMENT + google.rpc.BadRequest field violations
├── NotFound                      NOT_FOUND
├── AlreadyExists                 ALREADY_EXISTS
└── FailedPrecondition            FAILED_PRECONDITION
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field, named by its proto path (`retry_execution.executed_at`, `records[3].closure`)."""

    field: str
    description: str


class DomainError(Exception):
    reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        violations: Iterable[FieldViolation],
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ):
        self.violations = tuple(violations)
        if message is None:
            message = "; ".join(f"{v.field}: {v.description}" for v in self.violations) or "invalid argument"
        super().__init__(message, reason=reason, metadata=metadata)


class NotFound(DomainError):
    reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    reason = "FAILED_PRECONDITION"
