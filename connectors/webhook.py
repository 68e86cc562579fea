"""Generic webhook signed with Standard Webhooks.

The body follows the Standard Webhooks payload shape `{"type", "timestamp", "data"}`; `webhook-id` is
the notification id, identical on every retry so the receiver can drop duplicates, while
`webhook-timestamp` is the time of this attempt.
"""

from __future__ import annotations

from typing import ClassVar

from cavra_recovery.connectors.base import SendResult
from cavra_recovery.connectors.notification import Notification, isoformat_utc, notification_as_dict
from cavra_recovery.connectors.receiver import ProviderSpec
from cavra_recovery.connectors.signing import signature_headers
from cavra_recovery.connectors.transport import HttpConnector, classify_reply, json_body


class WebhookConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="required", credentials=frozenset({"secret"}), rotating_credentials=frozenset({"secret"})
    )

    def payload(self, notification: Notification) -> dict[str, object]:
        return {
            "type": notification.event_type,
            "timestamp": isoformat_utc(notification.generated_at),
            "data": notification_as_dict(notification),
        }

    async def send(self, notification: Notification) -> SendResult:
        assert self.receiver.url is not None  # required by spec, checked at load
        body = json_body(self.payload(notification))
        secrets = [secret.reveal() for secret in self.receiver.secrets_of("secret")]
        timestamp = int(self._clock().timestamp())
        headers = {
            "content-type": "application/json",
            **signature_headers(secrets, notification.notification_id, timestamp, body),
        }
        exchange = await self._transport.request(
            self.receiver, "POST", self.receiver.url, body=body, headers=headers, redactor=self._redactor
        )
        return classify_reply(exchange, self._redactor, external_reference=notification.notification_id)
