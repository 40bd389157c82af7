// Package kernel holds the dense float32 kernels behind GPT-2 training: a
// general matrix multiply (Sgemm), the linear-layer products built on it,
// causal multi-head attention, and the vectorised elementwise operations
// (GELU, LayerNorm, softmax with cross-entropy, AdamW, axpy/dot/scale).
//
// # Layout
//
// Every matrix is row-major float32. Sgemm takes explicit leading dimensions
// (the distance in elements between consecutive rows); the higher-level
// helpers take plain contiguous buffers and follow llm.c's shapes and names.
// Linear weights are stored [OC, C] (PyTorch nn.Linear and llm.c order):
// out = inp · Wᵀ + bias. Hugging Face's GPT-2 Conv1D stores the same weight
// as [C, OC]; checkpoint code transposes on load and save.
//
// # Accumulation
//
// Forward kernels overwrite their outputs. Backward kernels add into their
// gradient outputs (llm.c's convention), so gradient buffers are zeroed once
// per step by the caller.
//
// # Determinism
//
// Work is split among threads by output elements only; no reduction is ever
// split across threads, and blocking parameters depend only on the problem
// shape, never on the thread count. Results are therefore bit-identical for
// any SetThreads value and any GOMAXPROCS on a given machine and build. The
// selected instruction set (AVX-512, or the portable Go code under the
// purego build tag or on other CPUs) may change the last bits.
//
// # Concurrency
//
// All functions are safe for concurrent use. Calls that use the worker pool
// are serialised on it; a call made while another runs waits.
package kernel
