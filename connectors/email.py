"""E-mail over SMTP with STARTTLS (submission, port 587 by default), sent with aiosmtplib.

STARTTLS is mandatory: a server that does not offer it fails with `configuration`, never silently in
clear text. The certificate is checked against the configured host name (`ca_file` adds a private CA).
The Message-ID derives from the notification id, so a retried message threads with the first one.
SMTP replies map like HTTP: 535 → auth, 4xx → server_error (retryable), 5xx → client_error.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import ClassVar

import aiosmtplib

from cavra_recovery.connectors.base import BlockedDestinationError, FailureReason, RecordedRequest, SendResult
from cavra_recovery.connectors.notification import EscalationNotification, Notification, headline, route_line
from cavra_recovery.connectors.receiver import OptionKind, ProviderSpec
from cavra_recovery.connectors.redaction import short_error
from cavra_recovery.connectors.transport import HttpConnector, body_digest, checked_address

DEFAULT_PORT = 587
LOCAL_HOSTNAME = "cavra-recovery"
_MESSAGE_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def message_text(notification: Notification) -> str:
    if not isinstance(notification, EscalationNotification):
        return (
            notification.markdown
            + f"\n\n-- \n{notification.event_type} · notification {notification.notification_id}\n"
        )
    summary = notification.summary
    rate = "n/a" if summary.closure_rate is None else f"{summary.closure_rate:.0%}"
    lines = [
        headline(notification),
        "",
        f"Alert level: {notification.alert_level}",
        f"Plan: {notification.plan_id} (action {notification.action})",
        f"Tracked providers: {summary.tracked_providers}",
        f"Executions: {summary.executions}, failures: {summary.failures}",
        f"Open: {summary.open}, breached: {summary.breached}, closure rate: {rate}",
        "",
        *[f"- {route_line(route)}" for route in notification.routes],
    ]
    if notification.omitted_route_count:
        lines.append(f"- {notification.omitted_route_count} more route(s) in the plan")
    lines += ["", "-- ", f"{notification.event_type} · notification {notification.notification_id}"]
    return "\n".join(lines) + "\n"


class EmailConnector(HttpConnector):
    spec: ClassVar[ProviderSpec] = ProviderSpec(
        url="none",
        optional_credentials=frozenset({"username", "password"}),
        options={
            "host": OptionKind.TEXT,
            "port": OptionKind.INTEGER,
            "from": OptionKind.TEXT,
            "to": OptionKind.TEXT_LIST,
            "ca_file": OptionKind.PATH,
        },
        required_options=frozenset({"host", "from", "to"}),
    )

    def build_message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = self.receiver.text("from", "")
        message["To"] = ", ".join(self.receiver.text_list("to"))
        message["Subject"] = headline(notification)
        message["Date"] = format_datetime(self._clock())
        message["Message-ID"] = (
            f"<{_MESSAGE_ID_UNSAFE.sub('-', notification.notification_id)}@{LOCAL_HOSTNAME}>"
        )
        message["X-CAVRA-Event-Type"] = notification.event_type
        message.set_content(message_text(notification))
        return message

    async def send(self, notification: Notification) -> SendResult:
        host = self.receiver.text("host", "")
        port = self.receiver.integer("port", DEFAULT_PORT)
        sender = self.receiver.text("from", "")
        recipients = list(self.receiver.text_list("to"))
        message = self.build_message(notification)
        raw = message.as_bytes()
        recorded = RecordedRequest(
            method="SMTP",
            url=self._redactor.url(f"smtp://{host}:{port}"),
            headers=self._redactor.headers(
                [
                    ("from", sender),
                    ("to", ", ".join(recipients)),
                    ("subject", str(message["Subject"])),
                    ("message-id", str(message["Message-ID"])),
                ]
            ),
            body_sha256=body_digest(raw),
        )
        requests = (recorded,)
        username = self.receiver.optional_secret("username")
        password = self.receiver.optional_secret("password")
        if (username is None) != (password is None):
            return SendResult.failed(
                FailureReason.CONFIGURATION,
                "username and password must be configured together",
                requests=requests,
            )
        ca_file = self.receiver.path("ca_file")
        timeout = self.receiver.timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                address = await checked_address(
                    host,
                    port,
                    allow_networks=self.receiver.allow_networks,
                    resolver=self._transport.resolver,
                )
                tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
                smtp = aiosmtplib.SMTP(
                    hostname=address,
                    port=port,
                    timeout=timeout,
                    start_tls=False,
                    local_hostname=LOCAL_HOSTNAME,
                )
                await smtp.connect()
                try:
                    await smtp.starttls(server_hostname=host, tls_context=tls)
                    if username is not None and password is not None:
                        await smtp.login(username.reveal(), password.reveal())
                    refused, _reply = await smtp.sendmail(sender, recipients, raw)
                    # QUIT without SMTP.quit(), whose graceful TLS close can outlive the event loop.
                    with contextlib.suppress(aiosmtplib.SMTPException):
                        await smtp.execute_command(b"QUIT")
                finally:
                    # abort, not close: a TLS close waits for the peer's close_notify and may never finish.
                    if isinstance(smtp.transport, asyncio.Transport):
                        smtp.transport.abort()
                    smtp.close()
        except BlockedDestinationError as exc:
            return SendResult.failed(
                FailureReason.BLOCKED_DESTINATION, self._error(str(exc)), requests=requests
            )
        except (TimeoutError, aiosmtplib.SMTPTimeoutError):
            return SendResult.failed(
                FailureReason.TIMEOUT, f"no SMTP answer within {timeout:g}s", requests=requests
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            return SendResult.failed(
                FailureReason.AUTH, self._error(f"SMTP {exc.code}: {exc.message}"), requests=requests
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0] if exc.recipients else None
            code = first.code if first is not None else 550
            return self._reply_failure(code, "all recipients refused", requests)
        except aiosmtplib.SMTPResponseException as exc:
            return self._reply_failure(exc.code, exc.message, requests)
        except ssl.SSLCertVerificationError as exc:
            return SendResult.failed(
                FailureReason.CONFIGURATION,
                self._error(f"TLS certificate rejected: {exc.verify_message}"),
                requests=requests,
            )
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, ssl.SSLError, OSError) as exc:
            return SendResult.failed(
                FailureReason.NETWORK, self._error(f"{type(exc).__name__}: {exc}"), requests=requests
            )
        except aiosmtplib.SMTPException as exc:
            # What is left (STARTTLS or AUTH not offered) will not fix itself by retrying.
            return SendResult.failed(FailureReason.CONFIGURATION, self._error(str(exc)), requests=requests)
        del refused  # partially refused recipients still mean the message was accepted for the rest
        return SendResult.success(
            requests=requests, http_status=None, external_reference=str(message["Message-ID"])
        )

    def _error(self, text: str) -> str:
        return short_error(self._redactor, text)

    def _reply_failure(self, code: int, text: str, requests: tuple[RecordedRequest, ...]) -> SendResult:
        reason = FailureReason.SERVER_ERROR if 400 <= code < 500 else FailureReason.CLIENT_ERROR
        return SendResult.failed(reason, self._error(f"SMTP {code}: {text}"), requests=requests)
