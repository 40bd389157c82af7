// Package model is a GPT-2 language model in float32 with explicit forward and
// backward passes per layer, in the manner of llm.c: one parameter buffer, one
// gradient buffer, activations allocated once and reused by every step.
//
// The architecture is GPT-2: token and learned position embeddings, pre-LayerNorm
// blocks with causal multi-head self-attention and a GELU (tanh) MLP of four
// times the width, a final LayerNorm and an output projection tied to the token
// embedding. Packed sequences keep attention inside document boundaries and
// may number positions from each document's start (Batch.ResetPositionIDs);
// per-token loss weights mask targets out (Batch.Weights).
//
// Everything is deterministic: work is split by outputs, never by a reduction,
// so the same seed, data and configuration give bit-identical weights for any
// GOMAXPROCS.
//
// Parameter-efficient tuning (peft.go): tensors can be frozen (FreezeBase,
// FreezePartial), which skips their weight gradients and optimizer state,
// and LoRA (AttachLoRA), bottleneck adapters (AttachAdapters) and prefixes
// (AttachPrefix) can be attached after the base tensors. Forward, Backward
// and the KV-cache Decoder all compute them; a merged LoRA (MergeLoRA)
// decodes fastest. Behind a prefix the tokens are numbered from
// num_virtual_tokens, as transformers numbers them, so a row holds
// MaxTokens = n_positions − num_virtual_tokens tokens.
//
// Weights are held internally in the [out, in] layout of a linear layer; the
// Hugging Face checkpoint layout ([in, out] Conv1D) is produced on save and
// undone on load (see checkpoint.go).
package model
