package recovery_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	"google.golang.org/grpc/codes"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64 = 1000

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate and key (PEM) for commonName, for a server (with 127.0.0.1) or a client.
func (ca *testCA) issue(t *testing.T, commonName string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	template := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		template.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientCertificateIsPresentedToAMutualTLSServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	serverCA, clientCA, otherCA := newCA(t, "server CA"), newCA(t, "client CA"), newCA(t, "other CA")
	serverCert, serverKey := serverCA.issue(t, "cavra-recovery", true)
	botCert, botKey := clientCA.issue(t, "release-bot", false)
	strangerCert, strangerKey := otherCA.issue(t, "release-bot", false)

	const botToken, deployToken = "release-bot-token-go-41a2", "deploy-bot-token-go-8c9e"
	var auth []byte
	auth = append(auth, "tokens:\n"...)
	for _, grant := range []struct{ name, token, subject string }{
		{"release-bot", botToken, "CN=release-bot"},
		{"deploy-bot", deployToken, "CN=deploy-bot"},
	} {
		digest := sha256.Sum256([]byte(grant.token))
		auth = append(auth, fmt.Sprintf("  - name: %s\n    sha256: %s\n    roles: [operator]\n    subject: %q\n",
			grant.name, hex.EncodeToString(digest[:]), grant.subject)...)
	}
	server := startServerArgs(t, filepath.Join(dir, "db.sqlite"),
		"--auth-config", writeFile(t, dir, "auth.yaml", auth),
		"--tls-cert", writeFile(t, dir, "server.pem", serverCert),
		"--tls-key", writeFile(t, dir, "server-key.pem", serverKey),
		"--client-ca", writeFile(t, dir, "client-ca.pem", clientCA.pem))

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCA.pem)
	tlsConfig := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	dialTLS := func(opts ...recovery.Option) *recovery.Client {
		t.Helper()
		base := []recovery.Option{recovery.WithTLS(tlsConfig), recovery.WithTimeout(10 * time.Second)}
		client, err := recovery.Dial(context.Background(), server.Address, append(base, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		return client
	}
	pair := func(certPEM, keyPEM []byte) tls.Certificate {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	ctx := context.Background()

	bot := dialTLS(recovery.WithClientCertificate(pair(botCert, botKey)), recovery.WithBearerToken(botToken))
	plan, err := bot.CreatePlan(ctx, nil)
	if err != nil {
		t.Fatalf("CreatePlan with the right client certificate: %v", err)
	}
	if plan.GetGeneratedBy() != "release-bot" {
		t.Errorf("generated_by = %q, want the token's name release-bot", plan.GetGeneratedBy())
	}

	boundElsewhere := dialTLS(recovery.WithClientCertificate(pair(botCert, botKey)), recovery.WithBearerToken(deployToken))
	_, err = boundElsewhere.CreatePlan(ctx, nil)
	var rerr *recovery.Error
	if !errors.As(err, &rerr) || rerr.Code != codes.PermissionDenied || rerr.Reason != "CLIENT_CERTIFICATE_MISMATCH" {
		t.Errorf("a token bound to another subject = %v, want PERMISSION_DENIED CLIENT_CERTIFICATE_MISMATCH", err)
	}

	for name, opts := range map[string][]recovery.Option{
		"no client certificate": {recovery.WithBearerToken(botToken)},
		"wrong CA":              {recovery.WithClientCertificate(pair(strangerCert, strangerKey)), recovery.WithBearerToken(botToken)},
	} {
		client := dialTLS(append(opts, recovery.WithTimeout(3*time.Second))...)
		if _, err := client.CreatePlan(ctx, nil); err == nil {
			t.Errorf("%s: CreatePlan succeeded, want the TLS handshake refused", name)
		} else if errors.As(err, &rerr) && rerr.Code != codes.Unavailable && rerr.Code != codes.DeadlineExceeded {
			t.Errorf("%s: CreatePlan = %v, want UNAVAILABLE or DEADLINE_EXCEEDED", name, err)
		}
	}
}
