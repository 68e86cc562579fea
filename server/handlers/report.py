"""ReportService: SLO report, executive report, rendering, dashboard and schedule runs."""

from __future__ import annotations

from cavra.recovery.v1 import report_pb2_grpc
from server.handlers.report_delivery import ReportDeliveryHandlers
from server.services import ServiceDependencies


class ReportHandler(ReportDeliveryHandlers, report_pb2_grpc.ReportServiceServicer):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        ReportDeliveryHandlers.__init__(self, dependencies)
        self._deps = dependencies
