package recovery_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
)

// Every mutating SDK method takes WithRequestID and reports the request_id it sent through
// UsedRequestID, so a caller can resend a write (even from another process) and get the first answer.
func TestWritesTakeAnExplicitRequestIDAndExposeTheOneUsed(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "db.sqlite"), "")
	client := dial(t, server.Address)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var filled string
	if _, err := client.RecordRetryExecution(ctx, failedExecution("ex-rid-1"), recovery.UsedRequestID(&filled)); err != nil {
		t.Fatal(err)
	}
	if !uuidV4.MatchString(filled) {
		t.Fatalf("the SDK filled request_id %q, want a version 4 UUID", filled)
	}

	var used string
	first, err := client.CreatePlan(ctx, nil, recovery.WithRequestID("plan-rid-1"), recovery.UsedRequestID(&used))
	if err != nil {
		t.Fatal(err)
	}
	if used != "plan-rid-1" {
		t.Fatalf("UsedRequestID = %q, want the one given", used)
	}
	// A new execution changes what a new plan would hold; the same request_id still answers the first plan.
	if _, err := client.BatchRecordEvidenceWith(ctx, []*recovery.EvidenceRecord{
		recovery.RetryExecutionRecord(failedExecution("ex-rid-2")),
	}, recovery.WithRequestID("batch-rid-1")); err != nil {
		t.Fatal(err)
	}
	again, err := client.CreatePlan(ctx, nil, recovery.WithRequestID(used))
	if err != nil {
		t.Fatal(err)
	}
	if again.GetPlanId() != first.GetPlanId() {
		t.Fatalf("resent request_id gave plan %s, want the first answer %s", again.GetPlanId(), first.GetPlanId())
	}
	fresh, err := client.CreatePlan(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.GetPlanId() == first.GetPlanId() {
		t.Fatal("a call without a request_id must get a fresh one and a new plan")
	}
}
