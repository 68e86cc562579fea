package recovery_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// webhookRequest is what the local receiver saw.
type webhookRequest struct {
	signature string
	body      string
}

// startReceiver is a real HTTP receiver on 127.0.0.1 standing in for an operations webhook.
func startReceiver(t *testing.T) (*httptest.Server, <-chan webhookRequest) {
	t.Helper()
	received := make(chan webhookRequest, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- webhookRequest{signature: r.Header.Get("webhook-signature"), body: string(body)}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	return receiver, received
}

func dial(t *testing.T, address string, opts ...recovery.Option) *recovery.Client {
	t.Helper()
	client, err := recovery.Dial(context.Background(), address, append([]recovery.Option{recovery.WithPlaintext()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// recordEvidence stores a failed slack execution and a six-hour-old playbook (slack open and breached,
// jira resolved), so a 240-minute SLO plan has critical routes.
func recordEvidence(t *testing.T, ctx context.Context, client *recovery.Client, suffix string) string {
	t.Helper()
	now := time.Now().UTC()
	playbookID := "pb-go-" + suffix
	created, err := client.RecordRetryExecution(ctx, &recovery.RetryExecution{
		ExecutionId:     "exec-go-" + suffix,
		Provider:        "slack",
		ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_FAILED,
		ExecutedAt:      timestamppb.New(now.Add(-30 * time.Minute)),
		RunId:           "run-1",
	})
	if err != nil {
		t.Fatalf("RecordRetryExecution: %v", err)
	}
	if !created.GetCreated() || created.GetRetryExecution().GetExecutionId() != "exec-go-"+suffix {
		t.Fatalf("RecordRetryExecution returned %v", created)
	}
	if _, err := client.RecordPlaybook(ctx, &recovery.ConnectorRecoveryPlaybook{
		PlaybookId:  playbookID,
		GeneratedAt: timestamppb.New(now.Add(-6 * time.Hour)),
		Providers: []*recovery.PlaybookProvider{
			{Provider: "slack", FailureCount: 4, StatusCodes: []int32{500}},
			{Provider: "jira", FailureCount: 1, StatusCodes: []int32{429}},
		},
	}); err != nil {
		t.Fatalf("RecordPlaybook: %v", err)
	}
	if _, err := client.RecordClosure(ctx, &recovery.RecoveryClosure{
		ClosureId:    "closure-go-" + suffix,
		PlaybookId:   playbookID,
		Provider:     "jira",
		ClosureState: recoveryv1.ClosureState_CLOSURE_STATE_RESOLVED,
		ClosedBy:     "release-manager",
		ClosedAt:     timestamppb.New(now.Add(-time.Hour)),
	}); err != nil {
		t.Fatalf("RecordClosure: %v", err)
	}
	batch, err := client.BatchRecordEvidence(ctx, recovery.RetryExecutionRecord(&recovery.RetryExecution{
		ExecutionId:     "exec-go-batch-" + suffix,
		Provider:        "jira",
		ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_DELIVERED,
		ExecutedAt:      timestamppb.New(now.Add(-20 * time.Minute)),
		DeliverySuccess: true,
	}))
	if err != nil {
		t.Fatalf("BatchRecordEvidence: %v", err)
	}
	if batch.GetCreatedCount() != 1 {
		t.Fatalf("BatchRecordEvidence created %d records, want 1", batch.GetCreatedCount())
	}
	return playbookID
}

func TestEscalationScenarioRecordsPlansDeliversAndReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	receiver, received := startReceiver(t)
	server := startServer(t, "127.0.0.1:0", filepath.Join(dir, "db.sqlite"),
		writeWebhookConfig(t, dir, receiver.URL+"/cavra"))
	client := dial(t, server.Address)
	ctx := context.Background()

	recordEvidence(t, ctx, client, "scenario")

	createReq := &recovery.CreateRecoveryEscalationPlanRequest{GeneratedBy: "go-sdk-test"}
	plan, err := client.CreatePlan(ctx, createReq)
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	if createReq.GetRequestId() == "" {
		t.Error("CreatePlan did not fill request_id on the request")
	}
	if plan.GetAlertLevel() != recoveryv1.AlertLevel_ALERT_LEVEL_CRITICAL || plan.GetCriticalEscalationCount() < 2 {
		t.Fatalf("plan = %v, want critical with a breached route and a retry-execution route", plan)
	}
	if plan.GetSloBreachedCount() != 1 || plan.GetFailedExecutionCount() != 1 {
		t.Errorf("plan breached=%d failed=%d, want 1 and 1", plan.GetSloBreachedCount(), plan.GetFailedExecutionCount())
	}
	for _, route := range plan.GetEscalationRoutes() {
		if len(route.GetReceivers()) == 0 || route.GetReceivers()[0] != "local-webhook" {
			t.Errorf("route %s/%s receivers = %v, want the default local-webhook", route.GetProvider(),
				route.GetCategory(), route.GetReceivers())
		}
	}

	fetched, err := client.GetPlan(ctx, plan.GetPlanId())
	if err != nil || fetched.GetPlanId() != plan.GetPlanId() {
		t.Fatalf("GetPlan = %v, %v", fetched, err)
	}
	listed, err := client.ListPlans(ctx, nil)
	if err != nil || len(listed.GetPlans()) != 1 || listed.GetPlans()[0].GetPlanId() != plan.GetPlanId() {
		t.Fatalf("ListPlans = %v, %v", listed, err)
	}

	delivered, err := client.Deliver(ctx, &recovery.DeliverRecoveryEscalationRequest{PlanId: plan.GetPlanId()})
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !delivered.GetSuccess() || len(delivered.GetResults()) != 1 {
		t.Fatalf("Deliver = %v, want one successful receiver", delivered)
	}
	result := delivered.GetResults()[0]
	if result.GetReceiver() != "local-webhook" || result.GetState() != recoveryv1.DeliveryState_DELIVERY_STATE_DELIVERED {
		t.Errorf("result = %v, want local-webhook DELIVERED", result)
	}
	select {
	case request := <-received:
		if !strings.HasPrefix(request.signature, "v1,") {
			t.Errorf("webhook-signature = %q, want a Standard Webhooks v1 signature", request.signature)
		}
		if !strings.Contains(request.body, plan.GetPlanId()) {
			t.Errorf("webhook body does not name the plan %s: %s", plan.GetPlanId(), request.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the local webhook receiver got no request")
	}

	report, err := client.ExecutiveReport(ctx, &recovery.GetRecoveryExecutiveReportRequest{GeneratedBy: "go-sdk-test"})
	if err != nil {
		t.Fatalf("ExecutiveReport: %v", err)
	}
	if report.GetStatus() != recoveryv1.AlertLevel_ALERT_LEVEL_CRITICAL ||
		report.GetBusinessImpact() != "Connector recovery requires leadership attention" {
		t.Errorf("report status=%s impact=%q", report.GetStatus(), report.GetBusinessImpact())
	}
	if report.GetEscalationPlanId() == "" || report.GetRecoveryReportId() == "" || len(report.GetKeyRisks()) == 0 {
		t.Errorf("report lacks plan/report links or key risks: %v", report)
	}

	dashboard, err := client.Dashboard(ctx)
	if err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	if dashboard.GetPlaybooks() != 1 || dashboard.GetClosures() != 1 || dashboard.GetDeliveriesOk() != 1 {
		t.Errorf("dashboard = %v, want 1 playbook, 1 closure, 1 delivery ok", dashboard)
	}
}

func TestDryRunDeliveryBuildsWithoutSending(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	receiver, received := startReceiver(t)
	server := startServer(t, "127.0.0.1:0", filepath.Join(dir, "db.sqlite"),
		writeWebhookConfig(t, dir, receiver.URL+"/cavra"))
	client := dial(t, server.Address)
	ctx := context.Background()
	recordEvidence(t, ctx, client, "dry")

	delivered, err := client.Deliver(ctx, &recovery.DeliverRecoveryEscalationRequest{PlanId: "latest", DryRun: true})
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !delivered.GetDryRun() || delivered.GetPlan().GetPlanId() == "" {
		t.Fatalf("Deliver = %v, want a dry run of a fresh plan", delivered)
	}
	for _, result := range delivered.GetResults() {
		if result.GetState() != recoveryv1.DeliveryState_DELIVERY_STATE_DRY_RUN {
			t.Errorf("result %v, want DRY_RUN", result)
		}
	}
	select {
	case request := <-received:
		t.Fatalf("a dry run sent a request: %s", request.body)
	default:
	}
}

func TestValidationErrorExposesFieldViolation(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "db.sqlite"), "")
	client := dial(t, server.Address)

	_, err := client.RecordRetryExecution(context.Background(), &recovery.RetryExecution{
		ExecutionId:     "exec-no-time",
		Provider:        "slack",
		ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_FAILED,
	})
	var rerr *recovery.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v (%T) is not a *recovery.Error", err, err)
	}
	if rerr.Code != codes.InvalidArgument || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %s, want InvalidArgument", rerr.Code)
	}
	if _, ok := rerr.Violation("retry_execution.executed_at"); !ok {
		t.Errorf("no violation of retry_execution.executed_at in %+v", rerr.FieldViolations)
	}
	if rerr.Reason == "" || rerr.Domain == "" {
		t.Errorf("ErrorInfo not decoded: reason=%q domain=%q", rerr.Reason, rerr.Domain)
	}
}

func TestUnknownPlanIsNotFound(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "db.sqlite"), "")
	client := dial(t, server.Address)

	_, err := client.GetPlan(context.Background(), "plan-that-does-not-exist")
	var rerr *recovery.Error
	if !errors.As(err, &rerr) || rerr.Code != codes.NotFound {
		t.Fatalf("GetPlan error = %v, want NOT_FOUND *recovery.Error", err)
	}
	if !recovery.IsCode(err, codes.NotFound) || rerr.Reason == "" {
		t.Errorf("IsCode/Reason: %v reason=%q", recovery.IsCode(err, codes.NotFound), rerr.Reason)
	}
}

func TestReadIsRetriedWhileTheServerRestarts(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "db.sqlite")
	first := startServer(t, "127.0.0.1:0", dbPath, "")
	issued := make(chan struct{}, 1)
	// A user interceptor runs inside the SDK's: it sees each call as it is issued.
	signal := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption,
	) error {
		if strings.HasSuffix(method, "/GetRecoveryEscalationPlan") {
			select {
			case issued <- struct{}{}:
			default:
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	client := dial(t, first.Address, recovery.WithDialOptions(signal))
	ctx := context.Background()
	plan, err := client.CreatePlan(ctx, nil)
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	if _, err := client.GetPlan(ctx, plan.GetPlanId()); err != nil {
		t.Fatalf("GetPlan before restart: %v", err)
	}
	<-issued

	first.Stop()
	type outcome struct {
		plan *recovery.RecoveryEscalationPlan
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := client.GetPlan(ctx, plan.GetPlanId())
		done <- outcome{got, err}
	}()
	<-issued // the read is in flight while nothing listens on the port
	startServer(t, first.Address, dbPath, "")

	got := <-done
	if got.err != nil {
		t.Fatalf("GetPlan across the restart failed: %v", got.err)
	}
	if got.plan.GetPlanId() != plan.GetPlanId() {
		t.Fatalf("GetPlan returned %v", got.plan)
	}
}

// With the defaults a write made while the server is down waits for the connection like a read, and
// is stored once when the server is back.
func TestWriteWaitsForTheServerWhileItRestarts(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "db.sqlite")
	first := startServer(t, "127.0.0.1:0", dbPath, "")
	issued := make(chan struct{}, 1)
	signal := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption,
	) error {
		if strings.HasSuffix(method, "/CreateRecoveryEscalationPlan") {
			issued <- struct{}{}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	client := dial(t, first.Address, recovery.WithDialOptions(signal))
	ctx := context.Background()
	if _, err := client.Dashboard(ctx); err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	first.Stop()

	type outcome struct {
		plan *recovery.RecoveryEscalationPlan
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		plan, err := client.CreatePlan(ctx, &recovery.CreateRecoveryEscalationPlanRequest{GeneratedBy: "restart"})
		done <- outcome{plan, err}
	}()
	<-issued // the write is in flight while nothing listens on the port
	startServer(t, first.Address, dbPath, "")

	got := <-done
	if got.err != nil {
		t.Fatalf("CreatePlan across the restart failed: %v", got.err)
	}
	plans, err := client.ListPlans(ctx, nil)
	if err != nil || len(plans.GetPlans()) != 1 || plans.GetPlans()[0].GetPlanId() != got.plan.GetPlanId() {
		t.Fatalf("ListPlans = %v, %v, want the one plan %s", plans, err, got.plan.GetPlanId())
	}
}

func TestEscalateExampleRecordsPlansDeliversAndPrintsTheReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	receiver, received := startReceiver(t)
	server := startServer(t, "127.0.0.1:0", filepath.Join(dir, "db.sqlite"),
		writeWebhookConfig(t, dir, receiver.URL+"/cavra"))
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "run", "./examples/escalate", "-addr", server.Address, "-send").CombinedOutput()
	if err != nil {
		t.Fatalf("examples/escalate: %v\n%s", err, out)
	}
	for _, want := range []string{"ALERT_LEVEL_CRITICAL", "dry run false): success true", `"business_impact"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("example output lacks %q:\n%s", want, out)
		}
	}
	select {
	case <-received:
	case <-time.After(30 * time.Second):
		t.Fatal("the example's -send delivery never reached the local receiver")
	}
}

func TestBearerTokenAuthenticatesAndRolesAreEnforced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	auth := writeAuthConfig(t, dir, map[string][]string{
		"operator-token-0123456789": {"operator", "ingest"},
		"viewer-token-0123456789":   {"viewer"},
	})
	server := startServerArgs(t, filepath.Join(dir, "db.sqlite"), "--auth-config", auth)
	ctx := context.Background()

	operator := dial(t, server.Address, recovery.WithBearerToken("operator-token-0123456789"))
	plan, err := operator.CreatePlan(ctx, nil)
	if err != nil {
		t.Fatalf("CreatePlan with the operator token: %v", err)
	}

	anonymous := dial(t, server.Address)
	_, err = anonymous.GetPlan(ctx, plan.GetPlanId())
	var rerr *recovery.Error
	if !errors.As(err, &rerr) || rerr.Code != codes.Unauthenticated || rerr.Reason == "" {
		t.Errorf("GetPlan without a token = %v, want UNAUTHENTICATED with a reason", err)
	}

	viewer := dial(t, server.Address, recovery.WithBearerToken("viewer-token-0123456789"))
	if _, err := viewer.GetPlan(ctx, plan.GetPlanId()); err != nil {
		t.Errorf("GetPlan with the viewer token: %v", err)
	}
	_, err = viewer.CreatePlan(ctx, nil)
	if !errors.As(err, &rerr) || rerr.Code != codes.PermissionDenied || rerr.Metadata["method"] != "CreateRecoveryEscalationPlan" {
		t.Errorf("CreatePlan with the viewer token = %#v, want PERMISSION_DENIED naming the method", err)
	}
	if strings.Contains(server.Log(), "viewer-token-0123456789") {
		t.Error("the server logged a bearer token")
	}
}
