"""The summary tables, and the integer epoch-microsecond times they store.

Times are integer microseconds since the Unix epoch, so minute arithmetic and breach cutoffs are plain
integer comparisons on an index on SQLite and PostgreSQL alike (no per-row date function).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cavra_recovery.server.storage.models import ID_LENGTH, NAME_LENGTH, Base

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_MINUTE = 60_000_000


def epoch_us(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_epoch_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def minutes_between_us(start: int, end: int) -> int:
    """Whole minutes from start to end, rounded down; negative spans count as 0 (as `whole_minutes`)."""
    return max(0, (end - start) // MICROSECONDS_PER_MINUTE)


class ExecutionSummaryRecord(Base):
    """Retry executions per provider and status, with the latest `executed_at`."""

    __tablename__ = "execution_summaries"

    provider: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    execution_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    executions: Mapped[int] = mapped_column(BigInteger)
    latest_executed_us: Mapped[int] = mapped_column(BigInteger)


class RecoveryRowSummaryRecord(Base):
    """One recovery row (playbook provider entry) with its latest closure by (closed_at, closure id)."""

    __tablename__ = "recovery_row_summaries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    category: Mapped[str] = mapped_column(String(16))
    failure_count: Mapped[int] = mapped_column(Integer)
    generated_us: Mapped[int] = mapped_column(BigInteger)
    is_closed: Mapped[bool] = mapped_column(Boolean)
    closure_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    closure_state: Mapped[str | None] = mapped_column(String(16))
    closed_us: Mapped[int | None] = mapped_column(BigInteger)
    # The closure's recovery_closures.id: equal closed_at are won by the closure recorded last.
    closure_sequence: Mapped[int | None] = mapped_column(BigInteger)
    closure_minutes: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("uq_recovery_row_summaries_playbook_id_provider", "playbook_id", "provider", unique=True),
        # Breach counts: open rows of a provider generated at or before the cutoff.
        Index("ix_recovery_row_summaries_open_age", "is_closed", "provider", "generated_us"),
        # SLO attainment and p90 (nearest rank by OFFSET) per provider, and p90 over every provider.
        Index("ix_recovery_row_summaries_provider_minutes", "is_closed", "provider", "closure_minutes"),
        Index("ix_recovery_row_summaries_minutes", "is_closed", "closure_minutes"),
    )


# Rows in route order (breached/open first by failure count, then age) without sorting every row.
Index(
    "ix_recovery_row_summaries_route_order",
    RecoveryRowSummaryRecord.is_closed,
    RecoveryRowSummaryRecord.failure_count.desc(),
    RecoveryRowSummaryRecord.generated_us,
)


class ProviderRowSummaryRecord(Base):
    """Recovery rows per provider: how many, how many closed, and their closure minutes summed."""

    __tablename__ = "provider_row_summaries"

    provider: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[int] = mapped_column(BigInteger)
    closure_minutes_sum: Mapped[int] = mapped_column(BigInteger)


class ClosureDaySummaryRecord(Base):
    """Closures per UTC day of `closed_at`, provider and state, with the latest `closed_at`."""

    __tablename__ = "closure_day_summaries"

    closed_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    closure_state: Mapped[str] = mapped_column(String(16), primary_key=True)
    closures: Mapped[int] = mapped_column(BigInteger)
    latest_closed_us: Mapped[int] = mapped_column(BigInteger)


class DashboardCounterRecord(Base):
    """Whole-history totals the dashboard reads by key instead of summing the summaries per call.

    Keys are `DASHBOARD_COUNTERS`; each is kept equal to the SUM over its summary table in the same
    transaction (`maintain.flush`) and rebuilt with the summaries (`rebuild.rebuild_summaries`).
    """

    __tablename__ = "dashboard_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


CLOSURES = "closures"
RETRY_EXECUTIONS_OK = "retry_executions_ok"
RETRY_EXECUTIONS_FAILED = "retry_executions_failed"
DASHBOARD_COUNTERS = (CLOSURES, RETRY_EXECUTIONS_FAILED, RETRY_EXECUTIONS_OK)
