"""delivery traceparent: the W3C trace context of the request that queued a delivery

A nullable column on `deliveries`; the worker's send joins the request's trace (docs/tracing.md).

Revision ID: 0005_delivery_traceparent
Revises: 0004_evidence_summaries
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_delivery_traceparent"
down_revision: str | None = "0004_evidence_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("traceparent")
