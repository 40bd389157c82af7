package eval

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Scorer names accepted in the scorers attribute.
const (
	ScoreExactMatch     = "exact_match"
	ScoreContains       = "contains"
	ScoreMultipleChoice = "multiple_choice"
	ScoreResponseLoss   = "response_loss"
)

var scorerNames = []string{ScoreExactMatch, ScoreContains, ScoreMultipleChoice, ScoreResponseLoss}

// GSM8KAnswer is the default answer_regex: the number after "#### " that
// ends every GSM8K reference solution (the pattern of the reference
// evaluation harnesses' strict match).
const GSM8KAnswer = `#### (\-?[0-9\.\,]+)`

// Extractor pulls the answer out of a reference or a generation.
type Extractor struct{ re *regexp.Regexp }

// NewExtractor compiles pattern; an empty pattern extracts the whole text.
func NewExtractor(pattern string) (*Extractor, error) {
	if pattern == "" {
		return &Extractor{}, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return &Extractor{re: re}, nil
}

// Extract returns the normalised answer in text: the first capture group
// (or the whole match) of the first match, else the whole text, then
// normalised by NormalizeAnswer. A generation without the marker is thus
// compared as it stands, so a model that answers "18" matches "#### 18".
func (e *Extractor) Extract(text string) string {
	if e.re != nil {
		if m := e.re.FindStringSubmatch(text); m != nil {
			text = m[0]
			if len(m) > 1 {
				text = m[1]
			}
		}
	}
	return NormalizeAnswer(text)
}

// NormalizeAnswer trims space and, when s reads as a number once thousands
// separators, a leading $ and a trailing period are removed, writes it in
// shortest form: "1,000" and "1000.00" both become "1000".
func NormalizeAnswer(s string) string {
	s = strings.TrimSpace(s)
	n := strings.TrimSuffix(strings.TrimPrefix(strings.ReplaceAll(s, ",", ""), "$"), ".")
	if n == "" || strings.ContainsAny(n, "eEnNiIxX_") { // no exponents, NaN, Inf or hex
		return s
	}
	v, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsInf(v, 0) {
		return s
	}
	if v == 0 {
		v = 0 // -0 reads as 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Contains reports whether the generation holds the reference answer.
func Contains(generation, answer string) bool {
	return answer != "" && strings.Contains(generation, answer)
}

// Wilson returns the 95% Wilson score interval of hits successes in n
// trials (Wilson 1927), which stays inside [0, 1] and is sound for the
// small n and extreme rates of a quick evaluation, unlike p ± 1.96·se.
func Wilson(hits, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, fn := float64(hits)/float64(n), float64(n)
	d := 1 + z*z/fn
	c := (p + z*z/(2*fn)) / d
	h := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / d
	return max(0, c-h), min(1, c+h)
}

// MeanInterval returns the mean of xs, their sample standard deviation and
// the 95% Student t interval of the mean. With fewer than two values the
// spread is 0 and the interval unbounded.
func MeanInterval(xs []float64) (mean, std, lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), 0, math.Inf(-1), math.Inf(1)
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n < 2 {
		return mean, 0, math.Inf(-1), math.Inf(1)
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	std = math.Sqrt(ss / float64(n-1))
	h := t975(n-1) * std / math.Sqrt(float64(n))
	return mean, std, mean - h, mean + h
}

// t975 is the 0.975 quantile of Student's t with df degrees of freedom:
// exact to three decimals from a table up to 10, past that the
// Cornish-Fisher expansion around the normal quantile (error < 1e-4).
func t975(df int) float64 {
	table := [...]float64{12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139}
	if df <= len(table) {
		return table[df-1]
	}
	const z = 1.959963984540054
	v := float64(df)
	z3, z5, z7 := z*z*z, math.Pow(z, 5), math.Pow(z, 7)
	return z + (z3+z)/(4*v) + (5*z5+16*z3+3*z)/(96*v*v) + (3*z7+19*z5+17*z3-15*z)/(384*v*v*v)
}
