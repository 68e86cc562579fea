"""The escalation policy tables: running escalations, their steps, and silences (never deleted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cavra_recovery.server.storage.models import ID_LENGTH, NAME_LENGTH, Base


class EscalationRecord(Base):
    """One (plan, route) under an escalation policy: where its chain stands."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    dedup_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    playbook_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    policy: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # active, acknowledged, resolved or exhausted (server/domain/escalation_policy.py).
    status: Mapped[str] = mapped_column(String(16))
    current_step: Mapped[int] = mapped_column(Integer)
    current_step_at: Mapped[datetime]
    # When the scheduler looks again; None once stopped.
    next_step_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str] = mapped_column(String(256), default="")

    __table_args__ = (
        UniqueConstraint("plan_id", "dedup_key"),
        Index(None, "status", "next_step_at"),
    )


class EscalationStepRecord(Base):
    """One notified step; the unique (plan, route, step) lets exactly one replica notify it."""

    __tablename__ = "escalation_steps"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    dedup_key: Mapped[str] = mapped_column(String(ID_LENGTH))
    step: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(256))
    receivers: Mapped[list[Any]] = mapped_column(default=list)
    # sent, silenced or inhibited; suppressed_by holds the silence id or the inhibiting route's key.
    outcome: Mapped[str] = mapped_column(String(16))
    suppressed_by: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    delivery_evidence_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("plan_id", "dedup_key", "step"),)


class SilenceRecord(Base):
    """A silence: matchers (empty matches anything) between two instants; expired, never deleted."""

    __tablename__ = "escalation_silences"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    silence_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    category: Mapped[str] = mapped_column(String(32), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    created_at: Mapped[datetime]
    expired_at: Mapped[datetime | None]
    expired_by: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
