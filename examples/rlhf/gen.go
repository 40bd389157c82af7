//go:build ignore

// gen writes the rlhf example's data, all of it made up here so the example
// runs anywhere: a noisy web-like corpus of plain facts to pretrain on
// (data/web.jsonl: junk lines, near-duplicates and contact details for the
// dataprep nodes to remove), questions answered by those facts to
// instruction-tune on (data/chat.jsonl, "qa" shape; some answers are an
// unhelpful "I am not sure.", as real instruction data has weak answers),
// preference pairs that prefer the right fact over a wrong one or a
// non-answer (data/prefs.jsonl, "pairs" shape), questions for PPO and for
// AI labelling (data/questions.jsonl) and held-out questions with their
// right answers to evaluate the policies on (data/held_out.jsonl). It is
// deterministic: `go run gen.go` rewrites the same bytes.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

var (
	capitals = [][2]string{{"France", "Paris"}, {"Japan", "Tokyo"}, {"Italy", "Rome"}, {"Spain", "Madrid"},
		{"Germany", "Berlin"}, {"Egypt", "Cairo"}, {"Canada", "Ottawa"}, {"Kenya", "Nairobi"}, {"Peru", "Lima"},
		{"Norway", "Oslo"}, {"Greece", "Athens"}, {"China", "Beijing"}, {"Chile", "Santiago"}, {"India", "Delhi"}}
	colours = [][2]string{{"grass", "green"}, {"the sky", "blue"}, {"snow", "white"}, {"coal", "black"},
		{"a lemon", "yellow"}, {"a tomato", "red"}, {"an orange", "orange"}, {"a plum", "purple"}}
	sounds = [][2]string{{"a dog", "barks"}, {"a cat", "meows"}, {"a cow", "moos"}, {"a duck", "quacks"},
		{"a lion", "roars"}, {"a sheep", "bleats"}, {"a horse", "neighs"}, {"an owl", "hoots"}}
	nonAnswers = []string{"I am not sure.", "I do not know.", "That is hard to say."}
)

// fact is a question with its right answer and a plausible wrong one.
type fact struct{ question, right, wrong string }

func pick(r *rand.Rand, xs [][2]string) (a, b [2]string) {
	i := r.IntN(len(xs))
	j := (i + 1 + r.IntN(len(xs)-1)) % len(xs)
	return xs[i], xs[j]
}

func newFact(r *rand.Rand) fact {
	switch r.IntN(4) {
	case 0:
		a, b := r.IntN(20)+1, r.IntN(20)+1
		off := 1 + r.IntN(5)
		if r.IntN(2) == 0 {
			off = -off
		}
		return fact{fmt.Sprintf("What is %d plus %d?", a, b),
			fmt.Sprintf("%d plus %d is %d.", a, b, a+b), fmt.Sprintf("%d plus %d is %d.", a, b, a+b+off)}
	case 1:
		c, o := pick(r, capitals)
		return fact{fmt.Sprintf("What is the capital of %s?", c[0]),
			fmt.Sprintf("The capital of %s is %s.", c[0], c[1]), fmt.Sprintf("The capital of %s is %s.", c[0], o[1])}
	case 2:
		c, o := pick(r, colours)
		return fact{fmt.Sprintf("What colour is %s?", c[0]),
			fmt.Sprintf("The colour of %s is %s.", c[0], c[1]), fmt.Sprintf("The colour of %s is %s.", c[0], o[1])}
	default:
		c, o := pick(r, sounds)
		return fact{fmt.Sprintf("What sound does %s make?", c[0]),
			capitalise(fmt.Sprintf("%s %s.", c[0], c[1])), capitalise(fmt.Sprintf("%s %s.", c[0], o[1]))}
	}
}

func capitalise(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func write(path string, rows []map[string]string) {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, row := range rows {
		if err := enc.Encode(row); err != nil {
			panic(err)
		}
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

func main() {
	r := rand.New(rand.NewPCG(12, 34))
	var web []map[string]string
	for i := range 1600 {
		var parts []string
		for n := 4 + r.IntN(5); n > 0; n-- {
			parts = append(parts, newFact(r).right)
		}
		text := strings.Join(parts, " ")
		switch {
		case i%40 == 7:
			text = "click here" // too short: clean drops it
		case i%25 == 3 && i > 0:
			text = web[i-1]["text"] + " " + newFact(r).right // near-duplicate: dedup drops it
		case i%30 == 11:
			text += fmt.Sprintf(" Questions? Write to facts%d@example.com or call +1 415 555 0%03d.", i, i%1000)
		}
		web = append(web, map[string]string{"id": fmt.Sprintf("web-%04d", i), "text": text})
	}
	write("data/web.jsonl", web)

	var chat []map[string]string
	for i := range 1200 {
		f := newFact(r)
		a := f.right
		if r.IntN(4) == 0 {
			a = nonAnswers[r.IntN(len(nonAnswers))]
		}
		chat = append(chat, map[string]string{"id": fmt.Sprintf("chat-%04d", i), "question": f.question, "answer": a})
	}
	write("data/chat.jsonl", chat)

	var prefs []map[string]string
	for i := range 1200 {
		f := newFact(r)
		rej := f.wrong
		if r.IntN(3) == 0 {
			rej = nonAnswers[r.IntN(len(nonAnswers))]
		}
		prefs = append(prefs, map[string]string{"id": fmt.Sprintf("pref-%04d", i), "prompt": f.question, "chosen": f.right, "rejected": rej})
	}
	write("data/prefs.jsonl", prefs)

	var qs []map[string]string
	for i := range 300 {
		f := newFact(r)
		qs = append(qs, map[string]string{"id": fmt.Sprintf("q-%04d", i), "question": f.question, "answer": f.right})
	}
	write("data/questions.jsonl", qs[:240])
	write("data/held_out.jsonl", qs[240:])
}
