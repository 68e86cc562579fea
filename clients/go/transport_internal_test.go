package recovery

import (
	"net"
	"testing"
	"time"
)

func TestProbeAddress(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]string{
		"127.0.0.1:50051":                "127.0.0.1:50051",
		"dns:///localhost:7000":          "localhost:7000",
		"dns://8.8.8.8/example.com:7000": "example.com:7000",
		"passthrough:///10.0.0.1:81":     "10.0.0.1:81",
		"ipv4:10.0.0.1:81,10.0.0.2:81":   "10.0.0.1:81",
		"ipv6:[::1]:7000":                "[::1]:7000",
		"example.com":                    "example.com:443",
		"unix:///tmp/cavra.sock":         "",
	} {
		if got := probeAddress(target); got != want {
			t.Errorf("probeAddress(%q) = %q, want %q", target, got, want)
		}
	}
}

func TestNothingListeningIsNoMismatch(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	_ = listener.Close()
	for _, usesTLS := range []bool{true, false} {
		if got := mismatchMessage(address, usesTLS, time.Second); got != "" {
			t.Errorf("mismatchMessage(usesTLS=%v) with nothing listening = %q, want none", usesTLS, got)
		}
	}
}
