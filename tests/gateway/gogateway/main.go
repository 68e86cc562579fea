// Command gogateway is the real grpc-gateway v2 proxy generated from the same protos (proto field
// names on output), used by the compatibility tests and the gateway benchmark as the reference.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // registers ErrorInfo/BadRequest for Status details
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	recoveryv1gw "github.com/cavra/recovery/generated/go-gateway/cavra/recovery/v1"
)

func main() {
	grpcTarget := flag.String("grpc-target", "127.0.0.1:50051", "gRPC server address")
	listen := flag.String("http-listen", "127.0.0.1:0", "HTTP listen address")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
		Marshaler: &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		},
	}))
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	for _, register := range []func(context.Context, *runtime.ServeMux, string, []grpc.DialOption) error{
		recoveryv1gw.RegisterEvidenceServiceHandlerFromEndpoint,
		recoveryv1gw.RegisterEscalationServiceHandlerFromEndpoint,
		recoveryv1gw.RegisterReportServiceHandlerFromEndpoint,
		recoveryv1gw.RegisterLedgerServiceHandlerFromEndpoint,
	} {
		if err := register(ctx, mux, *grpcTarget, opts); err != nil {
			log.Fatalf("register: %v", err)
		}
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Fprintf(os.Stderr, "http listening on %s\n", listener.Addr().String())
	server := &http.Server{Handler: mux}
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	if err := server.Serve(listener); err != nil && err != http.ErrServerClosed {
		log.Fatalf("serve: %v", err)
	}
}
