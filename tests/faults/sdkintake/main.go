// Command sdkintake records retry executions through the Go SDK with its default retry policy, from
// -clients goroutines, until its standard input closes; then it waits for the calls in flight and
// prints one JSON line per call: {"id": ..., "code": <numeric gRPC code>, "message": ...}.
// The fault tests run it while they cut the server off its database.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	recoveryv1 "github.com/cavra/recovery/generated/go/cavra/recovery/v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type outcome struct {
	ID      string `json:"id"`
	Code    uint32 `json:"code"`
	Message string `json:"message,omitempty"`
}

func main() {
	target := flag.String("target", "", "server address HOST:PORT")
	clients := flag.Int("clients", 4, "concurrent callers")
	prefix := flag.String("prefix", "exec-go", "execution id prefix")
	flag.Parse()

	client, err := recovery.Dial(context.Background(), *target, recovery.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()

	var (
		mu       sync.Mutex
		outcomes []outcome
		firstOK  sync.Once
		wg       sync.WaitGroup
	)
	executedAt := timestamppb.New(time.Now().Add(-time.Hour))
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%s-%d-%06d", *prefix, c, n)
				_, err := client.RecordRetryExecution(context.Background(), &recovery.RetryExecution{
					ExecutionId:     id,
					Provider:        "slack",
					ExecutionStatus: recoveryv1.ExecutionStatus_EXECUTION_STATUS_DELIVERED,
					ExecutedAt:      executedAt,
				})
				st := status.Convert(err)
				if err == nil {
					firstOK.Do(func() { fmt.Fprintln(os.Stderr, "first call ok") })
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{ID: id, Code: uint32(st.Code()), Message: st.Message()})
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}(c)
	}
	wg.Wait()
	encoder := json.NewEncoder(os.Stdout)
	for _, o := range outcomes {
		if err := encoder.Encode(o); err != nil {
			log.Fatal(err)
		}
	}
}
