package runstore

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkAddMetrics measures batched metric inserts (points/s).
func BenchmarkAddMetrics(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "llmflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	run, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl"})
	node, _ := s.StartNode(ctx, NodeStart{RunID: run, Addr: "stage.pretrain.base", Kind: "stage"})
	const batch = 512
	ms := make([]Metric, batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range ms {
			ms[j] = Metric{Step: int64(i*batch + j), Name: "loss", Value: float64(j)}
		}
		if err := s.AddMetrics(ctx, run, node, ms); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkAddEvent measures single-row write transactions (writes/s).
func BenchmarkAddEvent(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "llmflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	run, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl"})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.AddEvent(ctx, Event{RunID: run, Type: "log", Message: "line"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}
