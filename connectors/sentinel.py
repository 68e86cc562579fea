"""Microsoft Sentinel through the Azure Monitor Logs Ingestion API.

Two requests: an OAuth2 client-credentials token from Microsoft Entra ID (cached until shortly before
it expires), then `POST {endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`
with a JSON array of rows. Ingestion answers 204.

Rows, one per route (or one per notification without routes); the DCR stream declares these columns:
TimeGenerated, NotificationId, EventType, PlanId, ReportId, AlertLevel, Action, DedupKey, Severity,
Category, Provider, Status, PlaybookId, FailureCount, AgeMinutes, Reason, RecommendedAction,
TotalRouteCount.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from cavra_recovery.connectors.base import FailureReason, SendResult
from cavra_recovery.connectors.notification import EscalationNotification, Notification, isoformat_utc
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec, Receiver
from cavra_recovery.connectors.redaction import Redactor
from cavra_recovery.connectors.transport import (
    HttpConnector,
    HttpTransport,
    classify_reply,
    join_url,
    json_body,
    utc_now,
)

API_VERSION = "2023-01-01"
DEFAULT_SCOPE = "https://monitor.azure.com//.default"
TOKEN_URL_TEMPLATE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
_TOKEN_EARLY_REFRESH = timedelta(minutes=5)


def ingestion_rows(notification: Notification) -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "TimeGenerated": isoformat_utc(notification.generated_at),
        "NotificationId": notification.notification_id,
        "EventType": notification.event_type,
    }
    if not isinstance(notification, EscalationNotification):
        return [{**base, "ReportId": notification.report_id, "AlertLevel": notification.status}]
    base |= {
        "PlanId": notification.plan_id,
        "AlertLevel": notification.alert_level,
        "Action": notification.action,
        "TotalRouteCount": notification.total_route_count,
    }
    if not notification.routes:
        return [base]
    return [
        {
            **base,
            "DedupKey": route.dedup_key,
            "Severity": route.severity,
            "Category": route.category,
            "Provider": route.provider,
            "Status": route.status,
            "PlaybookId": route.playbook_id,
            "FailureCount": route.failure_count,
            "AgeMinutes": route.age_minutes,
            "Reason": route.reason,
            "RecommendedAction": route.action,
        }
        for route in notification.routes
    ]


class SentinelConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="required",  # the data collection endpoint (or the DCR's logs ingestion endpoint)
        credentials=frozenset({"client_secret"}),
        options={
            "tenant_id": OptionKind.TEXT,
            "client_id": OptionKind.TEXT,
            "dcr_immutable_id": OptionKind.TEXT,
            "stream_name": OptionKind.TEXT,
            "token_url": OptionKind.TEXT,
            "scope": OptionKind.TEXT,
        },
        required_options=frozenset({"tenant_id", "client_id", "dcr_immutable_id", "stream_name"}),
    )

    def __init__(
        self, receiver: Receiver, transport: HttpTransport, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__(receiver, transport, clock=clock)
        self._token: tuple[str, datetime] | None = None  # access token and when to stop using it

    def _token_url(self) -> str:
        configured = self.receiver.optional_text("token_url")
        return configured or TOKEN_URL_TEMPLATE.format(
            tenant=quote(self.receiver.text("tenant_id", ""), safe="")
        )

    def _ingestion_url(self) -> str:
        assert self.receiver.url is not None  # required by spec, checked at load
        path = (
            f"/dataCollectionRules/{quote(self.receiver.text('dcr_immutable_id', ''), safe='')}"
            f"/streams/{quote(self.receiver.text('stream_name', ''), safe='')}"
        )
        return join_url(self.receiver.url, path) + f"?api-version={API_VERSION}"

    async def _access_token(self) -> tuple[str | None, SendResult | None]:
        now = self._clock()
        if self._token is not None and self._token[1] > now:
            return self._token[0], None
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.receiver.text("client_id", ""),
                "client_secret": self.receiver.secret("client_secret").reveal(),
                "scope": self.receiver.text("scope", DEFAULT_SCOPE),
            }
        ).encode()
        exchange = await self._transport.request(
            self.receiver,
            "POST",
            self._token_url(),
            body=form,
            headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
            redactor=self._redactor,
        )
        result = classify_reply(exchange, self._redactor)
        if not result.ok:
            if result.http_status in (400, 401):
                # Entra ID answers invalid_client / unauthorized_client with 400 or 401: a credential problem.
                return None, SendResult.failed(
                    FailureReason.AUTH,
                    "token request refused: " + result.error,
                    requests=result.requests,
                    http_status=result.http_status,
                )
            return None, result
        answered = exchange.reply.json() if exchange.reply is not None else None
        token = answered.get("access_token") if isinstance(answered, dict) else None
        if not isinstance(token, str) or not token:
            return None, SendResult.failed(
                FailureReason.SERVER_ERROR,
                "token endpoint answered without an access_token",
                requests=result.requests,
                http_status=result.http_status,
            )
        expires_in = answered.get("expires_in", 3600) if isinstance(answered, dict) else 3600
        lifetime = (
            timedelta(seconds=float(expires_in))
            if isinstance(expires_in, int | float | str)
            else timedelta(hours=1)
        )
        self._token = (token, now + max(timedelta(0), lifetime - _TOKEN_EARLY_REFRESH))
        return token, result

    async def send(self, notification: Notification) -> SendResult:
        try:
            token, token_result = await self._access_token()
        except ValueError:
            return SendResult.failed(
                FailureReason.SERVER_ERROR, "token endpoint answered a malformed expires_in"
            )
        if token is None:
            assert token_result is not None
            return token_result
        redactor: Redactor = self._redactor.with_secrets([token])
        exchange = await self._transport.request(
            self.receiver,
            "POST",
            self._ingestion_url(),
            body=json_body(ingestion_rows(notification)),
            headers={
                "content-type": "application/json",
                "authorization": f"Bearer {token}",
                # A GUID the Azure side logs; derived from the notification so retries share it.
                "x-ms-client-request-id": str(uuid.uuid5(uuid.NAMESPACE_URL, notification.notification_id)),
            },
            redactor=redactor,
        )
        result = classify_reply(exchange, redactor)
        if result.failure is FailureReason.AUTH:
            self._token = None  # a revoked or expired token is fetched anew on the next attempt
        earlier = token_result.requests if token_result is not None else ()
        return result.with_requests(earlier)
