"""escalation policies: running escalations, their steps, and silences

Revision ID: 0006_escalation_policies
Revises: 0005_delivery_traceparent
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cavra_recovery.server.storage.models import UtcDateTime

revision: str = "0006_escalation_policies"
down_revision: str | None = "0005_delivery_traceparent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "escalations",
        _id(),
        sa.Column("plan_id", sa.String(length=128), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("policy", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("current_step_at", UtcDateTime(), nullable=False),
        sa.Column("next_step_at", UtcDateTime(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.Column("stop_reason", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("plan_id", "dedup_key", name=op.f("uq_escalations_plan_id_dedup_key")),
    )
    op.create_index(
        op.f("ix_escalations_status_next_step_at"), "escalations", ["status", "next_step_at"], unique=False
    )
    op.create_table(
        "escalation_steps",
        _id(),
        sa.Column("plan_id", sa.String(length=128), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column("receivers", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("suppressed_by", sa.String(length=128), nullable=False),
        sa.Column("delivery_evidence_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_steps")),
        sa.UniqueConstraint(
            "plan_id", "dedup_key", "step", name=op.f("uq_escalation_steps_plan_id_dedup_key_step")
        ),
    )
    op.create_table(
        "escalation_silences",
        _id(),
        sa.Column("silence_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("expired_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_silences")),
        sa.UniqueConstraint("silence_id", name=op.f("uq_escalation_silences_silence_id")),
    )
    op.create_index(op.f("ix_escalation_silences_ends_at"), "escalation_silences", ["ends_at"], unique=False)


def downgrade() -> None:
    op.drop_table("escalation_silences")
    op.drop_table("escalation_steps")
    op.drop_table("escalations")
