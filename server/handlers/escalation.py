"""EscalationService: the plan RPCs and the delivery RPCs, kept in two modules, served as one service."""

from __future__ import annotations

from cavra.recovery.v1 import escalation_pb2_grpc
from cavra_recovery.server.handlers.escalation_delivery import EscalationDeliveryHandlers
from cavra_recovery.server.handlers.escalation_plans import EscalationPlanHandlers
from cavra_recovery.server.services import ServiceDependencies


class EscalationHandler(
    EscalationPlanHandlers, EscalationDeliveryHandlers, escalation_pb2_grpc.EscalationServiceServicer
):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        EscalationPlanHandlers.__init__(self, dependencies)
        EscalationDeliveryHandlers.__init__(self, dependencies)
