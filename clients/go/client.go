package recovery

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Client is a connection to the recovery service with typed methods for the main calls.
// It is safe for concurrent use; Close it when done.
type Client struct {
	conn       *grpc.ClientConn
	evidence   recoveryv1.EvidenceServiceClient
	escalation recoveryv1.EscalationServiceClient
	reports    recoveryv1.ReportServiceClient
}

// Dial connects to target ("host:port" or any gRPC target) with the defaults described in the
// package documentation. It does not block: the connection is made by the first call.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	_ = ctx // kept for API stability: a future blocking dial or resolver may need it
	s := settings{timeout: DefaultTimeout, keepalive: DefaultKeepalive, retry: DefaultRetryPolicy, waitForReady: true}
	for _, opt := range opts {
		opt(&s)
	}
	if s.serviceConfig == "" {
		s.serviceConfig = ServiceConfig(s.retry, s.waitForReady)
	}
	if s.keepalive.Time < minKeepaliveTime {
		s.keepalive.Time = minKeepaliveTime
	}
	if s.token != "" && s.plaintext && !s.allowInsecure && !isLoopback(target) {
		return nil, errors.New("cavra recovery: a bearer token over plaintext is only allowed to a loopback target " +
			"(use WithTLS, or WithInsecureBearerToken if something else encrypts the connection)")
	}
	watch := newMismatchWatch(target, !s.plaintext)
	dialOpts := []grpc.DialOption{
		grpc.WithKeepaliveParams(s.keepalive),
		grpc.WithDefaultServiceConfig(s.serviceConfig),
		grpc.WithDefaultCallOptions(grpc.MaxRetryRPCBufferSize(maxRetryBuffer)),
		grpc.WithChainUnaryInterceptor(unaryInterceptor(s.timeout, s.retry, watch)),
	}
	if s.plaintext {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig(&s))))
	}
	if s.token != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearerToken{token: s.token, requireTLS: !s.plaintext}))
	}
	if s.userAgent != "" {
		dialOpts = append(dialOpts, grpc.WithUserAgent(s.userAgent))
	}
	dialOpts = append(dialOpts, s.dialOptions...)
	conn, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("cavra recovery: dial %s: %w", target, err)
	}
	go watch.run(conn)
	return &Client{
		conn:       conn,
		evidence:   recoveryv1.NewEvidenceServiceClient(conn),
		escalation: recoveryv1.NewEscalationServiceClient(conn),
		reports:    recoveryv1.NewReportServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the underlying connection, for health checks or other services on the same server.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Evidence is the generated EvidenceService client on this connection (same defaults, errors are *Error).
func (c *Client) Evidence() recoveryv1.EvidenceServiceClient { return c.evidence }

// Escalation is the generated EscalationService client on this connection.
func (c *Client) Escalation() recoveryv1.EscalationServiceClient { return c.escalation }

// Reports is the generated ReportService client on this connection.
func (c *Client) Reports() recoveryv1.ReportServiceClient { return c.reports }

// maxRetryBuffer lets gRPC keep a request far above the server's default 8 MiB receive limit for a
// retry: past gRPC's default of 256 KiB a large BatchRecordEvidence would be sent once, never retried.
const maxRetryBuffer = 64 << 20

// unaryInterceptor applies the default deadline, fills request_id on mutating requests and turns
// failures into *Error. It runs once per call, outside the retries of the service config, so every
// attempt of a write re-sends the same serialized request with the same request_id.
//
// A plaintext/TLS mismatch found by watch fails the call at once with its cause (transport.go).
func unaryInterceptor(timeout time.Duration, policy RetryPolicy, watch *mismatchWatch) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption,
	) error {
		if _, has := ctx.Deadline(); !has && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		fillRequestID(req)
		return watch.guard(ctx, func(ctx context.Context) error {
			return invokeWithOutageRetries(ctx, policy, method, req, reply, cc, invoker, opts...)
		})
	}
}

// invokeWithOutageRetries makes the call, resending it while the server itself answers UNAVAILABLE.
func invokeWithOutageRetries(ctx context.Context, policy RetryPolicy, method string, req, reply any,
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption,
) error {
	backoff := policy.InitialBackoff
	for attempt := 1; ; attempt++ {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if policy.MaxAttempts <= 1 || attempt >= maxOutageAttempts || !serverUnavailable(err) {
			return asError(err)
		}
		// The server answered UNAVAILABLE itself (its database is away). gRPC's retry policy does not
		// resend a call the server has answered with headers, so resend it here, with the same
		// request_id, until the deadline: an outage outlasts the policy's few attempts.
		wait := jitter(backoff)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return asError(err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return asError(err)
		case <-timer.C:
		}
		backoff = min(time.Duration(float64(backoff)*policy.BackoffMultiplier), policy.MaxBackoff)
	}
}

// maxOutageAttempts bounds resends of a call the server answered UNAVAILABLE when it has no deadline.
const maxOutageAttempts = 30

// serverUnavailable reports whether err is an UNAVAILABLE the server itself answered, with its
// google.rpc.ErrorInfo (connection failures carry none, and gRPC's retry policy resends those).
func serverUnavailable(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return false
	}
	for _, detail := range st.Details() {
		if _, isInfo := detail.(*errdetails.ErrorInfo); isInfo {
			return true
		}
	}
	return false
}

// jitter spreads a backoff by +/-20%, as the Python SDK does.
func jitter(backoff time.Duration) time.Duration {
	return time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
}

type bearerToken struct {
	token      string
	requireTLS bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearerToken) RequireTransportSecurity() bool { return b.requireTLS }

// isLoopback reports whether target names a loopback host (127.0.0.0/8, ::1, localhost).
func isLoopback(target string) bool {
	for _, scheme := range []string{"dns:///", "passthrough:///", "ipv4:", "ipv6:"} {
		target = strings.TrimPrefix(target, scheme)
	}
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		host = target
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// services lists the file descriptors whose services the default service config covers.
var services = []protoreflect.FileDescriptor{
	recoveryv1.File_cavra_recovery_v1_evidence_proto,
	recoveryv1.File_cavra_recovery_v1_escalation_proto,
	recoveryv1.File_cavra_recovery_v1_report_proto,
}

// ReadMethods are the full method names ("/pkg.Service/Method") of the read RPCs: those whose
// request has no request_id.
func ReadMethods() []string { return methodNames(false) }

// WriteMethods are the full method names of the write RPCs: those whose request has a request_id,
// which the server acts on at most once per request_id (docs/idempotency.md).
func WriteMethods() []string { return methodNames(true) }

// methodNames lists the methods of services whose request has (writes) or lacks (reads) a request_id.
func methodNames(writes bool) []string {
	var names []string
	for _, file := range services {
		for i := 0; i < file.Services().Len(); i++ {
			svc := file.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				m := svc.Methods().Get(j)
				if (m.Input().Fields().ByName(requestIDField) != nil) == writes {
					names = append(names, fmt.Sprintf("/%s/%s", svc.FullName(), m.Name()))
				}
			}
		}
	}
	return names
}

// DefaultServiceConfig is the service config Dial uses: every RPC, read or write, waits for a ready
// connection (up to its deadline) and is retried on UNAVAILABLE with DefaultRetryPolicy.
func DefaultServiceConfig() string { return ServiceConfig(DefaultRetryPolicy, true) }

// ServiceConfig is a service config with one methodConfig for ReadMethods and WriteMethods:
// waitForReady as given and, when policy allows more than one attempt, a retryPolicy on UNAVAILABLE.
// gRPC rejects a retryPolicy with maxAttempts below 2 and caps it at 5 (grpc.WithMaxCallAttempts
// raises the cap).
func ServiceConfig(policy RetryPolicy, waitForReady bool) string {
	return serviceConfig(append(ReadMethods(), WriteMethods()...), policy, waitForReady)
}

// ReadServiceConfig is the earlier default: the methodConfig of ServiceConfig for ReadMethods only,
// so writes neither wait for a ready connection nor are retried. Pass it to WithServiceConfig to keep
// that behaviour.
func ReadServiceConfig(policy RetryPolicy, waitForReady bool) string {
	return serviceConfig(ReadMethods(), policy, waitForReady)
}

func serviceConfig(methods []string, policy RetryPolicy, waitForReady bool) string {
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	var names []name
	for _, full := range methods {
		service, method, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
		names = append(names, name{Service: service, Method: method})
	}
	methodConfig := map[string]any{"name": names, "waitForReady": waitForReady}
	if policy.MaxAttempts > 1 {
		methodConfig["retryPolicy"] = map[string]any{
			"maxAttempts":          policy.MaxAttempts,
			"initialBackoff":       seconds(policy.InitialBackoff),
			"maxBackoff":           seconds(policy.MaxBackoff),
			"backoffMultiplier":    policy.BackoffMultiplier,
			"retryableStatusCodes": []string{"UNAVAILABLE"},
		}
	}
	out, err := json.Marshal(map[string]any{"methodConfig": []any{methodConfig}})
	if err != nil {
		panic(err) // a static map of strings and numbers always marshals
	}
	return string(out)
}

// seconds formats d as a protobuf JSON Duration ("1.5s").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// tlsConfig is the WithTLS configuration (nil: the system roots) plus the WithClientCertificate ones.
func tlsConfig(s *settings) *tls.Config {
	if len(s.clientCerts) == 0 {
		return s.tlsConfig
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		cfg = s.tlsConfig.Clone()
	}
	cfg.Certificates = append(cfg.Certificates, s.clientCerts...)
	return cfg
}
