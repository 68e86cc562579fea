"""Binding a token to a client certificate subject (`subject:` in the auth config, docs/identity.md).

gRPC reports a verified client certificate's subject as an RFC 2253 string
(`CN=release-bot,OU=Platform,O=Example`). A binding such as `CN=release-bot` holds when the subject
carries each bound attribute exactly once, with that value.
"""

from __future__ import annotations

from typing import Any

import grpc


def subject_matches(bound: tuple[tuple[str, str], ...], presented: str | None) -> bool:
    """Whether the presented certificate subject (None: no certificate) satisfies `bound`."""
    attributes = None if presented is None else parse_subject(presented)
    if attributes is None:
        return False
    for kind, value in bound:
        # Exactly one value of each bound type: a certificate with two CNs matches neither.
        if [v for k, v in attributes if k == kind] != [value]:
            return False
    return True


def parse_subject(text: str) -> tuple[tuple[str, str], ...] | None:
    """`CN=release-bot,O=Example` → (("CN", "release-bot"), ("O", "Example")); None when malformed.
    Handles backslash escapes; `+` (multi-valued RDNs) separates attributes like `,`."""
    attributes: list[tuple[str, str]] = []
    current: list[str] = []
    escaped = False
    parts: list[str] = []
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",+":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        return None
    parts.append("".join(current))
    for part in parts:
        kind, equals, value = part.partition("=")
        if not equals or not kind.strip() or not value.strip():
            return None
        attributes.append((kind.strip().upper(), value.strip()))
    return tuple(attributes)


def peer_subject(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    """The verified client certificate's subject on a mutual-TLS connection, else None."""
    values = list(context.auth_context().get("x509_subject") or ())
    return values[0].decode("utf-8", "replace") if values else None
