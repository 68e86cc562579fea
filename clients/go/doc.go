// Package recovery is the Go SDK for the CAVRA Recovery Escalation Service.
//
// Dial returns a Client over one gRPC connection with production defaults: a deadline on every
// call, request_id filled with a UUID on mutating requests, reads and writes retried on UNAVAILABLE
// (service config retryPolicy; a write is re-sent with the same request_id, which the server answers
// without acting twice), keepalive pings the Python server accepts, and errors returned as *Error
// with the decoded google.rpc details:
//
//	client, err := recovery.Dial(ctx, "127.0.0.1:50051", recovery.WithPlaintext())
//	if err != nil { ... }
//	defer client.Close()
//	plan, err := client.CreatePlan(ctx, &recovery.CreateRecoveryEscalationPlanRequest{GeneratedBy: "release-bot"})
//	var rerr *recovery.Error
//	if errors.As(err, &rerr) && rerr.Code == codes.InvalidArgument { ... rerr.FieldViolations ... }
//
// A client and a server that speak different transports (TLS against a plaintext server, or
// WithPlaintext against a TLS one) never connect: instead of waiting out the deadline, calls then fail
// at once with UNAVAILABLE, Reason TransportMismatchReason and a message naming the option to use,
// while a server that is down is still waited for and retried (docs/clients.md).
//
// The generated stubs (package recoveryv1) stay reachable through Client.Evidence, Client.Escalation
// and Client.Reports; they share the connection and therefore every default above.
package recovery
