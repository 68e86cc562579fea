"""request digests: delivery_requests.request_digest, idempotency keys reserved before their response

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json_null_to_sql_null(table: str, column: str) -> None:
    # Before this revision "no response yet" was stored as the JSON value null, not SQL NULL.
    as_text = f"CAST({column} AS TEXT)" if op.get_bind().dialect.name == "postgresql" else column
    op.execute(f"UPDATE {table} SET {column} = NULL WHERE {as_text} = 'null'")


def upgrade() -> None:
    with op.batch_alter_table("delivery_requests") as batch:
        batch.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("action_document", sa.JSON(), nullable=True))
        batch.alter_column("response_document", existing_type=sa.JSON(), nullable=True)
    _json_null_to_sql_null("delivery_requests", "response_document")


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE response_document IS NULL")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("response_document", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("action_document")
    with op.batch_alter_table("delivery_requests") as batch:
        batch.drop_column("request_digest")
