package recovery_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var listeningPattern = regexp.MustCompile(`grpc listening on (\S+)`)

// testServer is a real `cavra-recovery serve` process on a loopback port.
type testServer struct {
	Address string
	cmd     *exec.Cmd
	done    chan struct{}
	mu      sync.Mutex
	log     strings.Builder
	stopped bool
}

// serverBinary is CAVRA_RECOVERY_BIN (set by `make test`), else the repository's .venv; without
// either the test skips locally and fails under CI=true.
func serverBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CAVRA_RECOVERY_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("CAVRA_RECOVERY_BIN=%s: %v", bin, err)
		}
		return bin
	}
	if local, err := filepath.Abs("../../.venv/bin/cavra-recovery"); err == nil {
		if _, err := os.Stat(local); err == nil {
			return local
		}
	}
	if ci := strings.ToLower(os.Getenv("CI")); ci == "true" || ci == "1" || ci == "yes" {
		t.Fatal("CI=true but CAVRA_RECOVERY_BIN is not set: the Go client tests must run against a real server")
	}
	t.Skip("CAVRA_RECOVERY_BIN is not set and ../../.venv/bin/cavra-recovery does not exist (run `make setup`)")
	return ""
}

// startServer starts the server on listen ("127.0.0.1:0" for a free port) with the SQLite database
// dbPath and, when connectors is not empty, that connector configuration file.
func startServer(t *testing.T, listen, dbPath, connectors string) *testServer {
	t.Helper()
	var extra []string
	if connectors != "" {
		extra = append(extra, "--connectors", connectors)
	}
	return startServerWith(t, listen, dbPath, extra)
}

func startServerWith(t *testing.T, listen, dbPath string, extra []string) *testServer {
	t.Helper()
	args := append([]string{"serve", "--grpc-listen", listen, "--http-listen", "off",
		"--database-url", "sqlite:///" + dbPath, "--migrate"}, extra...)
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = serverEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &testServer{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go s.readLog(stderr, ready)
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	select {
	case s.Address = <-ready:
	case <-s.done:
		t.Fatalf("server exited before listening:\n%s", s.Log())
	case <-time.After(60 * time.Second):
		s.Stop()
		t.Fatalf("server did not report `grpc listening on` within 60 s:\n%s", s.Log())
	}
	return s
}

// serverEnv is this process's environment without CAVRA_* settings, so only the flags configure the server.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAVRA_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *testServer) readLog(stderr io.Reader, ready chan<- string) {
	scanner := bufio.NewScanner(stderr)
	announced := false
	for scanner.Scan() {
		line := scanner.Text()
		s.mu.Lock()
		s.log.WriteString(line + "\n")
		s.mu.Unlock()
		if m := listeningPattern.FindStringSubmatch(line); m != nil && !announced {
			announced = true
			ready <- m[1]
		}
	}
}

// Log is everything the server wrote to stderr so far.
func (s *testServer) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop sends SIGTERM (graceful shutdown), then SIGKILL after 20 s, and waits for the exit.
func (s *testServer) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// writeWebhookConfig writes a connector configuration with one webhook receiver at url (loopback allowed).
func writeWebhookConfig(t *testing.T, dir, url string) string {
	t.Helper()
	secretPath := filepath.Join(dir, "webhook-secret")
	// A Standard Webhooks secret: "whsec_" + base64 of 32 bytes.
	if err := os.WriteFile(secretPath, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2n0CKZLa4vc="), 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`receivers:
  - name: local-webhook
    provider: webhook
    url: %s
    secret_file: %s
    timeout_seconds: 5
    allow_networks: ["127.0.0.0/8", "::1/128"]
routing:
  default: local-webhook
`, url, secretPath)
	path := filepath.Join(dir, "connectors.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeAuthConfig writes an --auth-config file granting roles to token (stored only as its SHA-256).
func writeAuthConfig(t *testing.T, dir string, grants map[string][]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("tokens:\n")
	i := 0
	for token, roles := range grants {
		digest := sha256.Sum256([]byte(token))
		fmt.Fprintf(&b, "  - name: caller-%d\n    sha256: %s\n    roles: [%s]\n", i, hex.EncodeToString(digest[:]),
			strings.Join(roles, ", "))
		i++
	}
	path := filepath.Join(dir, "auth.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServerArgs starts a server like startServer with extra flags.
func startServerArgs(t *testing.T, dbPath string, extra ...string) *testServer {
	t.Helper()
	return startServerWith(t, "127.0.0.1:0", dbPath, extra)
}
