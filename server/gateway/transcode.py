"""HTTP request -> request message, response message -> HTTP body, with grpc-gateway v2's semantics.

- Path variables set their (possibly nested) fields; a body of "*" is the whole request, a field
  body is that field; every other field can come from the query string (proto or lowerCamelCase
  name, `a.b` for nested fields, repeated keys for repeated fields, enums by name or number,
  Timestamps in RFC 3339), parsed with Go's rules and error text (`runtime.PopulateQueryParameters`).
- JSON bodies are read like `protojson` with `DiscardUnknown: false`: both field spellings, an
  unknown or duplicate field is an error naming it with its line and column.
- Responses are JSON in proto field names (`protojson` with `UseProtoNames: true`: unpopulated fields
  omitted, enums as names, 64-bit integers as strings), or the raw bytes of a `google.api.HttpBody`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from server.gateway import goparse
from server.gateway.goparse import GoParseError, go_quote
from server.gateway.jsonscan import Nesting, go_depth_error, go_json_error, key_positions, nesting
from server.gateway.routes import HttpRoute

# protobuf's upb and pure-Python descriptor classes are different types to mypy.
Descriptor = Any
Field = Any


class TranscodeError(ValueError):
    """A request the gateway rejects before calling the server: INVALID_ARGUMENT with this message."""


_MAP_KEY = re.compile(r"^(.*)\[(.*)\]$")
_HEX = "0123456789abcdefABCDEF"
_JSON_WHITESPACE = " \t\r\n"
# Deeper bodies never reach the recursive parsers (Python's json, protobuf's ParseDict, our scanners).
MAX_DECODED_DEPTH = 200
# Well-known types protojson reads from a JSON string or a special form: their keys are not fields.
_OPAQUE_JSON_TYPES = frozenset(
    {
        "google.protobuf.Any",
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
        "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.Int32Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
    }
)


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


@cache
def _fields_by_any_name(descriptor: Descriptor) -> dict[str, Field]:
    names: dict[str, Field] = {}
    for field in descriptor.fields:
        names.setdefault(field.name, field)
        names.setdefault(field.json_name, field)
    return names


def _field_named(descriptor: Descriptor, name: str) -> Field | None:
    return _fields_by_any_name(descriptor).get(name)


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
            key = _parse_scalar(key_field, values[0])
        except GoParseError as error:
            raise TranscodeError(f"parsing map key {go_quote(field.name)}: {error}") from None
        try:
            value = _parse_scalar(value_field, values[1])
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
                parsed = _parse_scalar(field, text)
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
        parsed = _parse_scalar(field, values[0])
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


def _parse_scalar(field: Field, value: str) -> Any:
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


def set_path_parameter(message: Message, field_path: str, value: str) -> None:
    """A path variable: strings as they are, other kinds parsed like the query (runtime.String & co)."""
    names = field_path.split(".")
    for name in names[:-1]:
        message = getattr(message, name)
        message.SetInParent()
    field = message.DESCRIPTOR.fields_by_name[names[-1]]
    try:
        parsed = _parse_scalar(field, value)
    except GoParseError as error:
        raise TranscodeError(f"type mismatch, parameter: {field_path}, error: {error}") from None
    if field.is_repeated:
        getattr(message, field.name).extend(parsed.split(",") if isinstance(parsed, str) else [parsed])
    elif field.message_type is not None:
        getattr(message, field.name).CopyFrom(parsed)
    else:
        setattr(message, field.name, parsed)


def _reject_constant(name: str) -> Any:
    # Go's encoding/json has no NaN or Infinity literals.
    raise ValueError(name)


class _Duplicates:
    """object_pairs_hook that remembers whether any JSON object repeated a key."""

    def __init__(self) -> None:
        self.found = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.found = True
        return result


def decode_json_body(raw: bytes, target: Message) -> bool:
    """Merge a JSON body into `target`; False when the body is empty (grpc-gateway ignores io.EOF)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TranscodeError("invalid UTF-8 in request body") from None
    text = text.lstrip(_JSON_WHITESPACE)
    if not text:
        return False
    if text[0] in "[{":
        shape = nesting(text)
        if shape.exceeded_at is not None or shape.depth > MAX_DECODED_DEPTH:
            raise TranscodeError(_deep_body_error(text, shape))
    duplicates = _Duplicates()
    try:
        # Like Go's json.Decoder, read one value and ignore whatever follows it.
        decoder = json.JSONDecoder(object_pairs_hook=duplicates, parse_constant=_reject_constant)
        value, end = decoder.raw_decode(text)
    except ValueError:
        raise TranscodeError(go_json_error(text)) from None
    except RecursionError:
        raise TranscodeError(f"request body nests JSON deeper than {MAX_DECODED_DEPTH} levels") from None
    value_text = text[:end]
    if duplicates.found or _has_unknown_field(value, target.DESCRIPTOR):
        problem = _first_field_problem(value_text, target.DESCRIPTOR)
        if problem is not None:
            raise TranscodeError(problem)
    if not isinstance(value, dict):
        # protojson wants an object for a message: `null`, `[`, a number or a string is a syntax error.
        token = "[" if value_text.startswith("[") else value_text
        raise TranscodeError(f"proto: syntax error (line 1:1): unexpected token {token}")
    try:
        json_format.ParseDict(value, target, ignore_unknown_fields=False)
    except (json_format.ParseError, ValueError, TypeError) as error:
        raise TranscodeError(f"proto: {error}") from None
    return True


def _deep_body_error(text: str, shape: Nesting) -> str:
    """grpc-gateway's answer to a deeply nested body where it is known, else one naming our limit."""
    if shape.exceeded_at is not None:
        return go_depth_error(shape.exceeded_at)
    if not shape.balanced:
        return "unexpected EOF"
    if text[0] == "[":
        # protojson wants an object for the request message, whatever the array holds.
        return "proto: syntax error (line 1:1): unexpected token ["
    return f"request body nests JSON deeper than {MAX_DECODED_DEPTH} levels"


def _has_unknown_field(value: Any, descriptor: Descriptor) -> bool:
    """Whether a field is unknown or set twice (by its proto and its JSON name) anywhere in `value`."""
    if not isinstance(value, dict) or descriptor.full_name in _OPAQUE_JSON_TYPES:
        return False
    fields = _fields_by_any_name(descriptor)
    numbers: set[int] = set()
    for key, item in value.items():
        field = fields.get(key)
        if field is None or field.number in numbers:
            return True
        numbers.add(field.number)
        child = field.message_type
        if child is None or item is None:
            continue
        if child.GetOptions().map_entry:
            value_type = child.fields_by_name["value"].message_type
            if value_type is not None and isinstance(item, dict):
                if any(_has_unknown_field(v, value_type) for v in item.values()):
                    return True
        elif field.is_repeated:
            if isinstance(item, list) and any(_has_unknown_field(v, child) for v in item):
                return True
        elif _has_unknown_field(item, child):
            return True
    return False


def _first_field_problem(text: str, descriptor: Descriptor) -> str | None:
    """protojson's error for the first unknown or duplicate field, in document order."""
    seen: dict[int, set[int]] = {}
    for key in key_positions(text):
        owner = _descriptor_at(descriptor, key.parents)
        if owner is None or owner.full_name in _OPAQUE_JSON_TYPES or owner.GetOptions().map_entry:
            continue
        field = _fields_by_any_name(owner).get(key.key)
        where = f"(line {key.line}:{key.column})"
        if field is None:
            return f"proto: {where}: unknown field {key.raw}"
        numbers = seen.setdefault(key.object_id, set())
        if field.number in numbers:
            return f"proto: {where}: duplicate field {key.raw}"
        numbers.add(field.number)
    return None


def _descriptor_at(root: Descriptor, keys: Sequence[str]) -> Descriptor | None:
    descriptor: Descriptor | None = root
    for key in keys:
        if descriptor is None or descriptor.full_name in _OPAQUE_JSON_TYPES:
            return None
        if descriptor.GetOptions().map_entry:
            descriptor = descriptor.fields_by_name["value"].message_type
            continue
        field = _fields_by_any_name(descriptor).get(key)
        if field is None or field.message_type is None:
            return None
        descriptor = field.message_type
    return descriptor


def message_json(message: Message) -> bytes:
    """protojson.MarshalOptions{UseProtoNames: true}.Marshal(message)."""
    as_dict = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return json.dumps(as_dict, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_request(
    route: HttpRoute,
    bindings: dict[str, str],
    body: bytes,
    query: Sequence[tuple[str, list[str]]],
) -> Message:
    """The request message of `route` from its path bindings, body and query, in grpc-gateway's order."""
    request: Message = route.request_class()
    if route.body == "*":
        decode_json_body(body, request)
    elif route.body:
        holder = request
        names = route.body.split(".")
        for name in names[:-1]:
            holder = getattr(holder, name)
        target = getattr(holder, names[-1])
        # grpc-gateway allocates the body field before decoding, so even an empty body sets it.
        target.SetInParent()
        decode_json_body(body, target)
    for field_path, value in bindings.items():
        set_path_parameter(request, field_path, value)
    if route.body != "*":
        populate_query_parameters(request, query, route.bound_field_paths)
    return request
