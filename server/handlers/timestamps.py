"""datetime → google.protobuf.Timestamp, the one mapping every response uses (UTC, to the microsecond)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(moment: datetime) -> Timestamp:
    """`moment` (aware, as storage and the domain hand them out) as a Timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def to_optional_timestamp(moment: datetime | None) -> Timestamp | None:
    """None stays None, so a message field built from it is left unset."""
    return None if moment is None else to_timestamp(moment)
