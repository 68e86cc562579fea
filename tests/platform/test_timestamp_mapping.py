"""server.handlers.timestamps: the one datetime → google.protobuf.Timestamp mapping of every response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from cavra_recovery.server.handlers.timestamps import to_optional_timestamp, to_timestamp


def test_an_aware_datetime_maps_to_the_same_instant_in_utc_to_the_microsecond() -> None:
    moment = datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    stamp = to_timestamp(moment)
    assert (stamp.seconds, stamp.nanos) == (
        int(datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC).timestamp()),
        123456000,
    )
    assert stamp.ToDatetime(tzinfo=UTC) == moment


def test_a_time_before_1970_keeps_non_negative_nanos() -> None:
    stamp = to_timestamp(datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC))
    assert (stamp.seconds, stamp.nanos) == (-1, 500000000)


def test_none_stays_none_and_a_datetime_maps_as_to_timestamp() -> None:
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert to_optional_timestamp(None) is None
    assert to_optional_timestamp(moment) == to_timestamp(moment) == Timestamp(seconds=int(moment.timestamp()))
