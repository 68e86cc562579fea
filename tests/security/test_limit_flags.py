"""The receive and body limits follow their flags: a message or body just over the limit is refused
(RESOURCE_EXHAUSTED / 413), one under it goes through to the handler."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grpc

from tests.conftest import ServerProcess
from tests.security.security_kit import TOKENS, bearer, raw_http, status_of, write_auth_config

BATCH_METHOD = "/cavra.recovery.v1.EvidenceService/BatchRecordEvidence"
BATCH_PATH = (
    "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery/evidence:batchRecord"
)


def _send(address: str, payload: bytes) -> grpc.StatusCode:
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(
            BATCH_METHOD, request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        try:
            call(payload, timeout=10, metadata=(("authorization", f"Bearer {TOKENS['ingest']}"),))
        except grpc.RpcError as error:
            code: grpc.StatusCode = error.code()
            return code
    return grpc.StatusCode.OK


def test_grpc_max_receive_bytes_and_http_max_body_bytes_are_applied(
    server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    config = write_auth_config(tmp_path)
    server = server_factory(
        database_url=sqlite_url,
        extra_args=[
            "--auth-config",
            str(config),
            "--grpc-max-receive-bytes",
            "2000",
            "--http-max-body-bytes",
            "3000",
        ],
    )
    # A request_id field (tag 0x62) of 1,500 or 2,500 bytes: under and over the limit.
    under = b"\x62\xdc\x0b" + b"a" * 1500
    over = b"\x62\xc4\x13" + b"a" * 2500
    assert _send(server.grpc_address, over) == grpc.StatusCode.RESOURCE_EXHAUSTED
    # Under the limit the handler runs: an empty batch is its own INVALID_ARGUMENT.
    assert _send(server.grpc_address, under) == grpc.StatusCode.INVALID_ARGUMENT
    assert server.http_address is not None
    for size, expected in ((3001, 413), (2990, 400)):
        body = b'{"records": []' + b" " * (size - 15) + b"}"
        assert len(body) == size
        head = (
            f"POST {BATCH_PATH} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"Authorization: {bearer('ingest')['Authorization']}\r\nContent-Length: {size}\r\n\r\n"
        )
        response = raw_http(server.http_address, head.encode() + body)
        assert status_of(response) == expected, response[:300]
