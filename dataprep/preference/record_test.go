package preference

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
)

func user(s string) chat.Message      { return chat.Message{Role: chat.RoleUser, Content: s} }
func assistant(s string) chat.Message { return chat.Message{Role: chat.RoleAssistant, Content: s} }
func system(s string) chat.Message    { return chat.Message{Role: chat.RoleSystem, Content: s} }

func shape(s string, edit ...func(*Config)) Config {
	c := DefaultConfig()
	c.Shape = s
	for _, e := range edit {
		e(&c)
	}
	return c
}

func TestMapShapes(t *testing.T) {
	renamed := func(c *Config) {
		c.Fields = map[string]string{"prompt": "question", "chosen": "good", "rejected": "bad"}
	}
	rankAll := func(c *Config) { c.RankedPairs = RankedAll }
	rankAdj := func(c *Config) { c.RankedPairs = RankedAdjacent }
	for _, tc := range []struct {
		name string
		c    Config
		line string
		want []Pair
	}{
		{"pairs", shape(ShapePairs), `{"id":"p1","prompt":"2+2?","chosen":"4","rejected":"5"}`,
			[]Pair{{ID: "p1", Prompt: []chat.Message{user("2+2?")}, Chosen: "4", Rejected: "5"}}},
		{"pairs renamed, system and history", shape(ShapePairs, renamed),
			`{"question":"再说一遍","good":"好的","bad":"不","system":"Be kind.","history":[["你好","你好！"]]}`,
			[]Pair{{ID: "f:1", Prompt: []chat.Message{system("Be kind."), user("你好"), assistant("你好！"), user("再说一遍")}, Chosen: "好的", Rejected: "不"}}},
		{"hh", shape(ShapeHH), `{"chosen":"\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye\n\nAssistant: Goodbye!","rejected":"\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Bye\n\nAssistant: Go."}`,
			[]Pair{{ID: "f:1", Prompt: []chat.Message{user("Hi"), assistant("Hello."), user("Bye")}, Chosen: "Goodbye!", Rejected: "Go."}}},
		{"hh answers share a start", shape(ShapeHH), `{"chosen":"\n\nHuman: Hi\n\nAssistant: Hello there","rejected":"\n\nHuman: Hi\n\nAssistant: Hello you"}`,
			[]Pair{{ID: "f:1", Prompt: []chat.Message{user("Hi")}, Chosen: "Hello there", Rejected: "Hello you"}}},
		{"hh answer runs on into a turn", shape(ShapeHH), `{"chosen":"\n\nHuman: Hi\n\nAssistant: Yo\n\nHuman: more\n\nAssistant: ok","rejected":"\n\nHuman: Hi\n\nAssistant: No"}`,
			[]Pair{{ID: "f:1", Prompt: []chat.Message{user("Hi")}, Chosen: "Yo\n\nHuman: more\n\nAssistant: ok", Rejected: "No"}}},
		{"ranked best_vs_rest", shape(ShapeRanked), `{"instruction":"q","input":"ctx","output":["a","b","c"],"history":[]}`,
			[]Pair{
				{ID: "f:1/0>1", Prompt: []chat.Message{user("q\n\nctx")}, Chosen: "a", Rejected: "b"},
				{ID: "f:1/0>2", Prompt: []chat.Message{user("q\n\nctx")}, Chosen: "a", Rejected: "c"}}},
		{"ranked all", shape(ShapeRanked, rankAll), `{"id":7,"instruction":"q","output":["a","b","c"]}`,
			[]Pair{
				{ID: "7/0>1", Prompt: []chat.Message{user("q")}, Chosen: "a", Rejected: "b"},
				{ID: "7/0>2", Prompt: []chat.Message{user("q")}, Chosen: "a", Rejected: "c"},
				{ID: "7/1>2", Prompt: []chat.Message{user("q")}, Chosen: "b", Rejected: "c"}}},
		{"ranked adjacent drops ties", shape(ShapeRanked, rankAdj), `{"instruction":"q","output":["a","b","b","c"]}`,
			[]Pair{
				{ID: "f:1/0>1", Prompt: []chat.Message{user("q")}, Chosen: "a", Rejected: "b"},
				{ID: "f:1/2>3", Prompt: []chat.Message{user("q")}, Chosen: "b", Rejected: "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := tc.c.Map([]byte(tc.line), "f:1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec.Pairs, tc.want) {
				t.Errorf("pairs\n got %+v\nwant %+v", rec.Pairs, tc.want)
			}
		})
	}
}

func TestSplitKey(t *testing.T) {
	c := shape(ShapePairs)
	a, _ := c.Map([]byte(`{"prompt":"q","chosen":"a","rejected":"b"}`), "f:1")
	b, _ := c.Map([]byte(`{"prompt":"q","chosen":"c","rejected":"d"}`), "f:2")
	if a.Key != b.Key {
		t.Errorf("records with one prompt have keys %q and %q; they must share a side", a.Key, b.Key)
	}
	d, _ := c.Map([]byte(`{"id":"x","prompt":"q","chosen":"a","rejected":"b"}`), "f:3")
	if d.Key != a.Key {
		t.Errorf("an id changed the key to %q", d.Key)
	}
}

func TestMapErrors(t *testing.T) {
	for _, tc := range []struct {
		name, shape, line, want string
	}{
		{"not json", ShapePairs, `{"prompt":`, "not a JSON object"},
		{"null", ShapePairs, `null`, "record is null"},
		{"missing chosen", ShapePairs, `{"prompt":"q","rejected":"b"}`, `missing field "chosen"`},
		{"number prompt", ShapePairs, `{"prompt":3,"chosen":"a","rejected":"b"}`, `field "prompt" is a number, want a string`},
		{"empty rejected", ShapePairs, `{"prompt":"q","chosen":"a","rejected":""}`, `field "rejected" is empty`},
		{"same answers", ShapePairs, `{"prompt":"q","chosen":"a","rejected":"a"}`, "same answer"},
		{"bad history", ShapePairs, `{"prompt":"q","chosen":"a","rejected":"b","history":[["x"]]}`, `field "history": entry 0 has 1 strings`},
		{"bad id", ShapePairs, `{"id":[1],"prompt":"q","chosen":"a","rejected":"b"}`, `field "id"`},
		{"hh no assistant", ShapeHH, `{"chosen":"\n\nHuman: a","rejected":"\n\nHuman: b"}`, "share no \"Assistant:\" turn"},
		{"hh different prompts", ShapeHH, `{"chosen":"\n\nHuman: a\n\nAssistant: x","rejected":"\n\nHuman: b\n\nAssistant: x"}`, "share no \"Assistant:\" turn"},
		{"hh differ earlier", ShapeHH, `{"chosen":"\n\nHuman: a\n\nAssistant: x\n\nHuman: c\n\nAssistant: y","rejected":"\n\nHuman: a\n\nAssistant: x\n\nHuman: d\n\nAssistant: y"}`, "differ before their last Assistant turn"},
		{"hh no human start", ShapeHH, `{"chosen":"Hi\n\nAssistant: x","rejected":"Hi\n\nAssistant: y"}`, "does not start with"},
		{"hh empty answer", ShapeHH, `{"chosen":"\n\nHuman: a\n\nAssistant: ","rejected":"\n\nHuman: a\n\nAssistant: y"}`, "the chosen answer"},
		{"hh prompt ends with assistant", ShapeHH, `{"chosen":"\n\nHuman: a\n\nAssistant: x\n\nAssistant: y","rejected":"\n\nHuman: a\n\nAssistant: x\n\nAssistant: z"}`, "end with a user turn"},
		{"ranked one answer", ShapeRanked, `{"instruction":"q","output":["a"]}`, "has 1 answers, want at least 2"},
		{"ranked string output", ShapeRanked, `{"instruction":"q","output":"a"}`, "is a string, want a list of answers"},
		{"ranked empty answer", ShapeRanked, `{"instruction":"q","output":["a",""]}`, "answer 1 is empty"},
		{"ranked empty instruction", ShapeRanked, `{"instruction":"","output":["a","b"]}`, `field "instruction" is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := shape(tc.shape).Map([]byte(tc.line), "f:1")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Map(%s) = %v, want an error saying %q", tc.line, err, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Shape = "pair" }, "shape \"pair\" is not one of hh, pairs, ranked"},
		{func(c *Config) { c.Fields = map[string]string{"answer": "x"} }, "fields: \"answer\" is not a field of shape pairs"},
		{func(c *Config) { c.Fields = map[string]string{"prompt": ""} }, "maps to an empty name"},
		{func(c *Config) { c.RankedPairs = "pairwise" }, "ranked_pairs must be"},
		{func(c *Config) { c.OnError = "ignore" }, "on_error must be"},
		{func(c *Config) { c.ValFraction = 1 }, "val_fraction: 1 must lie in [0, 1)"},
	} {
		c := shape(ShapePairs, tc.edit)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c, err, tc.want)
		}
	}
}

// FuzzPreferenceRecord maps arbitrary records of every shape: no panic,
// and every pair returned is one a Writer accepts.
func FuzzPreferenceRecord(f *testing.F) {
	f.Add(ShapePairs, `{"prompt":"q","chosen":"a","rejected":"b","history":[["x","y"]],"system":"s"}`)
	f.Add(ShapeHH, `{"chosen":"\n\nHuman: Hi\n\nAssistant: Yo\n\nHuman: more\n\nAssistant: ok","rejected":"\n\nHuman: Hi\n\nAssistant: No"}`)
	f.Add(ShapeRanked, `{"id":3,"instruction":"q","input":"i","output":["a","b","a"],"history":[["x","y"]]}`)
	f.Add(ShapeHH, `{"chosen":"\n\nAssistant:\n\nHuman:","rejected":"\n\nAssistant:\n\nHuman:x"}`)
	f.Fuzz(func(t *testing.T, s, line string) {
		for _, mode := range []string{RankedBestVsRest, RankedAll, RankedAdjacent} {
			c := shape(s, func(c *Config) { c.RankedPairs = mode })
			if c.Validate() != nil {
				return
			}
			rec, err := c.Map([]byte(line), "f:1")
			if err != nil {
				continue
			}
			if rec.Key == "" || rec.ID == "" {
				t.Fatalf("record %+v has no id or key", rec)
			}
			for _, p := range rec.Pairs {
				if err := p.Check(); err != nil {
					t.Fatalf("pair %+v fails Check: %v", p, err)
				}
				if _, err := json.Marshal(p); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
