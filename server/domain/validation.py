"""Input limits and field checks, shared by every RPC's proto -> domain mapping.

A `Violations` collector gathers every bad field of a request under its full proto path
(`playbook.providers[2].failure_count`) so the caller sees all problems at once; `raise_if_any()` turns
them into one `InvalidArgument` (google.rpc.BadRequest on the wire).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cavra_recovery.server.domain.errors import FieldViolation, InvalidArgument

ID_MAX_LENGTH = 128
PROVIDER_MAX_LENGTH = 64
NAME_MAX_LENGTH = 128
FREE_TEXT_MAX_LENGTH = 4096
VERIFICATION_REFS_MAX = 50
VERIFICATION_REF_MAX_LENGTH = 256
PROVIDERS_PER_PLAYBOOK_MAX = 100
STATUS_CODES_MAX = 50
COUNT_MAX = 1_000_000_000
LOOKBACK_HOURS_MAX = 24 * 366
BATCH_MAX_RECORDS = 5_000
# Evidence times outside this window are typos or unset clocks, not history; the window is fixed (not
# relative to now) so that re-sending a record can never change whether it is valid.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)

# Ids appear in HTTP paths, so no '/', whitespace or control characters; "-" alone is the wildcard.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@+~=-]*")
PROVIDER_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Violations:
    """Collects field violations; raise them all at once with `raise_if_any()`."""

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        self._items.append(FieldViolation(field, description))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> tuple[FieldViolation, ...]:
        return tuple(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise InvalidArgument(self._items)

    def require_id(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "is required")
        else:
            self.check_id(field, value)
        return value

    def check_id(self, field: str, value: str) -> str:
        """An optional id: empty, or at most 128 of [A-Za-z0-9_.:@+~=-] starting with a letter or digit."""
        if not value:
            return value
        if len(value) > ID_MAX_LENGTH:
            self.add(field, f"must be at most {ID_MAX_LENGTH} characters")
        elif ID_PATTERN.fullmatch(value) is None:
            self.add(field, "must start with a letter or digit and contain only letters, digits and _.:@+~=-")
        return value

    def require_provider(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "is required")
        else:
            self.check_provider(field, value)
        return value

    def check_provider(self, field: str, value: str) -> str:
        if not value:
            return value
        if len(value) > PROVIDER_MAX_LENGTH:
            self.add(field, f"must be at most {PROVIDER_MAX_LENGTH} characters")
        elif PROVIDER_PATTERN.fullmatch(value) is None:
            self.add(field, "must be lower case letters, digits, '_' or '-'")
        return value

    def check_name(self, field: str, value: str) -> str:
        """A short human name (closed_by, generated_by): at most 128 characters, no control characters."""
        return self.check_text(field, value, NAME_MAX_LENGTH)

    def check_actor(self, field: str, value: str, identity: str | None) -> str:
        """The name to store in an actor field (generated_by, acknowledged_by, closed_by): with
        authentication on (`identity` given) always the caller's token name, and a request naming
        anyone else is refused (docs/identity.md); with it off, the request's own value."""
        if identity is None:
            return self.check_name(field, value)
        if value.strip() and value.strip() != identity:
            self.add(
                field,
                f"must be empty or {identity!r}: with authentication on, work is attributed to the "
                "caller's token name",
            )
        return identity

    def check_text(self, field: str, value: str, limit: int = FREE_TEXT_MAX_LENGTH) -> str:
        if len(value) > limit:
            self.add(field, f"must be at most {limit} characters")
        elif _CONTROL_CHARACTERS.search(value):
            self.add(field, "must not contain control characters")
        return value

    def check_count(self, field: str, value: int, maximum: int = COUNT_MAX) -> int:
        if value < 0:
            self.add(field, "must not be negative")
        elif value > maximum:
            self.add(field, f"must be at most {maximum}")
        return value

    def check_time_range(
        self, start_field: str, start: datetime | None, end_field: str, end: datetime | None
    ) -> None:
        if start is not None and end is not None and start >= end:
            self.add(start_field, f"must be before {end_field}")
