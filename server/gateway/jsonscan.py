"""Error-path JSON scanning: Go's `encoding/json` syntax error text, and object keys with positions.

Both only run once a body has already failed (Python's json parser said no, or a field is unknown or
repeated), so the normal path stays on the C parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cavra_recovery.server.gateway.goparse import go_quote

_WHITESPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = b'bfnrt\\/"'
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
# encoding/json and protojson both stop at 10,000 levels of nesting.
GO_MAX_DEPTH = 10000


class _Syntax(Exception):
    pass


def _quote_char(byte: int) -> str:
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    return "'" + go_quote(chr(byte))[1:-1] + "'"


def _invalid(byte: int, context: str) -> _Syntax:
    return _Syntax(f"invalid character {_quote_char(byte)} {context}")


def go_json_error(text: str) -> str:
    """What Go's json.Decoder.Decode says about the first JSON value of `text`."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        _scan_value(data, 0, 0)
    except _Syntax as error:
        return str(error)
    except IndexError:
        return "unexpected EOF"
    # Go accepted it (the value is fine); Python refused something Go allows.
    return "invalid JSON value"


def _skip(data: bytes, index: int) -> int:
    while data[index] in _WHITESPACE:
        index += 1
    return index


def _scan_value(data: bytes, index: int, depth: int) -> int:
    """Index just past the value starting at (or after whitespace from) `index`."""
    index = _skip(data, index)
    byte = data[index]
    if byte == ord("{"):
        if depth >= GO_MAX_DEPTH:
            raise _Syntax("exceeded max depth")
        index = _skip(data, index + 1)
        if data[index] == ord("}"):
            return index + 1
        while True:
            index = _skip(data, index)
            if data[index] != ord('"'):
                raise _invalid(data[index], "looking for beginning of object key string")
            index = _scan_string(data, index)
            index = _skip(data, index)
            if data[index] != ord(":"):
                raise _invalid(data[index], "after object key")
            index = _skip(data, _scan_value(data, index + 1, depth + 1))
            if data[index] == ord(","):
                index += 1
                continue
            if data[index] == ord("}"):
                return index + 1
            raise _invalid(data[index], "after object key:value pair")
    if byte == ord("["):
        if depth >= GO_MAX_DEPTH:
            raise _Syntax("exceeded max depth")
        index = _skip(data, index + 1)
        if data[index] == ord("]"):
            return index + 1
        while True:
            index = _skip(data, _scan_value(data, index, depth + 1))
            if data[index] == ord(","):
                index += 1
                continue
            if data[index] == ord("]"):
                return index + 1
            raise _invalid(data[index], "after array element")
    if byte == ord('"'):
        return _scan_string(data, index)
    if byte == ord("-") or byte in _DIGITS:
        return _scan_number(data, index)
    if byte in _LITERALS:
        literal = _LITERALS[byte]
        for offset in range(1, len(literal)):
            if data[index + offset] != literal[offset]:
                expecting = _quote_char(literal[offset])
                raise _invalid(data[index + offset], f"in literal {literal.decode()} (expecting {expecting})")
        return index + len(literal)
    raise _invalid(byte, "looking for beginning of value")


def _scan_string(data: bytes, index: int) -> int:
    index += 1
    while True:
        byte = data[index]
        if byte == ord('"'):
            return index + 1
        if byte == ord("\\"):
            escape = data[index + 1]
            if escape == ord("u"):
                for offset in range(2, 6):
                    if data[index + offset] not in _HEX:
                        raise _invalid(data[index + offset], "in \\u hexadecimal character escape")
                index += 6
                continue
            if escape not in _ESCAPES:
                raise _invalid(escape, "in string escape code")
            index += 2
            continue
        if byte < 0x20:
            raise _invalid(byte, "in string literal")
        index += 1


def _scan_number(data: bytes, index: int) -> int:
    # A number may end the input: past the end means "done", not "truncated".
    def at(i: int) -> int:
        return data[i] if i < len(data) else -1

    if at(index) == ord("-"):
        index += 1
        if at(index) not in _DIGITS or at(index) == -1:
            raise _invalid(data[index], "in numeric literal")
    if at(index) == ord("0"):
        index += 1
    else:
        while at(index) != -1 and at(index) in _DIGITS:
            index += 1
    if at(index) == ord("."):
        index += 1
        if at(index) == -1 or at(index) not in _DIGITS:
            raise _invalid(data[index], "after decimal point in numeric literal")
        while at(index) != -1 and at(index) in _DIGITS:
            index += 1
    if at(index) in (ord("e"), ord("E")):
        index += 1
        if at(index) in (ord("+"), ord("-")):
            index += 1
        if at(index) == -1 or at(index) not in _DIGITS:
            raise _invalid(data[index], "in exponent of numeric literal")
        while at(index) != -1 and at(index) in _DIGITS:
            index += 1
    return index


@dataclass(frozen=True)
class ObjectKey:
    """One key of a JSON object: the keys leading to its object, itself, and protojson's position."""

    object_id: int
    parents: tuple[str, ...]
    raw: str
    key: str
    line: int
    column: int


def key_positions(text: str) -> Iterator[ObjectKey]:
    """Every object key of the (valid) JSON `text` in document order, with 1-based line and column."""
    import json

    decoder = json.JSONDecoder()
    objects = 0
    # Open containers: (kind, object id, keys leading to the container).
    stack: list[tuple[str, int, tuple[str, ...]]] = []
    last_key_path: tuple[str, ...] = ()
    index, length = 0, len(text)
    line, line_start = 1, 0
    expecting_key = False
    while index < length:
        char = text[index]
        if char == "\n":
            line, line_start = line + 1, index + 1
            index += 1
        elif char in " \t\r:":
            index += 1
        elif char == ",":
            expecting_key = bool(stack) and stack[-1][0] == "object"
            index += 1
        elif char in "{[":
            if not stack:
                parents: tuple[str, ...] = ()
            elif stack[-1][0] == "array":
                parents = stack[-1][2]
            else:
                parents = last_key_path
            if char == "{":
                objects += 1
                stack.append(("object", objects, parents))
            else:
                stack.append(("array", 0, parents))
            expecting_key = char == "{"
            index += 1
        elif char in "}]":
            stack.pop()
            expecting_key = False
            index += 1
        elif char == '"':
            value, end = decoder.raw_decode(text, index)
            if expecting_key:
                _, object_id, parents = stack[-1]
                yield ObjectKey(
                    object_id=object_id,
                    parents=parents,
                    raw=text[index:end],
                    key=value,
                    line=line,
                    column=index - line_start + 1,
                )
                last_key_path = (*parents, value)
                expecting_key = False
            index = end
        else:
            _, index = decoder.raw_decode(text, index)


@dataclass(frozen=True)
class Nesting:
    """How deep the brackets of a body go, read without recursion (so any depth is safe to measure)."""

    depth: int
    balanced: bool
    exceeded_at: int | None


def nesting(text: str, limit: int = GO_MAX_DEPTH) -> Nesting:
    """The bracket depth of `text`, whether every bracket closes, and the byte that passed `limit`."""
    data = text.encode("utf-8", "surrogatepass")
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == ord("\\"):
                escaped = True
            elif byte == ord('"'):
                in_string = False
        elif byte == ord('"'):
            in_string = True
        elif byte in b"[{":
            depth += 1
            if depth > limit:
                return Nesting(depth=depth, balanced=False, exceeded_at=byte)
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
            if depth == 0:
                break
    return Nesting(depth=deepest, balanced=depth == 0 and not in_string, exceeded_at=None)


def go_depth_error(byte: int) -> str:
    """Go's json.Decoder once a value nests past its 10,000 levels."""
    return f"invalid character {_quote_char(byte)} exceeded max depth"
