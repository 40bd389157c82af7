//go:build ignore

// gen writes the quickstart's synthetic corpus. It is deterministic: the same
// seed gives byte-identical files. Run it with `go run gen.go`.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

var (
	subjects = []string{"The small model", "A careful reader", "Our tokenizer", "The training loop", "Every dataset",
		"The pipeline", "A curious student", "The old library", "This recipe", "The evaluation"}
	verbs = []string{"learns", "reads", "counts", "shuffles", "measures", "remembers", "compresses", "predicts",
		"describes", "repeats"}
	objects = []string{"short stories about rivers", "the next token", "every line of the corpus", "a list of numbers",
		"quiet mornings in the city", "the weather in spring", "simple arithmetic", "names of distant stars",
		"the rules of chess", "recipes for bread"}
	endings = []string{"with great patience.", "before the sun rises.", "one step at a time.", "without any hurry.",
		"and then writes it down.", "while the loss goes down.", "in under a minute.", "as the notes suggest."}
	chinese = []string{"今天天气很好，我们去公园散步。", "小模型每天学习新的句子。", "数据清洗是训练的第一步。",
		"他喜欢在图书馆里读书。", "春天来了，花都开了。", "这个分词器可以处理中文和英文。"}
)

func sentence(r *rand.Rand) string {
	return fmt.Sprintf("%s %s %s %s", subjects[r.IntN(len(subjects))], verbs[r.IntN(len(verbs))],
		objects[r.IntN(len(objects))], endings[r.IntN(len(endings))])
}

func doc(r *rand.Rand) string {
	var parts []string
	for n := 2 + r.IntN(5); n > 0; n-- {
		if r.IntN(6) == 0 {
			parts = append(parts, chinese[r.IntN(len(chinese))])
		} else {
			parts = append(parts, sentence(r))
		}
	}
	return strings.Join(parts, " ")
}

// contact adds personal data for the pii node to scrub.
func contact(r *rand.Rand) string {
	n := r.IntN(900) + 100
	return fmt.Sprintf("Write to reader%d@example.com or call +1 415 555 0%d.", n, n)
}

func main() {
	r := rand.New(rand.NewPCG(42, 7))
	web, _ := os.Create("data/web.jsonl")
	enc := json.NewEncoder(web)
	enc.SetEscapeHTML(false)
	var docs []string
	for i := range 400 {
		d := doc(r) + " " + doc(r)
		switch {
		case i%10 == 9: // an exact copy of an earlier document, for dedup
			d = docs[r.IntN(len(docs))]
		case i%7 == 3:
			d += " " + contact(r)
		}
		docs = append(docs, d)
		enc.Encode(map[string]string{"id": fmt.Sprintf("web-%04d", i), "text": d})
	}
	web.Close()
	var notes []string
	for range 120 {
		notes = append(notes, doc(r))
	}
	os.WriteFile("data/notes.txt", []byte(strings.Join(notes, "\n\n")+"\n"), 0o644)
}
