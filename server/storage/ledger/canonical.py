"""The canonical JSON of a record and its digest (docs/ledger.md, "Canonical encoding").

UTF-8 JSON with sorted keys and no whitespace; times as RFC 3339 UTC with microseconds
(`2026-01-02T03:04:05.000000Z`); booleans, integers, null and nested JSON documents as JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cavra_recovery.server.domain.sorted_json import sorted_json, utc_time_text


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_time_text(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _encode_other(value: Any) -> Any:
    """What json cannot encode itself: times and bytes (called by the C encoder for those only)."""
    if isinstance(value, (datetime, bytes, bytearray)):
        return _plain(value)
    raise TypeError(f"{type(value).__name__} is not part of the canonical encoding")


def record_document(kind: str, values: Mapping[str, Any], *, may_hold_floats: bool = True) -> bytes:
    """The canonical bytes a record's digest is taken over: `{"kind": …, "record": {…}}`, as
    json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes it.
    `may_hold_floats` False (the kind's columns hold no float) lets the faster encoder write it."""
    return sorted_json(
        {"kind": kind, "record": values},
        ensure_ascii=False,
        default=_encode_other,
        may_hold_floats=may_hold_floats,
    )


def record_digest(kind: str, values: Mapping[str, Any], *, may_hold_floats: bool = True) -> str:
    """SHA-256 (lower-case hex) of the record's canonical document."""
    return hashlib.sha256(record_document(kind, values, may_hold_floats=may_hold_floats)).hexdigest()


def canonical_record(values: Mapping[str, Any]) -> dict[str, Any]:
    """The record as plain JSON values (times as their canonical strings), as a bundle carries it."""
    return {name: _plain(value) for name, value in values.items()}
