package recovery_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func failedExecution(id string) *recovery.RetryExecution {
	return &recovery.RetryExecution{
		ExecutionId:     id,
		Provider:        "slack",
		ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_FAILED,
		ExecutedAt:      timestamppb.New(time.Now().Add(-30 * time.Minute).Truncate(time.Second)),
	}
}

// With wait-for-ready off, a write issued while nothing listens fails its first attempt with
// UNAVAILABLE; DefaultRetryPolicy retries it until the new server on the same port answers. The record
// is stored once, under the request_id the SDK filled: that request_id answers the first response.
func TestFailFastWriteIsRetriedByThePolicyUntilTheServerIsBack(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "db.sqlite")
	first := startServer(t, "127.0.0.1:0", dbPath, "")
	counter := newAttemptCounter("/RecordRetryExecution")
	client := dial(t, first.Address, recovery.WithWaitForReady(false),
		recovery.WithDialOptions(fastReconnect, grpc.WithStatsHandler(counter)))
	ctx := context.Background()
	if _, err := client.Dashboard(ctx); err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	first.Stop()

	req := &recoveryv1.RecordRetryExecutionRequest{RetryExecution: failedExecution("exec-go-write-retry")}
	type outcome struct {
		resp *recovery.RecordRetryExecutionResponse
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		resp, err := client.Evidence().RecordRetryExecution(ctx, req)
		done <- outcome{resp, err}
	}()
	if code := <-counter.ended; code != codes.Unavailable {
		t.Fatalf("first attempt with the server down ended with %s, want Unavailable", code)
	}
	startServer(t, first.Address, dbPath, "")

	got := <-done
	if got.err != nil || !got.resp.GetCreated() {
		t.Fatalf("RecordRetryExecution across the restart = %v, %v (attempts %v)", got.resp, got.err, counter.seen())
	}
	attempts := counter.seen()
	if len(attempts) < 2 || len(attempts) > recovery.DefaultRetryPolicy.MaxAttempts || attempts[len(attempts)-1] != codes.OK {
		t.Fatalf("attempts = %v, want 2 to %d, the last OK", attempts, recovery.DefaultRetryPolicy.MaxAttempts)
	}
	for _, code := range attempts[:len(attempts)-1] {
		if code != codes.Unavailable {
			t.Errorf("attempts = %v, want only Unavailable before the success", attempts)
		}
	}
	if !uuidV4.MatchString(req.GetRequestId()) {
		t.Fatalf("request_id = %q, want the UUID v4 the SDK filled", req.GetRequestId())
	}

	listed, err := client.Evidence().ListRetryExecutions(ctx, &recoveryv1.ListRetryExecutionsRequest{})
	if err != nil || len(listed.GetRetryExecutions()) != 1 {
		t.Fatalf("ListRetryExecutions = %v, %v, want the one record", listed, err)
	}
	repeated, err := client.Evidence().RecordRetryExecution(ctx, proto.Clone(req).(*recoveryv1.RecordRetryExecutionRequest))
	if err != nil || !proto.Equal(repeated, got.resp) {
		t.Errorf("the same request_id again = %v, %v, want the first response %v", repeated, err, got.resp)
	}
	fresh, err := client.RecordRetryExecution(ctx, req.GetRetryExecution())
	if err != nil || fresh.GetCreated() {
		t.Errorf("a new request_id = %v, %v, want created false (the record exists)", fresh, err)
	}
}

// The same write with a policy of a single attempt fails with UNAVAILABLE after one attempt: the
// success above is the retry policy's doing.
func TestFailFastWriteWithASingleAttemptFailsWhileTheServerIsDown(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "db.sqlite"), "")
	counter := newAttemptCounter("/RecordRetryExecution")
	client := dial(t, server.Address, recovery.WithWaitForReady(false), recovery.WithRetry(recovery.RetryPolicy{MaxAttempts: 1}),
		recovery.WithDialOptions(grpc.WithStatsHandler(counter)))
	if _, err := client.Dashboard(context.Background()); err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	server.Stop()

	_, err := client.RecordRetryExecution(context.Background(), failedExecution("exec-go-single"))
	if !recovery.IsCode(err, codes.Unavailable) {
		t.Fatalf("RecordRetryExecution with the server down and one attempt = %v, want UNAVAILABLE", err)
	}
	if attempts := counter.seen(); len(attempts) != 1 {
		t.Fatalf("attempts = %v, want exactly one", attempts)
	}
}

func TestWriteRejectedWithInvalidArgumentIsSentOnce(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "db.sqlite"), "")
	counter := newAttemptCounter("/RecordRetryExecution")
	client := dial(t, server.Address, recovery.WithDialOptions(grpc.WithStatsHandler(counter)))

	execution := failedExecution("exec-no-time")
	execution.ExecutedAt = nil
	_, err := client.RecordRetryExecution(context.Background(), execution)
	if !recovery.IsCode(err, codes.InvalidArgument) {
		t.Fatalf("RecordRetryExecution without executed_at = %v, want INVALID_ARGUMENT", err)
	}
	if attempts := counter.seen(); len(attempts) != 1 || attempts[0] != codes.InvalidArgument {
		t.Fatalf("attempts = %v, want one InvalidArgument", attempts)
	}
}

// scriptedEvidence answers RecordRetryExecution and BatchRecordEvidence attempt n with script[n] (the
// last entry repeats) and keeps every request it received.
type scriptedEvidence struct {
	recoveryv1.UnimplementedEvidenceServiceServer
	script   []codes.Code
	mu       sync.Mutex
	received []proto.Message
}

func (s *scriptedEvidence) answer(req proto.Message) error {
	s.mu.Lock()
	s.received = append(s.received, proto.Clone(req))
	code := s.script[min(len(s.received), len(s.script))-1]
	s.mu.Unlock()
	if code == codes.OK {
		return nil
	}
	return status.Error(code, "scripted "+code.String())
}

func (s *scriptedEvidence) RecordRetryExecution(_ context.Context, req *recoveryv1.RecordRetryExecutionRequest) (*recoveryv1.RecordRetryExecutionResponse, error) {
	if err := s.answer(req); err != nil {
		return nil, err
	}
	return &recoveryv1.RecordRetryExecutionResponse{RetryExecution: req.GetRetryExecution(), Created: true}, nil
}

func (s *scriptedEvidence) BatchRecordEvidence(_ context.Context, req *recoveryv1.BatchRecordEvidenceRequest) (*recoveryv1.BatchRecordEvidenceResponse, error) {
	if err := s.answer(req); err != nil {
		return nil, err
	}
	return &recoveryv1.BatchRecordEvidenceResponse{}, nil
}

func (s *scriptedEvidence) requests() []proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]proto.Message(nil), s.received...)
}

// startScripted serves a scriptedEvidence on a free loopback port and dials it with short backoffs:
// what these tests check is which failures are retried and with what, not how long the waits are.
func startScripted(t *testing.T, script ...codes.Code) (*scriptedEvidence, *recovery.Client) {
	t.Helper()
	scripted := &scriptedEvidence{script: script}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	recoveryv1.RegisterEvidenceServiceServer(server, scripted)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	client := dial(t, listener.Addr().String(), recovery.WithRetry(quickRetry))
	return scripted, client
}

var quickRetry = recovery.RetryPolicy{MaxAttempts: 4, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, BackoffMultiplier: 2}

// sameRequestEveryTime checks that n requests arrived, all equal to want (request_id included).
func sameRequestEveryTime(t *testing.T, received []proto.Message, want proto.Message, n int) {
	t.Helper()
	if len(received) != n {
		t.Fatalf("%d attempts arrived, want %d", len(received), n)
	}
	for i, got := range received {
		if !proto.Equal(got, want) {
			t.Errorf("attempt %d sent %v, want the request of the call %v", i+1, got, want)
		}
	}
}

func TestWriteIsResentWithTheSameRequestIDAfterUnavailable(t *testing.T) {
	t.Parallel()
	scripted, client := startScripted(t, codes.Unavailable, codes.Unavailable, codes.OK)
	req := &recoveryv1.RecordRetryExecutionRequest{RetryExecution: failedExecution("exec-go-scripted")}
	resp, err := client.Evidence().RecordRetryExecution(context.Background(), req)
	if err != nil || !resp.GetCreated() {
		t.Fatalf("RecordRetryExecution = %v, %v", resp, err)
	}
	if !uuidV4.MatchString(req.GetRequestId()) {
		t.Fatalf("request_id = %q, want a UUID v4", req.GetRequestId())
	}
	sameRequestEveryTime(t, scripted.requests(), req, 3)
}

// Past gRPC's default retry buffer (256 KiB) a request would be sent once; the SDK keeps up to the
// server's 64 MiB message limit, so a large batch is retried like any write.
func TestLargeBatchIsResentAfterUnavailable(t *testing.T) {
	t.Parallel()
	scripted, client := startScripted(t, codes.Unavailable, codes.OK)
	var records []*recovery.EvidenceRecord
	for i := range 5000 { // the most a batch may hold
		execution := failedExecution(fmt.Sprintf("exec-go-large-batch-%05d", i))
		execution.RunId = fmt.Sprintf("run-2026-11-20-release-train-%05d", i)
		records = append(records, recovery.RetryExecutionRecord(execution))
	}
	req := &recoveryv1.BatchRecordEvidenceRequest{Records: records}
	if size := proto.Size(req); size <= 256<<10 {
		t.Fatalf("the batch is %d bytes, want more than gRPC's default retry buffer", size)
	}
	if _, err := client.Evidence().BatchRecordEvidence(context.Background(), req); err != nil {
		t.Fatalf("BatchRecordEvidence: %v", err)
	}
	sameRequestEveryTime(t, scripted.requests(), req, 2)
}

func TestWriteThatStaysUnavailableFailsAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	scripted, client := startScripted(t, codes.Unavailable)
	req := &recoveryv1.RecordRetryExecutionRequest{RetryExecution: failedExecution("exec-go-down")}
	_, err := client.Evidence().RecordRetryExecution(context.Background(), req)
	if !recovery.IsCode(err, codes.Unavailable) {
		t.Fatalf("RecordRetryExecution = %v, want UNAVAILABLE", err)
	}
	sameRequestEveryTime(t, scripted.requests(), req, quickRetry.MaxAttempts)
}

// DEADLINE_EXCEEDED and every code but UNAVAILABLE end a write after one attempt: the server may have
// acted, and only the caller knows whether to resend it (with the same request_id).
func TestWriteFailingWithAnotherCodeIsSentOnce(t *testing.T) {
	t.Parallel()
	for code := codes.Canceled; code <= codes.Unauthenticated; code++ {
		if code == codes.Unavailable {
			continue
		}
		t.Run(code.String(), func(t *testing.T) {
			t.Parallel()
			scripted, client := startScripted(t, code, codes.OK)
			_, err := client.RecordRetryExecution(context.Background(), failedExecution("exec-go-once"))
			if !recovery.IsCode(err, code) {
				t.Fatalf("RecordRetryExecution = %v, want %s", err, code)
			}
			if received := scripted.requests(); len(received) != 1 {
				t.Fatalf("%d attempts arrived, want 1", len(received))
			}
		})
	}
}
