"""ReportService delivery RPCs: delivering an executive report schedule run through receivers."""

from __future__ import annotations

from server.services import ServiceDependencies


class ReportDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies
