package tracegatetest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracegate/tracegate/clients/go/tracegate"
	"github.com/tracegate/tracegate/clients/go/tracegatetest"
)

// writeCert signs a certificate for `ips` (server) or a client, writes cert and key as PEM.
func writeCert(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, isCA bool, ips []net.IP) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: ips, BasicConstraintsValid: true, IsCA: isCA,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// TestMutualTLS: a gateway that requires client certificates; the client connects with
// TLSOptions (as TRACEGATE_CA_FILE / _CERT_FILE / _KEY_FILE would set them).
func TestMutualTLS(t *testing.T) {
	reset(t)
	dir := t.TempDir()
	ca, caKey := writeCert(t, dir, "ca", nil, nil, true, nil)
	writeCert(t, dir, "server", ca, caKey, false, []net.IP{net.ParseIP("127.0.0.1")})
	writeCert(t, dir, "client", ca, caKey, false, nil)
	p := func(n string) string { return filepath.Join(dir, n) }
	cfg := tracegatetest.GatewayConfig(rec.URL(), "127.0.0.1:0") + fmt.Sprintf(
		"security:\n  tls:\n    cert_file: %s\n    key_file: %s\n    client_ca_file: %s\n",
		p("server.pem"), p("server.key"), p("ca.pem"))
	gw, err := tracegatetest.StartGateway(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Stop()

	t.Setenv("TRACEGATE_ENDPOINT", gw.Endpoint())
	t.Setenv("TRACEGATE_API_KEY", tracegatetest.APIKey)
	t.Setenv("TRACEGATE_WORKSPACE", tracegatetest.Workspace)
	t.Setenv("TRACEGATE_CA_FILE", p("ca.pem"))
	t.Setenv("TRACEGATE_CERT_FILE", p("client.pem"))
	t.Setenv("TRACEGATE_KEY_FILE", p("client.key"))
	c := tracegate.New(tracegate.OptionsFromEnv())
	for i := 0; i < 10; i++ {
		c.Enqueue(span("tls", fmt.Sprint(i)))
	}
	if s := c.Shutdown(ctxFor(t, 15*time.Second)); s.Sent != 10 {
		t.Fatalf("mTLS client: %+v", s)
	}

	// Without a client certificate the handshake fails: one warning, nothing delivered.
	log := &captureLogger{}
	plain := tracegate.New(tracegate.Options{Endpoint: gw.Endpoint(), APIKey: tracegatetest.APIKey,
		Workspace: tracegatetest.Workspace, TLS: &tracegate.TLSOptions{CAFile: p("ca.pem")}, Logger: log,
		InitialBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	plain.Enqueue(span("tls", "no-cert"))
	if err := plain.Flush(ctxFor(t, 500*time.Millisecond)); err == nil {
		t.Fatal("delivered without a client certificate")
	}
	if s := plain.Shutdown(ctxFor(t, 100*time.Millisecond)); s.Sent != 0 || s.Dropped != 1 || len(log.lines) < 1 {
		t.Fatalf("no-cert client: %+v %v", s, log.lines)
	}
	st, _ := rec.WaitFor(map[string]int{"observations": 10}, 15)
	n := 0
	for _, o := range st.Observations {
		if md, _ := o["metadata"].(map[string]any); md["tracegate_trace_id"] == "tls" {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("stored %d of the 10 sent over mTLS", n)
	}
}
