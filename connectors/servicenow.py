"""ServiceNow incident Table API (`POST /api/now/table/incident`, Basic auth).

`correlation_id` is the notification id, stable across retries, so the incident can be matched to
the delivery; `urgency` and `impact` follow the alert level (1 high, 2 medium, 3 low). ServiceNow
answers 201 with `result.sys_id`, kept as the external reference.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import EscalationNotification, Notification, headline, route_line
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, join_url

CORRELATION_DISPLAY = "CAVRA Recovery Escalation"
_PRIORITY_BY_LEVEL = {"critical": "1", "warning": "2", "healthy": "3"}
_SHORT_DESCRIPTION_LIMIT = 160


def incident_record(
    notification: Notification, *, assignment_group: str | None, caller_id: str | None, category: str | None
) -> dict[str, Any]:
    if isinstance(notification, EscalationNotification):
        level = notification.alert_level
        summary = notification.summary
        lines = [
            headline(notification),
            f"Plan: {notification.plan_id} (action {notification.action})",
            f"Tracked providers: {summary.tracked_providers}; executions: {summary.executions}; "
            f"failures: {summary.failures}; open: {summary.open}; breached: {summary.breached}",
            "",
            *[route_line(route) for route in notification.routes],
        ]
        if notification.omitted_route_count:
            lines.append(f"{notification.omitted_route_count} more route(s) in the plan.")
    else:
        level = notification.status
        lines = [
            headline(notification),
            notification.business_impact,
            "",
            *[
                f"[{risk.severity}] {risk.title}: {risk.count} (owner {risk.owner})"
                for risk in notification.key_risks
            ],
            "",
            *notification.recommended_actions,
        ]
    title = headline(notification)
    record: dict[str, Any] = {
        "short_description": title
        if len(title) <= _SHORT_DESCRIPTION_LIMIT
        else title[: _SHORT_DESCRIPTION_LIMIT - 1] + "…",
        "description": "\n".join(
            [*lines, "", f"{notification.event_type} · notification {notification.notification_id}"]
        ),
        "urgency": _PRIORITY_BY_LEVEL.get(level, "2"),
        "impact": _PRIORITY_BY_LEVEL.get(level, "2"),
        "correlation_id": notification.notification_id,
        "correlation_display": CORRELATION_DISPLAY,
    }
    for field, value in (
        ("assignment_group", assignment_group),
        ("caller_id", caller_id),
        ("category", category),
    ):
        if value:
            record[field] = value
    return record


class ServiceNowConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="required",
        credentials=frozenset({"password"}),
        options={
            "username": OptionKind.TEXT,
            "assignment_group": OptionKind.TEXT,
            "caller_id": OptionKind.TEXT,
            "category": OptionKind.TEXT,
        },
        required_options=frozenset({"username"}),
    )

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        user = f"{self.receiver.text('username', '')}:{self.receiver.secret('password').reveal()}"
        exchange = await self._post_json(
            join_url(self.receiver.url, "/api/now/table/incident"),
            incident_record(
                notification,
                assignment_group=self.receiver.optional_text("assignment_group"),
                caller_id=self.receiver.optional_text("caller_id"),
                category=self.receiver.optional_text("category"),
            ),
            {"authorization": "Basic " + base64.b64encode(user.encode()).decode()},
        )
        answered = exchange.reply.json() if exchange.reply is not None else None
        result = answered.get("result") if isinstance(answered, dict) else None
        sys_id = result.get("sys_id") if isinstance(result, dict) else None
        reference = self._redactor.by_value(sys_id) if isinstance(sys_id, str) else None
        return classify_reply(exchange, self._redactor, external_reference=reference)
