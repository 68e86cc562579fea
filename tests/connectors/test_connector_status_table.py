"""Every HTTP connector through the same status-code table, against a real local receiver."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cavra_recovery.connectors import FailureReason, HttpTransport, build_connector
from tests.connectors.connector_testkit import (
    HTTP_CASES,
    SPLUNK_TOKEN,
    LocalReceiver,
    ProviderCase,
    assert_no_canary,
    escalation,
    load_case_config,
)

# (status, expected failure or None for success, retryable, extra response headers, expected retry_after)
STATUS_TABLE = [
    (200, None, False, {}, None),
    (202, None, False, {}, None),
    (204, None, False, {}, None),
    (400, FailureReason.CLIENT_ERROR, False, {}, None),
    (401, FailureReason.AUTH, False, {}, None),
    (403, FailureReason.AUTH, False, {}, None),
    (404, FailureReason.CLIENT_ERROR, False, {}, None),
    (429, FailureReason.RATE_LIMITED, True, {"Retry-After": "7"}, 7.0),
    (429, FailureReason.RATE_LIMITED, True, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    (500, FailureReason.SERVER_ERROR, True, {}, None),
    (502, FailureReason.SERVER_ERROR, True, {}, None),
    (503, FailureReason.SERVER_ERROR, True, {"Retry-After": "120"}, 120.0),
]


def _case_id(case: ProviderCase) -> str:
    return case.provider


@pytest.mark.parametrize("case", HTTP_CASES, ids=_case_id)
@pytest.mark.parametrize(
    ("status", "failure", "retryable", "headers", "retry_after"),
    STATUS_TABLE,
    ids=[f"{row[0]}-{index}" for index, row in enumerate(STATUS_TABLE)],
)
async def test_status_code_maps_to_the_shared_failure_table(
    case: ProviderCase,
    status: int,
    failure: FailureReason | None,
    retryable: bool,
    headers: dict[str, str],
    retry_after: float | None,
    local_receiver: LocalReceiver,
    transport: HttpTransport,
    tmp_path: Path,
) -> None:
    case.prepare(local_receiver)
    config = load_case_config(case, tmp_path, local_receiver.base_url)
    # The error body echoes the credentials, as some misbehaving servers do: none may reach the result.
    echo = "echo " + " ".join(config.secrets()) if status >= 400 else ""
    local_receiver.answer(case.path, status, echo, headers)
    connector = build_connector(config.receiver(case.name), transport)

    result = await connector.send(escalation(1))

    assert result.ok is (failure is None)
    assert result.failure == failure
    assert result.retryable is retryable
    assert result.http_status == status
    assert result.retry_after_seconds == retry_after
    assert result.requests, "every attempt is recorded"
    assert all(len(recorded.body_sha256) == 64 for recorded in result.requests)
    if failure is not None:
        assert str(status) in result.error
    assert_no_canary(result)


@pytest.mark.parametrize("case", HTTP_CASES, ids=_case_id)
async def test_redirect_is_not_followed(
    case: ProviderCase, local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    case.prepare(local_receiver)
    local_receiver.answer(case.path, 302, "", {"Location": f"{local_receiver.base_url}/elsewhere"})
    local_receiver.answer("/elsewhere", 200, "")
    config = load_case_config(case, tmp_path, local_receiver.base_url)

    result = await build_connector(config.receiver(case.name), transport).send(escalation(1))

    assert result.failure is FailureReason.CLIENT_ERROR
    assert result.retryable is False
    assert result.http_status == 302
    assert all(request.path != "/elsewhere" for request in local_receiver.received)
    assert_no_canary(result)


@pytest.mark.parametrize("case", HTTP_CASES, ids=_case_id)
async def test_connection_refused_is_a_retryable_network_failure(
    case: ProviderCase, refused_port: int, transport: HttpTransport, tmp_path: Path
) -> None:
    config = load_case_config(case, tmp_path, f"http://127.0.0.1:{refused_port}")

    result = await build_connector(config.receiver(case.name), transport).send(escalation(1))

    assert result.failure is FailureReason.NETWORK
    assert result.retryable is True
    assert result.http_status is None
    assert result.error
    assert_no_canary(result)


@pytest.mark.parametrize("case", HTTP_CASES, ids=_case_id)
async def test_slow_receiver_is_a_retryable_timeout(
    case: ProviderCase, silent_port: int, transport: HttpTransport, tmp_path: Path
) -> None:
    entry_base = f"http://127.0.0.1:{silent_port}"
    config = load_case_config(case, tmp_path, entry_base)
    receiver = config.receiver(case.name)
    quick = dataclasses.replace(receiver, timeout_seconds=0.3)

    result = await build_connector(quick, transport).send(escalation(1))

    assert result.failure is FailureReason.TIMEOUT
    assert result.retryable is True
    assert_no_canary(result)


async def test_error_text_is_bounded_and_redacted(
    local_receiver: LocalReceiver, transport: HttpTransport, tmp_path: Path
) -> None:
    case = next(case for case in HTTP_CASES if case.provider == "splunk")
    local_receiver.answer(case.path, 400, "x" * 100_000 + SPLUNK_TOKEN)
    config = load_case_config(case, tmp_path, local_receiver.base_url)

    result = await build_connector(config.receiver(case.name), transport).send(escalation(1))

    assert result.failure is FailureReason.CLIENT_ERROR
    assert len(result.error) <= 300
    assert_no_canary(result)
