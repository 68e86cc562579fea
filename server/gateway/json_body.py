"""JSON request bodies read like protojson with `DiscardUnknown: false`, and grpc-gateway's errors.

Both field spellings are accepted; an unknown or duplicate field is an error naming it with its line
and column; a body nested deeper than `MAX_DECODED_DEPTH` is refused before any recursive parser
sees it, with grpc-gateway's message where it has one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.field_names import Descriptor, fields_by_any_name
from cavra_recovery.server.gateway.json_scalars import normalise_scalars
from cavra_recovery.server.gateway.jsonscan import (
    Nesting,
    go_depth_error,
    go_json_error,
    key_positions,
    nesting,
)

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
    normalise_scalars(value, target.DESCRIPTOR)
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
    fields = fields_by_any_name(descriptor)
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
        field = fields_by_any_name(owner).get(key.key)
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
        field = fields_by_any_name(descriptor).get(key)
        if field is None or field.message_type is None:
            return None
        descriptor = field.message_type
    return descriptor
