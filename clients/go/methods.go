package recovery

import (
	"context"

	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
)

// RecordRetryExecution records one retry execution (idempotent by execution_id).
func (c *Client) RecordRetryExecution(ctx context.Context, execution *RetryExecution, opts ...WriteOption) (*RecordRetryExecutionResponse, error) {
	req := &recoveryv1.RecordRetryExecutionRequest{RetryExecution: execution}
	applyWriteOptions(req, opts)
	return c.evidence.RecordRetryExecution(ctx, req)
}

// RecordPlaybook records one connector recovery playbook (idempotent by playbook_id).
func (c *Client) RecordPlaybook(ctx context.Context, playbook *ConnectorRecoveryPlaybook, opts ...WriteOption) (*RecordConnectorRecoveryPlaybookResponse, error) {
	req := &recoveryv1.RecordConnectorRecoveryPlaybookRequest{Playbook: playbook}
	applyWriteOptions(req, opts)
	return c.evidence.RecordConnectorRecoveryPlaybook(ctx, req)
}

// RecordClosure records one recovery closure of the stored playbook closure.PlaybookId.
func (c *Client) RecordClosure(ctx context.Context, closure *RecoveryClosure, opts ...WriteOption) (*RecordRecoveryClosureResponse, error) {
	req := &recoveryv1.RecordRecoveryClosureRequest{PlaybookId: closure.GetPlaybookId(), Closure: closure}
	applyWriteOptions(req, opts)
	return c.evidence.RecordRecoveryClosure(ctx, req)
}

// BatchRecordEvidence records up to 5,000 records of any kind in one all-or-nothing transaction.
// Options go in BatchRecordEvidenceWith, since the records are variadic here.
func (c *Client) BatchRecordEvidence(ctx context.Context, records ...*EvidenceRecord) (*BatchRecordEvidenceResponse, error) {
	return c.BatchRecordEvidenceWith(ctx, records)
}

// BatchRecordEvidenceWith is BatchRecordEvidence with write options (WithRequestID, UsedRequestID).
func (c *Client) BatchRecordEvidenceWith(ctx context.Context, records []*EvidenceRecord, opts ...WriteOption) (*BatchRecordEvidenceResponse, error) {
	req := &recoveryv1.BatchRecordEvidenceRequest{Records: records}
	applyWriteOptions(req, opts)
	return c.evidence.BatchRecordEvidence(ctx, req)
}

// RetryExecutionRecord wraps a retry execution for BatchRecordEvidence.
func RetryExecutionRecord(execution *RetryExecution) *EvidenceRecord {
	return &EvidenceRecord{Record: &recoveryv1.EvidenceRecord_RetryExecution{RetryExecution: execution}}
}

// PlaybookRecord wraps a playbook for BatchRecordEvidence.
func PlaybookRecord(playbook *ConnectorRecoveryPlaybook) *EvidenceRecord {
	return &EvidenceRecord{Record: &recoveryv1.EvidenceRecord_Playbook{Playbook: playbook}}
}

// ClosureRecord wraps a closure for BatchRecordEvidence.
func ClosureRecord(closure *RecoveryClosure) *EvidenceRecord {
	return &EvidenceRecord{Record: &recoveryv1.EvidenceRecord_Closure{Closure: closure}}
}

// CreatePlan builds and stores a recovery escalation plan (req may be nil for the defaults).
func (c *Client) CreatePlan(ctx context.Context, req *CreateRecoveryEscalationPlanRequest, opts ...WriteOption) (*RecoveryEscalationPlan, error) {
	if req == nil {
		req = &CreateRecoveryEscalationPlanRequest{}
	}
	applyWriteOptions(req, opts)
	resp, err := c.escalation.CreateRecoveryEscalationPlan(ctx, req)
	return resp.GetPlan(), err
}

// GetPlan returns a stored plan; an unknown id is a NOT_FOUND *Error.
func (c *Client) GetPlan(ctx context.Context, planID string) (*RecoveryEscalationPlan, error) {
	resp, err := c.escalation.GetRecoveryEscalationPlan(ctx, &recoveryv1.GetRecoveryEscalationPlanRequest{PlanId: planID})
	return resp.GetPlan(), err
}

// ListPlans lists stored plans, newest first (req may be nil for the first page).
func (c *Client) ListPlans(ctx context.Context, req *ListRecoveryEscalationPlansRequest) (*ListRecoveryEscalationPlansResponse, error) {
	if req == nil {
		req = &ListRecoveryEscalationPlansRequest{}
	}
	return c.escalation.ListRecoveryEscalationPlans(ctx, req)
}

// Deliver sends a plan's notifications to its receivers. A failing receiver is a normal response
// with Success false; set DryRun to build and record without sending.
func (c *Client) Deliver(ctx context.Context, req *DeliverRecoveryEscalationRequest, opts ...WriteOption) (*DeliverRecoveryEscalationResponse, error) {
	applyWriteOptions(req, opts)
	return c.escalation.DeliverRecoveryEscalation(ctx, req)
}

// Acknowledge records an acknowledgement of a plan's escalation for one provider.
func (c *Client) Acknowledge(ctx context.Context, req *AcknowledgeRecoveryEscalationRequest, opts ...WriteOption) (*RecoveryEscalationAcknowledgement, error) {
	applyWriteOptions(req, opts)
	resp, err := c.escalation.AcknowledgeRecoveryEscalation(ctx, req)
	return resp.GetAcknowledgement(), err
}

// RetryRecoveryReport computes (or, with ReportId, fetches) the retry-recovery SLO report.
func (c *Client) RetryRecoveryReport(ctx context.Context, req *GetRetryRecoveryReportRequest) (*RetryRecoveryReport, error) {
	if req == nil {
		req = &GetRetryRecoveryReportRequest{}
	}
	resp, err := c.reports.GetRetryRecoveryReport(ctx, req)
	return resp.GetReport(), err
}

// ExecutiveReport builds (or, with ReportId, fetches) the executive recovery report.
func (c *Client) ExecutiveReport(ctx context.Context, req *GetRecoveryExecutiveReportRequest) (*RecoveryExecutiveReport, error) {
	if req == nil {
		req = &GetRecoveryExecutiveReportRequest{}
	}
	resp, err := c.reports.GetRecoveryExecutiveReport(ctx, req)
	return resp.GetReport(), err
}

// Dashboard returns the rollback drill dashboard counts.
func (c *Client) Dashboard(ctx context.Context) (*GetRollbackDrillDashboardResponse, error) {
	return c.reports.GetRollbackDrillDashboard(ctx, &recoveryv1.GetRollbackDrillDashboardRequest{})
}
