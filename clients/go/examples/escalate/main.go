// Command escalate records sample evidence, creates a recovery escalation plan, delivers it
// (a dry run unless -send is given) and prints the executive report.
//
//	go run ./examples/escalate -addr 127.0.0.1:50051
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "gRPC address of the recovery service")
	plaintext := flag.Bool("plaintext", true, "dial without TLS")
	send := flag.Bool("send", false, "really send notifications (default: dry run)")
	receiver := flag.String("receiver", "", "deliver to this receiver instead of the routing policy")
	flag.Parse()

	if err := run(*addr, *plaintext, *send, *receiver); err != nil {
		var rerr *recovery.Error
		if errors.As(err, &rerr) {
			log.Printf("%s (reason %q)", rerr.Message, rerr.Reason)
			for _, v := range rerr.FieldViolations {
				log.Printf("  %s: %s", v.Field, v.Description)
			}
		}
		log.Fatal(err)
	}
}

func run(addr string, plaintext, send bool, receiver string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var opts []recovery.Option
	if plaintext {
		opts = append(opts, recovery.WithPlaintext())
	}
	if token := os.Getenv("CAVRA_TOKEN"); token != "" {
		opts = append(opts, recovery.WithBearerToken(token))
	}
	client, err := recovery.Dial(ctx, addr, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	now := time.Now().UTC()
	suffix := now.Format("20060102T150405")
	playbookID := "pb-example-" + suffix
	if _, err := client.RecordRetryExecution(ctx, &recovery.RetryExecution{
		ExecutionId:     "exec-example-" + suffix,
		Provider:        "slack",
		ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_FAILED,
		ExecutedAt:      timestamppb.New(now.Add(-10 * time.Minute)),
	}); err != nil {
		return fmt.Errorf("record retry execution: %w", err)
	}
	if _, err := client.RecordPlaybook(ctx, &recovery.ConnectorRecoveryPlaybook{
		PlaybookId:  playbookID,
		GeneratedAt: timestamppb.New(now.Add(-6 * time.Hour)),
		Providers: []*recovery.PlaybookProvider{
			{Provider: "slack", FailureCount: 3, StatusCodes: []int32{500, 503}},
			{Provider: "jira", FailureCount: 1, StatusCodes: []int32{429}},
		},
	}); err != nil {
		return fmt.Errorf("record playbook: %w", err)
	}
	if _, err := client.RecordClosure(ctx, &recovery.RecoveryClosure{
		ClosureId:    "closure-example-" + suffix,
		PlaybookId:   playbookID,
		Provider:     "jira",
		ClosureState: recoveryv1.ClosureState_CLOSURE_STATE_RESOLVED,
		ClosedBy:     "release-manager",
		ClosedAt:     timestamppb.New(now.Add(-time.Hour)),
	}); err != nil {
		return fmt.Errorf("record closure: %w", err)
	}

	plan, err := client.CreatePlan(ctx, &recovery.CreateRecoveryEscalationPlanRequest{GeneratedBy: "escalate-example"})
	if err != nil {
		return fmt.Errorf("create plan: %w", err)
	}
	fmt.Printf("plan %s: %s, %d escalations (%d critical)\n", plan.GetPlanId(), plan.GetAlertLevel(),
		plan.GetEscalationCount(), plan.GetCriticalEscalationCount())

	deliverReq := &recovery.DeliverRecoveryEscalationRequest{PlanId: plan.GetPlanId(), DryRun: !send}
	if receiver != "" {
		deliverReq.Receivers = []string{receiver}
	}
	delivery, err := client.Deliver(ctx, deliverReq)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	fmt.Printf("delivery %s (dry run %t): success %t\n", delivery.GetDeliveryEvidenceId(), delivery.GetDryRun(),
		delivery.GetSuccess())
	for _, result := range delivery.GetResults() {
		fmt.Printf("  %s (%s): %s %s\n", result.GetReceiver(), result.GetProvider(), result.GetState(), result.GetError())
	}

	report, err := client.ExecutiveReport(ctx, &recovery.GetRecoveryExecutiveReportRequest{GeneratedBy: "escalate-example"})
	if err != nil {
		return fmt.Errorf("executive report: %w", err)
	}
	out, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(report)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}
