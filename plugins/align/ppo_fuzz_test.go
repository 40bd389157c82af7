package align

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseReportRows: the report rows a resumed run reads back from a
// checkpoint directory never panic the reader, and what it accepts encodes
// back to rows that read the same.
func FuzzParseReportRows(f *testing.F) {
	f.Add([]byte(`{"step":1,"prompt":"a","response":"b","score":0.5,"kl":-0.1}` + "\n"))
	f.Add([]byte("{}\n\n"))
	f.Add([]byte(`{"step":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseReportRows(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				t.Fatalf("row %+v read but does not encode: %v", r, err)
			}
		}
		again, err := parseReportRows(&out, "again")
		if err != nil || len(again) != len(rows) {
			t.Fatalf("%d rows read back as %d: %v", len(rows), len(again), err)
		}
	})
}
