package pluginhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/plugins/sdk"
)

func TestCheckOutputs(t *testing.T) {
	out := t.TempDir()
	_ = os.MkdirAll(filepath.Join(out, "train"), 0o755)
	_ = os.Symlink("/etc", filepath.Join(out, "link"))
	d := &sdk.Description{Outputs: []sdk.Port{
		{Name: "train", Kind: "dataset/text"},
		{Name: "val", Kind: "dataset/text", Optional: true},
	}}
	tests := []struct {
		name string
		outs []Output
		want string // empty: accepted
	}{
		{"relative path and default kind", []Output{{Name: "train", Path: "train"}}, ""},
		{"undeclared", []Output{{Name: "train", Path: "train"}, {Name: "extra", Path: "train"}}, `does not declare`},
		{"missing required", []Output{{Name: "val", Path: "train"}}, `without producing output "train"`},
		{"wrong kind", []Output{{Name: "train", Path: "train", Kind: "checkpoint"}}, `declares "dataset/text"`},
		{"escapes", []Output{{Name: "train", Path: "../x"}}, "not inside the output directory"},
		{"is the directory", []Output{{Name: "train", Path: out}}, "not inside the output directory"},
		{"symlink", []Output{{Name: "train", Path: "link"}}, "symbolic link"},
		{"missing", []Output{{Name: "train", Path: "nope"}}, "no such file"},
		{"twice", []Output{{Name: "train", Path: "train"}, {Name: "train", Path: "train"}}, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkOutputs(d, out, tc.outs)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.outs[0].Kind != "dataset/text" || tc.outs[0].Path != filepath.Join(out, "train") {
					t.Errorf("not normalised: %+v", tc.outs[0])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
