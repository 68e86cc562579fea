"""Test kit for escalation policies: a connector configuration with policies, evidence, and one-call
deliver/tick/read helpers at an injected instant (operations on a real SQLite or PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cavra_recovery.connectors import ConnectorConfig, parse_connector_config
from cavra_recovery.server.delivery.outbox import DeliveryOptions, plan_for_delivery
from cavra_recovery.server.operations.escalations import (
    TickOutcome,
    advance_escalations,
    enqueue_plan_delivery,
)
from cavra_recovery.server.operations.plans import create_plan
from cavra_recovery.server.storage import escalations as escalation_store
from cavra_recovery.server.storage.database import Database
from cavra_recovery.server.storage.escalations import StoredEscalation, StoredSilence, StoredStep
from cavra_recovery.server.storage.models import DeliveryRecord

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SECRET_ENV = {"POLICY_TEST_WEBHOOK_SECRET": "whsec_cG9saWN5LXRlc3Qtd2ViaG9vay1zZWNyZXQtMzI="}


def webhook(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "webhook",
        "url": f"https://hooks.example.invalid/{name}",
        "secret_env": "POLICY_TEST_WEBHOOK_SECRET",
    }


def policy_config(
    levels: Sequence[tuple[str, str]] = (("level-one", "15m"), ("level-two", "30m")),
    *,
    repeat: int = 0,
    inhibit_rules: Sequence[dict[str, Any]] = (),
    rules: Sequence[dict[str, Any]] | None = None,
    extra_receivers: Sequence[str] = (),
) -> ConnectorConfig:
    """Receivers named by the levels (plus `extra_receivers` and a default), one policy `release`."""
    names = list(dict.fromkeys([name for name, _ in levels] + list(extra_receivers) + ["fallback"]))
    document: dict[str, Any] = {
        "receivers": [webhook(name) for name in names],
        "escalation_policies": [
            {
                "name": "release",
                "levels": [{"receivers": [name], "ack_timeout": timeout} for name, timeout in levels],
                "repeat": repeat,
            }
        ],
        "routing": {
            "default": "fallback",
            "rules": list(rules)
            if rules is not None
            else [{"match": {"provider": "slack"}, "policy": "release"}],
        },
    }
    if inhibit_rules:
        document["inhibit_rules"] = list(inhibit_rules)
    return parse_connector_config(document, source=Path("policies.yaml"), environ=SECRET_ENV)


def deliver_latest(database: Database, config: ConnectorConfig, now: datetime) -> str:
    """Build and store a plan at `now` and deliver it (as DeliverRecoveryEscalation with `latest`)."""

    def work(session: Session) -> str:
        plan = create_plan(session, now=now, recovery_slo_minutes=240, generated_by="test", routing=config)
        enqueue_plan_delivery(
            session,
            plan=plan_for_delivery(plan),
            config=config,
            receivers=(),
            options=DeliveryOptions(),
            now=now,
        )
        return plan.plan_id

    return database.run_sync(work)


def tick(database: Database, config: ConnectorConfig, now: datetime) -> TickOutcome:
    return database.run_sync(lambda session: advance_escalations(session, config=config, now=now))


def state(database: Database, plan_id: str) -> tuple[list[StoredEscalation], list[StoredStep]]:
    return database.run_sync(lambda session: escalation_store.escalations_of_plan(session, plan_id=plan_id))


def outbox(database: Database, plan_id: str) -> list[tuple[str, str]]:
    """(receiver, state) of every delivery of the plan, oldest first."""
    return database.run_sync(
        lambda session: [
            (row.receiver, row.state)
            for row in session.scalars(
                select(DeliveryRecord).where(DeliveryRecord.plan_id == plan_id).order_by(DeliveryRecord.id)
            )
        ]
    )


def silence(
    database: Database, *, provider: str, starts_at: datetime, ends_at: datetime, silence_id: str = "sil-test"
) -> str:
    stored = StoredSilence(
        silence_id=silence_id,
        provider=provider,
        category="",
        severity="",
        starts_at=starts_at,
        ends_at=ends_at,
        comment="maintenance",
        created_by="test",
        created_at=starts_at,
        expired_at=None,
        expired_by="",
    )
    return database.run_sync(lambda session: escalation_store.add_silence(session, stored)).silence_id


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
