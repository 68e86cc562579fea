"""Datadog Logs intake v2 (`POST https://http-intake.logs.<site>/api/v2/logs`, `DD-API-KEY`).

One log item per notification: `message` is the headline, the notification rides along as the
`cavra` attribute, `status` maps the alert level to a log status. Datadog answers 202.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import (
    EscalationNotification,
    Notification,
    headline,
    notification_as_dict,
)
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, join_url

DEFAULT_SITE = "datadoghq.com"
DEFAULT_SERVICE = "cavra-recovery"
DEFAULT_SOURCE = "cavra"
_LOG_STATUS = {"critical": "error", "warning": "warn", "healthy": "info"}


def intake_base_url(site: str) -> str:
    return f"https://http-intake.logs.{site}"


def log_items(
    notification: Notification, *, service: str, source: str, hostname: str | None, tags: tuple[str, ...]
) -> list[dict[str, Any]]:
    level = (
        notification.alert_level if isinstance(notification, EscalationNotification) else notification.status
    )
    ddtags = [f"alert_level:{level}", f"event_type:{notification.event_type}", *tags]
    if isinstance(notification, EscalationNotification):
        ddtags.append(f"plan_id:{notification.plan_id}")
    item: dict[str, Any] = {
        "ddsource": source,
        "service": service,
        "ddtags": ",".join(ddtags),
        "message": headline(notification),
        "status": _LOG_STATUS.get(level, "info"),
        "cavra": notification_as_dict(notification),
    }
    if hostname:
        item["hostname"] = hostname
    return [item]


class DatadogConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="optional",
        credentials=frozenset({"api_key"}),
        options={
            "site": OptionKind.TEXT,
            "service": OptionKind.TEXT,
            "source": OptionKind.TEXT,
            "hostname": OptionKind.TEXT,
            "tags": OptionKind.TEXT_LIST,
        },
    )

    async def send(self, notification: Notification) -> SendResult:
        base = self.receiver.url or intake_base_url(self.receiver.text("site", DEFAULT_SITE))
        exchange = await self._post_json(
            join_url(base, "/api/v2/logs"),
            log_items(
                notification,
                service=self.receiver.text("service", DEFAULT_SERVICE),
                source=self.receiver.text("source", DEFAULT_SOURCE),
                hostname=self.receiver.optional_text("hostname"),
                tags=self.receiver.text_list("tags"),
            ),
            {"dd-api-key": self.receiver.secret("api_key").reveal()},
        )
        return classify_reply(exchange, self._redactor)
