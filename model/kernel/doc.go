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
// # Instruction sets
//
// On amd64 the package picks its kernels at start-up with
// golang.org/x/sys/cpu: AVX-512 (F, BW, DQ, VL) assembly for the matrix
// micro-kernel, packing and every elementwise kernel; otherwise an AVX2+FMA
// matrix micro-kernel with portable Go elsewhere; otherwise portable Go.
// Other architectures, and any build with the purego tag, use portable Go
// only. ISA reports the choice. A plain go build needs no system BLAS.
//
// # Matrix multiply
//
// Sgemm follows BLIS: for each block of kc ≤ 256 depths and nc ≤ 1024
// columns, op(B) is packed into 32-column panels shared by all threads;
// op(A) is read in place when untransposed, or packed into 12-row strips
// when transposed; a 12×32 register tile of C is updated per micro-kernel
// call. Threads take 24-row blocks of C (and column ranges when C has few
// rows). No call allocates once per-thread buffers have grown.
//
// # bf16
//
// GemmBF16, MatMulForwardBF16, LinearBackward with bf16
// and AttentionForwardBF16/AttentionBackwardBF16 (every product of a head,
// within the causal triangle) round their operands to bfloat16 and
// accumulate in fp32. On AVX512-BF16 they convert op(A)
// once per call into bf16 pairs (rows padded to 12-row strips), pack op(B)
// into 32-column panels of pairs, and sum with VDPBF16PS in a 12×32
// micro-kernel; elsewhere they round the operands and run the fp32 kernels.
// Path reports the choice and LLMFLOW_KERNEL forces it (see PathEnv).
//
// # Concurrency
//
// All functions are safe for concurrent use. Calls that use the worker pool
// are serialised on it; a call made while another runs waits.
package kernel

//go:generate python3 asmgen/gemm.py
//go:generate python3 asmgen/vector.py
