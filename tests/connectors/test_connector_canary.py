"""Canary secrets in every credential and URL field: none may surface anywhere but the one place its
provider requires it (an auth header, PagerDuty's routing_key, the Entra ID token form, the URL)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from cavra_recovery.connectors import (
    ConnectorConfig,
    HttpTransport,
    SendResult,
    build_connector,
    load_connector_config,
)
from tests.connectors.connector_testkit import (
    CANARIES,
    CASES_BY_PROVIDER,
    DATADOG_API_KEY,
    JIRA_API_TOKEN,
    PD_ROUTING_KEY,
    SENTINEL_ACCESS_TOKEN,
    SENTINEL_CLIENT_SECRET,
    SENTINEL_TOKEN_PATH,
    SERVICENOW_PASSWORD,
    SPLUNK_TOKEN,
    LocalReceiver,
    ReceivedRequest,
    assert_no_canary,
    canary_environ,
    escalation,
    executive_report,
    write_config,
)
from tests.connectors.smtp_testkit import SmtpServer

WEBHOOK_URL_PATH = "/hooks/canary-webhook-url-path-0001"
WEBHOOK_URL_QUERY = "token=canary-webhook-query-0001"
PD_URL_PREFIX = "/canary-pd-url-prefix-0001"
URL_CANARIES = ("canary-webhook-url-path-0001", "canary-webhook-query-0001", "canary-pd-url-prefix-0001")
ALL_CANARIES = CANARIES + URL_CANARIES

# The one header per provider allowed to carry its credential.
AUTH_HEADERS = {
    "jira": "authorization",
    "servicenow": "authorization",
    "splunk": "authorization",
    "sentinel": "authorization",
    "datadog": "dd-api-key",
}


def _canary_config(tmp_path: Path, base_url: str, smtp: SmtpServer) -> ConnectorConfig:
    receivers: list[dict[str, Any]] = []
    for provider, case in CASES_BY_PROVIDER.items():
        entry = case.receiver_entry(base_url)
        if provider == "webhook":
            entry = {k: v for k, v in entry.items() if k != "url"} | {"url_env": "CANARY_WEBHOOK_URL"}
        if provider == "pagerduty":
            entry = {k: v for k, v in entry.items() if k != "url"} | {"url_env": "CANARY_PD_URL"}
        receivers.append(entry)
    receivers.append(
        {
            "name": "test-email",
            "provider": "email",
            "host": "127.0.0.1",
            "port": smtp.port,
            "from": "cavra@example.com",
            "to": "release-owner@example.com",
            "username_env": "CANARY_SMTP_USERNAME",
            "password_env": "CANARY_SMTP_PASSWORD",
            "ca_file": str(smtp.ca_file),
            "allow_networks": ["127.0.0.0/8", "::1/128"],
        }
    )
    environ = canary_environ(base_url) | {
        "CANARY_WEBHOOK_URL": f"{base_url}{WEBHOOK_URL_PATH}?{WEBHOOK_URL_QUERY}",
        "CANARY_PD_URL": f"{base_url}{PD_URL_PREFIX}",
    }
    return load_connector_config(write_config(tmp_path, receivers), environ)


def _answer_everything(receiver: LocalReceiver, status: int | None, echo: str) -> None:
    receiver.answer(SENTINEL_TOKEN_PATH, 200, {"access_token": SENTINEL_ACCESS_TOKEN, "expires_in": 3599})
    for provider, case in CASES_BY_PROVIDER.items():
        paths = [case.path]
        if provider == "webhook":
            paths = [WEBHOOK_URL_PATH]
        if provider == "pagerduty":
            paths = [PD_URL_PREFIX + "/v2/enqueue", PD_URL_PREFIX + "/v2/change/enqueue"]
        for path in paths:
            receiver.answer(path, status or case.success_status, echo if status else case.success_body)


def _without_permitted_credential(request: ReceivedRequest) -> str:
    """The request as text, minus the one place its provider needs the credential."""
    if request.path == SENTINEL_TOKEN_PATH:
        form = parse_qs(request.body.decode())
        assert form.pop("client_secret") == [SENTINEL_CLIENT_SECRET]
        body = json.dumps(form)
    elif request.path.startswith(PD_URL_PREFIX):
        document = request.json()
        assert document.pop("routing_key") == PD_ROUTING_KEY
        body = json.dumps(document)
    else:
        body = request.body.decode()
    permitted = {"authorization", "dd-api-key"}
    headers = {name: value for name, value in request.headers.items() if name not in permitted}
    return body + json.dumps(headers)


def _sender_side(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """Log records of the sending side; the local receivers (werkzeug, aiosmtpd) log what they got."""
    return [record for record in records if not record.name.startswith(("werkzeug", "mail.log"))]


async def _send_all(config: ConnectorConfig) -> list[SendResult]:
    results = []
    async with HttpTransport(redactor=config.redactor()) as transport:
        for receiver in config.receivers:
            connector = build_connector(receiver, transport)
            results.append(await connector.send(escalation(3)))
            results.append(await connector.send(executive_report()))
    return results


async def test_canaries_reach_only_the_auth_field_their_provider_requires(
    local_receiver: LocalReceiver, smtp_server: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = _canary_config(tmp_path, local_receiver.base_url, smtp_server)
    _answer_everything(local_receiver, None, "")

    results = await _send_all(config)

    assert all(result.ok for result in results), [result.error for result in results if not result.ok]
    for result in results:
        assert_no_canary(result)
        for recorded in result.requests:
            text = recorded.url + repr(recorded.headers)
            assert not any(canary in text for canary in URL_CANARIES), text
    assert local_receiver.received, "the receivers were reached"
    for request in local_receiver.received:
        outside_auth = _without_permitted_credential(request)
        for canary in ALL_CANARIES:
            assert canary not in outside_auth, (request.path, canary)
    expected_auth = {
        "jira": JIRA_API_TOKEN,
        "servicenow": SERVICENOW_PASSWORD,
        "splunk": SPLUNK_TOKEN,
        "sentinel": SENTINEL_ACCESS_TOKEN,
        "datadog": DATADOG_API_KEY,
    }
    for provider, header in AUTH_HEADERS.items():
        requests = [r for r in local_receiver.received if r.path == CASES_BY_PROVIDER[provider].path]
        assert requests and all(header in r.headers for r in requests), provider
        if provider in ("splunk", "datadog", "sentinel"):
            assert all(expected_auth[provider] in r.headers[header] for r in requests), provider
    for envelope in smtp_server.mailbox.envelopes:
        content = (envelope.original_content or b"").decode()
        assert not any(canary in content for canary in ALL_CANARIES)
    for record in _sender_side(caplog.records):
        line = record.getMessage()
        assert not any(canary in line for canary in ALL_CANARIES), line


async def test_canaries_echoed_in_error_bodies_never_reach_results_or_logs(
    local_receiver: LocalReceiver, smtp_server: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = _canary_config(tmp_path, local_receiver.base_url, smtp_server)
    # Everything configured, echoed back: what the redactor must know to remove.
    _answer_everything(local_receiver, 500, "request was: " + " ".join(config.secrets() + URL_CANARIES))

    results = await _send_all(config)

    http_results = [result for result in results if result.requests and result.requests[0].method != "SMTP"]
    assert http_results and all(result.retryable and not result.ok for result in http_results)
    for result in results:
        assert_no_canary(result, result.error)
        assert not any(canary in repr(result) for canary in URL_CANARIES)
    for record in _sender_side(caplog.records):
        assert not any(canary in record.getMessage() for canary in ALL_CANARIES)


def test_config_error_messages_never_carry_canaries(tmp_path: Path) -> None:
    entry = CASES_BY_PROVIDER["jira"].receiver_entry("http://127.0.0.1:9") | {"api_token": JIRA_API_TOKEN}
    with pytest.raises(Exception) as caught:
        load_connector_config(write_config(tmp_path, [entry]), canary_environ("http://127.0.0.1:9"))

    assert JIRA_API_TOKEN not in str(caught.value)
    assert "api_token" in str(caught.value)
