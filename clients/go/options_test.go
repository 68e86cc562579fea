package recovery

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
)

// methodConfig is the part of a service config these tests read.
type methodConfig struct {
	Name         []map[string]string `json:"name"`
	WaitForReady bool                `json:"waitForReady"`
	RetryPolicy  *struct {
		MaxAttempts          int      `json:"maxAttempts"`
		RetryableStatusCodes []string `json:"retryableStatusCodes"`
	} `json:"retryPolicy"`
}

func parseServiceConfig(t *testing.T, config string) []methodConfig {
	t.Helper()
	var parsed struct {
		MethodConfig []methodConfig `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(config), &parsed); err != nil {
		t.Fatal(err)
	}
	return parsed.MethodConfig
}

func namedMethods(config methodConfig) []string {
	var names []string
	for _, name := range config.Name {
		names = append(names, "/"+name["service"]+"/"+name["method"])
	}
	return names
}

func TestReadsAndWritesAreSplitByRequestID(t *testing.T) {
	t.Parallel()
	reads, writes := ReadMethods(), WriteMethods()
	for _, read := range []string{
		"/cavra.recovery.v1.EscalationService/GetRecoveryEscalationPlan",
		"/cavra.recovery.v1.EvidenceService/ListRetryExecutions",
		"/cavra.recovery.v1.ReportService/GetRollbackDrillDashboard",
	} {
		if !slices.Contains(reads, read) || slices.Contains(writes, read) {
			t.Errorf("%s is not a read method only", read)
		}
	}
	for _, write := range []string{
		"/cavra.recovery.v1.EscalationService/CreateRecoveryEscalationPlan",
		"/cavra.recovery.v1.EscalationService/DeliverRecoveryEscalation",
		"/cavra.recovery.v1.EvidenceService/RecordRetryExecution",
		"/cavra.recovery.v1.EvidenceService/BatchRecordEvidence",
	} {
		if !slices.Contains(writes, write) || slices.Contains(reads, write) {
			t.Errorf("%s is not a write method only", write)
		}
	}
	rpcs := 0
	for _, file := range services {
		for i := 0; i < file.Services().Len(); i++ {
			rpcs += file.Services().Get(i).Methods().Len()
		}
	}
	if len(reads)+len(writes) != rpcs {
		t.Errorf("%d reads + %d writes, want every one of the %d RPCs", len(reads), len(writes), rpcs)
	}
}

func TestDefaultServiceConfigRetriesReadsAndWritesOnUnavailableOnly(t *testing.T) {
	t.Parallel()
	configs := parseServiceConfig(t, DefaultServiceConfig())
	if len(configs) != 1 {
		t.Fatalf("service config = %s, want one methodConfig", DefaultServiceConfig())
	}
	config := configs[0]
	want := append(ReadMethods(), WriteMethods()...)
	if got := namedMethods(config); !slices.Equal(got, want) {
		t.Errorf("methodConfig names %v, want every read and write %v", got, want)
	}
	if !config.WaitForReady || config.RetryPolicy == nil ||
		config.RetryPolicy.MaxAttempts != DefaultRetryPolicy.MaxAttempts ||
		!slices.Equal(config.RetryPolicy.RetryableStatusCodes, []string{"UNAVAILABLE"}) {
		t.Errorf("service config = %s", DefaultServiceConfig())
	}
}

func TestReadServiceConfigStillCoversOnlyReads(t *testing.T) {
	t.Parallel()
	configs := parseServiceConfig(t, ReadServiceConfig(DefaultRetryPolicy, true))
	if len(configs) != 1 || !slices.Equal(namedMethods(configs[0]), ReadMethods()) {
		t.Errorf("ReadServiceConfig = %s, want the read methods only", ReadServiceConfig(DefaultRetryPolicy, true))
	}
}

func TestWithReadRetryIsWithRetry(t *testing.T) {
	t.Parallel()
	policy := RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: 2 * time.Second, BackoffMultiplier: 1.5}
	var viaRetry, viaReadRetry settings
	WithRetry(policy)(&viaRetry)
	WithReadRetry(policy)(&viaReadRetry) //nolint:staticcheck // the deprecated alias is what is tested
	if viaRetry.retry != policy || viaReadRetry.retry != policy {
		t.Errorf("WithRetry gave %+v, WithReadRetry gave %+v, want %+v", viaRetry.retry, viaReadRetry.retry, policy)
	}
}

func TestSingleAttemptPolicyHasNoRetryPolicy(t *testing.T) {
	t.Parallel()
	configs := parseServiceConfig(t, ServiceConfig(RetryPolicy{MaxAttempts: 1}, false))
	if len(configs) != 1 || configs[0].RetryPolicy != nil || configs[0].WaitForReady {
		t.Errorf("ServiceConfig(MaxAttempts 1, no wait) = %s", ServiceConfig(RetryPolicy{MaxAttempts: 1}, false))
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
