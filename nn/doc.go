// Package nn is causeway's training backend: it renders model.Forward on a
// gorgonia expression graph (float32, shapes fixed per graph), adds the
// training loss, differentiates it symbolically and runs the result on a
// gorgonia tape machine.
//
// A Net holds one architecture's parameters and a cache of compiled graphs,
// one per (B, S, N, train/infer). Every graph reads the same parameter
// memory, so an optimiser that updates Params() in place is seen by all of
// them. Graphs are built lazily on first use.
//
// Nearly all arithmetic lives in custom gorgonia ops with hand-written
// backward ops (the SymDiff pattern): the fused linear layer (x·W + b on the
// flat [B·N, in] view through BLAS sgemm), exact-erf GELU, ReLU, LayerNorm
// with weight and bias, the attention core (scaled scores, optional Model D
// bias, softmax, dropout, weighted values), the bilinear DAG head, Model D's
// structure bias, Model B's node experts, Model E's masked sums and row dots,
// and every loss term (Huber, BCE-with-logits, the acyclicity term through
// gonum's matrix exponential, L1, Model C's straight-through Gumbel-sigmoid
// sample). Outputs and scratch live in an arena shared by all graphs of a
// Net, so a step allocates almost nothing and the cache costs the memory of
// one graph, not of every N.
//
// Dropout masks and Model C's noise are input nodes filled from the caller's
// *rand.Rand before every step, so a step is bit-for-bit deterministic for
// a seed, whatever GOMAXPROCS (work is split into a fixed number of blocks,
// and package gemm's products give the same bits however they are split).
//
// Matrix products: gorgonia's tensors (through tensor.Use) and this
// package's fused ops both run package gemm's kernels (AVX-512, AVX2 or
// pure Go, chosen from the CPU; the AVX-512 and AVX2 paths give the same
// bits); elementwise hot spots (GELU with its derivative, ReLU with
// dropout, softmax) run package simd's AVX2 kernels. BLAS reports the gemm
// path in use. A build with -tags openblas adds OpenBLAS as the path
// "openblas", for comparison only.
package nn
