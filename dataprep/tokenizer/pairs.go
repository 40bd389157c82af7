package tokenizer

import "slices"

// pairState holds the incremental pair statistics of training, in the manner
// of the Hugging Face BPE trainer: counts per pair, the words each pair occurs
// in, and a max-heap with lazy updates (a popped entry whose count went stale
// is pushed back with its current count).
type pairState struct {
	words  [][]int32
	freqs  []int64
	counts map[uint64]int64
	where  map[uint64][]int32
	heap   []pairEntry
	// touched collects the pairs that gained occurrences during one merge.
	touched []uint64
}

type pairEntry struct {
	count int64
	key   uint64
}

// before orders the heap: higher count first, then the smaller pair of ids,
// which makes ties deterministic.
func (a pairEntry) before(b pairEntry) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	return a.key < b.key
}

func newPairState(words [][]int32, freqs []int64) *pairState {
	st := &pairState{words: words, freqs: freqs, counts: map[uint64]int64{}, where: map[uint64][]int32{}}
	for w, word := range words {
		for i := 0; i+1 < len(word); i++ {
			k := pairKey(word[i], word[i+1])
			st.counts[k] += freqs[w]
			st.addWhere(k, int32(w))
		}
	}
	for k, n := range st.counts {
		st.heap = append(st.heap, pairEntry{n, k})
	}
	for i := len(st.heap)/2 - 1; i >= 0; i-- {
		st.down(i)
	}
	return st
}

func (st *pairState) addWhere(k uint64, w int32) {
	l := st.where[k]
	if n := len(l); n > 0 && l[n-1] == w {
		return
	}
	st.where[k] = append(l, w)
}

// best returns the most frequent pair with its count.
func (st *pairState) best() (Pair, int64, bool) {
	for len(st.heap) > 0 {
		top := st.heap[0]
		cur := st.counts[top.key]
		if cur == top.count {
			return Pair{int32(top.key >> 32), int32(uint32(top.key))}, cur, true
		}
		st.pop()
		if cur > 0 {
			st.push(pairEntry{cur, top.key})
		}
	}
	return Pair{}, 0, false
}

// forbid drops a pair for good.
func (st *pairState) forbid(p Pair) {
	k := pairKey(p.Left, p.Right)
	delete(st.counts, k)
	delete(st.where, k)
}

// merge replaces every occurrence of p by id and updates the statistics.
func (st *pairState) merge(p Pair, id int32) {
	k := pairKey(p.Left, p.Right)
	a, b := p.Left, p.Right
	st.touched = st.touched[:0]
	for _, w := range st.where[k] {
		word := st.words[w]
		f := st.freqs[w]
		out := 0
		for i := 0; i < len(word); i++ {
			if i+1 < len(word) && word[i] == a && word[i+1] == b {
				// word[:out] is already rewritten, so a run like "a b a b"
				// sees its own merged token on the left.
				if out > 0 {
					l := word[out-1]
					st.counts[pairKey(l, a)] -= f
					st.gain(pairKey(l, id), f, w)
				}
				if i+2 < len(word) {
					r := word[i+2]
					st.counts[pairKey(b, r)] -= f
					st.gain(pairKey(id, r), f, w)
				}
				st.counts[k] -= f
				word[out] = id
				out++
				i++
				continue
			}
			word[out] = word[i]
			out++
		}
		st.words[w] = word[:out]
	}
	delete(st.counts, k)
	delete(st.where, k)
	// Counts of pairs with id only grow here; push their new counts (an id
	// reused for an equal string may already have older, lower entries).
	slices.Sort(st.touched)
	for _, t := range slices.Compact(st.touched) {
		if n := st.counts[t]; n > 0 {
			st.push(pairEntry{n, t})
		}
	}
}

func (st *pairState) gain(k uint64, f int64, w int32) {
	st.touched = append(st.touched, k)
	st.counts[k] += f
	st.addWhere(k, w)
}

func (st *pairState) push(e pairEntry) {
	st.heap = append(st.heap, e)
	i := len(st.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !st.heap[i].before(st.heap[p]) {
			break
		}
		st.heap[i], st.heap[p] = st.heap[p], st.heap[i]
		i = p
	}
}

func (st *pairState) pop() {
	n := len(st.heap) - 1
	st.heap[0] = st.heap[n]
	st.heap = st.heap[:n]
	st.down(0)
}

func (st *pairState) down(i int) {
	n := len(st.heap)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && st.heap[c+1].before(st.heap[c]) {
			c++
		}
		if st.heap[c].before(st.heap[i]) {
			st.heap[i], st.heap[c] = st.heap[c], st.heap[i]
			i = c
			continue
		}
		return
	}
}
