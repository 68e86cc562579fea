"""Slack incoming webhook with Block Kit (`blocks`, plus `text` as the notification fallback).

Slack answers 200 with the body `ok`; errors come as 400 `invalid_payload`, 403 `invalid_token` or
`action_prohibited`, 404 `no_service`, 410 `channel_is_archived`, which the shared table maps.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import (
    EscalationNotification,
    Notification,
    headline,
    isoformat_utc,
    route_line,
)
from cavra_recovery.connectors.receiver import ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply

_SECTION_TEXT_LIMIT = 3000
_HEADER_TEXT_LIMIT = 150
_MAX_ROUTE_BLOCKS = 40  # Slack allows 50 blocks per message; the rest is header, facts and context


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped as its formatting docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, _SECTION_TEXT_LIMIT)}}


def slack_message(notification: Notification) -> dict[str, Any]:
    title = headline(notification)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _truncate(title, _HEADER_TEXT_LIMIT)}}
    ]
    if isinstance(notification, EscalationNotification):
        summary = notification.summary
        rate = "n/a" if summary.closure_rate is None else f"{summary.closure_rate:.0%}"
        facts = {
            "Alert level": notification.alert_level,
            "Plan": notification.plan_id,
            "Providers": str(summary.tracked_providers),
            "Failures": f"{summary.failures} of {summary.executions} executions",
            "Open / breached": f"{summary.open} / {summary.breached}",
            "Closure rate": rate,
        }
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{escape_mrkdwn(value)}"}
                    for name, value in facts.items()
                ],
            }
        )
        if notification.routes:
            blocks.append({"type": "divider"})
        for route in notification.routes[:_MAX_ROUTE_BLOCKS]:
            blocks.append(_section(escape_mrkdwn(route_line(route))))
        hidden = notification.total_route_count - min(len(notification.routes), _MAX_ROUTE_BLOCKS)
        if hidden > 0:
            blocks.append(_section(f"_{hidden} more route(s) in the plan_"))
    else:
        blocks.append(_section(f"*{escape_mrkdwn(notification.business_impact)}*"))
        risks = [
            f"• [{risk.severity}] {risk.title}: {risk.count} (owner {risk.owner})"
            for risk in notification.key_risks
        ]
        if risks:
            blocks.append(_section(escape_mrkdwn("\n".join(risks))))
        actions = [f"{number}. {action}" for number, action in enumerate(notification.recommended_actions, 1)]
        if actions:
            blocks.append(_section(escape_mrkdwn("\n".join(actions))))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape_mrkdwn(
                        f"{notification.event_type} · {notification.notification_id} · "
                        f"{isoformat_utc(notification.generated_at)}"
                    ),
                }
            ],
        }
    )
    return {"text": title, "blocks": blocks}


class SlackConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(url="required")

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        exchange = await self._post_json(self.receiver.url, slack_message(notification))
        return classify_reply(exchange, self._redactor)
