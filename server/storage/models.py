"""SQLAlchemy 2 models: the evidence intake tables and everything the service persists.

Times are stored as naive UTC (`UtcDateTime`) so SQLite and PostgreSQL compare and aggregate alike;
documents (`*_document`) hold the public-safe JSON of a stored plan or report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 128
# The error of an attempt row claimed but not yet recorded (it enters the ledger once it finishes).
INTERRUPTED_ATTEMPT_ERROR = (
    "attempt interrupted before its outcome was recorded (worker stopped or lease expired)"
)
NAME_LENGTH = 128

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


# --- evidence intake -------------------------------------------------------------------------------


class RetryExecutionRecord(Base):
    __tablename__ = "retry_executions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    execution_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    execution_status: Mapped[str] = mapped_column(String(16))
    executed_at: Mapped[datetime]
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    retry_plan_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    approval_decision_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    delivery_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    audit_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    delivery_success: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped_reason: Mapped[str] = mapped_column(Text, default="")
    content_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]

    __table_args__ = (
        Index(None, "provider", "execution_status"),
        Index(None, "executed_at"),
    )


class PlaybookRecord(Base):
    __tablename__ = "connector_recovery_playbooks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    generated_at: Mapped[datetime] = mapped_column(index=True)
    lookback_hours: Mapped[int] = mapped_column(Integer, default=0)
    min_failure_count: Mapped[int] = mapped_column(Integer, default=0)
    content_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class PlaybookProviderRecord(Base):
    """One provider entry of a playbook: one recovery row of the SLO report."""

    __tablename__ = "playbook_providers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("connector_recovery_playbooks.playbook_id", ondelete="CASCADE")
    )
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    category: Mapped[str] = mapped_column(String(16))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    latest_failure_at: Mapped[datetime | None]
    status_codes: Mapped[list[Any]] = mapped_column(default=list)
    # Copy of the playbook's generated_at so the SLO report aggregates rows without a join.
    generated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("playbook_id", "provider"),
        Index(None, "provider", "generated_at"),
    )


class RecoveryClosureRecord(Base):
    __tablename__ = "recovery_closures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    closure_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    playbook_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("connector_recovery_playbooks.playbook_id", ondelete="CASCADE")
    )
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    closure_state: Mapped[str] = mapped_column(String(16))
    closed_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    closed_at: Mapped[datetime]
    external_ref: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    verification_refs: Mapped[list[Any]] = mapped_column(default=list)
    content_digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]

    __table_args__ = (
        Index(None, "playbook_id", "provider", "closed_at"),
        Index(None, "closed_at"),
    )


# --- reports and plans -----------------------------------------------------------------------------


class RetryRecoveryReportRecord(Base):
    __tablename__ = "retry_recovery_reports"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    generated_at: Mapped[datetime] = mapped_column(index=True)
    recovery_slo_minutes: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    # Digest of the report's content without its id and instant: equal digests mean "unchanged".
    content_digest: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]]


class EscalationPlanRecord(Base):
    __tablename__ = "escalation_plans"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), unique=True)
    generated_at: Mapped[datetime] = mapped_column(index=True)
    generated_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    alert_level: Mapped[str] = mapped_column(String(16), index=True)
    recovery_slo_minutes: Mapped[int] = mapped_column(Integer)
    recovery_report_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("retry_recovery_reports.report_id")
    )
    escalation_count: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]


class EscalationRouteRecord(Base):
    __tablename__ = "escalation_routes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("escalation_plans.plan_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    dedup_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(32))
    playbook_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    failure_count: Mapped[int] = mapped_column(Integer)
    age_minutes: Mapped[int | None] = mapped_column(BigInteger)
    receivers: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (
        UniqueConstraint("plan_id", "position"),
        Index(None, "provider", "plan_id"),
    )


class ExecutiveReportRecord(Base):
    __tablename__ = "executive_reports"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    generated_at: Mapped[datetime] = mapped_column(index=True)
    generated_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    status: Mapped[str] = mapped_column(String(16))
    recovery_slo_minutes: Mapped[int] = mapped_column(Integer)
    recovery_report_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("retry_recovery_reports.report_id")
    )
    # Indexed: the evidence trail reads a plan's executive reports.
    escalation_plan_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("escalation_plans.plan_id"), index=True
    )
    content_digest: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]]


class AcknowledgementRecord(Base):
    __tablename__ = "escalation_acknowledgements"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    acknowledgement_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), unique=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("escalation_plans.plan_id"))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    acknowledged_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    acknowledged_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index(None, "plan_id", "provider", "acknowledged_at"),)


# --- delivery: transactional outbox and evidence ---------------------------------------------------


class DeliveryRequestRecord(Base):
    """One deliver call: the delivery evidence id, and its first response for request_id replays."""

    __tablename__ = "delivery_requests"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_evidence_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), unique=True)
    plan_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), ForeignKey("escalation_plans.plan_id"))
    schedule_run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # SHA-256 of the request: the same request_id with other parameters is refused (AIP-155).
    request_digest: Mapped[str | None] = mapped_column(String(64))
    # none_as_null: "no response kept yet" must be SQL NULL, which the conditional UPDATE tests for.
    response_document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class DeliveryRecord(Base):
    """One notification to one receiver: an outbox row the worker claims, sends and records."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    delivery_evidence_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("delivery_requests.delivery_evidence_id")
    )
    plan_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    schedule_run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    receiver: Mapped[str] = mapped_column(String(NAME_LENGTH))
    provider: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # Rounds of attempts (the first, then one per replay or retry-worker retry) and attempts per round.
    round_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    attempts_per_round: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    timeout_seconds: Mapped[float | None] = mapped_column(Float)
    next_attempt_at: Mapped[datetime | None]
    # Lease: a worker owns the row until this instant, so a crashed worker's rows are claimed again.
    claimed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    claimed_until: Mapped[datetime | None]
    route_count: Mapped[int] = mapped_column(Integer, default=0)
    # The public-safe notification to send, built when the row was committed.
    notification: Mapped[dict[str, Any]]
    external_reference: Mapped[str] = mapped_column(String(256), default="")
    last_failure_reason: Mapped[str] = mapped_column(String(32), default="")
    last_http_status: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(512), default="")
    # W3C trace context of the queuing request, so the worker's send joins its trace (docs/tracing.md).
    traceparent: Mapped[str | None] = mapped_column(String(55))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("delivery_evidence_id", "receiver"),
        Index(None, "state", "next_attempt_at"),
        Index(None, "plan_id", "receiver"),
    )


class DeliveryAttemptRecord(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("deliveries.delivery_id", ondelete="CASCADE")
    )
    attempt_number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    success: Mapped[bool] = mapped_column(Boolean)
    http_status: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str] = mapped_column(String(32), default="")
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[int] = mapped_column(BigInteger)
    # Redacted requests: method, URL, headers and body digest; never a body or credential.
    requests: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str] = mapped_column(String(512), default="")

    __table_args__ = (UniqueConstraint("delivery_id", "attempt_number"),)


class ReceiverCircuitRecord(Base):
    """Per-receiver circuit breaker, shared by every replica."""

    __tablename__ = "receiver_circuits"

    receiver: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    opened_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


# --- scheduled executive report runs ---------------------------------------------------------------


class ScheduleRunRecord(Base):
    __tablename__ = "executive_report_schedule_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    interval_minutes: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    report_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("executive_reports.report_id"))
    created_at: Mapped[datetime]

    # Exactly one run per window, whichever replica gets there first.
    __table_args__ = (UniqueConstraint("interval_minutes", "window_start"),)


class IdempotencyRecord(Base):
    """First response of a mutating RPC by request_id (AIP-155), for RPCs without their own column."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    method: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    request_digest: Mapped[str] = mapped_column(String(64))
    # NULL while the call that reserved the key is still working (the key is reserved with its action).
    response_document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # What the reserving call did (e.g. the deliveries it put back in the outbox), for a replay to finish.
    action_document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("method", "request_id"),)
