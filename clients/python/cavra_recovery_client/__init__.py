"""Python SDK for the CAVRA Recovery Escalation Service.

    from cavra_recovery_client import RecoveryClient, RecoveryError, StatusCode, RetryExecution

    with RecoveryClient("127.0.0.1:50051", plaintext=True) as client:
        plan = client.create_recovery_escalation_plan(generated_by="release-bot")

RecoveryClient (blocking) and AsyncRecoveryClient (asyncio) share the defaults: a deadline on every
call, a UUID request_id on mutating calls, reads and writes retried on UNAVAILABLE with backoff
(RetryPolicy; a write is resent with the same request_id, so the server acts once), keepalive pings
the server accepts. Every failure raises RecoveryError (code: StatusCode, message,
reason, domain, metadata, field_violations); callers never need to import grpc.

The messages are the generated ones (package cavra.recovery.v1); the most used are re-exported here.
"""

from cavra.recovery.v1.common_pb2 import (
    AcknowledgementState,
    AlertLevel,
    ClosureState,
    DeliveryState,
    ExecutionStatus,
    ProviderCategory,
    ReportFormat,
)
from cavra.recovery.v1.delivery_pb2 import Delivery, ReceiverDeliveryResult
from cavra.recovery.v1.escalation_pb2 import (
    DeliverRecoveryEscalationResponse,
    EscalationRoute,
    RecoveryEscalationAcknowledgement,
    RecoveryEscalationPlan,
)
from cavra.recovery.v1.evidence_pb2 import (
    ConnectorRecoveryPlaybook,
    EvidenceRecord,
    PlaybookProvider,
    RecoveryClosure,
    RetryExecution,
)
from cavra.recovery.v1.report_pb2 import (
    GetRollbackDrillDashboardResponse,
    RecoveryExecutiveReport,
    RetryRecoveryReport,
)
from cavra_recovery_client._async import AsyncRecoveryClient
from cavra_recovery_client._channel import DEFAULT_TIMEOUT, RetryPolicy
from cavra_recovery_client._errors import FieldViolation, RecoveryError, StatusCode
from cavra_recovery_client._sync import RecoveryClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "AcknowledgementState",
    "AlertLevel",
    "AsyncRecoveryClient",
    "ClosureState",
    "ConnectorRecoveryPlaybook",
    "DeliverRecoveryEscalationResponse",
    "Delivery",
    "DeliveryState",
    "EscalationRoute",
    "EvidenceRecord",
    "ExecutionStatus",
    "FieldViolation",
    "GetRollbackDrillDashboardResponse",
    "PlaybookProvider",
    "ProviderCategory",
    "ReceiverDeliveryResult",
    "RecoveryClient",
    "RecoveryClosure",
    "RecoveryError",
    "RecoveryEscalationAcknowledgement",
    "RecoveryEscalationPlan",
    "RecoveryExecutiveReport",
    "ReportFormat",
    "RetryExecution",
    "RetryPolicy",
    "RetryRecoveryReport",
    "StatusCode",
]
