"""Redaction of everything a connector records or reports (SPEC §8).

Two layers: by shape (credential headers, URL userinfo and query values, secret path segments of
chat webhook URLs) and by value (every configured secret, in its raw, percent-encoded and base64
forms, wherever it appears).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"

_SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "dd-api-key",
        "dd-application-key",
        "cookie",
        "set-cookie",
        "webhook-signature",
    }
)
_SENSITIVE_HEADER_PARTS = ("token", "secret", "signature", "password", "credential", "api-key", "apikey")
_AUTH_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9_-]*)\s+\S")
# Query values that are protocol versions, kept because an auditor needs them and they hold nothing.
_PUBLIC_QUERY_KEYS = frozenset({"api-version"})
# Secret path segments: Slack /services/T…/B…/token, Teams /webhookb2/…, Power Automate /workflows/<id>/…,
# Discord-style /api/webhooks/<id>/<token>.
_SECRET_PATHS = (
    (re.compile(r"/services/T[^/]+/B[^/]+/[^/]+"), "/services/" + REDACTED),
    (re.compile(r"/webhookb2/.*"), "/webhookb2/" + REDACTED),
    (re.compile(r"/IncomingWebhook/.*"), "/IncomingWebhook/" + REDACTED),
    (re.compile(r"/workflows/[^/]+"), "/workflows/" + REDACTED),
    (re.compile(r"/api/webhooks/[^/]+/[^/]+"), "/api/webhooks/" + REDACTED),
)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
# Secrets shorter than this would shred ordinary words; config loading rejects them anyway.
MIN_SECRET_LENGTH = 6


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SENSITIVE_HEADERS or any(part in lowered for part in _SENSITIVE_HEADER_PARTS)


def _secret_forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms.add(base64.b64encode(secret.encode()).decode())
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Removes secrets from text, URLs and headers; immutable, cheap to extend."""

    __slots__ = ("_forms", "_pattern")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                forms |= _secret_forms(secret)
        self._forms = frozenset(forms)
        # Longest first so a secret containing another is removed whole.
        ordered = sorted(self._forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(form) for form in ordered)) if ordered else None

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._forms)} secret forms>)"

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        extended = Redactor(secrets)
        combined = Redactor()
        combined._forms = self._forms | extended._forms
        ordered = sorted(combined._forms, key=len, reverse=True)
        combined._pattern = re.compile("|".join(re.escape(form) for form in ordered)) if ordered else None
        return combined

    def by_value(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def url(self, url: str) -> str:
        """Userinfo, query values and secret path segments removed, then secrets by value."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return REDACTED
        netloc = parts.netloc
        if "@" in netloc:
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        path = parts.path
        for pattern, replacement in _SECRET_PATHS:
            path = pattern.sub(replacement, path)
        query = parts.query
        if query:
            pairs = []
            for pair in query.split("&"):
                key, _, _value = pair.partition("=")
                pairs.append(pair if key.lower() in _PUBLIC_QUERY_KEYS else f"{key}={REDACTED}")
            query = "&".join(pairs)
        rebuilt = urlunsplit((parts.scheme, netloc, path, query, ""))
        return self.by_value(rebuilt)

    def text(self, text: str) -> str:
        """Free text such as an exception message: URLs in it redacted, then secrets by value."""
        return self.by_value(_URL_IN_TEXT.sub(lambda found: self.url(found.group(0)), text))

    def header_value(self, name: str, value: str) -> str:
        if is_sensitive_header(name):
            scheme = _AUTH_SCHEME.match(value) if name.lower().endswith("authorization") else None
            # Keep the auth scheme (Basic, Bearer, Splunk): it tells an auditor which auth was used.
            return f"{scheme.group('scheme')} {REDACTED}" if scheme else REDACTED
        return self.by_value(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple((name.lower(), self.header_value(name, value)) for name, value in headers)


def short_error(redactor: Redactor, text: str, limit: int = 300) -> str:
    """One redacted line, bounded, fit for an error column and a log line."""
    collapsed = " ".join(text.split())
    redacted = redactor.text(collapsed)
    return redacted if len(redacted) <= limit else redacted[: limit - 1] + "…"
