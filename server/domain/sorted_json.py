"""Sorted, compact JSON for digests: byte for byte what the standard library writes, written faster.

Every digest of this service is defined over `json.dumps(document, sort_keys=True, separators=(",", ":"),
ensure_ascii=…, default=…)` encoded as UTF-8 (evidence content digests; the ledger's canonical encoding,
docs/ledger.md). Intake and route writes take one or two digests per record, and the standard library's
encoder was a quarter of their time, so documents go through orjson where orjson writes the same bytes:

- objects with string keys, lists, strings, integers of at most 64 bits, booleans and null encode alike
  (orjson escapes the same characters, in the same spelling, and sorts ASCII keys alike);
- floats do not (`1e-07` against `1e-7`; NaN against null), so a caller whose documents may hold one says
  so and gets the standard library;
- with `ensure_ascii`, the standard library escapes every non-ASCII character and DEL, which orjson never
  does: such a document is encoded again by the standard library;
- anything orjson refuses (keys that are not strings, larger integers, text that is not valid Unicode) is
  encoded by the standard library, which then succeeds or raises exactly as it always did.

`tests/platform/test_sorted_json.py` compares both on generated documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DEL = b"\x7f"
_UTC_Z = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


@cache
def _standard(ensure_ascii: bool, default: Callable[[Any], Any] | None) -> json.JSONEncoder:
    return json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii, default=default)


def sorted_json(
    document: Any,
    *,
    ensure_ascii: bool,
    default: Callable[[Any], Any] | None = None,
    may_hold_floats: bool = False,
) -> bytes:
    """`json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii,
    default=default).encode("utf-8")`; `default` sees times and bytes as it would there."""
    if not may_hold_floats:
        try:
            encoded = orjson.dumps(document, default=default, option=_OPTIONS)
        except TypeError:
            pass
        else:
            if not ensure_ascii or (encoded.isascii() and _DEL not in encoded):
                return encoded
    return _standard(ensure_ascii, default).encode(document).encode("utf-8")


def utc_time_text(value: datetime) -> str:
    """RFC 3339 UTC with microseconds, `2026-01-02T03:04:05.000000Z` (a naive value is taken as UTC):
    what `value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"` writes.

    orjson writes the same text, at a tenth of the cost, for every time whose microseconds are not 0
    (for those it leaves the fraction out).
    """
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.microsecond:
        return orjson.dumps(value, option=_UTC_Z)[1:-1].decode()
    return "%04d-%02d-%02dT%02d:%02d:%02d.000000Z" % (  # noqa: UP031 (the fastest spelling)
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
    )
