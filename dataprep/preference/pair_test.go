package preference

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
)

func TestWriteRead(t *testing.T) {
	pairs := []Pair{
		{ID: "a", Prompt: []chat.Message{{Role: chat.RoleUser, Content: "hi"}}, Chosen: "hello", Rejected: "go away"},
		{ID: "b", Prompt: []chat.Message{
			{Role: chat.RoleSystem, Content: "be kind"},
			{Role: chat.RoleUser, Content: "q1"}, {Role: chat.RoleAssistant, Content: "a1"},
			{Role: chat.RoleUser, Content: "q2"}}, Chosen: "good", Rejected: "bad"},
	}
	dir := t.TempDir() + "/ds"
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if err := w.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pairs) {
		t.Fatalf("read back %+v, wrote %+v", got, pairs)
	}
}

func TestAppendRefusesBadPairs(t *testing.T) {
	w, err := NewWriter(t.TempDir() + "/ds")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, tc := range []struct {
		p    Pair
		want string
	}{
		{Pair{ID: "x", Chosen: "a", Rejected: "b"}, "end with a user turn"},
		{Pair{ID: "y", Prompt: []chat.Message{{Role: chat.RoleUser, Content: "q"}}, Chosen: "a", Rejected: "a"}, "same answer"},
	} {
		if err := w.Append(tc.p); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.p.ID) {
			t.Errorf("Append(%+v) = %v, want an error naming %s and saying %q", tc.p, err, tc.p.ID, tc.want)
		}
	}
}
