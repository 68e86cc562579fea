"""Bytes that are not the method's request message answer INVALID_ARGUMENT (reason MALFORMED_REQUEST),
never UNKNOWN, with or without a token, and leave no traceback in the log (issue: malformed protobuf)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from tests.conftest import ServerProcess
from tests.delivery.delivery_kit import failure_of

MALFORMED = {
    # A tag whose wire type (7) does not exist.
    "bad-tag": b"\xff\xff\xff\xff\x0f",
    # Field 1 announces 10 bytes and carries 2.
    "truncated": b"\x0a\x0a\x0a\x02",
}
# RecordRetryExecutionRequest.retry_execution.execution_id (a string) holding invalid UTF-8.
INVALID_UTF8 = b"\x0a\x04\x0a\x02\xff\xfe"
METHODS = [
    "/cavra.recovery.v1.EvidenceService/RecordRetryExecution",
    "/cavra.recovery.v1.EvidenceService/BatchRecordEvidence",
    "/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan",
    "/cavra.recovery.v1.ReportService/GetRetryRecoveryReport",
]
CASES = [(method, name, payload) for method in METHODS for name, payload in MALFORMED.items()] + [
    (METHODS[0], "invalid-utf8", INVALID_UTF8)
]


def _raw_call(address: str, method: str, payload: bytes) -> Callable[[], object]:
    channel = grpc.insecure_channel(address)
    call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)

    def invoke() -> object:
        try:
            return call(payload, timeout=10)
        finally:
            channel.close()

    return invoke


@pytest.mark.parametrize("with_auth", [False, True], ids=["open", "auth-no-token"])
def test_malformed_bytes_are_invalid_argument_without_a_traceback(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path, with_auth: bool
) -> None:
    args: list[str] = []
    if with_auth:
        config = tmp_path / "auth.yaml"
        digest = hashlib.sha256(b"malformed-probe-token").hexdigest()
        config.write_text(f"tokens:\n  - {{name: probe, sha256: {digest}, roles: [ingest]}}\n")
        args = ["--auth-config", str(config)]
    server = server_factory(database_url=sqlite_url, http=False, extra_args=args)
    answers = {
        (method.rsplit("/", 1)[1], name): failure_of(_raw_call(server.grpc_address, method, payload))
        for method, name, payload in CASES
    }
    for key, failure in answers.items():
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "MALFORMED_REQUEST",
            ("request",),
        ), key
    server.stop()
    assert "Traceback" not in server.log_text
    assert "DecodeError" not in server.log_text
