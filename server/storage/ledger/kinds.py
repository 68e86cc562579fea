"""What the ledger covers: one `LedgeredKind` per table (adding a record kind is one line here).

`key` names the columns that identify a record; `columns` the public-safe columns its digest covers
(every column but the surrogate `id` unless listed). Mutable bookkeeping (a delivery's lease, state
and counters; a delivery request's kept response) is left out: the evidence of a send is its attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table
from sqlalchemy.types import TypeDecorator

from cavra_recovery.server.storage.escalation_tables import (
    EscalationRecord,
    EscalationStepRecord,
    SilenceRecord,
)
from cavra_recovery.server.storage.models import (
    INTERRUPTED_ATTEMPT_ERROR,
    AcknowledgementRecord,
    DeliveryAttemptRecord,
    DeliveryRecord,
    DeliveryRequestRecord,
    EscalationPlanRecord,
    EscalationRouteRecord,
    ExecutiveReportRecord,
    PlaybookProviderRecord,
    PlaybookRecord,
    RecoveryClosureRecord,
    RetryExecutionRecord,
    RetryRecoveryReportRecord,
    ScheduleRunRecord,
)
from cavra_recovery.server.storage.retry_run_tables import RetryWorkerDecisionRecord, RetryWorkerRunRecord

KEY_SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class LedgeredKind:
    kind: str
    model: type[Any]
    key: tuple[str, ...]
    columns: tuple[str, ...] = ()
    # False: the ORM insert is a placeholder; the repository appends the row when its content is final.
    on_insert: bool = True
    # A row with this (column, value) is not final yet, so it may lack an entry.
    in_flight: tuple[str, Any] | None = None
    # JSON columns that only ever hold a flat list of strings or integers (receivers, status codes).
    flat_lists: tuple[str, ...] = ()
    # Worked out from the digested columns' types: a float, or a JSON document other than a flat list,
    # may hold a float, which only the standard library's encoder spells canonically
    # (server/domain/sorted_json.py). `floats_in` checks the flat lists of each record.
    may_hold_floats: bool = field(init=False, default=True)
    # The digested columns that hold times.
    time_columns: tuple[str, ...] = field(init=False, default=())
    _column_set: frozenset[str] = field(init=False, default=frozenset())

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    def __post_init__(self) -> None:
        if not self.columns:
            every = tuple(column.name for column in self.table.columns if column.name != "id")
            object.__setattr__(self, "columns", every)
        floats = any(
            _may_hold_float(self.table.columns[name]) for name in self.columns if name not in self.flat_lists
        )
        object.__setattr__(self, "may_hold_floats", floats)
        times = tuple(name for name in self.columns if _python_type(self.table.columns[name]) is datetime)
        object.__setattr__(self, "time_columns", times)
        object.__setattr__(self, "_column_set", frozenset(self.columns))

    @property
    def digest_columns(self) -> tuple[str, ...]:
        return self.columns

    def record_key(self, values: Mapping[Any, Any]) -> str:
        return KEY_SEPARATOR.join(str(values[name]) for name in self.key)

    def floats_in(self, values: Mapping[str, Any]) -> bool:
        """Whether the digested `values` may hold a float (the kind's types say, or a flat list does)."""
        return self.may_hold_floats or not all(_flat(values[name]) for name in self.flat_lists)

    def values_of(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """The digested columns of `row`, with the column default for one the insert left out."""
        if row.keys() == self._column_set:  # the row as inserted: exactly the digested columns
            return dict(row)
        try:
            return {name: row[name] for name in self.digest_columns}
        except KeyError:
            return {
                name: row[name] if name in row else _default_of(self.table.columns[name])
                for name in self.digest_columns
            }


def _python_type(column: Column[Any]) -> type[Any] | None:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def _may_hold_float(column: Column[Any]) -> bool:
    python_type = _python_type(column)
    return python_type is None or not issubclass(python_type, (str, int, datetime, bytes))


def _flat(value: Any) -> bool:
    return value is None or (type(value) is list and all(type(item) in (str, int) for item in value))


def _default_of(column: Column[Any]) -> Any:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False):
        return None
    return getattr(default, "arg", None)


LEDGER_KINDS: tuple[LedgeredKind, ...] = (
    LedgeredKind("retry_execution", RetryExecutionRecord, ("execution_id",)),
    LedgeredKind("playbook", PlaybookRecord, ("playbook_id",)),
    LedgeredKind(
        "playbook_provider", PlaybookProviderRecord, ("playbook_id", "provider"), flat_lists=("status_codes",)
    ),
    LedgeredKind(
        "recovery_closure", RecoveryClosureRecord, ("closure_id",), flat_lists=("verification_refs",)
    ),
    LedgeredKind("slo_report", RetryRecoveryReportRecord, ("report_id",)),
    LedgeredKind("escalation_plan", EscalationPlanRecord, ("plan_id",)),
    LedgeredKind(
        "escalation_route", EscalationRouteRecord, ("plan_id", "position"), flat_lists=("receivers",)
    ),
    LedgeredKind(
        "delivery_request",
        DeliveryRequestRecord,
        ("delivery_evidence_id",),
        ("delivery_evidence_id", "request_id", "plan_id", "schedule_run_id", "dry_run", "created_at"),
    ),
    LedgeredKind(
        "delivery",
        DeliveryRecord,
        ("delivery_id",),
        (
            "delivery_id",
            "delivery_evidence_id",
            "plan_id",
            "schedule_run_id",
            "receiver",
            "provider",
            "notification",
            "created_at",
        ),
    ),
    LedgeredKind(
        "delivery_attempt",
        DeliveryAttemptRecord,
        ("delivery_id", "attempt_number"),
        on_insert=False,
        in_flight=("error", INTERRUPTED_ATTEMPT_ERROR),
    ),
    LedgeredKind("acknowledgement", AcknowledgementRecord, ("acknowledgement_id",)),
    LedgeredKind("executive_report", ExecutiveReportRecord, ("report_id",)),
    LedgeredKind("schedule_run", ScheduleRunRecord, ("run_id",)),
    # Retry-worker runs and their decisions (docs/delivery.md), stored with the outbox change they cause.
    LedgeredKind("retry_run", RetryWorkerRunRecord, ("run_id",)),
    LedgeredKind("retry_decision", RetryWorkerDecisionRecord, ("run_id", "delivery_id")),
    # Escalation policies (docs/escalation-policies.md): the start of each route's escalation (its
    # level, status and next step change as it runs, so they are left out), every step, and every
    # silence as created (its later expiry is a change of state, like a delivery's).
    LedgeredKind(
        "escalation",
        EscalationRecord,
        ("plan_id", "dedup_key"),
        ("plan_id", "dedup_key", "provider", "severity", "category", "playbook_id", "policy", "started_at"),
    ),
    # A step is claimed first and its delivery evidence id filled in after (the delivery enters on
    # its own as a delivery_request): the digest covers the claim.
    LedgeredKind(
        "escalation_step",
        EscalationStepRecord,
        ("plan_id", "dedup_key", "step"),
        flat_lists=("receivers",),
        columns=(
            "plan_id",
            "dedup_key",
            "step",
            "level",
            "cycle",
            "reason",
            "receivers",
            "outcome",
            "suppressed_by",
            "created_at",
        ),
    ),
    LedgeredKind(
        "silence",
        SilenceRecord,
        ("silence_id",),
        (
            "silence_id",
            "provider",
            "category",
            "severity",
            "starts_at",
            "ends_at",
            "comment",
            "created_by",
            "created_at",
        ),
    ),
)

KIND_BY_NAME: dict[str, LedgeredKind] = {kind.kind: kind for kind in LEDGER_KINDS}
KIND_BY_MODEL: dict[type[Any], LedgeredKind] = {kind.model: kind for kind in LEDGER_KINDS}
KIND_BY_TABLE: dict[str, LedgeredKind] = {kind.table.name: kind for kind in LEDGER_KINDS}
