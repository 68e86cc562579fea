package recovery

import (
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// DefaultTimeout bounds every call whose context has no deadline of its own.
const DefaultTimeout = 30 * time.Second

// DefaultKeepalive pings an idle connection every 30 s. The server accepts pings every 10 s or more,
// even without active calls, so these settings never earn a too_many_pings GOAWAY.
var DefaultKeepalive = keepalive.ClientParameters{
	Time:                30 * time.Second,
	Timeout:             10 * time.Second,
	PermitWithoutStream: true,
}

// minKeepaliveTime keeps user settings at twice the server's 10 s minimum ping interval.
const minKeepaliveTime = 20 * time.Second

// RetryPolicy is how RPCs, reads and writes alike, are retried on UNAVAILABLE (the gRPC service-config
// retryPolicy): the n-th retry waits min(InitialBackoff*BackoffMultiplier^(n-1), MaxBackoff), jittered
// by +/-20%, all within the call's deadline. MaxAttempts counts the first attempt; 1 disables retries.
//
// A write is safe to retry: gRPC re-sends the request serialized for the first attempt, with the
// request_id the SDK filled once before it, and the server answers a repeated request_id with the
// first response without acting again. No other code is retried: after DEADLINE_EXCEEDED the server
// may have acted, and the caller may resend the same request (same request_id) safely.
type RetryPolicy struct {
	MaxAttempts       int
	InitialBackoff    time.Duration
	MaxBackoff        time.Duration
	BackoffMultiplier float64
}

// DefaultRetryPolicy makes 5 attempts (gRPC's cap) waiting about 1, 2, 4 and 5 s between them: some
// 12 s (at least 9.6 s after jitter), enough to ride out a server restart within the 30 s deadline.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:       5,
	InitialBackoff:    time.Second,
	MaxBackoff:        5 * time.Second,
	BackoffMultiplier: 2,
}

type settings struct {
	plaintext     bool
	tlsConfig     *tls.Config
	clientCerts   []tls.Certificate
	token         string
	allowInsecure bool
	timeout       time.Duration
	keepalive     keepalive.ClientParameters
	serviceConfig string
	retry         RetryPolicy
	waitForReady  bool
	userAgent     string
	dialOptions   []grpc.DialOption
}

// Option configures Dial.
type Option func(*settings)

// WithPlaintext dials without TLS (local development, loopback, or behind a TLS-terminating sidecar).
func WithPlaintext() Option { return func(s *settings) { s.plaintext = true } }

// WithTLS dials with TLS using cfg (nil: the system roots). TLS is the default.
func WithTLS(cfg *tls.Config) Option {
	return func(s *settings) { s.plaintext, s.tlsConfig = false, cfg }
}

// WithClientCertificate presents cert (tls.LoadX509KeyPair) to a server that requires client
// certificates (`serve --client-ca`). It adds to the WithTLS configuration, in either order.
func WithClientCertificate(cert tls.Certificate) Option {
	return func(s *settings) { s.plaintext, s.clientCerts = false, append(s.clientCerts, cert) }
}

// WithBearerToken sends "authorization: Bearer <token>" on every call. Over plaintext it is only
// allowed to loopback targets, so a token never crosses a network unencrypted.
func WithBearerToken(token string) Option { return func(s *settings) { s.token = token } }

// WithInsecureBearerToken allows a bearer token over plaintext to a non-loopback target. Use only
// when something else (a service mesh, a VPN) encrypts the connection.
func WithInsecureBearerToken() Option { return func(s *settings) { s.allowInsecure = true } }

// WithTimeout changes the deadline given to calls whose context has none (0 disables it).
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithKeepalive replaces DefaultKeepalive; Time below 20 s is raised to 20 s.
func WithKeepalive(params keepalive.ClientParameters) Option {
	return func(s *settings) { s.keepalive = params }
}

// WithRetry replaces DefaultRetryPolicy for every RPC, reads and writes (MaxAttempts 1: no retries).
func WithRetry(policy RetryPolicy) Option { return func(s *settings) { s.retry = policy } }

// WithReadRetry is WithRetry under its earlier name, from when only reads were retried; the policy
// now applies to writes too.
//
// Deprecated: use WithRetry.
func WithReadRetry(policy RetryPolicy) Option { return WithRetry(policy) }

// WithWaitForReady sets whether RPCs wait for a ready connection (the default, true) or fail fast
// with UNAVAILABLE while the server is unreachable, leaving recovery to the retry policy. Waiting is
// safe for writes too: a call waiting for the connection has not been sent yet.
func WithWaitForReady(wait bool) Option { return func(s *settings) { s.waitForReady = wait } }

// WithServiceConfig replaces the whole service config JSON; WithRetry and WithWaitForReady are then
// ignored. ReadServiceConfig builds the earlier default, which neither waits for nor retries writes.
func WithServiceConfig(json string) Option { return func(s *settings) { s.serviceConfig = json } }

// WithUserAgent prefixes the gRPC user agent.
func WithUserAgent(ua string) Option { return func(s *settings) { s.userAgent = ua } }

// WithDialOptions appends raw grpc.DialOptions (interceptors, stats handlers, resolvers).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(s *settings) { s.dialOptions = append(s.dialOptions, opts...) }
}
