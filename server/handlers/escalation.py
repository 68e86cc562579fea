"""EscalationService: plan, delivery and escalation-policy RPCs, in three modules, served as one service."""

from __future__ import annotations

from cavra.recovery.v1 import escalation_pb2_grpc
from server.handlers.escalation_delivery import EscalationDeliveryHandlers
from server.handlers.escalation_plans import EscalationPlanHandlers
from server.handlers.escalation_policies import EscalationPolicyHandlers
from server.services import ServiceDependencies


class EscalationHandler(
    EscalationPlanHandlers,
    EscalationDeliveryHandlers,
    EscalationPolicyHandlers,
    escalation_pb2_grpc.EscalationServiceServicer,
):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        EscalationPlanHandlers.__init__(self, dependencies)
        EscalationDeliveryHandlers.__init__(self, dependencies)
        EscalationPolicyHandlers.__init__(self, dependencies)
