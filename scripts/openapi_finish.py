"""Finish the OpenAPI document protoc-gen-openapiv2 wrote, for what its options cannot say.

Run by `make generate` right after `buf generate`: `python scripts/openapi_finish.py DOCUMENT`.
Deterministic: the same input gives the same bytes (tests/test_contract.py checks freshness).

- `info.version` is the package version in pyproject.toml (the one place it is written).
- Error details are typed: `rpcStatus.details` items are `rpcStatusDetail`, one object holding the
  fields of every detail this server sends (`google.rpc.ErrorInfo`, `google.rpc.BadRequest`,
  `google.rpc.RetryInfo`, told apart by `@type`), with a definition for each of the three as well.
  Swagger 2 has no oneOf, and a generated client can read `details[i].field_violations` this way.
- `body: "*"` parameters get a description.
- Error responses are shared (`#/responses/…`), so they stay `application/json` on the rendered
  report's operation, whose own `produces` is `text/markdown` and `text/html`.
- Additional HTTP bindings get meaningful operationIds instead of the generator's `…2` suffix.
- Definitions nothing refers to any more (`protobufAny`, `apiHttpBody`) are dropped.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

# The generator suffixes the operationId of the n-th binding with n; each gets a name of its own.
BINDING_OPERATION_IDS = {
    "GetRetryRecoveryReport2": "GetStoredRetryRecoveryReport",
    "GetRecoveryExecutiveReport2": "GetStoredRecoveryExecutiveReport",
    "GetLedgerCheckpoint2": "GetLedgerCheckpointBySize",
}

# Shared error responses (`#/responses/NAME`), by HTTP status.
ERROR_RESPONSE_NAMES = {
    "400": "BadRequest",
    "401": "Unauthenticated",
    "403": "PermissionDenied",
    "404": "NotFound",
    "409": "Conflict",
    "429": "ResourceExhausted",
    "503": "Unavailable",
    "default": "Error",
}

TYPE_URL = "type.googleapis.com/"

STATUS: dict[str, Any] = {
    "type": "object",
    "description": (
        "A google.rpc.Status: the body of every error answer. Branch on the `reason` of its "
        "ErrorInfo detail, not on `message` (docs/errors.md lists every reason)."
    ),
    "properties": {
        "code": {
            "type": "integer",
            "format": "int32",
            "description": "The google.rpc.Code: 3 INVALID_ARGUMENT, 5 NOT_FOUND, 6 ALREADY_EXISTS, 7 "
            "PERMISSION_DENIED, 9 FAILED_PRECONDITION, 14 UNAVAILABLE, 16 UNAUTHENTICATED, ...",
        },
        "message": {
            "type": "string",
            "description": "English text for a person; never contains a secret. Not stable: do not parse.",
        },
        "details": {
            "type": "array",
            "items": {"$ref": "#/definitions/rpcStatusDetail"},
            "description": "One ErrorInfo on every error the service itself answers; a BadRequest on "
            "INVALID_ARGUMENT; a RetryInfo on UNAVAILABLE from the database. None on errors gRPC "
            "produces (DEADLINE_EXCEEDED, CANCELLED, ...) or the gateway answers on its own (unknown "
            "path, wrong method, unparsable body).",
        },
    },
}

ERROR_INFO: dict[str, Any] = {
    "type": "object",
    "description": "google.rpc.ErrorInfo: why the call failed, as a stable machine-readable reason.",
    "properties": {
        "reason": {
            "type": "string",
            "description": "UPPER_SNAKE_CASE reason from the closed set in docs/errors.md, e.g. "
            "ESCALATION_PLAN_NOT_FOUND, EVIDENCE_CONFLICT, DATABASE_UNAVAILABLE.",
        },
        "domain": {"type": "string", "description": "Always `recovery.cavra.dev`."},
        "metadata": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "What was involved, by name: the id looked up (`plan_id`, `delivery_id`, ...), "
            "the `field`, the `cause` of an outage.",
        },
    },
}

FIELD_VIOLATION: dict[str, Any] = {
    "type": "object",
    "description": "google.rpc.BadRequest.FieldViolation: one bad field of the request.",
    "properties": {
        "field": {
            "type": "string",
            "description": "The field's proto path, e.g. `retry_execution.execution_id` or "
            "`records[3].closure.closed_at`.",
        },
        "description": {"type": "string", "description": "What is wrong with it, for a person."},
        "reason": {"type": "string", "description": "A machine-readable reason, when the server gives one."},
    },
}

BAD_REQUEST: dict[str, Any] = {
    "type": "object",
    "description": "google.rpc.BadRequest: every bad field of an INVALID_ARGUMENT request.",
    "properties": {
        "field_violations": {
            "type": "array",
            "items": {"$ref": "#/definitions/rpcBadRequestFieldViolation"},
            "description": "One entry per bad field.",
        },
    },
}

RETRY_INFO: dict[str, Any] = {
    "type": "object",
    "description": "google.rpc.RetryInfo: how long to wait before retrying an UNAVAILABLE call.",
    "properties": {
        "retry_delay": {
            "type": "string",
            "description": "A google.protobuf.Duration in JSON: seconds with an `s` suffix, "
            "e.g. `1s`, `0.500s`.",
        },
    },
}

DETAIL_TYPES = {
    "google.rpc.ErrorInfo": ("rpcErrorInfo", ERROR_INFO),
    "google.rpc.BadRequest": ("rpcBadRequest", BAD_REQUEST),
    "google.rpc.RetryInfo": ("rpcRetryInfo", RETRY_INFO),
}


def status_detail() -> dict[str, Any]:
    """One detail of a Status: `@type` plus the fields of the detail type it names."""
    properties: dict[str, Any] = {
        "@type": {
            "type": "string",
            "description": "Which detail this is: "
            + ", ".join(f"`{TYPE_URL}{name}`" for name in DETAIL_TYPES)
            + "; the other properties are that message's fields (rpcErrorInfo, rpcBadRequest or "
            "rpcRetryInfo). Other types may be added: ignore the ones you do not know.",
        }
    }
    for name, (_, schema) in DETAIL_TYPES.items():
        for field, field_schema in schema["properties"].items():
            properties[field] = {**field_schema, "description": f"{name} only. {field_schema['description']}"}
    return {
        "type": "object",
        "description": "A detail of a google.rpc.Status, in protobuf's JSON form of Any: `@type` names "
        "a google.rpc.ErrorInfo, google.rpc.BadRequest or google.rpc.RetryInfo, and the fields of "
        "that message sit beside it.",
        "properties": properties,
        "required": ["@type"],
        "additionalProperties": True,
    }


def package_version() -> str:
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        version: str = tomllib.load(f)["project"]["version"]
    return version


def rename_operations(document: dict[str, Any]) -> None:
    for path_item in document["paths"].values():
        for operation in path_item.values():
            operation_id = operation["operationId"]
            operation["operationId"] = BINDING_OPERATION_IDS.get(operation_id, operation_id)
            if re.search(r"\d$", operation["operationId"]):
                raise SystemExit(f"operationId {operation_id} needs a name in BINDING_OPERATION_IDS")


def share_error_responses(document: dict[str, Any]) -> None:
    """Every error response becomes a `$ref` to one shared response in `responses`.

    Swagger 2 has one `produces` per operation: the rendered report's `text/markdown` and `text/html`
    would otherwise apply to its JSON errors too. A shared response takes the document's `produces`
    (application/json), which is also what swagger2openapi gives it in OpenAPI 3.
    """
    shared: dict[str, Any] = {}
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for code, response in operation["responses"].items():
                if response.get("schema") != {"$ref": "#/definitions/rpcStatus"}:
                    continue
                name = ERROR_RESPONSE_NAMES[code]
                if shared.setdefault(name, response) != response:
                    raise SystemExit(f"{operation['operationId']}: response {code} differs from the others")
                operation["responses"][code] = {"$ref": f"#/responses/{name}"}
    document["responses"] = shared


def describe_bodies(document: dict[str, Any]) -> None:
    """`body: "*"` parameters have no field comment to describe them."""
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "body" and not parameter.get("description"):
                    parameter["description"] = (
                        "The request's fields other than those in the path, as a JSON object with proto "
                        "field names (lowerCamelCase names are accepted too)."
                    )


def drop_unreferenced(definitions: dict[str, Any], document: dict[str, Any]) -> None:
    """`apiHttpBody` goes once nothing refers to it, then `protobufAny` (which only it still uses)."""
    for name in ("apiHttpBody", "protobufAny"):
        if f'"#/definitions/{name}"' not in json.dumps(document):
            definitions.pop(name, None)


def finish(document: dict[str, Any]) -> dict[str, Any]:
    document["info"]["version"] = package_version()
    definitions = document["definitions"]
    definitions["rpcStatus"] = STATUS
    definitions["rpcStatusDetail"] = status_detail()
    for definition_name, schema in DETAIL_TYPES.values():
        definitions[definition_name] = schema
    definitions["rpcBadRequestFieldViolation"] = FIELD_VIOLATION
    rename_operations(document)
    describe_bodies(document)
    share_error_responses(document)
    drop_unreferenced(definitions, document)
    document["definitions"] = dict(sorted(definitions.items()))
    return document


def main() -> None:
    path = Path(sys.argv[1])
    document = finish(json.loads(path.read_text()))
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
