package instruction

import (
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
)

func cfg(shape string, edit ...func(*Config)) Config {
	c := DefaultConfig()
	c.Shape = shape
	for _, e := range edit {
		e(&c)
	}
	return c
}

func TestMapShapes(t *testing.T) {
	u := func(s string) chat.Message { return chat.Message{Role: chat.RoleUser, Content: s} }
	a := func(s string) chat.Message { return chat.Message{Role: chat.RoleAssistant, Content: s} }
	sys := func(s string) chat.Message { return chat.Message{Role: chat.RoleSystem, Content: s} }
	for _, c := range []struct {
		name   string
		cfg    Config
		line   string
		id     string
		want   []chat.Message
		prompt string
	}{
		{"alpaca", cfg(ShapeAlpaca), `{"instruction":"Add","input":"2 and 3","output":"5"}`, "f:1",
			[]chat.Message{u("Add\n\n2 and 3"), a("5")}, "Add\n\n2 and 3"},
		{"alpaca empty input", cfg(ShapeAlpaca), `{"id":7,"instruction":"Hi","input":"","output":"Hello"}`, "7",
			[]chat.Message{u("Hi"), a("Hello")}, "Hi"},
		{"alpaca history", cfg(ShapeAlpaca), `{"instruction":"再说一遍","input":"","output":"好的","history":[["你好","你好！"]]}`, "f:1",
			[]chat.Message{u("你好"), a("你好！"), u("再说一遍"), a("好的")}, "再说一遍"},
		{"alpaca renamed with system", cfg(ShapeAlpaca, func(c *Config) { c.Fields = map[string]string{"instruction": "task", "output": "solution"} }),
			`{"task":"t","solution":"s","system":"Be brief."}`, "f:1", []chat.Message{sys("Be brief."), u("t"), a("s")}, "t"},
		{"qa gsm8k", cfg(ShapeQA), `{"question":"1+1?","answer":"1+1=<<1+1=2>>2\n#### 2"}`, "f:1",
			[]chat.Message{u("1+1?"), a("1+1=<<1+1=2>>2\n#### 2")}, "1+1?"},
		{"prompt response", cfg(ShapePromptResponse), `{"id":"x","prompt":"p","response":"r","extra":[1]}`, "x",
			[]chat.Message{u("p"), a("r")}, "p"},
		{"messages multi-turn system", cfg(ShapeMessages), `{"messages":[{"role":"system","content":"S"},{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"},{"role":"assistant","content":"a2"}]}`, "f:1",
			[]chat.Message{sys("S"), u("q1"), a("a1"), u("q2"), a("a2")}, "q2"},
		{"messages sharegpt", cfg(ShapeMessages, func(c *Config) {
			c.Fields = map[string]string{"messages": "conversations", "role": "from", "content": "value"}
			c.Roles = map[string]string{"human": "user", "gpt": "assistant"}
		}), `{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}`, "f:1",
			[]chat.Message{u("q"), a("a")}, "q"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ex, err := c.cfg.Map([]byte(c.line), "f:1")
			if err != nil {
				t.Fatal(err)
			}
			if ex.ID != c.id || ex.Prompt() != c.prompt || ex.Response() != c.want[len(c.want)-1].Content {
				t.Errorf("id %q prompt %q response %q", ex.ID, ex.Prompt(), ex.Response())
			}
			if len(ex.Messages) != len(c.want) {
				t.Fatalf("messages %+v, want %+v", ex.Messages, c.want)
			}
			for i := range c.want {
				if ex.Messages[i] != c.want[i] {
					t.Errorf("message %d: %+v, want %+v", i, ex.Messages[i], c.want[i])
				}
			}
		})
	}
}

func TestMapBadRecords(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		line string
		want string
	}{
		{"not json", cfg(ShapeQA), `{"question":`, "not a JSON object"},
		{"array", cfg(ShapeQA), `[1,2]`, "not a JSON object"},
		{"null", cfg(ShapeQA), `null`, "null"},
		{"bad utf8", cfg(ShapeQA), "{\"question\":\"\xff\",\"answer\":\"a\"}", "UTF-8"},
		{"missing answer", cfg(ShapeQA), `{"question":"q"}`, `missing field "answer"`},
		{"renamed missing", cfg(ShapeQA, func(c *Config) { c.Fields = map[string]string{"answer": "solution"} }), `{"question":"q","answer":"a"}`, `missing field "solution"`},
		{"number answer", cfg(ShapeQA), `{"question":"q","answer":5}`, `field "answer" is a number, want a string`},
		{"empty answer", cfg(ShapeQA), `{"question":"q","answer":""}`, "empty content"},
		{"bad id", cfg(ShapeQA), `{"id":[1],"question":"q","answer":"a"}`, `field "id"`},
		{"history not pairs", cfg(ShapeAlpaca), `{"instruction":"i","output":"o","history":[["a"]]}`, "entry 0 has 1 strings"},
		{"history wrong type", cfg(ShapeAlpaca), `{"instruction":"i","output":"o","history":"x"}`, "list of [user, assistant]"},
		{"messages not list", cfg(ShapeMessages), `{"messages":{}}`, "must be a list"},
		{"message without content", cfg(ShapeMessages), `{"messages":[{"role":"user"}]}`, `message 0: missing field "content"`},
		{"unknown role", cfg(ShapeMessages), `{"messages":[{"role":"user","content":"q"},{"role":"tool","content":"a"}]}`, `role "tool"`},
		{"ends with user", cfg(ShapeMessages), `{"messages":[{"role":"user","content":"q"}]}`, "ends with a user turn"},
		{"two systems", cfg(ShapeMessages), `{"system":"s","messages":[{"role":"system","content":"t"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`, "both give a system turn"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.cfg.Map([]byte(c.line), "f:1")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"shape", cfg("sharegpt"), "shape \"sharegpt\" is not one of alpaca, messages, prompt_response, qa"},
		{"field of other shape", cfg(ShapeQA, func(c *Config) { c.Fields = map[string]string{"output": "x"} }), `"output" is not a field of shape qa`},
		{"empty field", cfg(ShapeQA, func(c *Config) { c.Fields = map[string]string{"answer": ""} }), "empty name"},
		{"roles outside messages", cfg(ShapeQA, func(c *Config) { c.Roles = map[string]string{"a": "user"} }), "only shape"},
		{"bad role", cfg(ShapeMessages, func(c *Config) { c.Roles = map[string]string{"gpt": "bot"} }), `want system, user or assistant`},
		{"on_error", cfg(ShapeQA, func(c *Config) { c.OnError = "ignore" }), "on_error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzMap feeds arbitrary lines to every shape: no panic, and an accepted
// record is a well-formed conversation whose canonical JSON reads back.
func FuzzMap(f *testing.F) {
	f.Add(`{"instruction":"i","input":"x","output":"o","history":[["a","b"]],"system":"s"}`)
	f.Add(`{"question":"q","answer":"a","id":1.5e3}`)
	f.Add(`{"messages":[{"role":"human","content":"q"},{"role":"gpt","content":"a"}]}`)
	f.Add(`{"prompt":null,"response":"r"}`)
	shapes := []Config{cfg(ShapeAlpaca), cfg(ShapeQA), cfg(ShapePromptResponse),
		cfg(ShapeMessages, func(c *Config) { c.Roles = map[string]string{"human": "user", "gpt": "assistant"} })}
	f.Fuzz(func(t *testing.T, line string) {
		for _, c := range shapes {
			ex, err := c.Map([]byte(line), "f:1")
			if err != nil {
				continue
			}
			if err := chat.CheckConversation(ex.Messages); err != nil {
				t.Fatalf("%s accepted a bad conversation: %v", c.Shape, err)
			}
			b, err := chat.MarshalMessages(ex.Messages)
			if err != nil {
				t.Fatal(err)
			}
			back, err := chat.UnmarshalMessages(b)
			if err != nil || len(back) != len(ex.Messages) {
				t.Fatalf("messages do not read back: %v", err)
			}
		}
	})
}
