"""The shared transport: SSRF guard, pinned addresses, response cap and Retry-After parsing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest

from cavra_recovery.connectors import FailureReason, HttpTransport, Receiver, Redactor, parse_retry_after
from cavra_recovery.connectors.ssrf_guard import parse_allow_networks
from cavra_recovery.connectors.transport import classify_reply, is_blocked_address
from tests.connectors.connector_testkit import LocalReceiver

PUBLIC_ADDRESS = "93.184.215.14"
LOOPBACK = parse_allow_networks(["127.0.0.0/8"])
LOOPBACK_ELSEWHERE = parse_allow_networks(["127.0.0.2/32", "10.0.0.0/8"])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:a9fe:a9fe::",
        "2002:7f00:1::1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.1.2.3",
        "64:ff9b:1::a9fe:a9fe",
        "::169.254.169.254",
    ],
)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", [PUBLIC_ADDRESS, "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked_address(address)


def _receiver(**overrides: object) -> Receiver:
    fields: dict[str, object] = {"name": "r", "provider": "webhook", "url": "https://hooks.example.com/x"}
    fields.update(overrides)
    return Receiver(**fields)  # type: ignore[arg-type]


def _resolver(answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers[host]

    return resolve


async def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    seen: list[httpx.Request] = []
    mock = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    async with HttpTransport(
        transport=mock, resolver=_resolver({"hooks.example.com": ["10.0.0.5"]})
    ) as transport:
        exchange = await transport.request(
            _receiver(), "POST", "https://hooks.example.com/x", body=b"{}", headers={}, redactor=Redactor()
        )

    assert exchange.failure is not None
    assert exchange.failure.failure is FailureReason.BLOCKED_DESTINATION
    assert exchange.failure.retryable is False
    assert seen == []


async def test_any_private_answer_among_several_is_refused() -> None:
    resolver = _resolver({"hooks.example.com": [PUBLIC_ADDRESS, "127.0.0.1"]})
    async with HttpTransport(
        transport=httpx.MockTransport(lambda r: httpx.Response(200)), resolver=resolver
    ) as t:
        exchange = await t.request(
            _receiver(), "POST", "https://hooks.example.com/x", body=b"", headers={}, redactor=Redactor()
        )

    assert exchange.failure is not None and exchange.failure.failure is FailureReason.BLOCKED_DESTINATION


async def test_the_checked_address_is_the_one_connected_to_with_the_original_host_header() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    resolver = _resolver({"hooks.example.com": [PUBLIC_ADDRESS]})
    async with HttpTransport(transport=httpx.MockTransport(answer), resolver=resolver) as transport:
        exchange = await transport.request(
            _receiver(),
            "POST",
            "https://hooks.example.com:8443/x?sig=abc",
            body=b"{}",
            headers={},
            redactor=Redactor(),
        )

    assert exchange.failure is None
    [request] = seen
    assert request.url.host == PUBLIC_ADDRESS
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert exchange.recorded.url == "https://hooks.example.com:8443/x?sig=REDACTED"


@pytest.mark.parametrize(
    ("answers", "allow", "blocked"),
    [
        (["2002:a9fe:a9fe::"], [], True),
        (["64:ff9b::a9fe:a9fe"], [], True),
        (["::ffff:10.1.2.3"], [], True),
        ([PUBLIC_ADDRESS, "127.0.0.1"], [], True),
        (["127.0.0.1"], ["10.0.0.0/8"], True),
        (["169.254.169.254"], ["127.0.0.0/8"], True),
        (["127.0.0.1"], ["127.0.0.0/8"], False),
        (["2002:7f00:1::"], ["127.0.0.0/8"], False),
        (["64:ff9b::8.8.8.8"], [], False),
        (["2002:808:808::"], [], False),
    ],
)
async def test_dns_answers_are_judged_at_send_with_the_same_rule(
    answers: list[str], allow: list[str], blocked: bool
) -> None:
    resolver = _resolver({"hooks.example.com": answers})
    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    async with HttpTransport(transport=mock, resolver=resolver) as transport:
        exchange = await transport.request(
            _receiver(allow_networks=parse_allow_networks(allow)),
            "POST",
            "https://hooks.example.com/x",
            body=b"",
            headers={},
            redactor=Redactor(),
        )

    if blocked:
        assert exchange.failure is not None and exchange.failure.failure is FailureReason.BLOCKED_DESTINATION
        assert "allow_networks" in exchange.failure.error
    else:
        assert exchange.failure is None and exchange.reply is not None and exchange.reply.status == 204


@pytest.mark.parametrize("url", ["ftp://files.example.com/x", "file:///etc/passwd", "gopher://example.com/"])
async def test_only_http_and_https_are_allowed(url: str) -> None:
    async with HttpTransport(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as transport:
        exchange = await transport.request(
            _receiver(), "POST", url, body=b"", headers={}, redactor=Redactor()
        )

    assert exchange.failure is not None and exchange.failure.failure is FailureReason.BLOCKED_DESTINATION


async def test_loopback_needs_allow_networks_listing_it(local_receiver: LocalReceiver) -> None:
    local_receiver.answer("/x", 200)
    url = f"{local_receiver.base_url}/x"
    async with HttpTransport() as transport:
        blocked = await transport.request(_receiver(), "POST", url, body=b"", headers={}, redactor=Redactor())
        other_network = await transport.request(
            _receiver(allow_networks=LOOPBACK_ELSEWHERE),
            "POST",
            url,
            body=b"",
            headers={},
            redactor=Redactor(),
        )
        allowed = await transport.request(
            _receiver(allow_networks=LOOPBACK), "POST", url, body=b"", headers={}, redactor=Redactor()
        )

    assert blocked.failure is not None and blocked.failure.failure is FailureReason.BLOCKED_DESTINATION
    assert other_network.failure is not None
    assert other_network.failure.failure is FailureReason.BLOCKED_DESTINATION
    assert allowed.reply is not None and allowed.reply.status == 200
    assert len(local_receiver.received) == 1


async def test_userinfo_becomes_a_recorded_basic_header(local_receiver: LocalReceiver) -> None:
    local_receiver.answer("/x", 200)
    url = local_receiver.base_url.replace("http://", "http://bot:pa%3Ass@") + "/x"
    async with HttpTransport() as transport:
        exchange = await transport.request(
            _receiver(allow_networks=LOOPBACK), "POST", url, body=b"", headers={}, redactor=Redactor()
        )

    assert local_receiver.received[0].headers["authorization"] == "Basic Ym90OnBhOnNz"
    assert ("authorization", "Basic REDACTED") in exchange.recorded.headers
    assert "pa%3Ass" not in exchange.recorded.url and "REDACTED@" in exchange.recorded.url


async def test_response_bodies_are_read_only_up_to_the_cap() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200, content=b"x" * 1_000_000))
    resolver = _resolver({"hooks.example.com": [PUBLIC_ADDRESS]})
    async with HttpTransport(transport=mock, resolver=resolver, max_response_bytes=1024) as transport:
        exchange = await transport.request(
            _receiver(), "POST", "https://hooks.example.com/x", body=b"", headers={}, redactor=Redactor()
        )

    assert exchange.reply is not None and len(exchange.reply.body) == 1024


async def test_dns_failure_is_a_retryable_network_failure() -> None:
    async def failing(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    async with HttpTransport(
        transport=httpx.MockTransport(lambda r: httpx.Response(200)), resolver=failing
    ) as t:
        exchange = await t.request(
            _receiver(), "POST", "https://hooks.example.com/x", body=b"", headers={}, redactor=Redactor()
        )

    assert exchange.failure is not None
    assert (exchange.failure.failure, exchange.failure.retryable) == (FailureReason.NETWORK, True)


async def test_mock_transport_errors_map_to_failure_reasons() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    resolver = _resolver({"hooks.example.com": [PUBLIC_ADDRESS]})
    async with HttpTransport(transport=httpx.MockTransport(refuse), resolver=resolver) as transport:
        exchange = await transport.request(
            _receiver(), "POST", "https://hooks.example.com/x", body=b"", headers={}, redactor=Redactor()
        )

    result = classify_reply(exchange, Redactor())
    assert (result.failure, result.retryable) == (FailureReason.TIMEOUT, True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Sat, 14 Mar 2026 09:27:53 GMT", 60.0),
        ("Sat, 14 Mar 2026 09:20:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)) == expected
