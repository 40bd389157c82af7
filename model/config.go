package model

import "fmt"

// Config is the shape of a GPT-2 model.
type Config struct {
	VocabSize  int // number of token ids
	NPositions int // maximum sequence length (rows of the position embedding)
	NLayer     int // transformer blocks
	NHead      int // attention heads per block
	NEmbd      int // channels of the residual stream
	// LayerNormEps is added to the variance in every LayerNorm (GPT-2: 1e-5).
	LayerNormEps float32
	BOSTokenID   int // beginning-of-sequence id recorded in config.json
	EOSTokenID   int // end-of-sequence id recorded in config.json
}

// Validate reports the first inconsistency in c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0:
		return fmt.Errorf("model config: vocab_size must be positive, got %d", c.VocabSize)
	case c.NPositions <= 0:
		return fmt.Errorf("model config: n_positions must be positive, got %d", c.NPositions)
	case c.NLayer <= 0:
		return fmt.Errorf("model config: n_layer must be positive, got %d", c.NLayer)
	case c.NHead <= 0:
		return fmt.Errorf("model config: n_head must be positive, got %d", c.NHead)
	case c.NEmbd <= 0 || c.NEmbd%c.NHead != 0:
		return fmt.Errorf("model config: n_embd (%d) must be a positive multiple of n_head (%d)", c.NEmbd, c.NHead)
	case c.LayerNormEps <= 0:
		return fmt.Errorf("model config: layer_norm_epsilon must be positive, got %g", c.LayerNormEps)
	}
	if c.VocabSize > 1<<24 || c.NPositions > 1<<20 || c.NLayer > 1<<10 || c.NEmbd > 1<<16 ||
		int64(c.VocabSize+c.NPositions)*int64(c.NEmbd)+int64(c.NLayer)*13*int64(c.NEmbd)*int64(c.NEmbd) > 1<<34 {
		return fmt.Errorf("model config: model too large (vocab_size %d, n_layer %d, n_embd %d)", c.VocabSize, c.NLayer, c.NEmbd)
	}
	return nil
}

// NumParams is the number of float32 parameters of a model of shape c.
func (c Config) NumParams() int {
	n := 0
	for _, t := range layout(c) {
		n += t.Size
	}
	return n
}
