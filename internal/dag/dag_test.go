package dag

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func diamond() *Graph {
	g := New()
	g.Connect("a", "b")
	g.Connect("a", "c")
	g.Connect("b", "d")
	g.Connect("c", "d")
	g.Add("x")
	return g
}

func TestTopoOrder(t *testing.T) {
	got, err := diamond().TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,c,d,x" {
		t.Fatalf("order %v", got)
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges [][2]string
		want  string
	}{
		{"two", [][2]string{{"a", "b"}, {"b", "a"}}, "dependency cycle a -> b -> a"},
		{"three", [][2]string{{"c", "a"}, {"a", "b"}, {"b", "c"}, {"x", "a"}}, "dependency cycle a -> b -> c -> a"},
		{"self", [][2]string{{"a", "a"}}, "dependency cycle a -> a"},
		{"separate", [][2]string{{"a", "b"}, {"b", "a"}, {"m", "n"}, {"n", "m"}}, "dependency cycle a -> b -> a; m -> n -> m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New()
			for _, e := range tt.edges {
				g.Connect(e[0], e[1])
			}
			_, err := g.TopoOrder()
			var ce *CycleError
			if !errors.As(err, &ce) || err.Error() != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWalkSkipsDependantsOfFailure(t *testing.T) {
	g := diamond()
	g.Connect("d", "e")
	var skipped []string
	var mu sync.Mutex
	ran := map[string]bool{}
	res := g.Walk(context.Background(), 4, func(_ context.Context, v string) error {
		mu.Lock()
		ran[v] = true
		mu.Unlock()
		if v == "b" {
			return errors.New("boom")
		}
		return nil
	}, OnSkip(func(v, cause string) { skipped = append(skipped, v+"<"+cause) }))
	want := map[string]Status{"a": Succeeded, "b": Failed, "c": Succeeded, "d": Skipped, "e": Skipped, "x": Succeeded}
	for v, s := range want {
		if res.Status[v] != s {
			t.Errorf("%s: %v, want %v", v, res.Status[v], s)
		}
	}
	if ran["d"] || ran["e"] {
		t.Error("skipped vertex ran")
	}
	if strings.Join(skipped, ",") != "d<b,e<b" {
		t.Errorf("skips %v", skipped)
	}
	var se *SkipError
	if !errors.As(res.Err["e"], &se) || se.Cause != "b" {
		t.Errorf("skip error %v", res.Err["e"])
	}
}

func TestWalkParallelismBound(t *testing.T) {
	for _, par := range []int{1, 2, 3} {
		g := New()
		for _, v := range []string{"a", "b", "c", "d", "e", "f"} {
			g.Add(v)
		}
		var cur, peak atomic.Int32
		g.Walk(context.Background(), par, func(context.Context, string) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			cur.Add(-1)
			return nil
		})
		if int(peak.Load()) != par {
			t.Errorf("parallelism %d: peak %d", par, peak.Load())
		}
	}
}

func TestWalkHaltAndCancel(t *testing.T) {
	g := New()
	g.Connect("a", "b")
	g.Add("c")
	res := g.Walk(context.Background(), 1, func(_ context.Context, v string) error {
		if v == "a" {
			return Halt(errors.New("stop"))
		}
		return nil
	})
	if res.Status["c"] != Cancelled || res.Status["b"] != Skipped {
		t.Fatalf("%v", res.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res = g.Walk(ctx, 1, func(context.Context, string) error { cancel(); return nil })
	if res.Status["a"] != Succeeded || res.Status["b"] != Cancelled || !errors.Is(res.Err["b"], context.Canceled) {
		t.Fatalf("%v %v", res.Status, res.Err)
	}
}

func TestWalkPanicIsFailure(t *testing.T) {
	g := New()
	g.Add("a")
	res := g.Walk(context.Background(), 1, func(context.Context, string) error { panic("x") })
	if res.Status["a"] != Failed {
		t.Fatal(res.Status)
	}
}

func TestRender(t *testing.T) {
	g := New()
	g.Connect("dataset.web", "clean.web")
	dot := g.DOT("p", nil)
	if !strings.Contains(dot, `"dataset.web" -> "clean.web";`) {
		t.Fatal(dot)
	}
	mm := g.Mermaid(nil)
	want := "flowchart LR\n  n0[\"clean.web\"]\n  n1[\"dataset.web\"]\n  n1 --> n0\n"
	if mm != want {
		t.Fatalf("%q", mm)
	}
}
