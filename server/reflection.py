"""Server reflection over the default descriptor pool, able to resolve method names too.

The upb descriptor pool cannot find the file of a method symbol
(`cavra.recovery.v1.EvidenceService.RecordRetryExecution`), which `grpcurl describe` asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from grpc_reflection.v1alpha import reflection


class MethodAwarePool:
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


def enable_reflection(service_names: Sequence[str], server: grpc.aio.Server) -> None:
    reflection.enable_server_reflection(
        (*service_names, reflection.SERVICE_NAME),
        server,
        pool=MethodAwarePool(descriptor_pool.Default()),  # type: ignore[arg-type]  # duck-typed pool
    )
