package model

import "fmt"

// GrowVocab returns a copy of m with vocab token ids, for tokens added to
// its tokenizer (new rows at the end, as tokenizers add them). The rows of
// ids from known up, the new ones included, are set to the mean of the rows
// below known: a fresh row drawn at random, or one left from pretraining on
// an id no text ever used, would start with a logit far from the others'
// and disturb the first steps. The output layer is tied to wte, so this
// grows it too. known must be in 1..m's vocabulary; vocab must not shrink it.
func GrowVocab(m *Model, vocab, known int) (*Model, error) {
	old := m.Config.VocabSize
	if vocab < old || known < 1 || known > old {
		return nil, fmt.Errorf("model: cannot grow a vocabulary of %d to %d ids keeping %d", old, vocab, known)
	}
	c := m.Config
	c.VocabSize = vocab
	g, err := New(c)
	if err != nil {
		return nil, err
	}
	// Every tensor but wte has the same shape; wte is first in the buffer.
	C := c.NEmbd
	copy(g.p.wte, m.p.wte)
	copy(g.Params[vocab*C:], m.Params[old*C:])
	mean := make([]float64, C)
	for i := range known {
		for j, v := range m.p.wte[i*C : (i+1)*C] {
			mean[j] += float64(v)
		}
	}
	for i := known; i < vocab; i++ {
		row := g.p.wte[i*C : (i+1)*C]
		for j := range row {
			row[j] = float32(mean[j] / float64(known))
		}
	}
	return g, nil
}
