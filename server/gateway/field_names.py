"""A message's fields by either spelling protojson and grpc-gateway accept: proto name or lowerCamelCase."""

from __future__ import annotations

from functools import cache
from typing import Any

# protobuf's upb and pure-Python descriptor classes are different types to mypy.
Descriptor = Any
Field = Any


@cache
def fields_by_any_name(descriptor: Descriptor) -> dict[str, Field]:
    names: dict[str, Field] = {}
    for field in descriptor.fields:
        names.setdefault(field.name, field)
        names.setdefault(field.json_name, field)
    return names
