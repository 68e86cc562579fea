"""dashboard counters: whole-history totals the dashboard reads by key

Creates `dashboard_counters` and fills it from the evidence summaries (closures, retry executions
delivered and not delivered), so GetRollbackDrillDashboard no longer sums the closure day summaries
on every call. Intake keeps the totals in the same transaction as the summaries.

Revision ID: 0010_dashboard_counters
Revises: 0008_evidence_trail_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cavra_recovery.server.storage.summaries.rebuild import rebuild_dashboard_counters

revision: str = "0010_dashboard_counters"
down_revision: str | None = "0009_retry_worker_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dashboard_counters")),
    )
    rebuild_dashboard_counters(op.get_bind())


def downgrade() -> None:
    op.drop_table("dashboard_counters")
