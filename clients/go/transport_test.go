package recovery_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	"google.golang.org/grpc/codes"
)

// mismatchBound is the acceptance bound: a plaintext/TLS mismatch fails within it, with the cause.
const mismatchBound = 2 * time.Second

func wantMismatch(t *testing.T, err error, elapsed time.Duration, message string) {
	t.Helper()
	t.Logf("the mismatch failed after %v", elapsed)
	if elapsed >= mismatchBound {
		t.Errorf("the mismatch took %v to fail, want under %v", elapsed, mismatchBound)
	}
	var rerr *recovery.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("error = %v (%T), want *recovery.Error", err, err)
	}
	if rerr.Code != codes.Unavailable || rerr.Reason != recovery.TransportMismatchReason || rerr.Message != message {
		t.Errorf("error = %v, want UNAVAILABLE %s %q", err, recovery.TransportMismatchReason, message)
	}
}

func TestTLSClientToAPlaintextServerFailsFastWithTheCause(t *testing.T) {
	t.Parallel()
	server := startServerArgs(t, filepath.Join(t.TempDir(), "db.sqlite"))
	client, err := recovery.Dial(context.Background(), server.Address) // TLS: the default
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	want := "the server at " + server.Address + " speaks plaintext gRPC but the client uses TLS: " +
		"dial with recovery.WithPlaintext(), or serve with --tls-cert/--tls-key"

	// Concurrent calls waiting for the connection, a read and writes, all fail fast with the cause.
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started := time.Now()
			var err error
			if i == 0 {
				_, err = client.Dashboard(context.Background())
			} else {
				_, err = client.CreatePlan(context.Background(), nil)
			}
			wantMismatch(t, err, time.Since(started), want)
		}()
	}
	wg.Wait()
	// A later call fails at once.
	started := time.Now()
	_, err = client.Dashboard(context.Background())
	wantMismatch(t, err, time.Since(started), want)

	// The option named in the message works against the same server.
	plain, err := recovery.Dial(context.Background(), server.Address, recovery.WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Dashboard(context.Background()); err != nil {
		t.Fatalf("Dashboard with WithPlaintext: %v", err)
	}
}

func TestPlaintextClientToATLSServerFailsFastWithTheCause(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, "server CA")
	cert, key := ca.issue(t, "cavra-recovery", true)
	server := startServerArgs(t, filepath.Join(dir, "db.sqlite"),
		"--tls-cert", writeFile(t, dir, "server.pem", cert), "--tls-key", writeFile(t, dir, "server-key.pem", key))

	client, err := recovery.Dial(context.Background(), server.Address, recovery.WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	started := time.Now()
	_, err = client.Dashboard(context.Background())
	wantMismatch(t, err, time.Since(started), "the server at "+server.Address+
		" speaks TLS but the client uses plaintext: dial without recovery.WithPlaintext() (TLS; recovery.WithTLS for a private CA)")

	// TLS with roots that do not trust the server also fails to connect, but is no mismatch.
	untrusting, err := recovery.Dial(context.Background(), server.Address, recovery.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	_, err = untrusting.Dashboard(context.Background())
	var rerr *recovery.Error
	if !errors.As(err, &rerr) || rerr.Reason == recovery.TransportMismatchReason {
		t.Errorf("TLS with untrusting roots = %v, want a failure that names no transport mismatch", err)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	secure, err := recovery.Dial(context.Background(), server.Address,
		recovery.WithTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()
	if _, err := secure.Dashboard(context.Background()); err != nil {
		t.Fatalf("Dashboard with WithTLS: %v", err)
	}
}

func TestAServerThatIsDownIsStillWaitedFor(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	_ = listener.Close() // nothing listens there now: the probe finds no server to name
	client, err := recovery.Dial(context.Background(), address, recovery.WithPlaintext(),
		recovery.WithTimeout(2500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	started := time.Now()
	_, err = client.Dashboard(context.Background())
	if elapsed := time.Since(started); elapsed < 2*time.Second {
		t.Errorf("Dashboard failed after %v, want it to wait for the server up to its 2.5 s deadline", elapsed)
	}
	if !recovery.IsCode(err, codes.DeadlineExceeded) {
		t.Errorf("Dashboard = %v, want DEADLINE_EXCEEDED", err)
	}
}
