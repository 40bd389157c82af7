package dedup

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
)

// dupCorpus returns n documents: random ones, exact copies of earlier ones
// and copies with a few words replaced, which chain into clusters where a
// copy of a copy can be near its source's source or not.
func dupCorpus(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	texts := make([]string, 0, n)
	for i := range n {
		switch k := i % 10; {
		case i > 0 && k == 0:
			texts = append(texts, texts[r.IntN(i)])
		case i > 0 && k <= 3:
			w := strings.Fields(texts[r.IntN(i)])
			if len(w) == 0 {
				w = strings.Fields(randomDoc(r))
			}
			for range 1 + r.IntN(8) {
				w[r.IntN(len(w))] = fmt.Sprintf("x%d", r.IntN(50))
			}
			texts = append(texts, strings.Join(w, " "))
		case k == 4:
			texts = append(texts, "") // documents without tokens
		default:
			texts = append(texts, randomDoc(r))
		}
	}
	return texts
}

// runBoth deduplicates in with Run and with RunOnDisk (sort buffers of
// sortBytes) and returns both outputs' directories and counters.
func runBoth(t *testing.T, in, ref *artifact.Dataset, cfg Config, sortBytes int) (string, string, Stats, Stats) {
	t.Helper()
	tmp := t.TempDir()
	var dirs [2]string
	var stats [2]Stats
	for k := range 2 {
		dirs[k] = filepath.Join(tmp, fmt.Sprint("out", k))
		out, err := artifact.NewDatasetWriter(dirs[k], in.Schema())
		if err != nil {
			t.Fatal(err)
		}
		var opts []RunOption
		if ref != nil {
			opts = append(opts, WithAgainst(ref, ""))
		}
		if k == 0 {
			stats[k], err = Run(context.Background(), in, out, cfg, nil, opts...)
		} else {
			stats[k], err = RunOnDisk(context.Background(), in, out, cfg, nil, filepath.Join(tmp, "scratch"), sortBytes, opts...)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "scratch")); !os.IsNotExist(err) {
		t.Errorf("scratch directory left behind: %v", err)
	}
	return dirs[0], dirs[1], stats[0], stats[1]
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(a, "*"))
	if len(names) == 0 {
		t.Fatalf("no files in %s", a)
	}
	for _, pa := range names {
		x, _ := os.ReadFile(pa)
		y, err := os.ReadFile(filepath.Join(b, filepath.Base(pa)))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs on disk from in memory (%v)", filepath.Base(pa), err)
		}
	}
}

// TestRunOnDiskMatchesRun: the phases on disk keep the documents Run keeps,
// write the same bytes and count the same, references included.
func TestRunOnDiskMatchesRun(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 5_000
	}
	texts := dupCorpus(n, 1)
	tmp := t.TempDir()
	in := writeTextDataset(t, filepath.Join(tmp, "in"), texts, 4096)
	refTexts := append(dupCorpus(200, 2), texts[7], texts[123]+" w1", texts[999])
	ref := writeTextDataset(t, filepath.Join(tmp, "ref"), refTexts, 64)
	exact := DefaultConfig()
	exact.Method = MethodExact
	for _, tc := range []struct {
		name string
		cfg  Config
		ref  *artifact.Dataset
	}{{"minhash", DefaultConfig(), nil}, {"minhash against", DefaultConfig(), ref}, {"exact against", exact, ref}} {
		t.Run(tc.name, func(t *testing.T) {
			mem, disk, ms, ds := runBoth(t, in, tc.ref, tc.cfg, 1<<20) // small buffers: many sorted runs
			if ms != ds {
				t.Errorf("counters differ:\nmemory %+v\ndisk   %+v", ms, ds)
			}
			if ms.Near == 0 && tc.cfg.Method == MethodMinHash || ms.Exact == 0 || (tc.ref != nil && ms.AgainstExact == 0) {
				t.Errorf("the corpus does not exercise every kind: %+v", ms)
			}
			sameFiles(t, mem, disk)
		})
	}
}
