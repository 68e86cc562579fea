package recovery

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
)

func TestDefaultServiceConfigRetriesOnlyReads(t *testing.T) {
	t.Parallel()
	reads := ReadMethods()
	for _, read := range []string{
		"/cavra.recovery.v1.EscalationService/GetRecoveryEscalationPlan",
		"/cavra.recovery.v1.EvidenceService/ListRetryExecutions",
		"/cavra.recovery.v1.ReportService/GetRollbackDrillDashboard",
	} {
		if !slices.Contains(reads, read) {
			t.Errorf("%s is not a read method", read)
		}
	}
	for _, write := range []string{
		"/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan",
		"/cavra.recovery.v1.EscalationService/DeliverRecoveryEscalation",
		"/cavra.recovery.v1.EvidenceService/RecordRetryExecution",
	} {
		if slices.Contains(reads, write) {
			t.Errorf("%s is retried but is a write", write)
		}
	}
	var config struct {
		MethodConfig []struct {
			Name        []map[string]string `json:"name"`
			RetryPolicy struct {
				RetryableStatusCodes []string `json:"retryableStatusCodes"`
			} `json:"retryPolicy"`
		} `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(DefaultServiceConfig()), &config); err != nil {
		t.Fatal(err)
	}
	if len(config.MethodConfig) != 1 || len(config.MethodConfig[0].Name) != len(reads) ||
		!slices.Equal(config.MethodConfig[0].RetryPolicy.RetryableStatusCodes, []string{"UNAVAILABLE"}) {
		t.Errorf("service config = %s", DefaultServiceConfig())
	}
}

func TestRequestIDIsFilledOnlyWhenEmpty(t *testing.T) {
	t.Parallel()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	req := &recoveryv1.CreateRecoveryEscalationPlanRequest{}
	if !fillRequestID(req) || !uuid.MatchString(req.GetRequestId()) {
		t.Fatalf("request_id = %q, want a UUID v4", req.GetRequestId())
	}
	kept := &recoveryv1.DeliverRecoveryEscalationRequest{RequestId: "mine"}
	fillRequestID(kept)
	if kept.GetRequestId() != "mine" {
		t.Errorf("a caller's request_id was replaced by %q", kept.GetRequestId())
	}
	if fillRequestID(&recoveryv1.GetRecoveryEscalationPlanRequest{}) {
		t.Error("a read request was treated as mutating")
	}
	if newRequestID() == newRequestID() {
		t.Error("two request ids are equal")
	}
}

func TestBearerTokenOverPlaintextOnlyToLoopback(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"127.0.0.1:50051", "localhost:50051", "[::1]:50051", "dns:///localhost:1"} {
		client, err := Dial(context.Background(), target, WithPlaintext(), WithBearerToken("t0ken-value"))
		if err != nil {
			t.Errorf("%s: %v", target, err)
			continue
		}
		_ = client.Close()
	}
	_, err := Dial(context.Background(), "recovery.example.com:443", WithPlaintext(), WithBearerToken("t0ken-value"))
	if err == nil || strings.Contains(err.Error(), "t0ken-value") {
		t.Errorf("plaintext token to a remote host: err = %v, want a refusal that does not echo the token", err)
	}
	client, err := Dial(context.Background(), "recovery.example.com:443", WithPlaintext(),
		WithBearerToken("t0ken-value"), WithInsecureBearerToken())
	if err != nil {
		t.Errorf("WithInsecureBearerToken: %v", err)
	} else {
		_ = client.Close()
	}
}

func TestKeepaliveStaysAboveTheServerPingFloor(t *testing.T) {
	t.Parallel()
	if DefaultKeepalive.Time < minKeepaliveTime || !DefaultKeepalive.PermitWithoutStream {
		t.Errorf("DefaultKeepalive = %+v", DefaultKeepalive)
	}
}
