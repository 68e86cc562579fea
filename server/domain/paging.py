"""Paging of every List RPC: one page-size policy and one opaque, keyset page-token format.

Page size (AIP-158): 0 means `DEFAULT_PAGE_SIZE`; above `MAX_PAGE_SIZE` is served as `MAX_PAGE_SIZE`
(clamped, not rejected); negative is a violation on `page_size`.

Page token: unpadded URL-safe base64 of a JSON object naming the last row of the page it follows and
the listing it belongs to:

    {"t": "2026-03-01T12:00:00+00:00", "i": 4711, "f": "<fingerprint>"}   listings sorted by (time, id)
    {"i": 4711, "f": "<fingerprint>"}                                     listings sorted by one key

`i` is the row's surrogate id (or its position, for a plan's routes), `t` its sort time, `f` a digest of
the listing's name and filters. Tokens are not signed (they reveal only what the caller has just been
shown), so decoding checks every part as strictly as a request field: a token that was not issued by
this service, names a key outside a 64-bit column or a time outside the evidence window, or comes from
another listing or other filters is a violation on `page_token`, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cavra_recovery.server.domain.validation import EARLIEST_TIME, LATEST_TIME, Violations

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
PAGE_TOKEN_MAX_LENGTH = 512
# Surrogate row ids are 64-bit signed integers on both databases.
ROW_ID_LIMIT = 2**63

_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_NOT_ISSUED = "is not a page token this service issued"


@dataclass(frozen=True, slots=True)
class Listing:
    """One List RPC as paging sees it: its name (bound into every token) and the shape of its keyset."""

    name: str
    # True: rows sort newest first by (time, id) and tokens carry the time; False: by one integer key.
    keyed_by_time: bool = False


@dataclass(frozen=True, slots=True)
class PageCursor:
    """The last row of a page: its id (or position) and, in a listing keyed by time, its sort time."""

    row_id: int
    sort_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One page of a listing: at most `page_size` rows after `after` (None: from the start).

    `fingerprint` names the listing and its filters; the next page's token carries it.
    """

    page_size: int
    after: PageCursor | None = None
    fingerprint: str = ""


def check_page_size(violations: Violations, value: int) -> int:
    """The size to serve: 0 → the default; above the maximum → the maximum; negative is a violation."""
    if value < 0:
        violations.add("page_size", "must not be negative")
        return DEFAULT_PAGE_SIZE
    return min(value, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE


def filter_fingerprint(listing: Listing, *filters: object) -> str:
    """A short digest of a listing's name and filters, bound into its page tokens."""
    material = json.dumps([listing.name, *(str(part) for part in filters)])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def encode_page_token(cursor: PageCursor, fingerprint: str) -> str:
    document: dict[str, object] = {}
    if cursor.sort_time is not None:
        document["t"] = cursor.sort_time.astimezone(UTC).isoformat()
    document["i"] = cursor.row_id
    document["f"] = fingerprint
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(
    violations: Violations, token: str, fingerprint: str, *, keyed_by_time: bool
) -> PageCursor | None:
    """The row a token continues after; None for an empty token, or after adding a violation."""
    if not token:
        return None
    if len(token) > PAGE_TOKEN_MAX_LENGTH or _TOKEN_ALPHABET.fullmatch(token) is None:
        violations.add("page_token", _NOT_ISSUED)
        return None
    keys = {"t", "i", "f"} if keyed_by_time else {"i", "f"}
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(document, dict) or document.keys() != keys:
            raise ValueError("unexpected token shape")
        sort_time = datetime.fromisoformat(document["t"]) if keyed_by_time else None
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        violations.add("page_token", _NOT_ISSUED)
        return None
    row_id = document["i"]
    # A key beyond 64 bits would overflow the database driver (INTERNAL) instead of failing here.
    valid_id = isinstance(row_id, int) and not isinstance(row_id, bool) and 0 <= row_id < ROW_ID_LIMIT
    valid_time = sort_time is None or (
        sort_time.tzinfo is not None and EARLIEST_TIME <= sort_time < LATEST_TIME
    )
    if not (valid_id and valid_time and isinstance(document["f"], str)):
        violations.add("page_token", _NOT_ISSUED)
        return None
    if document["f"] != fingerprint:
        violations.add("page_token", "belongs to another listing or to different filters")
        return None
    return PageCursor(row_id, sort_time)


def page_request(
    violations: Violations,
    listing: Listing,
    *,
    page_size: int,
    page_token: str,
    filters: tuple[object, ...] = (),
) -> PageRequest:
    """A List request's page: its size by the one policy, and the position its token continues after."""
    fingerprint = filter_fingerprint(listing, *filters)
    size = check_page_size(violations, page_size)
    after = decode_page_token(violations, page_token, fingerprint, keyed_by_time=listing.keyed_by_time)
    return PageRequest(size, after, fingerprint)


def next_page_token(page: PageRequest, cursor: PageCursor | None) -> str:
    """The token of the page after `page`, or "" when `cursor` is None (there is none)."""
    return "" if cursor is None else encode_page_token(cursor, page.fingerprint)
