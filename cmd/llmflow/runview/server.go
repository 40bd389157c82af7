package runview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Server is the read-only web UI over a run database and artifact store.
// The database is opened per request, read-only, so pages show runs that
// other processes record while the server runs. It is safe for concurrent
// use.
type Server struct {
	DB      string // run database file
	Store   string // artifact store directory
	Version string
	// MaxRuns bounds the runs list (0: 1000).
	MaxRuns int
}

// Handler returns the UI's routes. Every route answers GET (and HEAD) only.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.runs)
	mux.HandleFunc("GET /runs/{id}", s.run)
	mux.HandleFunc("GET /runs/{id}/live.json", s.live)
	mux.HandleFunc("GET /artifacts/{digest}", s.artifact)
	mux.HandleFunc("GET /compare", s.compare)
	assets, _ := fs.Sub(assetFS, "assets")
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	return readOnly(mux)
}

// readOnly refuses every method but GET and HEAD: nothing in the UI writes.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the llmflow UI is read-only", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) open() (*runstore.Store, error) { return runstore.OpenReadOnly(s.DB) }

// fail answers with the error's status: 404 for what does not exist.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, runstore.ErrAmbiguous) {
		code = http.StatusBadRequest
	}
	if errors.Is(err, runstore.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, artifact.ErrNoArtifact) {
		code = http.StatusNotFound
	}
	http.Error(w, err.Error(), code)
}

func (s *Server) page(w http.ResponseWriter, v *view, name string) {
	v.Version = s.Version
	var buf bytes.Buffer
	if err := v.render(&buf, name); err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	limit := s.MaxRuns
	if limit == 0 {
		limit = 1000
	}
	v := &view{Title: "llmflow runs"}
	db, err := s.open()
	if err == nil {
		defer db.Close()
		runs, err := db.ListRuns(r.Context(), runstore.ListOptions{Limit: limit + 1})
		if err != nil {
			fail(w, err)
			return
		}
		if len(runs) > limit {
			runs, v.More = runs[:limit], true
		}
		v.Runs = runRows(runs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		fail(w, err)
		return
	}
	s.page(w, v, "runs")
}

// resolve finds the run a URL names (an id or a unique prefix, or latest).
func resolve(ctx context.Context, db *runstore.Store, ref string) (string, error) {
	return db.ResolveRunID(ctx, ref)
}

// openRun opens the database and resolves the run the URL names; on
// failure it has answered and returns a nil store.
func (s *Server) openRun(w http.ResponseWriter, r *http.Request) (*runstore.Store, string) {
	db, err := s.open()
	if err != nil {
		fail(w, err)
		return nil, ""
	}
	id, err := resolve(r.Context(), db, r.PathValue("id"))
	if err != nil {
		db.Close()
		fail(w, err)
		return nil, ""
	}
	return db, id
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	db, id := s.openRun(w, r)
	if db == nil {
		return
	}
	defer db.Close()
	store, _ := artifact.OpenStore(s.Store)
	p, err := BuildRun(r.Context(), db, store, id)
	if err != nil {
		fail(w, err)
		return
	}
	v := &view{Title: "llmflow run " + id, Run: p, Charts: chartsJSON(p.Charts)}
	if p.Run.Status == runstore.StatusRunning {
		v.LiveURL = "/runs/" + id + "/live.json"
	}
	s.page(w, v, "run")
}

// live answers the live page's poll: the run's status and charts.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	db, id := s.openRun(w, r)
	if db == nil {
		return
	}
	defer db.Close()
	d, err := db.GetRun(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	curves, err := db.Curves(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	charts := RunCharts(curves)
	if charts == nil {
		charts = []Chart{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Status string  `json:"status"`
		Charts []Chart `json:"charts"`
	}{d.Status, charts})
}

// sampleRows is how many rows an artifact page shows.
const sampleRows = 20

func (s *Server) artifact(w http.ResponseWriter, r *http.Request) {
	p, err := ReadArtifact(r.Context(), s.Store, r.PathValue("digest"), sampleRows)
	if err != nil {
		fail(w, err)
		return
	}
	s.page(w, &view{Title: "llmflow artifact " + p.Manifest.Digest, Artifact: p}, "artifact")
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	db, err := s.open()
	if err != nil {
		fail(w, err)
		return
	}
	defer db.Close()
	a, b := r.URL.Query().Get("a"), r.URL.Query().Get("b")
	if a == "" || b == "" {
		http.Error(w, "compare needs two runs: /compare?a=RUN&b=RUN", http.StatusBadRequest)
		return
	}
	p, err := BuildCompare(r.Context(), db, a, b)
	if err != nil {
		fail(w, err)
		return
	}
	s.page(w, &view{Title: "llmflow compare", Compare: p, Charts: chartsJSON(p.Charts)}, "compare")
}
