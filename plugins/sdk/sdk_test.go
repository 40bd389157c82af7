package sdk

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/protobuf/proto"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

func testDescription() *Description {
	return &Description{
		Name: "sample", Version: "0.1.0",
		Config: []Attribute{
			{Name: "rate", Type: cty.Number, Required: true},
			{Name: "seed_text", Type: cty.String, Default: cty.StringVal("abc")},
			{Name: "tags", Type: cty.List(cty.String)},
			{Name: "extra", Type: cty.DynamicPseudoType},
		},
		Inputs:  []Port{{Name: "data", Kind: "dataset/text"}, {Name: "extra", Kind: "dataset/text", Optional: true, NonEmpty: true}},
		Outputs: []Port{{Name: "train", Kind: "dataset/text"}, {Name: "val", Kind: "dataset/text", Optional: true}},
	}
}

func TestValueRoundTrip(t *testing.T) {
	vals := []cty.Value{
		cty.StringVal("x"),
		cty.NumberFloatVal(0.25),
		cty.ObjectVal(map[string]cty.Value{
			"a": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
			"b": cty.NullVal(cty.String),
			"c": cty.UnknownVal(cty.Bool),
			"d": cty.MapVal(map[string]cty.Value{"k": cty.True}),
		}),
		cty.StringVal("secret").Mark("sensitive"),
	}
	for _, v := range vals {
		dv, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		got, err := DecodeValue(dv)
		if err != nil {
			t.Fatalf("decode %#v: %v", v, err)
		}
		want, _ := v.UnmarkDeep()
		if !got.RawEquals(want) {
			t.Errorf("round trip: got %#v, want %#v", got, want)
		}
	}
}

func TestDescriptionRoundTrip(t *testing.T) {
	d := testDescription()
	pb, err := descriptionToProto(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := descriptionFromProto(pb)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ConfigType().Equals(d.ConfigType()) || len(got.Outputs) != 2 || !got.Outputs[1].Optional ||
		len(got.Inputs) != 2 || !got.Inputs[1].NonEmpty || got.Inputs[0].NonEmpty {
		t.Errorf("round trip lost data: %+v", got)
	}
	if !got.Config[1].Default.RawEquals(cty.StringVal("abc")) || got.Config[0].Default != cty.NilVal {
		t.Errorf("defaults: %#v, %#v", got.Config[1].Default, got.Config[0].Default)
	}
}

func TestApplyDefaults(t *testing.T) {
	d := testDescription()
	tests := []struct {
		name    string
		in      cty.Value
		wantErr string
		check   func(cty.Value) bool
	}{
		{name: "defaults and nulls", in: cty.ObjectVal(map[string]cty.Value{"rate": cty.StringVal("0.5")}),
			check: func(v cty.Value) bool {
				return v.GetAttr("rate").RawEquals(cty.NumberFloatVal(0.5)) &&
					v.GetAttr("seed_text").RawEquals(cty.StringVal("abc")) && v.GetAttr("tags").IsNull()
			}},
		{name: "missing required", in: cty.EmptyObjectVal, wantErr: `attribute "rate" is required`},
		{name: "undeclared", in: cty.ObjectVal(map[string]cty.Value{"rate": cty.Zero, "rat": cty.Zero}), wantErr: `unsupported attribute "rat"`},
		{name: "wrong type", in: cty.ObjectVal(map[string]cty.Value{"rate": cty.StringVal("fast")}), wantErr: `attribute "rate"`},
		{name: "not an object", in: cty.StringVal("x"), wantErr: "config must be an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.ApplyDefaults(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Type().Equals(d.ConfigType()) || !tc.check(got) {
				t.Errorf("got %#v", got)
			}
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	var c struct {
		Rate float64 `cty:"rate"`
		Name *string `cty:"name"`
	}
	v := cty.ObjectVal(map[string]cty.Value{"rate": cty.NumberFloatVal(0.5), "name": cty.NullVal(cty.String)})
	if err := DecodeConfig(v, &c); err != nil || c.Rate != 0.5 || c.Name != nil {
		t.Fatalf("DecodeConfig = %+v, %v", c, err)
	}
}

type SharedSettings struct {
	Steps int   `cty:"steps"`
	Seed  int64 `cty:"seed"`
}

type InnerShared struct {
	SharedSettings
	Clip float64 `cty:"clip"`
}

// TestDecodeConfigEmbedded decodes a config whose struct embeds shared
// settings, also two levels deep, and still rejects an unknown attribute.
func TestDecodeConfigEmbedded(t *testing.T) {
	type stage struct {
		Width int `cty:"width"`
		InnerShared
	}
	tests := []struct {
		name    string
		attrs   map[string]cty.Value
		want    stage
		wantErr string
	}{
		{"all", map[string]cty.Value{"width": cty.NumberIntVal(8), "steps": cty.NumberIntVal(3), "seed": cty.NumberIntVal(-1), "clip": cty.NumberFloatVal(0.5)},
			stage{8, InnerShared{SharedSettings{3, -1}, 0.5}}, ""},
		{"own only", map[string]cty.Value{"width": cty.NumberIntVal(2)}, stage{Width: 2}, "missing required attribute"},
		{"unknown", map[string]cty.Value{"width": cty.NumberIntVal(2), "steps": cty.NumberIntVal(1), "seed": cty.NumberIntVal(1),
			"clip": cty.NumberIntVal(1), "depth": cty.NumberIntVal(1)}, stage{}, `unsupported attribute "depth"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got stage
			err := DecodeConfig(cty.ObjectVal(tc.attrs), &got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DecodeConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// FuzzDecodeValue feeds arbitrary wire values to the decoder the host and
// plugins run on each other's messages: it must return an error, never panic.
func FuzzDecodeValue(f *testing.F) {
	for _, v := range []cty.Value{cty.StringVal("x"), cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(3)})} {
		dv, _ := EncodeValue(v)
		f.Add(dv.Msgpack, dv.TypeJson)
	}
	f.Add([]byte{0xc1}, []byte(`["list","string"]`))
	f.Fuzz(func(t *testing.T, mp, tj []byte) {
		_, _ = DecodeValue(&stagev1.DynamicValue{Msgpack: mp, TypeJson: tj})
	})
}

// FuzzDescribeResponse feeds arbitrary Describe answers, as a broken or
// hostile plugin could send, to the host's converter.
func FuzzDescribeResponse(f *testing.F) {
	pb, _ := descriptionToProto(testDescription())
	b, _ := proto.Marshal(pb)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp stagev1.DescribeResponse
		if proto.Unmarshal(b, &resp) != nil {
			return
		}
		d, err := descriptionFromProto(&resp)
		if err == nil {
			_ = d.ConfigType()
			_, _ = d.ApplyDefaults(cty.EmptyObjectVal)
		}
	})
}

func TestServerTLSConfig(t *testing.T) {
	testCertPEM, testKeyPEM := testPair(t)
	pair := append(testCertPEM, testKeyPEM...)
	cfg, err := serverTLSConfig(pair, testCertPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Certificates) != 1 || cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil {
		t.Errorf("config does not require the host's certificate: %+v", cfg)
	}
	if _, err := serverTLSConfig(pair, nil); err == nil {
		t.Error("accepted a key without the host's certificate")
	}
	if _, err := serverTLSConfig([]byte("junk"), testCertPEM); err == nil {
		t.Error("accepted junk as a key pair")
	}
	t.Setenv(EnvTLSFD, "")
	if cfg, err := hostTLSConfig(); cfg != nil || err != nil {
		t.Errorf("without the variable: %v, %v; want go-plugin's AutoMTLS to take over", cfg, err)
	}
	t.Setenv(EnvTLSFD, "1")
	if _, err := hostTLSConfig(); err == nil {
		t.Error("accepted stdout as the TLS descriptor")
	}
}

// testPair makes a throwaway self-signed P-256 certificate and key in PEM.
func testPair(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
