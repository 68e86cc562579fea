"""Decode the google.rpc.Status details of a failed call."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class RichError:
    code: grpc.StatusCode
    message: str
    error_infos: list[error_details_pb2.ErrorInfo]
    field_violations: list[error_details_pb2.BadRequest.FieldViolation]

    @property
    def fields(self) -> list[str]:
        return [v.field for v in self.field_violations]


def rich_error(error: grpc.RpcError) -> RichError:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, f"no google.rpc.Status on {error}"
    infos: list[error_details_pb2.ErrorInfo] = []
    violations: list[error_details_pb2.BadRequest.FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(bad_request.field_violations)
    return RichError(error.code(), status.message, infos, violations)  # type: ignore[attr-defined]
