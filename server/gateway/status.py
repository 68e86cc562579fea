"""google.rpc.Status as the HTTP error body, with grpc-gateway's gRPC -> HTTP status table."""

from __future__ import annotations

import math
from typing import Any

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2

from cavra_recovery.server.gateway.transcode import message_json

# runtime.HTTPStatusFromCode of grpc-gateway v2, code for code.
HTTP_STATUS_BY_CODE: dict[int, int] = {
    code_pb2.OK: 200,
    code_pb2.CANCELLED: 499,
    code_pb2.UNKNOWN: 500,
    code_pb2.INVALID_ARGUMENT: 400,
    code_pb2.DEADLINE_EXCEEDED: 504,
    code_pb2.NOT_FOUND: 404,
    code_pb2.ALREADY_EXISTS: 409,
    code_pb2.PERMISSION_DENIED: 403,
    code_pb2.UNAUTHENTICATED: 401,
    code_pb2.RESOURCE_EXHAUSTED: 429,
    # Deliberately not 412, as in grpc-gateway and the google.rpc.Code documentation.
    code_pb2.FAILED_PRECONDITION: 400,
    code_pb2.ABORTED: 409,
    code_pb2.OUT_OF_RANGE: 400,
    code_pb2.UNIMPLEMENTED: 501,
    code_pb2.INTERNAL: 500,
    code_pb2.UNAVAILABLE: 503,
    code_pb2.DATA_LOSS: 500,
}

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def http_status_from_code(code: int) -> int:
    return HTTP_STATUS_BY_CODE.get(code, 500)


def status_body(status: status_pb2.Status) -> bytes:
    return message_json(status)


def status_from_rpc_error(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The rich status the server sent (ErrorInfo, BadRequest details), else code and message."""
    code = error.code().value[0]
    trailing: Any = error.trailing_metadata() or ()
    for key, value in trailing:
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            rich = status_pb2.Status.FromString(value)
            if rich.code == code:
                return rich
    return status_pb2.Status(code=code, message=error.details() or "")


def retry_after_seconds(status: status_pb2.Status) -> int | None:
    """Whole seconds of the status's google.rpc.RetryInfo (at least 1), for a `Retry-After` header."""
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            delay: float = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
            return max(1, math.ceil(delay))
    return None
