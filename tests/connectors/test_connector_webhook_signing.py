"""Webhook signatures verified with the independent `standardwebhooks` package."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cavra_recovery.connectors import HttpTransport, build_connector, load_connector_config
from cavra_recovery.connectors.signing import decode_secret, sign, signature_headers
from tests.connectors.connector_testkit import (
    CASES_BY_PROVIDER,
    WEBHOOK_SECRET,
    WEBHOOK_SECRET_OLD,
    LocalReceiver,
    canary_environ,
    escalation,
    write_config,
)


def _webhook_config(tmp_path: Path, base_url: str, secret_envs: list[str], environ: dict[str, str]):  # type: ignore[no-untyped-def]
    entry = CASES_BY_PROVIDER["webhook"].receiver_entry(base_url) | {"secret_env": secret_envs}
    return load_connector_config(write_config(tmp_path, [entry]), canary_environ(base_url) | environ)


async def _deliver(
    local_receiver: LocalReceiver,
    transport: HttpTransport,
    tmp_path: Path,
    envs: list[str],
    environ: dict[str, str],
) -> tuple[bytes, dict[str, str]]:
    local_receiver.answer("/hooks/cavra", 204)
    config = _webhook_config(tmp_path, local_receiver.base_url, envs, environ)
    result = await build_connector(config.receiver("test-webhook"), transport).send(escalation(2))
    assert result.ok, result.error
    [request] = local_receiver.received
    return request.body, request.headers


async def test_signature_verifies_with_the_standard_webhooks_library(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    body, headers = await _deliver(local_receiver, transport, tmp_path, ["CANARY_WEBHOOK_SECRET"], {})

    payload = Webhook(WEBHOOK_SECRET).verify(body, headers)

    assert payload["data"]["plan_id"] == "plan-0001"
    assert headers["webhook-id"] == "ntf-plan-0001-ops"
    assert abs(int(headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60


async def test_during_rotation_both_old_and_new_secrets_verify(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    body, headers = await _deliver(
        local_receiver,
        transport,
        tmp_path,
        ["CANARY_WEBHOOK_SECRET", "OLD_SECRET"],
        {"OLD_SECRET": WEBHOOK_SECRET_OLD},
    )

    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(WEBHOOK_SECRET).verify(body, headers)
    Webhook(WEBHOOK_SECRET_OLD).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"some-other-key-entirely-0001").decode()).verify(body, headers)


async def test_a_tampered_body_does_not_verify(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    body, headers = await _deliver(local_receiver, transport, tmp_path, ["CANARY_WEBHOOK_SECRET"], {})

    with pytest.raises(WebhookVerificationError):
        Webhook(WEBHOOK_SECRET).verify(body.replace(b"plan-0001", b"plan-0002"), headers)


async def test_webhook_id_is_stable_across_retries_of_the_same_notification(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    local_receiver.answer("/hooks/cavra", 503)
    config = _webhook_config(tmp_path, local_receiver.base_url, ["CANARY_WEBHOOK_SECRET"], {})
    connector = build_connector(config.receiver("test-webhook"), transport)

    first = await connector.send(escalation(1))
    second = await connector.send(escalation(1))

    ids = {request.headers["webhook-id"] for request in local_receiver.received}
    assert ids == {"ntf-plan-0001-ops"}
    assert first.requests[0].body_sha256 == second.requests[0].body_sha256


def test_sign_matches_the_reference_implementation_byte_for_byte() -> None:
    moment = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
    body = '{"a":"ü"}'

    ours = sign(WEBHOOK_SECRET, "msg_1", int(moment.timestamp()), body.encode())

    assert ours == Webhook(WEBHOOK_SECRET).sign("msg_1", moment, body)


def test_malformed_or_short_secrets_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError) as caught:
        decode_secret("whsec_not*base64*canary")
    assert "canary" not in str(caught.value)
    with pytest.raises(ValueError):
        decode_secret("whsec_" + base64.b64encode(b"short").decode())
    with pytest.raises(ValueError):
        signature_headers([], "msg_1", 0, b"")
