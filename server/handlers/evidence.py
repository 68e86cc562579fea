"""EvidenceService: intake of retry executions, playbooks and closures."""

from __future__ import annotations

from cavra.recovery.v1 import evidence_pb2_grpc
from server.services import ServiceDependencies


class EvidenceHandler(evidence_pb2_grpc.EvidenceServiceServicer):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies
