from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class AlertLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_LEVEL_UNSPECIFIED: _ClassVar[AlertLevel]
    ALERT_LEVEL_HEALTHY: _ClassVar[AlertLevel]
    ALERT_LEVEL_WARNING: _ClassVar[AlertLevel]
    ALERT_LEVEL_CRITICAL: _ClassVar[AlertLevel]

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_DELIVERED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_FAILED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_SKIPPED: _ClassVar[ExecutionStatus]

class ProviderCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_CATEGORY_UNSPECIFIED: _ClassVar[ProviderCategory]
    PROVIDER_CATEGORY_SIEM: _ClassVar[ProviderCategory]
    PROVIDER_CATEGORY_ITSM: _ClassVar[ProviderCategory]
    PROVIDER_CATEGORY_CHATOPS: _ClassVar[ProviderCategory]
    PROVIDER_CATEGORY_WEBHOOK: _ClassVar[ProviderCategory]

class ClosureState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLOSURE_STATE_UNSPECIFIED: _ClassVar[ClosureState]
    CLOSURE_STATE_RESOLVED: _ClassVar[ClosureState]
    CLOSURE_STATE_MITIGATED: _ClassVar[ClosureState]
    CLOSURE_STATE_DEFERRED: _ClassVar[ClosureState]
    CLOSURE_STATE_ESCALATED: _ClassVar[ClosureState]
    CLOSURE_STATE_REOPENED: _ClassVar[ClosureState]

class RecoveryRowStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOVERY_ROW_STATUS_UNSPECIFIED: _ClassVar[RecoveryRowStatus]
    RECOVERY_ROW_STATUS_OPEN: _ClassVar[RecoveryRowStatus]
    RECOVERY_ROW_STATUS_BREACHED: _ClassVar[RecoveryRowStatus]
    RECOVERY_ROW_STATUS_CLOSED: _ClassVar[RecoveryRowStatus]

class RouteCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_CATEGORY_UNSPECIFIED: _ClassVar[RouteCategory]
    ROUTE_CATEGORY_SIEM: _ClassVar[RouteCategory]
    ROUTE_CATEGORY_ITSM: _ClassVar[RouteCategory]
    ROUTE_CATEGORY_CHATOPS: _ClassVar[RouteCategory]
    ROUTE_CATEGORY_WEBHOOK: _ClassVar[RouteCategory]
    ROUTE_CATEGORY_RETRY_EXECUTION: _ClassVar[RouteCategory]

class RouteStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_STATUS_UNSPECIFIED: _ClassVar[RouteStatus]
    ROUTE_STATUS_BREACHED: _ClassVar[RouteStatus]
    ROUTE_STATUS_OPEN: _ClassVar[RouteStatus]
    ROUTE_STATUS_REVIEW_REQUIRED: _ClassVar[RouteStatus]

class DeliveryFailureReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_FAILURE_REASON_UNSPECIFIED: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_AUTH: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_RATE_LIMITED: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_CLIENT_ERROR: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_SERVER_ERROR: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_TIMEOUT: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_NETWORK: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_CONFIGURATION: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_BLOCKED_DESTINATION: _ClassVar[DeliveryFailureReason]
    DELIVERY_FAILURE_REASON_CIRCUIT_OPEN: _ClassVar[DeliveryFailureReason]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_RETRYING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_DEAD_LETTERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_DRY_RUN: _ClassVar[DeliveryState]
    DELIVERY_STATE_SILENCED: _ClassVar[DeliveryState]
    DELIVERY_STATE_INHIBITED: _ClassVar[DeliveryState]

class AcknowledgementState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACKNOWLEDGEMENT_STATE_UNSPECIFIED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_ACCEPTED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_DEFERRED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_ESCALATED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_RESOLVED: _ClassVar[AcknowledgementState]
    ACKNOWLEDGEMENT_STATE_DISMISSED: _ClassVar[AcknowledgementState]

class RetryDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETRY_DECISION_UNSPECIFIED: _ClassVar[RetryDecision]
    RETRY_DECISION_RETRY: _ClassVar[RetryDecision]
    RETRY_DECISION_WAIT: _ClassVar[RetryDecision]
    RETRY_DECISION_SUPPRESS: _ClassVar[RetryDecision]

class EvidenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVIDENCE_KIND_UNSPECIFIED: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_RETRY_EXECUTION: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_CONNECTOR_RECOVERY_PLAYBOOK: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_RECOVERY_CLOSURE: _ClassVar[EvidenceKind]

class ReportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_FORMAT_UNSPECIFIED: _ClassVar[ReportFormat]
    REPORT_FORMAT_MARKDOWN: _ClassVar[ReportFormat]
    REPORT_FORMAT_HTML: _ClassVar[ReportFormat]
ALERT_LEVEL_UNSPECIFIED: AlertLevel
ALERT_LEVEL_HEALTHY: AlertLevel
ALERT_LEVEL_WARNING: AlertLevel
ALERT_LEVEL_CRITICAL: AlertLevel
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_DELIVERED: ExecutionStatus
EXECUTION_STATUS_FAILED: ExecutionStatus
EXECUTION_STATUS_SKIPPED: ExecutionStatus
PROVIDER_CATEGORY_UNSPECIFIED: ProviderCategory
PROVIDER_CATEGORY_SIEM: ProviderCategory
PROVIDER_CATEGORY_ITSM: ProviderCategory
PROVIDER_CATEGORY_CHATOPS: ProviderCategory
PROVIDER_CATEGORY_WEBHOOK: ProviderCategory
CLOSURE_STATE_UNSPECIFIED: ClosureState
CLOSURE_STATE_RESOLVED: ClosureState
CLOSURE_STATE_MITIGATED: ClosureState
CLOSURE_STATE_DEFERRED: ClosureState
CLOSURE_STATE_ESCALATED: ClosureState
CLOSURE_STATE_REOPENED: ClosureState
RECOVERY_ROW_STATUS_UNSPECIFIED: RecoveryRowStatus
RECOVERY_ROW_STATUS_OPEN: RecoveryRowStatus
RECOVERY_ROW_STATUS_BREACHED: RecoveryRowStatus
RECOVERY_ROW_STATUS_CLOSED: RecoveryRowStatus
ROUTE_CATEGORY_UNSPECIFIED: RouteCategory
ROUTE_CATEGORY_SIEM: RouteCategory
ROUTE_CATEGORY_ITSM: RouteCategory
ROUTE_CATEGORY_CHATOPS: RouteCategory
ROUTE_CATEGORY_WEBHOOK: RouteCategory
ROUTE_CATEGORY_RETRY_EXECUTION: RouteCategory
ROUTE_STATUS_UNSPECIFIED: RouteStatus
ROUTE_STATUS_BREACHED: RouteStatus
ROUTE_STATUS_OPEN: RouteStatus
ROUTE_STATUS_REVIEW_REQUIRED: RouteStatus
DELIVERY_FAILURE_REASON_UNSPECIFIED: DeliveryFailureReason
DELIVERY_FAILURE_REASON_AUTH: DeliveryFailureReason
DELIVERY_FAILURE_REASON_RATE_LIMITED: DeliveryFailureReason
DELIVERY_FAILURE_REASON_CLIENT_ERROR: DeliveryFailureReason
DELIVERY_FAILURE_REASON_SERVER_ERROR: DeliveryFailureReason
DELIVERY_FAILURE_REASON_TIMEOUT: DeliveryFailureReason
DELIVERY_FAILURE_REASON_NETWORK: DeliveryFailureReason
DELIVERY_FAILURE_REASON_CONFIGURATION: DeliveryFailureReason
DELIVERY_FAILURE_REASON_BLOCKED_DESTINATION: DeliveryFailureReason
DELIVERY_FAILURE_REASON_CIRCUIT_OPEN: DeliveryFailureReason
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_RETRYING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_DEAD_LETTERED: DeliveryState
DELIVERY_STATE_DRY_RUN: DeliveryState
DELIVERY_STATE_SILENCED: DeliveryState
DELIVERY_STATE_INHIBITED: DeliveryState
ACKNOWLEDGEMENT_STATE_UNSPECIFIED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_ACCEPTED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_DEFERRED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_ESCALATED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_RESOLVED: AcknowledgementState
ACKNOWLEDGEMENT_STATE_DISMISSED: AcknowledgementState
RETRY_DECISION_UNSPECIFIED: RetryDecision
RETRY_DECISION_RETRY: RetryDecision
RETRY_DECISION_WAIT: RetryDecision
RETRY_DECISION_SUPPRESS: RetryDecision
EVIDENCE_KIND_UNSPECIFIED: EvidenceKind
EVIDENCE_KIND_RETRY_EXECUTION: EvidenceKind
EVIDENCE_KIND_CONNECTOR_RECOVERY_PLAYBOOK: EvidenceKind
EVIDENCE_KIND_RECOVERY_CLOSURE: EvidenceKind
REPORT_FORMAT_UNSPECIFIED: ReportFormat
REPORT_FORMAT_MARKDOWN: ReportFormat
REPORT_FORMAT_HTML: ReportFormat
