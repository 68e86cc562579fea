"""The digests' JSON: `sorted_json` writes exactly the bytes of the standard library's definition.

Evidence content digests and the ledger's canonical encoding are defined as json.dumps with sorted keys,
compact separators and (for the ledger) ensure_ascii=False; stored digests and bundles depend on every
byte. The faster encoder is only used where it writes the same bytes, which these generated documents
check, with text chosen to hit the escaping rules (controls, quotes, backslash, DEL, non-ASCII, emoji).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cavra_recovery.server.domain.evidence import canonical_time
from cavra_recovery.server.domain.sorted_json import sorted_json, utc_time_text
from cavra_recovery.server.storage.ledger.canonical import _encode_other, record_document
from cavra_recovery.server.storage.ledger.kinds import KIND_BY_NAME, LEDGER_KINDS

TRICKY = st.sampled_from(
    ["\x00", "\x08", "\x0c", "\n", "\r", "\t", "\x1f", '"', "\\", "/", "\x7f", "é", "😀", "\u2028"]
)
TEXT = st.lists(st.one_of(st.characters(codec="utf-8"), TRICKY), max_size=12).map("".join)
TIMES = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.sampled_from([UTC, None])
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    TEXT,
    TIMES,
    st.binary(max_size=8),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)),
    max_leaves=20,
)


def standard(document: Any, *, ensure_ascii: bool) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii, default=reference_other
    ).encode("utf-8")


def reference_other(value: Any) -> Any:
    """The canonical encoding's times and bytes, written out from its definition (docs/ledger.md)."""
    if isinstance(value, datetime):
        utc = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value).__name__)


@settings(max_examples=600, deadline=None)
@given(document=DOCUMENTS, ensure_ascii=st.booleans())
def test_same_bytes_as_the_standard_library(document: Any, ensure_ascii: bool) -> None:
    expected = standard(document, ensure_ascii=ensure_ascii)
    assert sorted_json(document, ensure_ascii=ensure_ascii, default=_encode_other) == expected


@settings(max_examples=200, deadline=None)
@given(number=st.floats(allow_nan=True, allow_infinity=True), ensure_ascii=st.booleans())
def test_documents_that_may_hold_floats_are_written_by_the_standard_library(
    number: float, ensure_ascii: bool
) -> None:
    document = {"value": number, "list": [number, 1]}
    expected = standard(document, ensure_ascii=ensure_ascii)
    assert sorted_json(document, ensure_ascii=ensure_ascii, may_hold_floats=True) == expected


def test_the_faster_encoder_would_spell_a_float_differently() -> None:
    # Why `may_hold_floats` exists: without it this float's bytes would not be the definition's.
    for number in (1e-7, float("nan"), float("inf")):
        faster = sorted_json({"value": number}, ensure_ascii=False)
        assert faster != standard({"value": number}, ensure_ascii=False)


def test_refusals_are_the_standard_library_s() -> None:
    with pytest.raises(TypeError):
        sorted_json({"value": object()}, ensure_ascii=True)
    with pytest.raises(UnicodeEncodeError):
        sorted_json({"value": "\ud800"}, ensure_ascii=False)
    assert sorted_json({1: "a"}, ensure_ascii=True) == b'{"1":"a"}'


def test_kinds_with_float_or_document_columns_use_the_standard_library() -> None:
    assert KIND_BY_NAME["slo_report"].may_hold_floats  # a JSON document
    assert KIND_BY_NAME["delivery_attempt"].may_hold_floats
    assert not KIND_BY_NAME["retry_execution"].may_hold_floats
    route = KIND_BY_NAME["escalation_route"]
    assert not route.floats_in({"receivers": ["ops", "sre"]})
    assert route.floats_in({"receivers": ["ops", 0.5]})
    for kind in LEDGER_KINDS:
        for name in kind.flat_lists:
            assert name in kind.digest_columns, (kind.kind, name)


def test_a_route_document_is_the_definition_s() -> None:
    values = {
        "plan_id": "plan-é",
        "position": 7,
        "receivers": ["ops", "sré"],
        "created": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(microseconds=6),
    }
    expected = standard({"kind": "escalation_route", "record": values}, ensure_ascii=False)
    assert record_document("escalation_route", values, may_hold_floats=False) == expected
    assert b'"2026-01-02T03:04:05.000006Z"' in expected


ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11)), None])


@settings(max_examples=600, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES))
def test_time_text_is_the_definition_s(moment: datetime) -> None:
    utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    assert utc_time_text(moment) == utc.isoformat(timespec="microseconds") + "Z"
    if moment.tzinfo is not None:
        # Evidence content digests spell times with strftime (no padding of years before 1000).
        assert canonical_time(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
