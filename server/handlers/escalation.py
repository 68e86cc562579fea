"""EscalationService: plan, delivery, evidence-trail and policy RPCs in their own modules, one service."""

from __future__ import annotations

from cavra.recovery.v1 import escalation_pb2_grpc
from cavra_recovery.server.handlers.escalation_delivery import EscalationDeliveryHandlers
from cavra_recovery.server.handlers.escalation_plans import EscalationPlanHandlers
from cavra_recovery.server.handlers.escalation_policies import EscalationPolicyHandlers
from cavra_recovery.server.handlers.trail import EvidenceTrailHandlers
from cavra_recovery.server.services import ServiceDependencies


class EscalationHandler(
    EscalationPlanHandlers,
    EscalationDeliveryHandlers,
    EvidenceTrailHandlers,
    EscalationPolicyHandlers,
    escalation_pb2_grpc.EscalationServiceServicer,
):
    def __init__(self, dependencies: ServiceDependencies) -> None:
        EscalationPlanHandlers.__init__(self, dependencies)
        EscalationDeliveryHandlers.__init__(self, dependencies)
        EvidenceTrailHandlers.__init__(self, dependencies)
        EscalationPolicyHandlers.__init__(self, dependencies)
