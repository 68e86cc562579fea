"""Query-string and path-value parsing with grpc-gateway v2's rules and Go's error text.

- `go_unescape` and `parse_query` are net/url's unescaping and `url.ParseQuery`.
- `populate_query_parameters` is `runtime.PopulateQueryParameters`: proto or lowerCamelCase names,
  `a.b` for nested fields, `m[k]=v` for maps, repeated keys for repeated fields; unknown keys ignored.
- `parse_scalar` turns one text value into a field's value (enums by name or number, Timestamps in
  RFC 3339, bytes in base64); path variables use it too.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from cavra_recovery.server.gateway import goparse
from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.field_names import Descriptor, Field, fields_by_any_name
from cavra_recovery.server.gateway.goparse import GoParseError, go_quote

_MAP_KEY = re.compile(r"^(.*)\[(.*)\]$")
_HEX = "0123456789abcdefABCDEF"


def go_unescape(text: str, *, query: bool) -> str:
    """net/url's unescape: %XX sequences (and '+' as space in a query), Go's error on a bad escape."""
    if "%" not in text and not (query and "+" in text):
        return text
    out = bytearray()
    index = 0
    raw = text.encode("utf-8", "surrogatepass")
    while index < len(raw):
        byte = raw[index]
        if byte == 0x25:
            sequence = raw[index : index + 3]
            if len(sequence) < 3 or chr(sequence[1]) not in _HEX or chr(sequence[2]) not in _HEX:
                shown = raw[index : index + 3].decode("utf-8", "replace")
                raise TranscodeError(f"invalid URL escape {go_quote(shown)}")
            out.append(int(sequence[1:3], 16))
            index += 3
            continue
        out.append(0x20 if query and byte == 0x2B else byte)
        index += 1
    return out.decode("utf-8", "replace")


def parse_query(query: str) -> list[tuple[str, list[str]]]:
    """url.ParseQuery: keys in first-seen order with all their values; raises Go's first error."""
    values: dict[str, list[str]] = {}
    error: str | None = None
    for piece in query.split("&") if query else ():
        if ";" in piece:
            error = error or "invalid semicolon separator in query"
            continue
        if not piece:
            continue
        raw_key, _, raw_value = piece.partition("=")
        try:
            key = go_unescape(raw_key, query=True)
            value = go_unescape(raw_value, query=True)
        except TranscodeError as escape:
            error = error or str(escape)
            continue
        values.setdefault(key, []).append(value)
    if error is not None:
        raise TranscodeError(error)
    return list(values.items())


def _field_named(descriptor: Descriptor, name: str) -> Field | None:
    return fields_by_any_name(descriptor).get(name)


def _normalize_field_path(descriptor: Descriptor, names: list[str]) -> list[str]:
    normalized: list[str] = []
    for index, name in enumerate(names):
        field = _field_named(descriptor, name)
        if field is None:
            return names
        normalized.append(field.name)
        if index == len(names) - 1:
            break
        if field.message_type is None or field.is_repeated:
            return names
        descriptor = field.message_type
    return normalized


def _is_filtered(path: Sequence[str], bound: Iterable[tuple[str, ...]]) -> bool:
    path = tuple(path)
    for prefix in bound:
        shorter = min(len(prefix), len(path))
        if path[:shorter] == prefix[:shorter]:
            return True
    return False


def populate_query_parameters(
    message: Message, parameters: Sequence[tuple[str, list[str]]], bound: Sequence[tuple[str, ...]]
) -> None:
    """runtime.DefaultQueryParser.Parse: unknown keys are ignored, bound fields are never overridden."""
    seen: set[str] = set()
    for key, given in parameters:
        field_key, map_key, values = key, "", list(given)
        match = _MAP_KEY.match(key)
        if match:
            field_key, map_key = match.group(1), f"[{match.group(2)}]"
            values = [match.group(2), *values]
        path = _normalize_field_path(message.DESCRIPTOR, field_key.split("."))
        if _is_filtered(path, bound):
            continue
        name = ".".join(path) + map_key
        if name in seen:
            raise TranscodeError(f"duplicate field {go_quote(name)}")
        seen.add(name)
        _populate_path(message, path, values, has_map_key=bool(map_key))


def _populate_path(message: Message, path: list[str], values: list[str], *, has_map_key: bool) -> None:
    field: Field | None = None
    for index, name in enumerate(path):
        descriptor = message.DESCRIPTOR
        field = descriptor.fields_by_name.get(name) or _json_named(descriptor, name)
        if field is None:
            # grpc-gateway ignores parameters that name no field: they may be meant for a proxy.
            return
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof):
            current = message.WhichOneof(oneof.name)
            if current is not None and (field.message_type is None or current != field.name):
                raise TranscodeError(f"field already set for oneof {go_quote(oneof.name)}")
        if index == len(path) - 1:
            break
        if field.message_type is None or field.is_repeated:
            raise TranscodeError(f"invalid path: {go_quote(name)} is not a message")
        child = getattr(message, field.name)
        child.SetInParent()
        message = child
    assert field is not None
    is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
    if has_map_key and not is_map:
        raise TranscodeError(f"field {go_quote(field.name)} is not a map")
    if is_map:
        if len(values) != 2:
            key_text, map_name = go_quote(values[0]), go_quote(field.full_name)
            raise TranscodeError(f"more than one value provided for key {key_text} in map {map_name}")
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        try:
            key = parse_scalar(key_field, values[0])
        except GoParseError as error:
            raise TranscodeError(f"parsing map key {go_quote(field.name)}: {error}") from None
        try:
            value = parse_scalar(value_field, values[1])
        except GoParseError as error:
            raise TranscodeError(f"parsing map value {go_quote(field.name)}: {error}") from None
        container = getattr(message, field.name)
        if value_field.message_type is not None:
            container[key].CopyFrom(value)
        else:
            container[key] = value
        return
    if field.is_repeated:
        container = getattr(message, field.name)
        for text in values:
            try:
                parsed = parse_scalar(field, text)
            except GoParseError as error:
                raise TranscodeError(f"parsing list {go_quote(field.name)}: {error}") from None
            if field.message_type is not None:
                container.add().CopyFrom(parsed)
            else:
                container.append(parsed)
        return
    if len(values) > 1:
        raise TranscodeError(f"too many values for field {go_quote(field.name)}: {', '.join(values)}")
    try:
        parsed = parse_scalar(field, values[0])
    except GoParseError as error:
        raise TranscodeError(f"parsing field {go_quote(field.name)}: {error}") from None
    if field.message_type is not None:
        getattr(message, field.name).CopyFrom(parsed)
    else:
        setattr(message, field.name, parsed)


def _json_named(descriptor: Descriptor, name: str) -> Field | None:
    return next((f for f in descriptor.fields if f.json_name == name), None)


def _is_synthetic(oneof: Any) -> bool:
    fields = oneof.fields
    return len(fields) == 1 and bool(getattr(fields[0], "has_presence", False)) and oneof.name.startswith("_")


_INT_BOUNDS = {
    FieldDescriptor.TYPE_INT32: (goparse.INT32, False),
    FieldDescriptor.TYPE_SINT32: (goparse.INT32, False),
    FieldDescriptor.TYPE_SFIXED32: (goparse.INT32, False),
    FieldDescriptor.TYPE_INT64: (goparse.INT64, False),
    FieldDescriptor.TYPE_SINT64: (goparse.INT64, False),
    FieldDescriptor.TYPE_SFIXED64: (goparse.INT64, False),
    FieldDescriptor.TYPE_UINT32: (goparse.UINT32, True),
    FieldDescriptor.TYPE_FIXED32: (goparse.UINT32, True),
    FieldDescriptor.TYPE_UINT64: (goparse.UINT64, True),
    FieldDescriptor.TYPE_FIXED64: (goparse.UINT64, True),
}


def parse_scalar(field: Field, value: str) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_BOOL:
        return goparse.parse_bool(value)
    if kind == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        by_name = enum.values_by_name.get(value)
        if by_name is not None:
            return by_name.number
        try:
            number = goparse.parse_int(value, goparse.INT32)
        except GoParseError:
            raise GoParseError(f"{go_quote(value)} is not a valid value") from None
        if number not in enum.values_by_number:
            raise GoParseError(f"{go_quote(value)} is not a valid value")
        return number
    if kind in _INT_BOUNDS:
        bounds, unsigned = _INT_BOUNDS[kind]
        return goparse.parse_int(value, bounds, unsigned=unsigned)
    if kind == FieldDescriptor.TYPE_FLOAT:
        return goparse.parse_float(value, 32)
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return goparse.parse_float(value, 64)
    if kind == FieldDescriptor.TYPE_STRING:
        return value
    if kind == FieldDescriptor.TYPE_BYTES:
        return _parse_bytes(value)
    return _parse_message(field.message_type, value)


def _parse_bytes(value: str) -> bytes:
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(value + "=" * (-len(value) % 4))
        except ValueError:
            continue
    raise GoParseError(f"illegal base64 data at input byte {len(value)}")


def _parse_message(descriptor: Descriptor, value: str) -> Message:
    name = descriptor.full_name
    if name == "google.protobuf.Timestamp":
        if value[:4] == "0000":
            try:
                goparse.parse_rfc3339("0001" + value[4:])
            except GoParseError:
                pass
            else:
                raise GoParseError(f"{value} before 0001-01-01")
        seconds, nanos = goparse.parse_rfc3339(value)
        return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    if name == "google.protobuf.FieldMask":
        from google.protobuf import field_mask_pb2

        return field_mask_pb2.FieldMask(paths=value.split(",") if value else [])
    if name == "google.protobuf.Empty":
        from google.protobuf import empty_pb2

        if value not in ("", "{}"):
            raise GoParseError(f'expected an empty value or "{{}}", got {go_quote(value)}')
        return empty_pb2.Empty()
    raise GoParseError(f"unsupported message type: {go_quote(name)}")
