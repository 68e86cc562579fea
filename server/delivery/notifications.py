"""The public-safe notification documents stored in the outbox, and the notifications rebuilt from them.

A document is built once, when the delivery row is committed, from the plan's public fields only (ids,
providers, categories, states, counts, times and planner-generated text); the worker rebuilds the
`Notification` from it for every attempt, so retries send the same content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cavra_recovery.connectors import (
    EscalationNotification,
    ExecutiveReportNotification,
    KeyRisk,
    Notification,
    NotificationRoute,
    PlanSummary,
    notification_as_dict,
)
from cavra_recovery.connectors.notification import REPORT_EVENT_TYPE


def escalation_document(
    *,
    notification_id: str,
    plan_id: str,
    generated_at: datetime,
    alert_level: str,
    summary: PlanSummary,
    routes: Sequence[NotificationRoute],
    max_routes: int,
    action: str = "trigger",
) -> dict[str, Any]:
    notification = EscalationNotification(
        notification_id=notification_id,
        plan_id=plan_id,
        generated_at=generated_at,
        alert_level=alert_level,
        summary=summary,
        routes=tuple(routes[:max_routes]),
        total_route_count=len(routes),
        action=action,
    )
    return notification_as_dict(notification)


def report_document(
    *,
    notification_id: str,
    report_id: str,
    generated_at: datetime,
    status: str,
    business_impact: str,
    key_risks: Sequence[KeyRisk],
    recommended_actions: Sequence[str],
    markdown: str,
) -> dict[str, Any]:
    return notification_as_dict(
        ExecutiveReportNotification(
            notification_id=notification_id,
            report_id=report_id,
            generated_at=generated_at,
            status=status,
            business_impact=business_impact,
            key_risks=tuple(key_risks),
            recommended_actions=tuple(recommended_actions),
            markdown=markdown,
        )
    )


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _route(document: Mapping[str, Any]) -> NotificationRoute:
    return NotificationRoute(
        dedup_key=str(document["dedup_key"]),
        severity=str(document["severity"]),
        category=str(document["category"]),
        provider=str(document["provider"]),
        status=str(document["status"]),
        playbook_id=document.get("playbook_id"),
        failure_count=int(document["failure_count"]),
        age_minutes=None if document.get("age_minutes") is None else int(document["age_minutes"]),
        reason=str(document["reason"]),
        action=str(document["action"]),
    )


def notification_from_document(document: Mapping[str, Any]) -> Notification:
    """The notification a stored document describes (the inverse of `connectors.notification_as_dict`)."""
    if document.get("event_type") == REPORT_EVENT_TYPE:
        return ExecutiveReportNotification(
            notification_id=str(document["notification_id"]),
            report_id=str(document["report_id"]),
            generated_at=_time(document["generated_at"]),
            status=str(document["status"]),
            business_impact=str(document["business_impact"]),
            key_risks=tuple(
                KeyRisk(
                    severity=str(risk["severity"]),
                    title=str(risk["title"]),
                    count=int(risk["count"]),
                    owner=str(risk["owner"]),
                )
                for risk in document.get("key_risks", [])
            ),
            recommended_actions=tuple(str(action) for action in document.get("recommended_actions", [])),
            markdown=str(document.get("markdown", "")),
        )
    summary = document["summary"]
    return EscalationNotification(
        notification_id=str(document["notification_id"]),
        plan_id=str(document["plan_id"]),
        generated_at=_time(document["generated_at"]),
        alert_level=str(document["alert_level"]),
        summary=PlanSummary(
            tracked_providers=int(summary["tracked_providers"]),
            executions=int(summary["executions"]),
            failures=int(summary["failures"]),
            open=int(summary["open"]),
            breached=int(summary["breached"]),
            closure_rate=None if summary.get("closure_rate") is None else float(summary["closure_rate"]),
        ),
        routes=tuple(_route(route) for route in document.get("routes", [])),
        total_route_count=int(document["total_route_count"]),
        action=str(document.get("action", "trigger")),
    )
