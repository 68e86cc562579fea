"""What this server is: its package version, the API contract it implements, and what it runs on.

Read once (the installed distribution's metadata) and reported by GetRollbackDrillDashboard, so an
operator or a client can tell which release answered.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import cache
from importlib import metadata

import grpc
from google import protobuf

from cavra.recovery.v1 import common_pb2

DISTRIBUTION = "cavra-recovery"


@dataclass(frozen=True, slots=True)
class BuildInfo:
    service_version: str
    contract: str
    server_build: str


@cache
def current_build() -> BuildInfo:
    version = metadata.version(DISTRIBUTION)
    return BuildInfo(
        service_version=version,
        contract=common_pb2.DESCRIPTOR.package,
        server_build=(
            f"{DISTRIBUTION} {version}; Python {platform.python_version()}; grpcio {grpc.__version__}; "
            f"protobuf {protobuf.__version__}"
        ),
    )
