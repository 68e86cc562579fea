"""Jira Cloud: create an issue (`POST /rest/api/3/issue`, Basic auth with e-mail and API token).

The description is Atlassian Document Format. Jira has no idempotency key, so every issue carries
the label `cavra-<notification id>`: a duplicate created by a retry after a lost answer is findable.
Jira answers 201 with the new issue's `key`, kept as the external reference.
"""

from __future__ import annotations

import base64
import re
from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import EscalationNotification, Notification, headline, route_line
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, join_url

DEFAULT_ISSUE_TYPE = "Task"
_SUMMARY_LIMIT = 255
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _text(text: str, *, strong: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def _bullets(lines: list[str]) -> dict[str, Any]:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_paragraph(_text(line))]} for line in lines],
    }


def adf_description(notification: Notification) -> dict[str, Any]:
    content: list[dict[str, Any]] = [
        {"type": "heading", "attrs": {"level": 3}, "content": [_text(headline(notification))]}
    ]
    if isinstance(notification, EscalationNotification):
        summary = notification.summary
        rate = "n/a" if summary.closure_rate is None else f"{summary.closure_rate:.0%}"
        content.append(
            _bullets(
                [
                    f"Alert level: {notification.alert_level}",
                    f"Plan: {notification.plan_id}",
                    f"Tracked providers: {summary.tracked_providers}",
                    f"Executions: {summary.executions}, failures: {summary.failures}",
                    f"Open: {summary.open}, breached: {summary.breached}, closure rate: {rate}",
                ]
            )
        )
        if notification.routes:
            content.append(_paragraph(_text("Escalation routes", strong=True)))
            content.append(_bullets([route_line(route) for route in notification.routes]))
        if notification.omitted_route_count:
            content.append(
                _paragraph(_text(f"{notification.omitted_route_count} more route(s) in the plan."))
            )
    else:
        content.append(_paragraph(_text(notification.business_impact, strong=True)))
        if notification.key_risks:
            content.append(
                _bullets(
                    [
                        f"[{risk.severity}] {risk.title}: {risk.count} (owner {risk.owner})"
                        for risk in notification.key_risks
                    ]
                )
            )
        if notification.recommended_actions:
            content.append(
                {
                    "type": "orderedList",
                    "content": [
                        {"type": "listItem", "content": [_paragraph(_text(action))]}
                        for action in notification.recommended_actions
                    ],
                }
            )
    content.append(
        _paragraph(_text(f"{notification.event_type} · notification {notification.notification_id}"))
    )
    return {"type": "doc", "version": 1, "content": content}


def issue_fields(
    notification: Notification, *, project_key: str, issue_type: str, labels: tuple[str, ...]
) -> dict[str, Any]:
    title = headline(notification)
    tracking_label = "cavra-" + _LABEL_UNSAFE.sub("-", notification.notification_id)
    return {
        "fields": {
            "project": {"key": project_key},
            "issuetype": {"name": issue_type},
            "summary": title if len(title) <= _SUMMARY_LIMIT else title[: _SUMMARY_LIMIT - 1] + "…",
            "description": adf_description(notification),
            "labels": list(dict.fromkeys(("cavra", "recovery-escalation", *labels, tracking_label))),
        }
    }


class JiraConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="required",
        credentials=frozenset({"api_token"}),
        options={
            "email": OptionKind.TEXT,
            "project_key": OptionKind.TEXT,
            "issue_type": OptionKind.TEXT,
            "labels": OptionKind.TEXT_LIST,
        },
        required_options=frozenset({"email", "project_key"}),
    )

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        user = f"{self.receiver.text('email', '')}:{self.receiver.secret('api_token').reveal()}"
        exchange = await self._post_json(
            join_url(self.receiver.url, "/rest/api/3/issue"),
            issue_fields(
                notification,
                project_key=self.receiver.text("project_key", ""),
                issue_type=self.receiver.text("issue_type", DEFAULT_ISSUE_TYPE),
                labels=self.receiver.text_list("labels"),
            ),
            {"authorization": "Basic " + base64.b64encode(user.encode()).decode()},
        )
        answered = exchange.reply.json() if exchange.reply is not None else None
        key = answered.get("key") if isinstance(answered, dict) else None
        reference = self._redactor.by_value(key) if isinstance(key, str) else None
        return classify_reply(exchange, self._redactor, external_reference=reference)
