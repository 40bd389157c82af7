//go:build ignore

// gen writes the sft example's data: a text corpus of plain statements
// (data/corpus.jsonl) to pretrain on, and questions answered by the same
// facts (data/chat.jsonl, the "qa" shape) to instruction-tune on, in English
// and Chinese. It is deterministic: `go run gen.go` rewrites the same bytes.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

type country struct{ en, capital, zh, capitalZh string }

var (
	countries = []country{
		{"France", "Paris", "法国", "巴黎"}, {"Japan", "Tokyo", "日本", "东京"}, {"Italy", "Rome", "意大利", "罗马"},
		{"Spain", "Madrid", "西班牙", "马德里"}, {"Germany", "Berlin", "德国", "柏林"}, {"Egypt", "Cairo", "埃及", "开罗"},
		{"Canada", "Ottawa", "加拿大", "渥太华"}, {"Kenya", "Nairobi", "肯尼亚", "内罗毕"}, {"Peru", "Lima", "秘鲁", "利马"},
		{"Norway", "Oslo", "挪威", "奥斯陆"}, {"Greece", "Athens", "希腊", "雅典"}, {"China", "Beijing", "中国", "北京"},
	}
	colours = map[string]string{"grass": "green", "the sky": "blue", "snow": "white", "coal": "black",
		"a lemon": "yellow", "a tomato": "red", "an orange": "orange", "a plum": "purple"}
	things = []string{"grass", "the sky", "snow", "coal", "a lemon", "a tomato", "an orange", "a plum"}
)

// fact returns one statement and the question it answers.
func fact(r *rand.Rand) (statement, question, answer string) {
	switch r.IntN(5) {
	case 0, 1:
		a, b := r.IntN(20)+1, r.IntN(20)+1
		s := fmt.Sprintf("%d plus %d is %d.", a, b, a+b)
		return s, fmt.Sprintf("What is %d plus %d?", a, b), s
	case 2:
		c := countries[r.IntN(len(countries))]
		s := fmt.Sprintf("The capital of %s is %s.", c.en, c.capital)
		return s, fmt.Sprintf("What is the capital of %s?", c.en), s
	case 3:
		c := countries[r.IntN(len(countries))]
		s := fmt.Sprintf("%s的首都是%s。", c.zh, c.capitalZh)
		return s, fmt.Sprintf("%s的首都是哪里？", c.zh), s
	default:
		t := things[r.IntN(len(things))]
		s := fmt.Sprintf("The colour of %s is %s.", t, colours[t])
		return s, fmt.Sprintf("What colour is %s?", t), strings.ToUpper(s[:1]) + s[1:]
	}
}

func main() {
	r := rand.New(rand.NewPCG(7, 11))
	write := func(path string, rows []map[string]string) {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		enc := json.NewEncoder(f)
		enc.SetEscapeHTML(false)
		for _, row := range rows {
			enc.Encode(row)
		}
		f.Close()
	}
	var corpus []map[string]string
	for i := range 1500 {
		var parts []string
		for n := 3 + r.IntN(4); n > 0; n-- {
			s, _, _ := fact(r)
			parts = append(parts, s)
		}
		corpus = append(corpus, map[string]string{"id": fmt.Sprintf("doc-%04d", i), "text": strings.Join(parts, " ")})
	}
	write("data/corpus.jsonl", corpus)
	var qa []map[string]string
	for i := range 1200 {
		_, q, a := fact(r)
		qa = append(qa, map[string]string{"id": fmt.Sprintf("qa-%04d", i), "question": q, "answer": a})
	}
	write("data/chat.jsonl", qa)
}
