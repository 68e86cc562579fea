"""PagerDuty Events API v2.

An escalation becomes one alert event per route (`POST /v2/enqueue`): `trigger` while the recovery is
open, `resolve` when it closes, keyed by the route's stable `dedup_key` so PagerDuty folds repeats
into one alert. An executive report pages nobody: it is sent as a change event (`/v2/change/enqueue`).
PagerDuty answers 202 on success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cavra_recovery.connectors.base import RecordedRequest, SendResult
from cavra_recovery.connectors.notification import (
    EscalationNotification,
    ExecutiveReportNotification,
    Notification,
    NotificationRoute,
    isoformat_utc,
    route_as_dict,
    route_line,
)
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, join_url

DEFAULT_BASE_URL = "https://events.pagerduty.com"
DEFAULT_SOURCE = "cavra-recovery-escalation"
CLIENT = "CAVRA Recovery Escalation Service"
_SUMMARY_LIMIT = 1024
_SEVERITIES = {"critical": "critical", "warning": "warning"}


def _summary(text: str) -> str:
    return text if len(text) <= _SUMMARY_LIMIT else text[: _SUMMARY_LIMIT - 1] + "…"


def alert_event(
    notification: EscalationNotification, route: NotificationRoute, *, routing_key: str, source: str
) -> dict[str, Any]:
    if notification.action == "resolve":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": route.dedup_key}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": route.dedup_key,
        "client": CLIENT,
        "payload": {
            "summary": _summary(f"CAVRA recovery escalation {route_line(route)}"),
            "source": source,
            "severity": _SEVERITIES.get(route.severity, "error"),
            "timestamp": isoformat_utc(notification.generated_at),
            "component": route.provider,
            "group": route.category,
            "class": route.status,
            "custom_details": {
                **route_as_dict(route),
                "plan_id": notification.plan_id,
                "alert_level": notification.alert_level,
                "notification_id": notification.notification_id,
                "event_type": notification.event_type,
            },
        },
    }


def change_event(
    notification: ExecutiveReportNotification, *, routing_key: str, source: str
) -> dict[str, Any]:
    return {
        "routing_key": routing_key,
        "payload": {
            "summary": _summary(
                f"CAVRA executive recovery report {notification.status}: {notification.business_impact}"
            ),
            "source": source,
            "timestamp": isoformat_utc(notification.generated_at),
            "custom_details": {
                "report_id": notification.report_id,
                "status": notification.status,
                "notification_id": notification.notification_id,
                "event_type": notification.event_type,
                "key_risks": {risk.title: risk.count for risk in notification.key_risks},
            },
        },
    }


class PagerDutyConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="optional",
        credentials=frozenset({"routing_key"}),
        options={"source": OptionKind.TEXT},
    )

    @property
    def _base_url(self) -> str:
        return self.receiver.url or DEFAULT_BASE_URL

    async def send(self, notification: Notification) -> SendResult:
        routing_key = self.receiver.secret("routing_key").reveal()
        source = self.receiver.text("source", DEFAULT_SOURCE)
        if isinstance(notification, ExecutiveReportNotification):
            exchange = await self._post_json(
                join_url(self._base_url, "/v2/change/enqueue"),
                change_event(notification, routing_key=routing_key, source=source),
            )
            return classify_reply(exchange, self._redactor, external_reference=notification.report_id)
        sent: tuple[RecordedRequest, ...] = ()
        dedup_keys: list[str] = []
        last_status: int | None = None
        for route in notification.routes:
            exchange = await self._post_json(
                join_url(self._base_url, "/v2/enqueue"),
                alert_event(notification, route, routing_key=routing_key, source=source),
            )
            result = classify_reply(exchange, self._redactor)
            if not result.ok:
                # Earlier routes were accepted; a retry re-sends them and PagerDuty folds them by dedup_key.
                return result.with_requests(sent)
            sent += result.requests
            last_status = result.http_status
            answered = exchange.reply.json() if exchange.reply is not None else None
            key = answered.get("dedup_key") if isinstance(answered, dict) else None
            dedup_keys.append(
                self._redactor.by_value(key) if isinstance(key, str) and key else route.dedup_key
            )
        return SendResult.success(
            requests=sent, http_status=last_status, external_reference=",".join(dedup_keys) or None
        )
