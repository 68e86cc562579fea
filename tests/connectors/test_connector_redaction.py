"""Redaction by shape (headers, URLs, chat webhook paths) and by value."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from cavra_recovery.connectors import Redactor
from cavra_recovery.connectors.redaction import short_error

SECRET = "canary/secret+value=0001"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Bearer abc.def.ghi", "Bearer REDACTED"),
        ("authorization", "Basic dXNlcjpwYXNz", "Basic REDACTED"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz", "Basic REDACTED"),
        ("X-API-Key", "k-123456", "REDACTED"),
        ("DD-API-KEY", "k-123456", "REDACTED"),
        ("api-key", "k-123456", "REDACTED"),
        ("X-Auth-Token", "t-123456", "REDACTED"),
        ("X-Client-Secret", "s-123456", "REDACTED"),
        ("webhook-signature", "v1,abc", "REDACTED"),
        ("Cookie", "session=abc", "REDACTED"),
        ("content-type", "application/json", "application/json"),
        ("webhook-id", "ntf-1", "ntf-1"),
    ],
)
def test_credential_headers_are_redacted_and_others_kept(name: str, value: str, expected: str) -> None:
    assert Redactor().headers([(name, value)]) == ((name.lower(), expected),)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@example.com/a?x=1", "https://REDACTED@example.com/a?x=REDACTED"),
        (
            "https://hooks.slack.com/services/T0001/B0001/abcdefXYZ",
            "https://hooks.slack.com/services/REDACTED",
        ),
        (
            "https://contoso.webhook.office.com/webhookb2/g@t/IncomingWebhook/abc/def",
            "https://contoso.webhook.office.com/webhookb2/REDACTED",
        ),
        (
            "https://prod-1.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=s3cr3t",
            "https://prod-1.westus.logic.azure.com:443/workflows/REDACTED/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=REDACTED&sv=REDACTED&sig=REDACTED",
        ),
        (
            "https://x.example.com/dataCollectionRules/dcr-1/streams/Custom-T?api-version=2023-01-01",
            "https://x.example.com/dataCollectionRules/dcr-1/streams/Custom-T?api-version=2023-01-01",
        ),
        ("http://127.0.0.1:8088/services/collector/event", "http://127.0.0.1:8088/services/collector/event"),
    ],
)
def test_urls_lose_userinfo_query_values_and_secret_paths(url: str, expected: str) -> None:
    assert Redactor().url(url) == expected


def test_secrets_are_redacted_by_value_in_raw_encoded_and_base64_forms() -> None:
    redactor = Redactor([SECRET])
    text = f"a {SECRET} b {quote(SECRET, safe='')} c {base64.b64encode(SECRET.encode()).decode()}"

    redacted = redactor.by_value(text)

    assert redacted == "a REDACTED b REDACTED c REDACTED"


def test_by_value_redaction_reaches_into_header_values_and_urls() -> None:
    redactor = Redactor([SECRET])

    assert redactor.headers([("x-custom", f"v={SECRET}")]) == (("x-custom", "v=REDACTED"),)
    assert SECRET not in redactor.url(f"https://example.com/{SECRET}")


def test_longer_secret_containing_a_shorter_one_is_removed_whole() -> None:
    redactor = Redactor(["abcdef", "abcdef-123456"])

    assert redactor.by_value("x abcdef-123456 y") == "x REDACTED y"


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Redactor(["ab"]).by_value("about abc") == "about abc"


def test_urls_inside_free_text_are_redacted() -> None:
    text = "failed POST https://hooks.slack.com/services/T1/B1/tok3n: refused"

    assert short_error(Redactor(), text) == "failed POST https://hooks.slack.com/services/REDACTED refused"


def test_short_error_bounds_its_length() -> None:
    assert len(short_error(Redactor(), "x" * 1000, limit=50)) == 50


def test_with_secrets_extends_without_forgetting() -> None:
    extended = Redactor(["first-secret"]).with_secrets(["second-secret"])

    assert extended.by_value("first-secret second-secret") == "REDACTED REDACTED"
    assert "secret" not in repr(extended).replace("secret forms", "")
