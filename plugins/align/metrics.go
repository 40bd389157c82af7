package align

import (
	"fmt"
	"math"

	"github.com/llmflow/llmflow/plugins/eval"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// pairStats accumulates DPO's metrics over pairs, as TRL names them: the
// implicit rewards β·(logp − ref_logp) of both answers, how often the
// chosen one's is higher, their margin, and the policy's log-probs.
type pairStats struct {
	n, hits                                     int
	chosen, rejected, margin, logpC, logpR, sum float64
}

func (s *pairStats) add(beta float64, lp, ref [2]float64, loss float64) {
	rc, rr := beta*(lp[0]-ref[0]), beta*(lp[1]-ref[1])
	s.n++
	if rc > rr {
		s.hits++
	}
	s.chosen += rc
	s.rejected += rr
	s.margin += rc - rr
	s.logpC += lp[0]
	s.logpR += lp[1]
	s.sum += loss
}

// report emits the means under prefix ("" for training, "eval_" for
// held-out pairs) and the accuracy's 95% Wilson interval, then resets.
func (s *pairStats) report(ev trainer.Events, step int64, prefix string) {
	if s.n == 0 {
		return
	}
	n := float64(s.n)
	lo, hi := eval.Wilson(s.hits, s.n)
	for _, m := range []struct {
		name string
		v    float64
	}{
		{"rewards/chosen", s.chosen / n}, {"rewards/rejected", s.rejected / n},
		{"rewards/accuracies", float64(s.hits) / n}, {"rewards/accuracies_lo", lo}, {"rewards/accuracies_hi", hi},
		{"rewards/margins", s.margin / n}, {"logps/chosen", s.logpC / n}, {"logps/rejected", s.logpR / n},
	} {
		ev.Metric(step, prefix+m.name, m.v)
	}
	if prefix != "" {
		ev.Metric(step, prefix+"loss", s.sum/n)
		ev.Log(fmt.Sprintf("step %d: held-out implicit-reward accuracy %.3f [%.3f, %.3f] over %d pairs, margin %.4f, loss %.4f",
			step, float64(s.hits)/n, lo, hi, s.n, s.margin/n, s.sum/n))
	}
	*s = pairStats{}
}

// rewardStats accumulates a reward model's pairwise accuracy and scores.
type rewardStats struct {
	n, hits          int
	sum, sumSq, loss float64
}

func (s *rewardStats) add(rc, rr float64) {
	s.n++
	if rc > rr {
		s.hits++
	}
	s.sum += rc + rr
	s.sumSq += rc*rc + rr*rr
	s.loss += softplus(rr - rc)
}

// report emits accuracy (with its Wilson interval), loss and the mean and
// standard deviation of the scores under prefix ("train/" or "val/"), then
// resets.
func (s *rewardStats) report(ev trainer.Events, step int64, prefix string) (acc, lo, hi float64) {
	if s.n == 0 {
		return math.NaN(), 0, 1
	}
	n := float64(s.n)
	acc = float64(s.hits) / n
	lo, hi = eval.Wilson(s.hits, s.n)
	mean := s.sum / (2 * n)
	std := math.Sqrt(max(0, s.sumSq/(2*n)-mean*mean))
	ev.Metric(step, prefix+"accuracy", acc)
	ev.Metric(step, prefix+"accuracy_lo", lo)
	ev.Metric(step, prefix+"accuracy_hi", hi)
	ev.Metric(step, prefix+"loss", s.loss/n)
	ev.Metric(step, prefix+"reward_mean", mean)
	ev.Metric(step, prefix+"reward_std", std)
	*s = rewardStats{}
	return acc, lo, hi
}
