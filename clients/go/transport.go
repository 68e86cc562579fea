package recovery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// A plaintext/TLS mismatch never heals by waiting, unlike a server that is down or restarting. So
// whenever the connection reports TRANSIENT_FAILURE the target is probed once over a raw TCP socket:
// a TLS client sends the cleartext HTTP/2 preface (a plaintext gRPC server answers with a SETTINGS
// frame), a plaintext client sends a TLS ClientHello (a TLS server answers with a TLS record). When
// the probe shows the other transport, calls in flight are cancelled and every call fails at once
// with UNAVAILABLE, reason TransportMismatchReason and a message naming the cause and the option to
// use, until the connection becomes READY. A server that is down refuses the probe, and calls keep
// waiting and retrying as before.

// TransportMismatchReason is the Reason of the *Error a plaintext/TLS mismatch fails calls with.
const TransportMismatchReason = "TRANSPORT_MISMATCH"

// probeTimeout bounds the probe's connect and read.
const probeTimeout = time.Second

// h2Preface is the HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113 section 3.4).
var h2Preface = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)

// mismatchWatch holds the mismatch found on a Client's connection, if any.
type mismatchWatch struct {
	target  string
	usesTLS bool

	mu     sync.Mutex
	err    *Error
	abort  context.Context // cancelled when a mismatch is found
	cancel context.CancelFunc
}

func newMismatchWatch(target string, usesTLS bool) *mismatchWatch {
	w := &mismatchWatch{target: target, usesTLS: usesTLS}
	w.abort, w.cancel = context.WithCancel(context.Background())
	return w
}

// state returns the standing mismatch error (nil if none) and the context cancelled when one is found.
func (w *mismatchWatch) state() (*Error, context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err, w.abort
}

func (w *mismatchWatch) failure() *Error {
	err, _ := w.state()
	return err
}

func (w *mismatchWatch) connected() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		w.err = nil
		w.abort, w.cancel = context.WithCancel(context.Background())
	}
}

func (w *mismatchWatch) found(message string) {
	if message == "" {
		return
	}
	st := status.New(codes.Unavailable, message)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = &Error{Code: codes.Unavailable, Message: message, Reason: TransportMismatchReason, status: st}
	w.cancel()
}

// run follows conn's state until it shuts down, probing the target on each TRANSIENT_FAILURE.
func (w *mismatchWatch) run(conn *grpc.ClientConn) {
	for {
		st := conn.GetState()
		switch st {
		case connectivity.Shutdown:
			return
		case connectivity.Ready:
			w.connected()
		case connectivity.TransientFailure:
			if w.failure() == nil {
				w.found(mismatchMessage(w.target, w.usesTLS, probeTimeout))
			}
		}
		conn.WaitForStateChange(context.Background(), st)
	}
}

// guard runs one call so that a mismatch found while it waits fails it at once with the cause.
func (w *mismatchWatch) guard(ctx context.Context, call func(context.Context) error) error {
	standing, abort := w.state()
	if standing != nil {
		return standing
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(abort, cancel)
	defer stop()
	err := call(ctx)
	if code := status.Code(err); code == codes.Unavailable || code == codes.Canceled {
		if standing := w.failure(); standing != nil {
			return standing
		}
	}
	return err
}

// probeAddress is the host:port a gRPC target dials, or "" for targets the probe does not handle.
func probeAddress(target string) string {
	if strings.HasPrefix(target, "unix") {
		return ""
	}
	for _, scheme := range []string{"dns:///", "passthrough:///", "ipv4:", "ipv6:"} {
		if rest, ok := strings.CutPrefix(target, scheme); ok {
			target = rest
			break
		}
	}
	if rest, ok := strings.CutPrefix(target, "dns://"); ok { // dns://resolver/host:port
		_, target, _ = strings.Cut(rest, "/")
	}
	target, _, _ = strings.Cut(target, ",")
	if host, port, err := net.SplitHostPort(target); err == nil {
		if host == "" {
			return ""
		}
		return net.JoinHostPort(host, port)
	}
	if target == "" {
		return ""
	}
	return net.JoinHostPort(strings.Trim(target, "[]"), "443")
}

// mismatchMessage says why a client cannot connect to target when the server speaks the other
// transport, or "" (down, unreachable, or the same transport failing for another reason).
func mismatchMessage(target string, usesTLS bool, timeout time.Duration) string {
	address := probeAddress(target)
	if address == "" {
		return ""
	}
	if usesTLS && speaksPlaintextHTTP2(address, timeout) {
		return fmt.Sprintf("the server at %s speaks plaintext gRPC but the client uses TLS: "+
			"dial with recovery.WithPlaintext(), or serve with --tls-cert/--tls-key", target)
	}
	if !usesTLS && speaksTLS(address, timeout) {
		return fmt.Sprintf("the server at %s speaks TLS but the client uses plaintext: "+
			"dial without recovery.WithPlaintext() (TLS; recovery.WithTLS for a private CA)", target)
	}
	return ""
}

// speaksPlaintextHTTP2 reports whether address answers the cleartext HTTP/2 preface with a SETTINGS
// frame on stream 0.
func speaksPlaintextHTTP2(address string, timeout time.Duration) bool {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(h2Preface); err != nil {
		return false
	}
	head := make([]byte, 9)
	if _, err := io.ReadFull(conn, head); err != nil {
		return false
	}
	return head[3] == 0x04 && head[5]|head[6]|head[7]|head[8] == 0
}

// speaksTLS reports whether address answers a TLS ClientHello with a TLS handshake or alert record.
func speaksTLS(address string, timeout time.Duration) bool {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	recorder := &firstBytes{Conn: conn}
	host, _, _ := net.SplitHostPort(address)
	// Only the server's first record matters: the handshake may well fail (no roots given) after it.
	client := tls.Client(recorder, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = client.HandshakeContext(ctx)
	var header tls.RecordHeaderError
	if errors.As(err, &header) {
		return false // "first record does not look like a TLS handshake"
	}
	head := recorder.head
	return len(head) == 2 && (head[0] == 0x16 || head[0] == 0x15) && head[1] == 0x03
}

// firstBytes is a net.Conn that keeps the first two bytes it reads.
type firstBytes struct {
	net.Conn
	head []byte
}

func (f *firstBytes) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	if want := 2 - len(f.head); want > 0 {
		f.head = append(f.head, p[:min(n, want)]...)
	}
	return n, err
}
