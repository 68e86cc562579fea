package recovery

import (
	"context"

	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
)

// EvidenceTrail returns everything that followed from a plan (its SLO report, deliveries with
// attempts, acknowledgements, retry decisions, executive reports) as ids, states and times; an
// unknown plan is a NOT_FOUND *Error.
func (c *Client) EvidenceTrail(ctx context.Context, planID string) (*RecoveryEvidenceTrail, error) {
	resp, err := c.escalation.GetRecoveryEvidenceTrail(ctx, &recoveryv1.GetRecoveryEvidenceTrailRequest{PlanId: planID})
	return resp.GetTrail(), err
}

// ListReceivers lists the configured receivers and the routing rules, never URLs or credentials
// (req may be nil for the first page).
func (c *Client) ListReceivers(ctx context.Context, req *ListEscalationReceiversRequest) (*ListEscalationReceiversResponse, error) {
	if req == nil {
		req = &ListEscalationReceiversRequest{}
	}
	return c.escalation.ListEscalationReceivers(ctx, req)
}

// ListAcknowledgements lists acknowledgements, newest first, by plan and provider (req may be nil).
func (c *Client) ListAcknowledgements(ctx context.Context, req *ListRecoveryEscalationAcknowledgementsRequest) (*ListRecoveryEscalationAcknowledgementsResponse, error) {
	if req == nil {
		req = &ListRecoveryEscalationAcknowledgementsRequest{}
	}
	return c.escalation.ListRecoveryEscalationAcknowledgements(ctx, req)
}

// ListRetryRecoveryReports lists stored SLO reports, newest first, by time and linked plan (req may be nil).
func (c *Client) ListRetryRecoveryReports(ctx context.Context, req *ListRetryRecoveryReportsRequest) (*ListRetryRecoveryReportsResponse, error) {
	if req == nil {
		req = &ListRetryRecoveryReportsRequest{}
	}
	return c.reports.ListRetryRecoveryReports(ctx, req)
}

// ListExecutiveReports lists stored executive reports, newest first, by time and linked plan (req may be nil).
func (c *Client) ListExecutiveReports(ctx context.Context, req *ListRecoveryExecutiveReportsRequest) (*ListRecoveryExecutiveReportsResponse, error) {
	if req == nil {
		req = &ListRecoveryExecutiveReportsRequest{}
	}
	return c.reports.ListRecoveryExecutiveReports(ctx, req)
}

// Aliases of the evidence-trail messages.
type (
	RecoveryEvidenceTrail                          = recoveryv1.RecoveryEvidenceTrail
	ListEscalationReceiversRequest                 = recoveryv1.ListEscalationReceiversRequest
	ListEscalationReceiversResponse                = recoveryv1.ListEscalationReceiversResponse
	ListRecoveryEscalationAcknowledgementsRequest  = recoveryv1.ListRecoveryEscalationAcknowledgementsRequest
	ListRecoveryEscalationAcknowledgementsResponse = recoveryv1.ListRecoveryEscalationAcknowledgementsResponse
	ListRetryRecoveryReportsRequest                = recoveryv1.ListRetryRecoveryReportsRequest
	ListRetryRecoveryReportsResponse               = recoveryv1.ListRetryRecoveryReportsResponse
	ListRecoveryExecutiveReportsRequest            = recoveryv1.ListRecoveryExecutiveReportsRequest
	ListRecoveryExecutiveReportsResponse           = recoveryv1.ListRecoveryExecutiveReportsResponse
)
