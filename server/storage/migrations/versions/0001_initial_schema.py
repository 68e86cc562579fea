"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:58:51.715324
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cavra_recovery.server.storage.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "connector_recovery_playbooks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("generated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("lookback_hours", sa.Integer(), nullable=False),
        sa.Column("min_failure_count", sa.Integer(), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_recovery_playbooks")),
        sa.UniqueConstraint("playbook_id", name=op.f("uq_connector_recovery_playbooks_playbook_id")),
    )
    with op.batch_alter_table("connector_recovery_playbooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connector_recovery_playbooks_generated_at"), ["generated_at"], unique=False
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("method", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("response_document", sa.JSON(), nullable=False),
        sa.Column("created_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("method", "request_id", name=op.f("uq_idempotency_keys_method_request_id")),
    )
    op.create_table(
        "receiver_circuits",
        sa.Column("receiver", sa.String(length=128), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_until", cavra_recovery.server.storage.models.UtcDateTime(), nullable=True),
        sa.Column("updated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("receiver", name=op.f("pk_receiver_circuits")),
    )
    op.create_table(
        "retry_executions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("execution_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("execution_status", sa.String(length=16), nullable=False),
        sa.Column("executed_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("retry_plan_id", sa.String(length=128), nullable=False),
        sa.Column("approval_decision_id", sa.String(length=128), nullable=False),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("audit_id", sa.String(length=128), nullable=False),
        sa.Column("delivery_success", sa.Boolean(), nullable=False),
        sa.Column("skipped_reason", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retry_executions")),
        sa.UniqueConstraint("execution_id", name=op.f("uq_retry_executions_execution_id")),
    )
    with op.batch_alter_table("retry_executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retry_executions_executed_at"), ["executed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_retry_executions_provider_execution_status"),
            ["provider", "execution_status"],
            unique=False,
        )

    op.create_table(
        "retry_recovery_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_id", sa.String(length=128), nullable=False),
        sa.Column("generated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("recovery_slo_minutes", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retry_recovery_reports")),
        sa.UniqueConstraint("report_id", name=op.f("uq_retry_recovery_reports_report_id")),
    )
    with op.batch_alter_table("retry_recovery_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retry_recovery_reports_content_digest"), ["content_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retry_recovery_reports_generated_at"), ["generated_at"], unique=False
        )

    op.create_table(
        "escalation_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("generated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("generated_by", sa.String(length=128), nullable=False),
        sa.Column("alert_level", sa.String(length=16), nullable=False),
        sa.Column("recovery_slo_minutes", sa.Integer(), nullable=False),
        sa.Column("recovery_report_id", sa.String(length=128), nullable=False),
        sa.Column("escalation_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recovery_report_id"],
            ["retry_recovery_reports.report_id"],
            name=op.f("fk_escalation_plans_recovery_report_id_retry_recovery_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_plans")),
        sa.UniqueConstraint("plan_id", name=op.f("uq_escalation_plans_plan_id")),
        sa.UniqueConstraint("request_id", name=op.f("uq_escalation_plans_request_id")),
    )
    with op.batch_alter_table("escalation_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_plans_alert_level"), ["alert_level"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalation_plans_generated_at"), ["generated_at"], unique=False)

    op.create_table(
        "playbook_providers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("latest_failure_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=True),
        sa.Column("status_codes", sa.JSON(), nullable=False),
        sa.Column("generated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["connector_recovery_playbooks.playbook_id"],
            name=op.f("fk_playbook_providers_playbook_id_connector_recovery_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_providers")),
        sa.UniqueConstraint(
            "playbook_id", "provider", name=op.f("uq_playbook_providers_playbook_id_provider")
        ),
    )
    with op.batch_alter_table("playbook_providers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_playbook_providers_provider_generated_at"),
            ["provider", "generated_at"],
            unique=False,
        )

    op.create_table(
        "recovery_closures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("closure_id", sa.String(length=128), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("closure_state", sa.String(length=16), nullable=False),
        sa.Column("closed_by", sa.String(length=128), nullable=False),
        sa.Column("closed_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("external_ref", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("verification_refs", sa.JSON(), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["connector_recovery_playbooks.playbook_id"],
            name=op.f("fk_recovery_closures_playbook_id_connector_recovery_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_closures")),
        sa.UniqueConstraint("closure_id", name=op.f("uq_recovery_closures_closure_id")),
    )
    with op.batch_alter_table("recovery_closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_closures_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_recovery_closures_playbook_id_provider_closed_at"),
            ["playbook_id", "provider", "closed_at"],
            unique=False,
        )

    op.create_table(
        "delivery_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivery_evidence_id", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("plan_id", sa.String(length=128), nullable=True),
        sa.Column("schedule_run_id", sa.String(length=128), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("created_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("response_document", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["escalation_plans.plan_id"],
            name=op.f("fk_delivery_requests_plan_id_escalation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_requests")),
        sa.UniqueConstraint("delivery_evidence_id", name=op.f("uq_delivery_requests_delivery_evidence_id")),
        sa.UniqueConstraint("request_id", name=op.f("uq_delivery_requests_request_id")),
    )
    op.create_table(
        "escalation_acknowledgements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("acknowledgement_id", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("plan_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=False),
        sa.Column("acknowledged_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["escalation_plans.plan_id"],
            name=op.f("fk_escalation_acknowledgements_plan_id_escalation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_acknowledgements")),
        sa.UniqueConstraint(
            "acknowledgement_id", name=op.f("uq_escalation_acknowledgements_acknowledgement_id")
        ),
        sa.UniqueConstraint("request_id", name=op.f("uq_escalation_acknowledgements_request_id")),
    )
    with op.batch_alter_table("escalation_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_acknowledgements_plan_id_provider_acknowledged_at"),
            ["plan_id", "provider", "acknowledged_at"],
            unique=False,
        )

    op.create_table(
        "escalation_routes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("age_minutes", sa.BigInteger(), nullable=True),
        sa.Column("receivers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["escalation_plans.plan_id"],
            name=op.f("fk_escalation_routes_plan_id_escalation_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_routes")),
        sa.UniqueConstraint("plan_id", "position", name=op.f("uq_escalation_routes_plan_id_position")),
    )
    with op.batch_alter_table("escalation_routes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_routes_provider_plan_id"), ["provider", "plan_id"], unique=False
        )

    op.create_table(
        "executive_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_id", sa.String(length=128), nullable=False),
        sa.Column("generated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("generated_by", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recovery_slo_minutes", sa.Integer(), nullable=False),
        sa.Column("recovery_report_id", sa.String(length=128), nullable=False),
        sa.Column("escalation_plan_id", sa.String(length=128), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_plan_id"],
            ["escalation_plans.plan_id"],
            name=op.f("fk_executive_reports_escalation_plan_id_escalation_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["recovery_report_id"],
            ["retry_recovery_reports.report_id"],
            name=op.f("fk_executive_reports_recovery_report_id_retry_recovery_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executive_reports")),
        sa.UniqueConstraint("report_id", name=op.f("uq_executive_reports_report_id")),
    )
    with op.batch_alter_table("executive_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_executive_reports_content_digest"), ["content_digest"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_executive_reports_generated_at"), ["generated_at"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("delivery_evidence_id", sa.String(length=128), nullable=False),
        sa.Column("plan_id", sa.String(length=128), nullable=True),
        sa.Column("schedule_run_id", sa.String(length=128), nullable=True),
        sa.Column("receiver", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=True),
        sa.Column("next_attempt_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", cavra_recovery.server.storage.models.UtcDateTime(), nullable=True),
        sa.Column("route_count", sa.Integer(), nullable=False),
        sa.Column("notification", sa.JSON(), nullable=False),
        sa.Column("external_reference", sa.String(length=256), nullable=False),
        sa.Column("last_failure_reason", sa.String(length=32), nullable=False),
        sa.Column("last_http_status", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=512), nullable=False),
        sa.Column("created_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("updated_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_evidence_id"],
            ["delivery_requests.delivery_evidence_id"],
            name=op.f("fk_deliveries_delivery_evidence_id_delivery_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "delivery_evidence_id", "receiver", name=op.f("uq_deliveries_delivery_evidence_id_receiver")
        ),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_deliveries_delivery_id")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_plan_id_receiver"), ["plan_id", "receiver"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_state_next_attempt_at"), ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "executive_report_schedule_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("window_start", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("window_end", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("report_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["executive_reports.report_id"],
            name=op.f("fk_executive_report_schedule_runs_report_id_executive_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executive_report_schedule_runs")),
        sa.UniqueConstraint(
            "interval_minutes",
            "window_start",
            name=op.f("uq_executive_report_schedule_runs_interval_minutes_window_start"),
        ),
        sa.UniqueConstraint("run_id", name=op.f("uq_executive_report_schedule_runs_run_id")),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivery_id", sa.String(length=128), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("started_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("finished_at", cavra_recovery.server.storage.models.UtcDateTime(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.String(length=32), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.delivery_id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
        sa.UniqueConstraint(
            "delivery_id", "attempt_number", name=op.f("uq_delivery_attempts_delivery_id_attempt_number")
        ),
    )


def downgrade() -> None:

    op.drop_table("delivery_attempts")
    op.drop_table("executive_report_schedule_runs")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_state_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_deliveries_plan_id_receiver"))

    op.drop_table("deliveries")
    with op.batch_alter_table("executive_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_executive_reports_generated_at"))
        batch_op.drop_index(batch_op.f("ix_executive_reports_content_digest"))

    op.drop_table("executive_reports")
    with op.batch_alter_table("escalation_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_routes_provider_plan_id"))

    op.drop_table("escalation_routes")
    with op.batch_alter_table("escalation_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_acknowledgements_plan_id_provider_acknowledged_at"))

    op.drop_table("escalation_acknowledgements")
    op.drop_table("delivery_requests")
    with op.batch_alter_table("recovery_closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_closures_playbook_id_provider_closed_at"))
        batch_op.drop_index(batch_op.f("ix_recovery_closures_closed_at"))

    op.drop_table("recovery_closures")
    with op.batch_alter_table("playbook_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_providers_provider_generated_at"))

    op.drop_table("playbook_providers")
    with op.batch_alter_table("escalation_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_plans_generated_at"))
        batch_op.drop_index(batch_op.f("ix_escalation_plans_alert_level"))

    op.drop_table("escalation_plans")
    with op.batch_alter_table("retry_recovery_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retry_recovery_reports_generated_at"))
        batch_op.drop_index(batch_op.f("ix_retry_recovery_reports_content_digest"))

    op.drop_table("retry_recovery_reports")
    with op.batch_alter_table("retry_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retry_executions_provider_execution_status"))
        batch_op.drop_index(batch_op.f("ix_retry_executions_executed_at"))

    op.drop_table("retry_executions")
    op.drop_table("receiver_circuits")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("connector_recovery_playbooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connector_recovery_playbooks_generated_at"))

    op.drop_table("connector_recovery_playbooks")
