package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzJobFiles feeds arbitrary bytes to the readers of the files a job
// writes into the store (events, result) and the spec the host writes:
// a truncated or foreign file is an error, never a panic.
func FuzzJobFiles(f *testing.F) {
	f.Add([]byte(`{"t":"progress","done":3,"total":9,"unit":"docs"}` + "\n" + `{"t":"log","line":"hi"}` + "\n"))
	f.Add([]byte(`{"outputs":{"data":"sha256:00"},"metrics":{"docs":1}}`))
	f.Add([]byte(`{"node":"clean.c","type":"clean","key":"k","store":"/s","config":{},"vars":{"x":{"value":1,"type":"number"}},"shards":2}`))
	f.Add([]byte(`{"t":"metric","name":"loss","step":1,"value":0.5}` + "\n" + `{"t":`))
	f.Add([]byte(`{"t":"progress","done":3,"total":9,"unit":"docs","task":1,"tasks":2}` + "\n" + `{"t":"progress","done":1,"task":-7,"tasks":2}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range []string{jobEventsFile, jobResultFile, jobSpecFile} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		tail := &eventTail{path: filepath.Join(dir, jobEventsFile), addr: "n", hook: NopHook{}, shards: newShardProgress(2)}
		tail.poll()
		tail.poll()
		readJobResult(dir)
		if spec, err := ReadJobSpec(dir); err == nil {
			spec.bindNode() // decoding a foreign pipeline source fails cleanly
		}
	})
}
