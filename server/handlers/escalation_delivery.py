"""EscalationService delivery RPCs: deliver, acknowledge, retry planning, retry worker, deliveries."""

from __future__ import annotations

from server.services import ServiceDependencies


class EscalationDeliveryHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies
