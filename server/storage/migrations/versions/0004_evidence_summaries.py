"""evidence summaries: the tables reports read instead of the execution and closure history

Creates the summary tables and their indexes, then builds them from the stored history with
set-based INSERT … SELECT (`rebuild_summaries`), on SQLite and PostgreSQL.

Revision ID: 0004_evidence_summaries
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cavra_recovery.server.storage.summaries.rebuild import rebuild_summaries

revision: str = "0004_evidence_summaries"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "execution_summaries",
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("execution_status", sa.String(length=16), nullable=False),
        sa.Column("executions", sa.BigInteger(), nullable=False),
        sa.Column("latest_executed_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "execution_status", name=op.f("pk_execution_summaries")),
    )
    op.create_table(
        "recovery_row_summaries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("generated_us", sa.BigInteger(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("closure_id", sa.String(length=128), nullable=True),
        sa.Column("closure_state", sa.String(length=16), nullable=True),
        sa.Column("closed_us", sa.BigInteger(), nullable=True),
        sa.Column("closure_sequence", sa.BigInteger(), nullable=True),
        sa.Column("closure_minutes", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_row_summaries")),
    )
    op.create_table(
        "provider_row_summaries",
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.BigInteger(), nullable=False),
        sa.Column("closure_minutes_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_provider_row_summaries")),
    )
    op.create_table(
        "closure_day_summaries",
        sa.Column("closed_day", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("closure_state", sa.String(length=16), nullable=False),
        sa.Column("closures", sa.BigInteger(), nullable=False),
        sa.Column("latest_closed_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "closed_day", "provider", "closure_state", name=op.f("pk_closure_day_summaries")
        ),
    )
    # The dashboard totals' table arrives in 0010_dashboard_counters, which builds them.
    rebuild_summaries(op.get_bind(), dashboard_counters=False)
    # Indexes after the bulk build: one sort each instead of index maintenance per inserted row.
    op.create_index(
        "uq_recovery_row_summaries_playbook_id_provider",
        "recovery_row_summaries",
        ["playbook_id", "provider"],
        unique=True,
    )
    op.create_index(
        "ix_recovery_row_summaries_open_age",
        "recovery_row_summaries",
        ["is_closed", "provider", "generated_us"],
    )
    op.create_index(
        "ix_recovery_row_summaries_provider_minutes",
        "recovery_row_summaries",
        ["is_closed", "provider", "closure_minutes"],
    )
    op.create_index(
        "ix_recovery_row_summaries_minutes", "recovery_row_summaries", ["is_closed", "closure_minutes"]
    )
    op.create_index(
        "ix_recovery_row_summaries_route_order",
        "recovery_row_summaries",
        ["is_closed", sa.text("failure_count DESC"), "generated_us"],
    )


def downgrade() -> None:
    for table in (
        "closure_day_summaries",
        "provider_row_summaries",
        "recovery_row_summaries",
        "execution_summaries",
    ):
        op.drop_table(table)
