"""Bytes that are not the method's request message, sent to EVERY RPC of the three services (auth off,
auth with no token, auth with a token): never UNKNOWN or INTERNAL, UNAUTHENTICATED first when a token is
required and missing (the bytes are never read), else INVALID_ARGUMENT with reason MALFORMED_REQUEST;
no traceback in the log and at most one WARNING line per method (issue: malformed protobuf)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from cavra_recovery.server.app import SERVICE_NAMES
from cavra_recovery.server.gateway import gateway_services
from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import failure_of

TOKEN = "malformed-probe-token"
MALFORMED = {
    # A tag whose wire type (7) does not exist.
    "bad-tag": b"\xff\xff\xff\xff\x0f",
    # Field 1 announces 10 bytes and carries 2.
    "truncated": b"\x0a\x0a\x0a\x02",
}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _invalid_utf8(message: Descriptor, depth: int = 0) -> bytes | None:
    """The encoding of the first string field reachable from `message`, holding invalid UTF-8."""
    if depth > 4:
        return None
    for field in message.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            inner = b"\xff\xfe"
        elif field.type == FieldDescriptor.TYPE_MESSAGE and not field.message_type.GetOptions().map_entry:
            found = _invalid_utf8(field.message_type, depth + 1)
            if found is None:
                continue
            inner = found
        else:
            continue
        return _varint(field.number << 3 | 2) + _varint(len(inner)) + inner
    return None


def _every_method() -> list[tuple[str, Descriptor]]:
    services = gateway_services()
    assert {service.full_name for service in services} == set(SERVICE_NAMES)
    return [(f"/{service.full_name}/{m.name}", m.input_type) for service in services for m in service.methods]


METHODS = _every_method()
CASES = [(method, name, payload) for method, _ in METHODS for name, payload in MALFORMED.items()] + [
    (method, "invalid-utf8", payload)
    for method, request in METHODS
    if (payload := _invalid_utf8(request)) is not None
]


def test_the_table_covers_every_rpc_and_invalid_utf8_for_every_request_with_a_string() -> None:
    assert len(METHODS) == 39
    assert sum(name == "invalid-utf8" for _, name, _ in CASES) >= 20


def _raw_call(address: str, method: str, payload: bytes, token: str | None) -> Callable[[], object]:
    channel = grpc.insecure_channel(address)
    call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    metadata = () if token is None else (("authorization", f"Bearer {token}"),)

    def invoke() -> object:
        try:
            return call(payload, timeout=10, metadata=metadata)
        finally:
            channel.close()

    return invoke


@pytest.mark.parametrize("mode", ["open", "auth-no-token", "auth-token"])
def test_malformed_bytes_to_every_rpc_never_unknown_and_leave_no_traceback(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, mode: str
) -> None:
    args: list[str] = []
    if mode != "open":
        config = tmp_path / "auth.yaml"
        digest = hashlib.sha256(TOKEN.encode()).hexdigest()
        roles = "[ingest, operator, viewer, auditor]"
        config.write_text(f"tokens:\n  - {{name: probe, sha256: {digest}, roles: {roles}}}\n")
        args = ["--auth-config", str(config)]
    server = server_factory(database_url=sqlite_url, http=False, extra_args=args)
    token = TOKEN if mode == "auth-token" else None
    answers = {
        (method.rsplit("/", 1)[1], name): failure_of(_raw_call(server.grpc_address, method, payload, token))
        for method, name, payload in CASES
    }
    if mode == "auth-no-token":
        expected = (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING", ())
    else:
        expected = (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST", ("request",))
    for key, failure in answers.items():
        assert (failure.code, failure.reason, failure.fields) == expected, key
    server.stop()
    assert "Traceback" not in server.log_text
    assert "DecodeError" not in server.log_text
    warnings = [line for line in server.log_lines if " WARNING " in line]
    for method, _ in METHODS:
        assert sum(method in line for line in warnings) <= 1, method
    if mode != "auth-no-token":
        # Each method's first malformed call is logged once; the next two are held back.
        assert sum("malformed request bytes" in line for line in warnings) == len(METHODS)
