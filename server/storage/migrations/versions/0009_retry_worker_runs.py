"""retry worker runs: every retry-worker run and its per-delivery decisions, stored

RunRecoveryEscalationRetryWorker, replays and the background delivery worker's retry/dead-letter
decisions are stored as runs with decisions (ids, states and times only) in the transaction of the
outbox change they cause; the evidence trail reads a plan's decisions by `plan_id` (docs/trail.md).

Revision ID: 0009_retry_worker_runs
Revises: 0008_evidence_trail_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cavra_recovery.server.storage.models

revision: str = "0009_retry_worker_runs"
down_revision: str | None = "0008_evidence_trail_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_LENGTH = 128
NAME_LENGTH = 128


def upgrade() -> None:
    op.create_table(
        "retry_worker_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=NAME_LENGTH), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("finished_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retry_worker_runs")),
        sa.UniqueConstraint("run_id", name=op.f("uq_retry_worker_runs_run_id")),
    )
    op.create_table(
        "retry_worker_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("delivery_id", sa.String(length=ID_LENGTH), nullable=False),
        sa.Column("plan_id", sa.String(length=ID_LENGTH), nullable=True),
        sa.Column("receiver", sa.String(length=NAME_LENGTH), nullable=False),
        sa.Column("provider", sa.String(length=NAME_LENGTH), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("outcome_state", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retry_worker_runs.run_id"],
            name=op.f("fk_retry_worker_decisions_run_id_retry_worker_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retry_worker_decisions")),
    )
    op.create_index(op.f("ix_retry_worker_decisions_run_id"), "retry_worker_decisions", ["run_id"])
    op.create_index(op.f("ix_retry_worker_decisions_plan_id"), "retry_worker_decisions", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_retry_worker_decisions_plan_id", table_name="retry_worker_decisions")
    op.drop_index("ix_retry_worker_decisions_run_id", table_name="retry_worker_decisions")
    op.drop_table("retry_worker_decisions")
    op.drop_table("retry_worker_runs")
