"""Splunk HTTP Event Collector (`POST /services/collector/event`, `Authorization: Splunk <token>`).

One HEC event per notification: `{"time", "source", "sourcetype", "event"}` plus `index` and `host`
when configured. HEC answers 200 `{"text": "Success", "code": 0}`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import Notification, notification_as_dict
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, join_url

DEFAULT_SOURCETYPE = "cavra:recovery:escalation"
DEFAULT_SOURCE = "cavra-recovery-escalation"


def hec_event(
    notification: Notification, *, sourcetype: str, source: str, index: str | None, host: str | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "time": round(notification.generated_at.timestamp(), 3),
        "source": source,
        "sourcetype": sourcetype,
        "event": notification_as_dict(notification),
    }
    if index:
        event["index"] = index
    if host:
        event["host"] = host
    return event


class SplunkConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="required",
        credentials=frozenset({"token"}),
        options={
            "sourcetype": OptionKind.TEXT,
            "source": OptionKind.TEXT,
            "index": OptionKind.TEXT,
            "host": OptionKind.TEXT,
        },
    )

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        exchange = await self._post_json(
            join_url(self.receiver.url, "/services/collector/event"),
            hec_event(
                notification,
                sourcetype=self.receiver.text("sourcetype", DEFAULT_SOURCETYPE),
                source=self.receiver.text("source", DEFAULT_SOURCE),
                index=self.receiver.optional_text("index"),
                host=self.receiver.optional_text("host"),
            ),
            {"authorization": "Splunk " + self.receiver.secret("token").reveal()},
        )
        return classify_reply(exchange, self._redactor)
