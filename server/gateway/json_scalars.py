"""Numbers and enums in a JSON body accepted exactly as protojson accepts them.

Python's protobuf JSON parser is more lenient than Go's protojson, which grpc-gateway uses:
- an integer field: protojson takes a JSON number, or a string holding exactly one JSON number
  (plain ASCII, no sign `+`, no leading zero, no `_`, no surrounding space); Python's `int()` takes
  `"+240"`, `"0240"`, `"2_40"` and `"٢٤٠"`;
- an enum field: protojson takes the value's name or an integer JSON number; Python also takes a
  quoted number (`"1"`, `" 1"`) and a boolean (`true` is 1).

`normalise_scalars` walks the decoded body with the message descriptor, refuses what protojson
refuses (naming the field, as grpc-gateway's message does) and turns an accepted quoted number into
the integer protojson reads from it, so that Python's parser sees only forms both agree on.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.field_names import Descriptor, Field, fields_by_any_name

# RFC 8259's number grammar, in ASCII only (`\d` would admit other scripts' digits).
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)

_INTEGER_BOUNDS = {
    FieldDescriptor.TYPE_INT32: ("int32", -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: ("int32", -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: ("int32", -(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: ("int64", -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: ("int64", -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: ("int64", -(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: ("uint32", 0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: ("uint32", 0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: ("uint64", 0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: ("uint64", 0, 2**64 - 1),
}
# Well-known types read from special JSON forms: their contents are not plain fields.
_WELL_KNOWN_PREFIX = "google.protobuf."


def normalise_scalars(value: dict[str, Any], descriptor: Descriptor) -> None:
    """Refuse integer and enum forms protojson refuses; rewrite quoted integers in place."""
    if descriptor.full_name.startswith(_WELL_KNOWN_PREFIX):
        return
    fields = fields_by_any_name(descriptor)
    for key, item in value.items():
        field = fields.get(key)
        if field is None or item is None:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entry = field.message_type.fields_by_name["value"]
            if isinstance(item, dict):
                for map_key, map_value in item.items():
                    item[map_key] = _normalise_single(entry, map_value)
        elif field.is_repeated:
            if isinstance(item, list):
                value[key] = [_normalise_single(field, element) for element in item]
        else:
            value[key] = _normalise_single(field, item)


def _normalise_single(field: Field, item: Any) -> Any:
    if item is None:
        return item
    if field.message_type is not None:
        if isinstance(item, dict):
            normalise_scalars(item, field.message_type)
        return item
    if field.enum_type is not None:
        _check_enum(field, item)
        return item
    bounds = _INTEGER_BOUNDS.get(field.type)
    if bounds is not None and isinstance(item, str):
        return _quoted_integer(field, item, bounds)
    return item


def _check_enum(field: Field, item: Any) -> None:
    if field.enum_type.full_name == "google.protobuf.NullValue":
        return
    if isinstance(item, str):
        if item in field.enum_type.values_by_name:
            return
    elif isinstance(item, int) and not isinstance(item, bool):
        return
    elif isinstance(item, float) and item.is_integer():
        return
    raise _invalid(field, "enum", item)


def _quoted_integer(field: Field, item: str, bounds: tuple[str, int, int]) -> int:
    kind, low, high = bounds
    if not _JSON_NUMBER.fullmatch(item):
        raise _invalid(field, kind, item)
    try:
        number = Decimal(item)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise _invalid(field, kind, item) from None
    if number != number.to_integral_value() or not low <= number <= high:
        raise _invalid(field, kind, item)
    return int(number)


def _invalid(field: Field, kind: str, item: Any) -> TranscodeError:
    # protojson: `invalid value for <kind> field <jsonName>: <raw token>`.
    return TranscodeError(f"proto: invalid value for {kind} field {field.json_name}: {json.dumps(item)}")
