package model

import "fmt"

// Head is a linear map from the final hidden state (Hidden) to one number,
// attached to the model's parameters so that the optimizer, freezing and
// resume treat it like any attached tensor: a reward model's score (Hugging
// Face GPT2ForSequenceClassification's score.weight, no bias) or a PPO
// policy's value head (with a bias).
type Head struct {
	m    *Model
	w, b int // tensor indices; b < 0 without a bias
}

// AttachHead attaches a head whose weight tensor is called name+".weight"
// (shape [1, n_embd]) and, with bias, name+".bias" (shape [1]). The weight
// starts normal with standard deviation std drawn from seed, the bias at 0.
func (m *Model) AttachHead(name string, bias bool, std float64, seed uint64) (*Head, error) {
	for _, t := range m.Tensors {
		if t.Name == name+".weight" {
			return nil, fmt.Errorf("model: a head %q is already attached", name)
		}
	}
	C := m.Config.NEmbd
	ts := []Tensor{{Name: name + ".weight", Shape: []int{1, C}, Size: C, Kind: "head", Decay: true}}
	if bias {
		ts = append(ts, Tensor{Name: name + ".bias", Shape: []int{1}, Size: 1, Kind: "head"})
	}
	first := m.attach(ts)
	h := &Head{m: m, w: first, b: -1}
	if bias {
		h.b = first + 1
	}
	r := NewRNG(seed)
	for i := range h.Weight() {
		h.Weight()[i] = float32(r.Normal() * std)
	}
	m.rebind()
	return h, nil
}

// Weight returns the head's weight (n_embd values) inside m.Params.
func (h *Head) Weight() []float32 { return h.m.view(h.m.Params, h.w, false) }

// Bias returns the head's bias (one value), or nil without one.
func (h *Head) Bias() []float32 {
	if h.b < 0 {
		return nil
	}
	return h.m.view(h.m.Params, h.b, false)
}

// Forward returns the head's output at each of rows (indices b*T+t into the
// last forward pass's batch).
func (h *Head) Forward(rows []int) []float32 {
	C, hid := h.m.Config.NEmbd, h.m.Hidden()
	w, bias := h.Weight(), h.Bias()
	out := make([]float32, len(rows))
	for i, r := range rows {
		x := hid[r*C : r*C+C]
		var s float32
		for j, v := range x {
			s += w[j] * v
		}
		if bias != nil {
			s += bias[0]
		}
		out[i] = s
	}
	return out
}

// Backward adds to the head's gradients (unless frozen) and to dHidden (B*T
// rows of n_embd, as BackwardHidden takes it) the gradient of a loss whose
// derivative with respect to the output at rows[i] is dOut[i].
func (h *Head) Backward(rows []int, dOut, dHidden []float32) {
	C, hid := h.m.Config.NEmbd, h.m.Hidden()
	w := h.Weight()
	gw := h.m.view(h.m.Grads, h.w, true)
	var gb []float32
	if h.b >= 0 {
		gb = h.m.view(h.m.Grads, h.b, true)
	}
	for i, r := range rows {
		d := dOut[i]
		x, dx := hid[r*C:r*C+C], dHidden[r*C:r*C+C]
		for j := range x {
			dx[j] += d * w[j]
		}
		if gw != nil {
			for j, v := range x {
				gw[j] += d * v
			}
		}
		if gb != nil {
			gb[0] += d
		}
	}
}
