"""Microsoft Teams incoming webhook or Workflows webhook, carrying an Adaptive Card 1.4.

Both accept a `message` activity whose single attachment is the card; the classic incoming webhook
answers 200, a Workflows (Power Automate) trigger answers 202.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import (
    EscalationNotification,
    Notification,
    headline,
    isoformat_utc,
)
from cavra_recovery.connectors.receiver import ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_MAX_ROUTE_CONTAINERS = 20
_LEVEL_COLOURS = {"critical": "Attention", "warning": "Warning", "healthy": "Good"}


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(facts: dict[str, str]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts.items()]}


def adaptive_card(notification: Notification) -> dict[str, Any]:
    level = (
        notification.alert_level if isinstance(notification, EscalationNotification) else notification.status
    )
    body: list[dict[str, Any]] = [
        _text(
            headline(notification), size="Large", weight="Bolder", color=_LEVEL_COLOURS.get(level, "Default")
        )
    ]
    if isinstance(notification, EscalationNotification):
        summary = notification.summary
        body.append(
            _facts(
                {
                    "Alert level": notification.alert_level,
                    "Plan": notification.plan_id,
                    "Action": notification.action,
                    "Tracked providers": str(summary.tracked_providers),
                    "Executions / failures": f"{summary.executions} / {summary.failures}",
                    "Open / breached": f"{summary.open} / {summary.breached}",
                    "Closure rate": "n/a" if summary.closure_rate is None else f"{summary.closure_rate:.0%}",
                }
            )
        )
        for route in notification.routes[:_MAX_ROUTE_CONTAINERS]:
            body.append(
                {
                    "type": "Container",
                    "separator": True,
                    "items": [
                        _text(
                            f"{route.severity.upper()} · {route.provider} ({route.category})"
                            f" · {route.status}",
                            weight="Bolder",
                            color="Attention" if route.severity == "critical" else "Warning",
                        ),
                        _facts(
                            {
                                "Failures": str(route.failure_count),
                                "Age": "n/a" if route.age_minutes is None else f"{route.age_minutes} min",
                                "Playbook": route.playbook_id or "n/a",
                                "Reason": route.reason,
                                "Action": route.action,
                            }
                        ),
                    ],
                }
            )
        hidden = notification.total_route_count - min(len(notification.routes), _MAX_ROUTE_CONTAINERS)
        if hidden > 0:
            body.append(_text(f"{hidden} more route(s) in the plan", isSubtle=True))
    else:
        body.append(_text(notification.business_impact, weight="Bolder"))
        if notification.key_risks:
            body.append(
                _facts(
                    {
                        f"[{risk.severity}] {risk.title}": f"{risk.count} (owner {risk.owner})"
                        for risk in notification.key_risks
                    }
                )
            )
        for number, action in enumerate(notification.recommended_actions, 1):
            body.append(_text(f"{number}. {action}"))
    body.append(
        _text(
            f"{notification.event_type} · {notification.notification_id}"
            f" · {isoformat_utc(notification.generated_at)}",
            isSubtle=True,
            size="Small",
        )
    )
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }


def teams_message(notification: Notification) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": ADAPTIVE_CARD_CONTENT_TYPE,
                "contentUrl": None,
                "content": adaptive_card(notification),
            }
        ],
    }


class TeamsConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(url="required")

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        exchange = await self._post_json(self.receiver.url, teams_message(notification))
        return classify_reply(exchange, self._redactor)
