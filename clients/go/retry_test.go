package recovery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// attemptCounter is a stats handler that sees every attempt of a method (gRPC retries included) and
// reports the code each attempt ended with.
type attemptCounter struct {
	suffix string
	mu     sync.Mutex
	codes  []codes.Code
	ended  chan codes.Code
}

type methodKey struct{}

func newAttemptCounter(suffix string) *attemptCounter {
	return &attemptCounter{suffix: suffix, ended: make(chan codes.Code, 64)}
}

func (a *attemptCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (a *attemptCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	end, ok := s.(*stats.End)
	if !ok || !end.IsClient() {
		return
	}
	if method, _ := ctx.Value(methodKey{}).(string); len(method) < len(a.suffix) ||
		method[len(method)-len(a.suffix):] != a.suffix {
		return
	}
	code := status.Code(end.Error)
	a.mu.Lock()
	a.codes = append(a.codes, code)
	a.mu.Unlock()
	a.ended <- code
}

func (a *attemptCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (a *attemptCounter) HandleConn(context.Context, stats.ConnStats) {}

// reset forgets the attempts seen so far.
func (a *attemptCounter) reset() {
	a.mu.Lock()
	a.codes = nil
	a.mu.Unlock()
	for len(a.ended) > 0 {
		<-a.ended
	}
}

func (a *attemptCounter) seen() []codes.Code {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]codes.Code(nil), a.codes...)
}

// fastReconnect keeps the channel's own reconnect backoff short (0.1 s growing to 0.5 s), so the time
// a read needs to cross a restart is the server's boot time, which the retry policy must cover.
var fastReconnect = grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
	MinConnectTimeout: 5 * time.Second,
})

// restartScenario starts a server, creates a plan through client options opts, stops the server and
// returns what a read of the plan needs, with the attempt counter reset.
func restartScenario(t *testing.T, opts ...recovery.Option) (*testServer, string, string, *recovery.Client, *attemptCounter) {
	t.Helper()
	dbPath := t.TempDir() + "/db.sqlite"
	first := startServer(t, "127.0.0.1:0", dbPath, "")
	counter := newAttemptCounter("/GetRecoveryEscalationPlan")
	opts = append(opts, recovery.WithWaitForReady(false), recovery.WithDialOptions(fastReconnect, grpc.WithStatsHandler(counter)))
	client := dial(t, first.Address, opts...)
	plan, err := client.CreatePlan(context.Background(), nil)
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	if _, err := client.GetPlan(context.Background(), plan.GetPlanId()); err != nil {
		t.Fatalf("GetPlan before the restart: %v", err)
	}
	counter.reset()
	first.Stop()
	return first, dbPath, plan.GetPlanId(), client, counter
}

// With wait-for-ready off, a read issued while nothing listens fails its first attempt with
// UNAVAILABLE; DefaultRetryPolicy (5 attempts, ~1+2+4+5 s of backoff) retries it until the new server
// on the same port answers.
func TestFailFastReadIsRetriedByThePolicyUntilTheServerIsBack(t *testing.T) {
	t.Parallel()
	first, dbPath, planID, client, counter := restartScenario(t)
	type outcome struct {
		planID string
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := client.GetPlan(context.Background(), planID)
		done <- outcome{got.GetPlanId(), err}
	}()
	if code := <-counter.ended; code != codes.Unavailable {
		t.Fatalf("first attempt with the server down ended with %s, want Unavailable", code)
	}
	startServer(t, first.Address, dbPath, "")

	got := <-done
	if got.err != nil || got.planID != planID {
		t.Fatalf("GetPlan across the restart = %q, %v (attempts %v)", got.planID, got.err, counter.seen())
	}
	attempts := counter.seen()
	if len(attempts) < 2 || attempts[len(attempts)-1] != codes.OK {
		t.Fatalf("attempts = %v, want failed attempts then OK", attempts)
	}
	for _, code := range attempts[:len(attempts)-1] {
		if code != codes.Unavailable {
			t.Errorf("attempts = %v, want only Unavailable before the success", attempts)
		}
	}
	if len(attempts) > recovery.DefaultRetryPolicy.MaxAttempts {
		t.Errorf("%d attempts exceed MaxAttempts %d", len(attempts), recovery.DefaultRetryPolicy.MaxAttempts)
	}
}

// The same read with a policy of a single attempt fails with UNAVAILABLE: the success above is the
// retry policy's doing. Once the new server is up, the same client reads again.
func TestFailFastReadWithASingleAttemptFailsWhileTheServerIsDown(t *testing.T) {
	t.Parallel()
	first, dbPath, planID, client, counter := restartScenario(t, recovery.WithRetry(recovery.RetryPolicy{MaxAttempts: 1}))

	_, err := client.GetPlan(context.Background(), planID)
	if !recovery.IsCode(err, codes.Unavailable) {
		t.Fatalf("GetPlan with the server down and one attempt = %v, want UNAVAILABLE", err)
	}
	if attempts := counter.seen(); len(attempts) != 1 {
		t.Fatalf("attempts = %v, want exactly one", attempts)
	}

	startServer(t, first.Address, dbPath, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitUntilRead(ctx, client, planID); err != nil {
		t.Fatalf("GetPlan after the restart: %v", err)
	}
}

// waitUntilRead repeats a fail-fast read until it succeeds (the channel reconnects within 0.5 s).
func waitUntilRead(ctx context.Context, client *recovery.Client, planID string) error {
	for {
		_, err := client.GetPlan(ctx, planID)
		if err == nil || !recovery.IsCode(err, codes.Unavailable) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
