"""Go's value parsers as grpc-gateway applies them to path and query parameters, with Go's error text.

The gateway must answer a bad query parameter with the same message as grpc-gateway v2, which wraps
the errors of Go's `strconv` and `time.Parse`; these functions accept exactly what those accept.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"

_DECIMAL = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")
_SPECIAL_FLOATS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf}


class GoParseError(ValueError):
    """A value Go would reject; str() is Go's error text."""


def go_quote(text: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif char.isprintable() and code != 0x7F:
            out.append(char)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def parse_int(value: str, bounds: tuple[int, int], unsigned: bool = False) -> int:
    function = "ParseUint" if unsigned else "ParseInt"
    digits = value
    if not unsigned and digits[:1] in ("+", "-"):
        digits = digits[1:]
    if not _DECIMAL.fullmatch(digits):
        raise GoParseError(f"strconv.{function}: parsing {go_quote(value)}: invalid syntax")
    number = int(value)
    if not bounds[0] <= number <= bounds[1]:
        raise GoParseError(f"strconv.{function}: parsing {go_quote(value)}: value out of range")
    return number


def parse_bool(value: str) -> bool:
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if value in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise GoParseError(f"strconv.ParseBool: parsing {go_quote(value)}: invalid syntax")


def parse_float(value: str, bits: int = 64) -> float:
    lowered = value.lower()
    if lowered in _SPECIAL_FLOATS or lowered in ("+infinity", "-infinity"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == "nan":
        return math.nan
    if _FLOAT.fullmatch(value):
        number = float(value)
    elif _HEX_FLOAT.fullmatch(value):
        number = float.fromhex(value)
    else:
        raise GoParseError(f"strconv.ParseFloat: parsing {go_quote(value)}: invalid syntax")
    limit = 3.4028234663852886e38 if bits == 32 else 1.7976931348623157e308
    if math.isinf(number) or abs(number) > limit:
        raise GoParseError(f"strconv.ParseFloat: parsing {go_quote(value)}: value out of range")
    return number


_LAYOUT_CHUNKS: tuple[tuple[str, str], ...] = (
    ("std", "2006"),
    ("lit", "-"),
    ("std", "01"),
    ("lit", "-"),
    ("std", "02"),
    ("lit", "T"),
    ("std", "15"),
    ("lit", ":"),
    ("std", "04"),
    ("lit", ":"),
    ("std", "05"),
    ("frac", ".999999999"),
    ("std", "Z07:00"),
)


def parse_rfc3339(value: str) -> tuple[int, int]:
    """time.Parse(time.RFC3339Nano, value) as (Unix seconds, nanoseconds), with Go's error messages."""
    prefix = f"parsing time {go_quote(value)}"
    layout_error = f"{prefix} as {go_quote(RFC3339_NANO)}: cannot parse "
    rest = value
    fields: dict[str, int] = {}
    nanos = 0
    offset_seconds = 0
    for kind, chunk in _LAYOUT_CHUNKS:
        if kind == "lit":
            if not rest.startswith(chunk):
                raise GoParseError(f"{layout_error}{go_quote(rest)} as {go_quote(chunk)}")
            rest = rest[len(chunk) :]
        elif kind == "frac":
            if len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit():
                end = 1
                while end < len(rest) and rest[end].isdigit():
                    end += 1
                nanos = int(rest[1:end][:9].ljust(9, "0"))
                rest = rest[end:]
        elif chunk == "2006":
            if len(rest) < 4 or not rest[:4].isdigit():
                raise GoParseError(f"{layout_error}{go_quote(rest)} as {go_quote(chunk)}")
            fields["year"], rest = int(rest[:4]), rest[4:]
        elif chunk == "Z07:00":
            if rest.startswith("Z"):
                rest = rest[1:]
            elif (
                len(rest) >= 6
                and rest[0] in "+-"
                and rest[1:3].isdigit()
                and rest[3] == ":"
                and rest[4:6].isdigit()
            ):
                hours, minutes = int(rest[1:3]), int(rest[4:6])
                if hours > 24 or minutes > 60:
                    raise GoParseError(f"{prefix}: time zone offset out of range")
                offset_seconds = (-1 if rest[0] == "-" else 1) * (hours * 3600 + minutes * 60)
                rest = rest[6:]
            else:
                raise GoParseError(f"{layout_error}{go_quote(rest)} as {go_quote(chunk)}")
        else:
            if len(rest) < 2 or not rest[:2].isdigit():
                raise GoParseError(f"{layout_error}{go_quote(rest)} as {go_quote(chunk)}")
            number, rest = int(rest[:2]), rest[2:]
            name, low, high = _RANGES[chunk]
            if not low <= number <= high:
                raise GoParseError(f"{prefix}: {name} out of range")
            fields[name] = number
    if rest:
        raise GoParseError(f"{prefix}: extra text: {go_quote(rest)}")
    try:
        local = datetime(
            fields["year"],
            fields["month"],
            fields["day"],
            fields["hour"],
            fields["minute"],
            fields["second"],
            tzinfo=UTC,
        )
    except ValueError:
        raise GoParseError(f"{prefix}: day out of range") from None
    return int(local.timestamp()) - offset_seconds, nanos


_RANGES = {
    "01": ("month", 1, 12),
    "02": ("day", 1, 31),
    "15": ("hour", 0, 23),
    "04": ("minute", 0, 59),
    "05": ("second", 0, 59),
}
