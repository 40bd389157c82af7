package stream

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestRunJSONLMemoryPerByte runs one long document through RunJSONL and
// bounds the bytes allocated per input byte: reading the line, handing
// the text to the mapper and writing the result may each cost about one
// copy of the document, not several.
func TestRunJSONLMemoryPerByte(t *testing.T) {
	doc := strings.Repeat("All work and no play makes a long document. ", 200_000) // 9 MB
	line := []byte(`{"id":"big","text":"` + doc + `","meta":{"n":1}}` + "\n")
	for _, tc := range []struct {
		name       string
		extra      []string
		mapper     MapperFunc
		maxPerByte float64
	}{
		{"unchanged", nil, func(string, *Result) {}, 2.5},
		{"extra column", []string{"language"}, func(_ string, r *Result) { r.Extra[0] = "en" }, 3.5},
		{"changed text", nil, func(text string, r *Result) { r.Text = text[1:] }, 3.5},
		{"changed text and extra", []string{"language"}, func(text string, r *Result) { r.Text, r.Extra[0] = text[1:], "en" }, 4.5},
		{"dropped", nil, func(_ string, r *Result) { r.Drop, r.Reason = true, "test" }, 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := JSONLOptions{Options: Options{Workers: 1, Extra: tc.extra}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := RunJSONL(context.Background(), bytes.NewReader(line), io.Discard, opt, func(int) MapperFunc { return tc.mapper })
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(line))
			t.Logf("%.2f bytes allocated per input byte", perByte)
			if perByte > tc.maxPerByte {
				t.Errorf("%.2f bytes allocated per input byte, want at most %g", perByte, tc.maxPerByte)
			}
		})
	}
}
