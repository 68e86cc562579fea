"""EscalationService plan RPCs: create, get and list recovery escalation plans."""

from __future__ import annotations

from server.services import ServiceDependencies


class EscalationPlanHandlers:
    def __init__(self, dependencies: ServiceDependencies) -> None:
        self._deps = dependencies
