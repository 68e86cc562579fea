"""The evidence of SPEC §3: retry executions, connector recovery playbooks and recovery closures.

Records are frozen dataclasses built (and validated) by the transport mapping; storage persists them
with a canonical content digest so that re-sending the same record is recognised as a no-op and the
same id with different content as a conflict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from cavra_recovery.server.domain.paging import PageCursor
from cavra_recovery.server.domain.sorted_json import sorted_json, utc_time_text


class ExecutionStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class ProviderCategory(StrEnum):
    SIEM = "siem"
    ITSM = "itsm"
    CHATOPS = "chatops"
    WEBHOOK = "webhook"


class ClosureState(StrEnum):
    RESOLVED = "resolved"
    MITIGATED = "mitigated"
    DEFERRED = "deferred"
    ESCALATED = "escalated"
    REOPENED = "reopened"

    @property
    def closes_recovery(self) -> bool:
        """Only resolved and mitigated close a recovery row (SPEC §4); the others leave it open."""
        return self in (ClosureState.RESOLVED, ClosureState.MITIGATED)


class EvidenceKind(StrEnum):
    RETRY_EXECUTION = "retry_execution"
    CONNECTOR_RECOVERY_PLAYBOOK = "connector_recovery_playbook"
    RECOVERY_CLOSURE = "recovery_closure"


_CATEGORY_BY_PROVIDER: dict[str, ProviderCategory] = {
    "splunk": ProviderCategory.SIEM,
    "sentinel": ProviderCategory.SIEM,
    "datadog": ProviderCategory.SIEM,
    "jira": ProviderCategory.ITSM,
    "servicenow": ProviderCategory.ITSM,
    "slack": ProviderCategory.CHATOPS,
    "teams": ProviderCategory.CHATOPS,
    "pagerduty": ProviderCategory.CHATOPS,
    "email": ProviderCategory.CHATOPS,
}


def category_for_provider(provider: str) -> ProviderCategory:
    """siem for splunk, sentinel, datadog; itsm for jira, servicenow; chatops for slack, teams,
    pagerduty, email; otherwise webhook (SPEC §3)."""
    return _CATEGORY_BY_PROVIDER.get(provider.strip().lower(), ProviderCategory.WEBHOOK)


def canonical_time(value: datetime) -> str:
    """RFC 3339 UTC with microseconds: the one spelling a digest sees, whatever offset the caller sent."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in evidence")
    moment = value if value.tzinfo is UTC else value.astimezone(UTC)
    if moment.year < 1000:
        # strftime, the definition, does not pad a year to four digits; the faster spelling does.
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc_time_text(moment)


def _digest(kind: EvidenceKind, content: dict[str, Any]) -> str:
    # json.dumps({"kind": …, **content}, sort_keys=True, separators=(",", ":")): no floats in evidence.
    document = sorted_json({"kind": kind.value, **content}, ensure_ascii=True)
    return hashlib.sha256(document).hexdigest()


@dataclass(frozen=True, slots=True)
class RetryExecution:
    """One delivery retry the Go backend executed for a failing connector."""

    kind: ClassVar[EvidenceKind] = EvidenceKind.RETRY_EXECUTION

    execution_id: str
    provider: str
    execution_status: ExecutionStatus
    executed_at: datetime
    run_id: str = ""
    retry_plan_id: str = ""
    approval_decision_id: str = ""
    delivery_id: str = ""
    audit_id: str = ""
    delivery_success: bool = False
    # Free text: stored for the auditor, never copied into plans, events or reports.
    skipped_reason: str = ""
    # When this service first stored the record; None before it is stored.
    recorded_at: datetime | None = field(default=None, compare=False)

    @property
    def record_id(self) -> str:
        return self.execution_id

    def content_digest(self) -> str:
        """SHA-256 of the caller-supplied content (not recorded_at): equal digests mean "same record"."""
        return _digest(
            EvidenceKind.RETRY_EXECUTION,
            {
                "execution_id": self.execution_id,
                "provider": self.provider,
                "execution_status": self.execution_status.value,
                "executed_at": canonical_time(self.executed_at),
                "run_id": self.run_id,
                "retry_plan_id": self.retry_plan_id,
                "approval_decision_id": self.approval_decision_id,
                "delivery_id": self.delivery_id,
                "audit_id": self.audit_id,
                "delivery_success": self.delivery_success,
                "skipped_reason": self.skipped_reason,
            },
        )


@dataclass(frozen=True, slots=True)
class PlaybookProvider:
    """One provider entry of a playbook: one recovery row of the SLO report."""

    provider: str
    category: ProviderCategory
    failure_count: int = 0
    latest_failure_at: datetime | None = None
    status_codes: tuple[int, ...] = ()

    def canonical(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "category": self.category.value,
            "failure_count": self.failure_count,
            "latest_failure_at": None
            if self.latest_failure_at is None
            else canonical_time(self.latest_failure_at),
            "status_codes": list(self.status_codes),
        }


@dataclass(frozen=True, slots=True)
class ConnectorRecoveryPlaybook:
    """A recovery playbook opened by the Go backend; providers are unique and kept sorted by name."""

    kind: ClassVar[EvidenceKind] = EvidenceKind.CONNECTOR_RECOVERY_PLAYBOOK

    playbook_id: str
    generated_at: datetime
    providers: tuple[PlaybookProvider, ...]
    lookback_hours: int = 0
    min_failure_count: int = 0
    recorded_at: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Providers are a set keyed by name: one canonical order makes equal playbooks digest alike.
        object.__setattr__(self, "providers", tuple(sorted(self.providers, key=lambda p: p.provider)))

    @property
    def record_id(self) -> str:
        return self.playbook_id

    def content_digest(self) -> str:
        return _digest(
            EvidenceKind.CONNECTOR_RECOVERY_PLAYBOOK,
            {
                "playbook_id": self.playbook_id,
                "generated_at": canonical_time(self.generated_at),
                "lookback_hours": self.lookback_hours,
                "min_failure_count": self.min_failure_count,
                "providers": [p.canonical() for p in self.providers],
            },
        )


@dataclass(frozen=True, slots=True)
class RecoveryClosure:
    """A person's closure (or reopening) of one provider's recovery in a playbook."""

    kind: ClassVar[EvidenceKind] = EvidenceKind.RECOVERY_CLOSURE

    closure_id: str
    playbook_id: str
    provider: str
    closure_state: ClosureState
    closed_at: datetime
    closed_by: str = ""
    # Free text: stored for the auditor, never copied into plans, events or reports.
    external_ref: str = ""
    notes: str = ""
    verification_refs: tuple[str, ...] = ()
    recorded_at: datetime | None = field(default=None, compare=False)

    @property
    def record_id(self) -> str:
        return self.closure_id

    def content_digest(self) -> str:
        return _digest(
            EvidenceKind.RECOVERY_CLOSURE,
            {
                "closure_id": self.closure_id,
                "playbook_id": self.playbook_id,
                "provider": self.provider,
                "closure_state": self.closure_state.value,
                "closed_by": self.closed_by,
                "closed_at": canonical_time(self.closed_at),
                "external_ref": self.external_ref,
                "notes": self.notes,
                "verification_refs": list(self.verification_refs),
            },
        )


T = TypeVar("T")

EvidenceRecord = RetryExecution | ConnectorRecoveryPlaybook | RecoveryClosure


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """Result of recording one record: the stored record and whether this call created it."""

    record: EvidenceRecord
    created: bool


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    created_count: int
    unchanged_count: int
    # (kind, created, unchanged) per kind present in the batch, for metrics.
    per_kind: tuple[tuple[EvidenceKind, int, int], ...] = ()
    # The record ids this call stored (the others were stored before, or repeat one of the batch).
    created_ids: frozenset[tuple[EvidenceKind, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Inclusive start, exclusive end; either may be open."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryExecutionFilter:
    provider: str | None = None
    execution_status: ExecutionStatus | None = None
    executed: TimeRange = TimeRange()


@dataclass(frozen=True, slots=True)
class PlaybookFilter:
    provider: str | None = None
    generated: TimeRange = TimeRange()


@dataclass(frozen=True, slots=True)
class ClosureFilter:
    # None: closures of every playbook.
    playbook_id: str | None = None
    provider: str | None = None
    closure_state: ClosureState | None = None
    closed: TimeRange = TimeRange()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    # None when this is the last page.
    next_cursor: PageCursor | None
    total_size: int
