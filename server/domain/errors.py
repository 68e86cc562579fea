"""Errors the domain and storage raise; the transport maps each to one gRPC status with rich details.

DomainError                       reason (server.domain.reasons.Reason) -> google.rpc.ErrorInfo.reason
├── InvalidArgument               INVALID_ARGUMENT + google.rpc.BadRequest field violations;
│                                 reason INVALID_ARGUMENT unless the raise names a narrower one
├── NotFound                      NOT_FOUND, reason `<RESOURCE>_NOT_FOUND` from the resource looked up
├── AlreadyExists                 ALREADY_EXISTS, reason named by the raise
├── FailedPrecondition            FAILED_PRECONDITION, reason named by the raise
├── Unavailable                   UNAVAILABLE + google.rpc.RetryInfo: retry the same request later
└── ResourceExhausted             RESOURCE_EXHAUSTED + google.rpc.RetryInfo: the caller's rate limit
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cavra_recovery.server.domain.reasons import Reason, Resource


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field, named by its proto path (`retry_execution.executed_at`, `records[3].closure`)."""

    field: str
    description: str


class DomainError(Exception):
    def __init__(self, message: str, *, reason: Reason, metadata: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(DomainError):
    def __init__(
        self,
        violations: Iterable[FieldViolation],
        *,
        message: str | None = None,
        reason: Reason = Reason.INVALID_ARGUMENT,
        metadata: Mapping[str, str] | None = None,
    ):
        self.violations = tuple(violations)
        if message is None:
            message = "; ".join(f"{v.field}: {v.description}" for v in self.violations) or "invalid argument"
        super().__init__(message, reason=reason, metadata=metadata)


class NotFound(DomainError):
    """`resource` `resource_id` is not stored; the id is in the metadata under the resource's id key."""

    def __init__(self, resource: Resource, resource_id: str, *, metadata: Mapping[str, str] | None = None):
        super().__init__(
            f"{resource.noun} {resource_id!r} not found",
            reason=resource.not_found,
            metadata={resource.id_key: resource_id, **(metadata or {})},
        )


class AlreadyExists(DomainError):
    pass


class FailedPrecondition(DomainError):
    pass


class Unavailable(DomainError):
    """A dependency (the database) cannot be reached now; the same request may succeed after `retry_after`."""

    def __init__(
        self,
        message: str,
        *,
        reason: Reason,
        retry_after_seconds: float = 1.0,
        metadata: Mapping[str, str] | None = None,
    ):
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after_seconds = retry_after_seconds


class ResourceExhausted(DomainError):
    """The caller used up its allowance (a rate limit); the same request may succeed after `retry_after`."""

    def __init__(
        self,
        message: str,
        *,
        reason: Reason,
        retry_after_seconds: float,
        metadata: Mapping[str, str] | None = None,
    ):
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after_seconds = retry_after_seconds
