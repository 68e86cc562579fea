"""evidence ledger: one entry per stored record, and the chained checkpoints that seal them

Creates `ledger_entries` and `ledger_checkpoints`, then enters every record already stored into the
ledger (`backfill`, kind by kind in id order); the first checkpoint seals that history (docs/ledger.md).

Revision ID: 0007_evidence_ledger
Revises: 0005_delivery_traceparent
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cavra_recovery.server.storage.ledger.append import backfill

revision: str = "0007_evidence_ledger"
down_revision: str | None = "0010_dashboard_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=257), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("leaf_index", name=op.f("uq_ledger_entries_leaf_index")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_checkpoints")),
        sa.UniqueConstraint("checkpoint_hash", name=op.f("uq_ledger_checkpoints_checkpoint_hash")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_ledger_checkpoints_previous_hash")),
        sa.UniqueConstraint("window_start", name=op.f("uq_ledger_checkpoints_window_start")),
    )
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_entries")
