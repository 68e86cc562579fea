"""evidence trail indexes: executive reports by the plan they were built from

GetRecoveryEvidenceTrail and ListRecoveryExecutiveReports(plan_id) look executive reports up by
`escalation_plan_id`; without an index that is a scan of every stored report (docs/trail.md).

Revision ID: 0008_evidence_trail_indexes
Revises: 0005_delivery_traceparent
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_evidence_trail_indexes"
down_revision: str | None = "0006_escalation_policies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_executive_reports_escalation_plan_id", "executive_reports", ["escalation_plan_id"])


def downgrade() -> None:
    op.drop_index("ix_executive_reports_escalation_plan_id", table_name="executive_reports")
