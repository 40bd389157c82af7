package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func writeInput(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "in")
	w, err := artifact.NewTextWriter(dir, nil, artifact.WithShardRows(300))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Append("doc-"+strconv.Itoa(i), "text number "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runPlugin builds this example, starts it as a real plugin process and runs
// it once on input.
func runPlugin(t *testing.T, bin, input string, seed int64, frac float64) (string, []pluginhost.Output) {
	t.Helper()
	sum, err := pluginhost.FileChecksum(bin)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pluginhost.New().Open(context.Background(), pluginhost.PluginSpec{Name: "shuffle_split", Source: bin, Checksum: sum})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg, err := c.Describe().ApplyDefaults(cty.ObjectVal(map[string]cty.Value{"val_fraction": cty.NumberFloatVal(frac)}))
	if err != nil {
		t.Fatal(err)
	}
	if diags, err := c.Validate(context.Background(), cfg); err != nil || diags.HasErrors() {
		t.Fatalf("validate: %v %v", diags, err)
	}
	out := t.TempDir()
	outs, err := c.Run(context.Background(), pluginhost.RunRequest{
		Config: cfg, OutputDir: out, Seed: seed,
		Inputs: map[string]sdk.Input{"data": {Path: input, Kind: artifact.KindText}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out, outs
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shuffle-split")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestShuffleSplitPlugin(t *testing.T) {
	bin := buildPlugin(t)
	input := writeInput(t, 1000)
	out1, outs := runPlugin(t, bin, input, 7, 0.1)
	if len(outs) != 2 {
		t.Fatalf("outputs = %+v", outs)
	}
	train, err := artifact.OpenDataset(filepath.Join(out1, "train"))
	if err != nil {
		t.Fatal(err)
	}
	val, err := artifact.OpenDataset(filepath.Join(out1, "val"))
	if err != nil {
		t.Fatal(err)
	}
	if train.Rows() != 900 || val.Rows() != 100 {
		t.Errorf("rows = %d train, %d val; want 900, 100", train.Rows(), val.Rows())
	}

	out2, _ := runPlugin(t, bin, input, 7, 0.1)
	out3, _ := runPlugin(t, bin, input, 8, 0.1)
	shard := filepath.Join("val", "part-00000.arrow")
	a, _ := os.ReadFile(filepath.Join(out1, shard))
	b, _ := os.ReadFile(filepath.Join(out2, shard))
	c, _ := os.ReadFile(filepath.Join(out3, shard))
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different val shards")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same val shard")
	}
}

func TestValidate(t *testing.T) {
	d, _ := ShuffleSplit{}.Describe(context.Background())
	cfg, _ := d.ApplyDefaults(cty.ObjectVal(map[string]cty.Value{"val_fraction": cty.NumberIntVal(1)}))
	diags := ShuffleSplit{}.Validate(context.Background(), cfg)
	if len(diags) != 1 || diags[0].Attribute != "val_fraction" {
		t.Errorf("diags = %v", diags)
	}
}
