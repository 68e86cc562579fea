"""E-mail against a real aiosmtpd server on 127.0.0.1 with STARTTLS and a test CA made by trustme."""

from __future__ import annotations

import hashlib
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import trustme

from cavra_recovery.connectors import (
    Connector,
    FailureReason,
    HttpTransport,
    build_connector,
    load_connector_config,
)
from tests.connectors.connector_testkit import (
    assert_no_canary,
    canary_environ,
    escalation,
    executive_report,
    write_config,
)
from tests.connectors.smtp_testkit import Mailbox, SmtpServer, start_smtp


def _email_connector(
    tmp_path: Path, transport: HttpTransport, port: int, ca_file: Path | None, **overrides: Any
) -> Connector:
    entry: dict[str, Any] = {
        "name": "release-email",
        "provider": "email",
        "host": "127.0.0.1",
        "port": port,
        "from": "cavra@example.com",
        "to": ["release-owner@example.com", "sre@example.com"],
        "username_env": "CANARY_SMTP_USERNAME",
        "password_env": "CANARY_SMTP_PASSWORD",
        "timeout_seconds": 5,
        "allow_networks": ["127.0.0.0/8", "::1/128"],
    }
    if ca_file is not None:
        entry["ca_file"] = str(ca_file)
    entry.update(overrides)
    config = load_connector_config(write_config(tmp_path, [entry]), canary_environ("http://127.0.0.1"))
    return build_connector(config.receiver("release-email"), transport)


async def test_email_is_sent_over_starttls_with_login(
    smtp_server: SmtpServer, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _email_connector(tmp_path, transport, smtp_server.port, smtp_server.ca_file)

    result = await connector.send(escalation(2))

    assert result.ok, result.error
    [envelope] = smtp_server.mailbox.envelopes
    assert smtp_server.mailbox.tls_seen == [True]
    assert envelope.mail_from == "cavra@example.com"
    assert envelope.rcpt_tos == ["release-owner@example.com", "sre@example.com"]
    assert envelope.original_content is not None
    message = message_from_bytes(envelope.original_content)
    assert message["Subject"].startswith("CAVRA recovery escalation CRITICAL")
    assert message["Message-ID"] == "<ntf-plan-0001-ops@cavra-recovery>"
    assert "plan-0001" in message.get_payload(decode=True).decode()
    [recorded] = result.requests
    assert recorded.method == "SMTP" and recorded.url == f"smtp://127.0.0.1:{smtp_server.port}"
    assert recorded.body_sha256 == hashlib.sha256(envelope.original_content).hexdigest()
    assert result.external_reference == "<ntf-plan-0001-ops@cavra-recovery>"
    assert_no_canary(result)


async def test_executive_report_email_carries_the_markdown(
    smtp_server: SmtpServer, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _email_connector(tmp_path, transport, smtp_server.port, smtp_server.ca_file)

    assert (await connector.send(executive_report())).ok

    content = smtp_server.mailbox.envelopes[0].original_content or b""
    assert b"# Executive recovery report" in content


async def test_wrong_password_is_a_non_retryable_auth_failure(
    smtp_server: SmtpServer, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _email_connector(
        tmp_path, transport, smtp_server.port, smtp_server.ca_file, password_env="CANARY_SMTP_USERNAME"
    )

    result = await connector.send(escalation(1))

    assert result.failure is FailureReason.AUTH and result.retryable is False
    assert smtp_server.mailbox.envelopes == []
    assert_no_canary(result)


@pytest.mark.parametrize(
    ("recipient", "reason", "retryable"),
    [
        ("refused@example.com", FailureReason.CLIENT_ERROR, False),
        ("later@example.com", FailureReason.SERVER_ERROR, True),
    ],
)
async def test_refused_recipients_map_smtp_reply_classes(
    smtp_server: SmtpServer,
    transport: HttpTransport,
    tmp_path: Path,
    recipient: str,
    reason: FailureReason,
    retryable: bool,
) -> None:
    connector = _email_connector(tmp_path, transport, smtp_server.port, smtp_server.ca_file, to=recipient)

    result = await connector.send(escalation(1))

    assert (result.failure, result.retryable) == (reason, retryable)


async def test_an_untrusted_certificate_is_refused_before_any_credential_is_sent(
    smtp_server: SmtpServer, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _email_connector(tmp_path, transport, smtp_server.port, None)

    result = await connector.send(escalation(1))

    assert result.failure is FailureReason.CONFIGURATION and result.retryable is False
    assert smtp_server.mailbox.auth_attempts == []
    assert_no_canary(result)


async def test_a_server_without_starttls_is_never_sent_credentials_in_clear(
    transport: HttpTransport, tmp_path: Path, test_ca: tuple[trustme.CA, Path]
) -> None:
    mailbox = Mailbox()
    controller, port = start_smtp(mailbox, None)
    try:
        result = await _email_connector(tmp_path, transport, port, test_ca[1]).send(escalation(1))
    finally:
        controller.stop()

    assert result.failure is FailureReason.CONFIGURATION
    assert mailbox.auth_attempts == [] and mailbox.envelopes == []


async def test_refused_connection_is_a_retryable_network_failure(
    refused_port: int, transport: HttpTransport, tmp_path: Path
) -> None:
    result = await _email_connector(tmp_path, transport, refused_port, None).send(escalation(1))

    assert (result.failure, result.retryable) == (FailureReason.NETWORK, True)


async def test_silent_server_is_a_retryable_timeout(
    silent_port: int, transport: HttpTransport, tmp_path: Path
) -> None:
    connector = _email_connector(tmp_path, transport, silent_port, None, timeout_seconds=0.3)

    result = await connector.send(escalation(1))

    assert (result.failure, result.retryable) == (FailureReason.TIMEOUT, True)


async def test_a_host_resolving_to_loopback_is_blocked_at_send_without_allow_networks(
    smtp_server: SmtpServer, transport: HttpTransport, tmp_path: Path
) -> None:
    # A name, not a literal, so the configuration loads and the DNS answer is what gets refused.
    connector = _email_connector(
        tmp_path, transport, smtp_server.port, smtp_server.ca_file, host="localhost", allow_networks=[]
    )

    result = await connector.send(escalation(1))

    assert result.failure is FailureReason.BLOCKED_DESTINATION
    assert smtp_server.mailbox.envelopes == []
