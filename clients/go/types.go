package recovery

import recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"

// Aliases of the generated messages callers use most, so `recovery.RetryExecution` needs no second import.
type (
	RetryExecution            = recoveryv1.RetryExecution
	ConnectorRecoveryPlaybook = recoveryv1.ConnectorRecoveryPlaybook
	PlaybookProvider          = recoveryv1.PlaybookProvider
	RecoveryClosure           = recoveryv1.RecoveryClosure
	EvidenceRecord            = recoveryv1.EvidenceRecord

	RecoveryEscalationPlan  = recoveryv1.RecoveryEscalationPlan
	EscalationRoute         = recoveryv1.EscalationRoute
	RetryRecoveryReport     = recoveryv1.RetryRecoveryReport
	RecoveryExecutiveReport = recoveryv1.RecoveryExecutiveReport
	Delivery                = recoveryv1.Delivery
	ReceiverDeliveryResult  = recoveryv1.ReceiverDeliveryResult

	RecordRetryExecutionResponse            = recoveryv1.RecordRetryExecutionResponse
	RecordConnectorRecoveryPlaybookResponse = recoveryv1.RecordConnectorRecoveryPlaybookResponse
	RecordRecoveryClosureResponse           = recoveryv1.RecordRecoveryClosureResponse
	BatchRecordEvidenceResponse             = recoveryv1.BatchRecordEvidenceResponse
	CreateRecoveryEscalationPlanRequest     = recoveryv1.CreateRecoveryEscalationPlanRequest
	ListRecoveryEscalationPlansRequest      = recoveryv1.ListRecoveryEscalationPlansRequest
	ListRecoveryEscalationPlansResponse     = recoveryv1.ListRecoveryEscalationPlansResponse
	DeliverRecoveryEscalationRequest        = recoveryv1.DeliverRecoveryEscalationRequest
	DeliverRecoveryEscalationResponse       = recoveryv1.DeliverRecoveryEscalationResponse
	AcknowledgeRecoveryEscalationRequest    = recoveryv1.AcknowledgeRecoveryEscalationRequest
	RecoveryEscalationAcknowledgement       = recoveryv1.RecoveryEscalationAcknowledgement
	GetRetryRecoveryReportRequest           = recoveryv1.GetRetryRecoveryReportRequest
	GetRecoveryExecutiveReportRequest       = recoveryv1.GetRecoveryExecutiveReportRequest
	GetRollbackDrillDashboardResponse       = recoveryv1.GetRollbackDrillDashboardResponse

	EvidenceServiceClient   = recoveryv1.EvidenceServiceClient
	EscalationServiceClient = recoveryv1.EscalationServiceClient
	ReportServiceClient     = recoveryv1.ReportServiceClient
)
