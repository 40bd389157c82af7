package chat

import "testing"

// BenchmarkEncode measures rendering, tokenizing and masking conversations
// with each template.
func BenchmarkEncode(b *testing.B) {
	base := testTokenizer(b)
	for name, tmpl := range testTemplates(b) {
		b.Run(name, func(b *testing.B) {
			tok, _, err := AddTokens(base, tmpl)
			if err != nil {
				b.Fatal(err)
			}
			enc, err := NewEncoder(tmpl, tok)
			if err != nil {
				b.Fatal(err)
			}
			var tokens, bytes int
			for b.Loop() {
				for _, c := range conversations {
					ids, _, err := enc.Encode(c.msgs, Options{})
					if err != nil {
						b.Fatal(err)
					}
					tokens += len(ids)
					for _, m := range c.msgs {
						bytes += len(m.Content)
					}
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(tokens)/s, "tok/s")
			b.ReportMetric(float64(bytes)/s/1e6, "MB/s")
		})
	}
}
