"""HTTP request -> request message, response message -> HTTP body, with grpc-gateway v2's semantics.

- `build_request` assembles the request message in grpc-gateway's order: the JSON body (a body of
  "*" is the whole request, a field body is that field; see json_body.py), then path variables
  (`set_path_parameter`, which may set nested fields), then, unless the body is "*", every other
  field from the query string (see query.py).
- `message_json` writes a response as JSON in proto field names (`protojson` with `UseProtoNames:
  true`: unpopulated fields omitted, enums as names, 64-bit integers as strings); the proxy sends a
  `google.api.HttpBody` response as its raw bytes instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from google.protobuf import json_format
from google.protobuf.message import Message

from cavra_recovery.server.gateway.errors import TranscodeError
from cavra_recovery.server.gateway.goparse import GoParseError
from cavra_recovery.server.gateway.json_body import decode_json_body
from cavra_recovery.server.gateway.query import parse_scalar, populate_query_parameters
from cavra_recovery.server.gateway.routes import HttpRoute


def set_path_parameter(message: Message, field_path: str, value: str) -> None:
    """A path variable: strings as they are, other kinds parsed like the query (runtime.String & co)."""
    names = field_path.split(".")
    for name in names[:-1]:
        message = getattr(message, name)
        message.SetInParent()
    field = message.DESCRIPTOR.fields_by_name[names[-1]]
    try:
        parsed = parse_scalar(field, value)
    except GoParseError as error:
        raise TranscodeError(f"type mismatch, parameter: {field_path}, error: {error}") from None
    if field.is_repeated:
        getattr(message, field.name).extend(parsed.split(",") if isinstance(parsed, str) else [parsed])
    elif field.message_type is not None:
        getattr(message, field.name).CopyFrom(parsed)
    else:
        setattr(message, field.name, parsed)


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
