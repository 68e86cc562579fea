"""Server reflection (`grpc.reflection.v1` and `v1alpha`) serving our protos with their comments.

- Both versions: grpcurl and current tools ask `v1` first; older ones only know `v1alpha`. The two
  protos differ only in their package, so one servicer with the `v1alpha` messages answers both.
- Comments: the stubs' embedded descriptors carry no source info, so `grpcurl describe` would show no
  proto comment. `make generate` writes `descriptor_set.binpb` (our files, with source info) beside
  the stubs; a file found there is served from it, any other (googleapis, well-known types) from the
  descriptor pool.
- Method names: the upb descriptor pool cannot find the file of a method symbol
  (`cavra.recovery.v1.EvidenceService.RecordRetryExecution`), which `grpcurl describe` asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha._async import ReflectionServicer

SERVICE_NAMES = ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")
DESCRIPTOR_SET = ("cavra.recovery.v1", "descriptor_set.binpb")


@cache
def _files_with_comments() -> dict[str, bytes]:
    """Serialized FileDescriptorProto (with source info) by file name, from the generated set."""
    package, name = DESCRIPTOR_SET
    files = descriptor_pb2.FileDescriptorSet.FromString(resources.files(package).joinpath(name).read_bytes())
    for file in files.file:
        _drop_json_names(file.message_type)
    return {file.name: file.SerializeToString() for file in files.file}


def _drop_json_names(messages: Any) -> None:
    """Serve fields as the stubs' descriptors do, without `json_name`, so grpcurl keeps proto names."""
    for message in messages:
        for field in message.field:
            field.ClearField("json_name")
        _drop_json_names(message.nested_type)


class _MethodAwarePool:
    """Delegates to a descriptor pool; symbol look-ups fall back to method names."""

    def __init__(self, pool: descriptor_pool.DescriptorPool) -> None:
        self._pool = pool

    def FindFileContainingSymbol(self, symbol: str) -> Any:
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            return self._pool.FindMethodByName(symbol).containing_service.file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class _Servicer(ReflectionServicer):
    def __init__(self, service_names: Sequence[str]) -> None:
        super().__init__(service_names, pool=_MethodAwarePool(descriptor_pool.Default()))

    def _file_by_filename(self, request: Any, filename: str) -> Any:
        try:
            return self._files_response(self._pool.FindFileByName(filename), request)
        except KeyError:
            return super()._file_by_filename(request, filename)

    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        try:
            return self._files_response(self._pool.FindFileContainingSymbol(fully_qualified_name), request)
        except KeyError:
            return super()._file_containing_symbol(request, fully_qualified_name)

    @staticmethod
    def _files_response(file: Any, request: Any) -> Any:
        """The file and its transitive dependencies, each with source info where we have it."""
        commented = _files_with_comments()
        seen: dict[str, Any] = {}
        pending = [file]
        while pending:
            current = pending.pop()
            if current.name in seen:
                continue
            seen[current.name] = current
            pending.extend(current.dependencies)
        serialized = []
        for name, descriptor in seen.items():
            if name in commented:
                serialized.append(commented[name])
            else:
                proto = descriptor_pb2.FileDescriptorProto()
                descriptor.CopyToProto(proto)
                serialized.append(proto.SerializeToString())
        return reflection_pb2.ServerReflectionResponse(
            file_descriptor_response=reflection_pb2.FileDescriptorResponse(file_descriptor_proto=serialized),
            original_request=request,
        )


def enable_reflection(service_names: Sequence[str], server: grpc.aio.Server) -> None:
    servicer = _Servicer((*service_names, *SERVICE_NAMES))
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    # grpc.reflection.v1 is wire-identical to v1alpha: same messages, same method, another package.
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE_NAMES[0], {"ServerReflectionInfo": handler}),)
    )
