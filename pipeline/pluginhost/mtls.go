package pluginhost

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"time"
)

// hostCert is the host's side of go-plugin's automatic mTLS. go-plugin's
// AutoMTLS makes a fresh P-521 key and certificate for every plugin; at
// roughly a third of a node's start-up cost on this class of machine that
// dominated per-node overhead. The host makes one P-256 certificate per Host
// instead and speaks the same exchange: the certificate goes to the plugin
// in PLUGIN_CLIENT_CERT, the plugin answers with its own ephemeral
// certificate in the handshake line, and each side trusts only the other's.
type hostCert struct {
	once sync.Once
	pem  string
	cert tls.Certificate
	err  error
}

func (h *hostCert) get() (string, tls.Certificate, error) {
	h.once.Do(func() { h.pem, h.cert, h.err = makeHostCert() })
	return h.pem, h.cert, h.err
}

func makeHostCert() (string, tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", tls.Certificate{}, err
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
		return "", tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return "", tls.Certificate{}, err
	}
	return string(certPEM), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// tlsConfig is a fresh client config; go-plugin fills RootCAs with the
// plugin's certificate from the handshake line.
func (h *hostCert) tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
		ServerName:   "localhost",
	}
}
