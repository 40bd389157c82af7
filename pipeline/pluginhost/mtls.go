package pluginhost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// Mutual TLS between host and plugin follows go-plugin's AutoMTLS exchange
// (the host's certificate goes to the plugin in PLUGIN_CLIENT_CERT; each
// side trusts only the other's ephemeral certificate), with two changes for
// start-up cost: AutoMTLS makes P-521 keys on both sides for every plugin,
// which took about 14 ms of CPU per node here, so
//   - the host makes one P-256 client certificate per Host, and
//   - the host also makes the plugin's P-256 server certificate and key and
//     hands them over an inherited pipe (never the environment); an SDK
//     plugin serves with them, so the host already knows which certificate
//     to trust.
// A plugin that does not read the pipe still makes and announces its own
// certificate the go-plugin way, and go-plugin then trusts that instead.

// hostCert is the host's client certificate, made on first use.
type hostCert struct {
	once sync.Once
	pem  string
	cert tls.Certificate
	err  error
}

func (h *hostCert) get() (string, tls.Certificate, error) {
	h.once.Do(func() {
		var certPEM []byte
		certPEM, _, h.cert, h.err = makeCert()
		h.pem = string(certPEM)
	})
	return h.pem, h.cert, h.err
}

// makeCert makes a self-signed P-256 certificate for "localhost" usable by
// either side of the connection.
func makeCert() (certPEM, keyPEM []byte, cert tls.Certificate, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, cert, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, cert, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"llmflow"}},
		DNSNames:              []string{"localhost"},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		NotBefore:             now.Add(-30 * time.Second),
		NotAfter:              now.Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, cert, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, cert, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, cert, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// setupTLS prepares cmd for mutual TLS and returns the host's TLS config
// and the read end of the pipe, which the caller closes once the process
// has started.
func (h *Host) setupTLS(c *Client) (*tls.Config, *os.File, error) {
	clientPEM, clientCert, err := h.cert.get()
	if err != nil {
		return nil, nil, fmt.Errorf("make the host's TLS certificate: %w", err)
	}
	serverPEM, serverKey, serverCert, err := makeCert()
	if err != nil {
		return nil, nil, fmt.Errorf("make the plugin's TLS certificate: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	// A PEM pair is far below the pipe buffer, so this write cannot block.
	_, err = w.Write(append(serverPEM, serverKey...))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	cmd := c.cmd
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, r)
	cmd.Env = append(cmd.Env, "PLUGIN_CLIENT_CERT="+clientPEM, sdk.EnvTLSFD+"="+strconv.Itoa(fd))

	roots := x509.NewCertPool()
	roots.AddCert(serverCert.Leaf)
	return &tls.Config{
		Certificates: []tls.Certificate{clientCert},
		RootCAs:      roots,
		MinVersion:   tls.VersionTLS13,
		ServerName:   "localhost",
	}, r, nil
}
