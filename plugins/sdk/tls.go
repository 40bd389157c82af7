package sdk

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// EnvTLSFD names the environment variable that tells a plugin which
// inherited file descriptor holds the PEM certificate and key it serves
// with. The key travels over a pipe, never in the environment, where other
// processes of the user could read it.
const EnvTLSFD = "LLMFLOW_PLUGIN_TLS_FD"

// envClientCert is go-plugin's variable for the host's certificate.
const envClientCert = "PLUGIN_CLIENT_CERT"

// maxTLSBlob bounds what is read from the descriptor.
const maxTLSBlob = 64 << 10

// hostTLSConfig serves with the certificate the host made for this plugin,
// so the plugin skips go-plugin's per-process P-521 key. Without the host's
// descriptor it returns nil, and go-plugin's own AutoMTLS takes over.
func hostTLSConfig() (*tls.Config, error) {
	fdStr := os.Getenv(EnvTLSFD)
	if fdStr == "" {
		return nil, nil
	}
	fd, err := strconv.Atoi(fdStr)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not an inherited file descriptor", EnvTLSFD, fdStr)
	}
	f := os.NewFile(uintptr(fd), "llmflow-tls")
	if f == nil {
		return nil, fmt.Errorf("%s=%d is not open", EnvTLSFD, fd)
	}
	blob, err := io.ReadAll(io.LimitReader(f, maxTLSBlob))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read the TLS key from the host: %w", err)
	}
	return serverTLSConfig(blob, []byte(os.Getenv(envClientCert)))
}

// serverTLSConfig builds the plugin's mutual TLS config from a PEM
// certificate and key and the host's PEM certificate, the only client
// certificate it accepts.
func serverTLSConfig(pair, clientCert []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(pair, pair)
	if err != nil {
		return nil, fmt.Errorf("TLS key from the host: %w", err)
	}
	if len(clientCert) == 0 {
		return nil, errors.New("the host sent a TLS key but no " + envClientCert)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(clientCert) {
		return nil, errors.New(envClientCert + " holds no certificate")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
