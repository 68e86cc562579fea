package recovery_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/grpc/codes"
)

func TestEvidenceTrailLinksThePlanToItsDeliveryAndExecutiveReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	receiver, received := startReceiver(t)
	server := startServer(t, "127.0.0.1:0", filepath.Join(dir, "db.sqlite"),
		writeWebhookConfig(t, dir, receiver.URL+"/cavra"))
	client := dial(t, server.Address)
	ctx := context.Background()
	recordEvidence(t, ctx, client, "trail")

	plan, err := client.CreatePlan(ctx, &recovery.CreateRecoveryEscalationPlanRequest{GeneratedBy: "go-sdk-trail"})
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	delivered, err := client.Deliver(ctx, &recovery.DeliverRecoveryEscalationRequest{PlanId: plan.GetPlanId()})
	if err != nil || !delivered.GetSuccess() {
		t.Fatalf("Deliver = %v, %v", delivered, err)
	}
	select {
	case <-received:
	case <-time.After(30 * time.Second):
		t.Fatal("the local webhook receiver got no request")
	}
	report, err := client.ExecutiveReport(ctx, &recovery.GetRecoveryExecutiveReportRequest{GeneratedBy: "go-sdk-trail"})
	if err != nil {
		t.Fatalf("ExecutiveReport: %v", err)
	}

	trail, err := client.EvidenceTrail(ctx, plan.GetPlanId())
	if err != nil {
		t.Fatalf("EvidenceTrail: %v", err)
	}
	if trail.GetPlan().GetPlanId() != plan.GetPlanId() || trail.GetRecoveryReport().GetReportId() != plan.GetRecoveryReportId() {
		t.Errorf("trail plan/report = %v / %v", trail.GetPlan(), trail.GetRecoveryReport())
	}
	deliveries := trail.GetDeliveries()
	if len(deliveries) != 1 || deliveries[0].GetDeliveryId() != delivered.GetResults()[0].GetDeliveryId() ||
		deliveries[0].GetState() != recoveryv1.DeliveryState_DELIVERY_STATE_DELIVERED || len(deliveries[0].GetAttempts()) != 1 {
		t.Errorf("trail deliveries = %v", deliveries)
	}
	reports := trail.GetExecutiveReports()
	if len(reports) != 1 || reports[0].GetReportId() != report.GetReportId() {
		t.Errorf("trail executive reports = %v, want %s", reports, report.GetReportId())
	}
	if strings.Contains(trail.String(), receiver.URL) {
		t.Error("the trail names the receiver URL")
	}

	receivers, err := client.ListReceivers(ctx, nil)
	if err != nil || len(receivers.GetReceivers()) != 1 || receivers.GetReceivers()[0].GetName() != "local-webhook" ||
		!receivers.GetReceivers()[0].GetIsDefault() {
		t.Fatalf("ListReceivers = %v, %v", receivers, err)
	}
	listed, err := client.ListExecutiveReports(ctx, &recovery.ListRecoveryExecutiveReportsRequest{PlanId: plan.GetPlanId()})
	if err != nil || len(listed.GetReports()) != 1 {
		t.Fatalf("ListExecutiveReports = %v, %v", listed, err)
	}
	slo, err := client.ListRetryRecoveryReports(ctx, &recovery.ListRetryRecoveryReportsRequest{PlanId: plan.GetPlanId()})
	if err != nil || len(slo.GetReports()) != 1 || slo.GetReports()[0].GetReportId() != plan.GetRecoveryReportId() {
		t.Fatalf("ListRetryRecoveryReports = %v, %v", slo, err)
	}
	acks, err := client.ListAcknowledgements(ctx, &recovery.ListRecoveryEscalationAcknowledgementsRequest{PlanId: plan.GetPlanId()})
	if err != nil || len(acks.GetAcknowledgements()) != 0 {
		t.Fatalf("ListAcknowledgements = %v, %v", acks, err)
	}

	if _, err := client.EvidenceTrail(ctx, "plan-that-does-not-exist"); !recovery.IsCode(err, codes.NotFound) {
		t.Errorf("EvidenceTrail of an unknown plan: %v, want NOT_FOUND", err)
	}
}
