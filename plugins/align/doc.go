// Package align serves the alignment stages, which train a policy or a
// reward model on preference pairs (dataprep/preference): `reward` (a
// Bradley-Terry reward model in transformers' GPT2ForSequenceClassification
// layout), `logps` (the reference model's log-probabilities of each pair's
// answers, computed once and stored beside the pairs) and `dpo` (direct
// preference optimisation with the sigmoid, IPO and hinge losses). Each
// stage is its own plugin process; all train through plugins/trainer.
//
// A pair becomes two token sequences, prompt then answer, rendered through
// the checkpoint's chat template (pairs.go); both fill consecutive rows of
// one micro-batch (rows.go). The policy is a checkpoint or, with an
// adapter input, a LoRA adapter on its frozen base; the reference is the
// checkpoint as loaded, or that base with the adapter bypassed, so no
// second copy is held (policy.go).
package align
