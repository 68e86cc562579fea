package recovery_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/keepalive"
)

// countingConn counts the bytes crossing the client's TCP connection.
type countingConn struct {
	net.Conn
	written, read *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

// pingFrameSize is an HTTP/2 PING frame: a 9-byte header and 8 bytes of opaque data.
const pingFrameSize = 17

// A client pinging at the SDK's minimum keepalive Time (20 s) with PermitWithoutStream idles for 44 s
// against the real server: two pings go out, both are acknowledged (the client would close the
// connection after Timeout without an ack), the connection stays READY with no GOAWAY or reconnect,
// and a call afterwards succeeds on the same connection.
func TestKeepalivePingsAtTheMinimumAreAcceptedByTheServer(t *testing.T) {
	t.Parallel()
	server := startServer(t, "127.0.0.1:0", t.TempDir()+"/db.sqlite", "")
	var written, read, dials atomic.Int64
	dialer := grpc.WithContextDialer(func(ctx context.Context, address string) (net.Conn, error) {
		dials.Add(1)
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", address)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, written: &written, read: &read}, nil
	})
	client := dial(t, server.Address, recovery.WithDialOptions(dialer), recovery.WithKeepalive(keepalive.ClientParameters{
		Time: time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true, // Time is raised to the 20 s minimum
	}))
	ctx := context.Background()
	if _, err := client.Dashboard(ctx); err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	time.Sleep(time.Second) // let any frames that follow the response (window updates, BDP pings) settle
	idleStart := time.Now()
	writtenBefore, readBefore := written.Load(), read.Load()

	changed := make(chan connectivity.State, 1)
	watch, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go func() {
		if client.Conn().WaitForStateChange(watch, connectivity.Ready) {
			changed <- client.Conn().GetState()
		}
	}()
	select {
	case state := <-changed:
		t.Fatalf("the idle connection left READY for %s after %s (GOAWAY or failed keepalive)", state, time.Since(idleStart))
	case <-time.After(44 * time.Second):
	}
	stopWatching()

	pingBytes, ackBytes := written.Load()-writtenBefore, read.Load()-readBefore
	if pingBytes < 2*pingFrameSize || pingBytes%pingFrameSize != 0 {
		t.Errorf("the client wrote %d bytes while idle, want at least two %d-byte PING frames and nothing else",
			pingBytes, pingFrameSize)
	}
	if ackBytes < 2*pingFrameSize || ackBytes%pingFrameSize != 0 {
		t.Errorf("the server sent %d bytes while the client idled, want at least two %d-byte PING acks and no GOAWAY",
			ackBytes, pingFrameSize)
	}
	if _, err := client.Dashboard(ctx); err != nil {
		t.Fatalf("Dashboard after idling: %v", err)
	}
	if state := client.Conn().GetState(); state != connectivity.Ready || dials.Load() != 1 {
		t.Errorf("after idling: state %s, %d dials, want READY on the first connection", state, dials.Load())
	}
}
