// Package onnxrt runs causeway's exported ONNX models in pure Go (plus
// OpenBLAS when built with cgo): the executor behind `causeway predict` and
// `causeway serve`.
//
// Load (or LoadBytes, for a go:embed'ed model) parses the file with gonnx's
// protobuf types, checks it against its tensor contract (package
// contract: the sample-pair contract of Models A–E, inputs base_samples,
// int_samples [B,S,N], target_row, int_mask [B,N], outputs delta [B,N],
// adj_logits [B,N,N]; or the data-set contract of Model F, run by
// Model.RunDataSet; float32, every dimension dynamic),
// reads the architecture from its metadata (onnxfile.ConfigOf) and compiles
// the graph into a plan. Model.Run validates a batch (shapes, finite values,
// N ≤ max_nodes) and executes the plan. A Model is safe for concurrent use.
//
// # Design
//
// gonnx's own Model.Run re-creates and re-initialises every operator on
// every run, clones tensors between operators, and computes a batched
// MatMul against a weight matrix by repeating the matrix for every batch
// element; it runs the default-size models 10–15× slower than this package.
// So the executor is a small interpreter of its own:
//
//   - At load time the nodes are sorted topologically, every operator is
//     checked against SupportedOps (exactly export.Ops(): Add Cast Clip
//     Concat Div Erf MatMul Mul ReduceMean Relu Reshape Shape Sigmoid Slice
//     Softmax Sqrt Squeeze Sub Transpose Unsqueeze; anything else is
//     rejected with the node's name), the initializers are decoded once
//     into float32/int64 slices, and each node gets a Go kernel with its
//     attributes parsed.
//   - Pattern fusion replaces the exporter's hot chains by single kernels:
//     Linear (MatMul with a 2-D initializer + bias + Relu/GELU, one sgemm
//     over the flattened [B·N, in] view, bias preloaded, activation in
//     place), the three q/k/v Linears of an attention merged into one GEMM,
//     Attention (the Reshape/Transpose/MatMul/scale/[bias]/Softmax/MatMul/
//     Transpose/Reshape chain as strided per-head GEMMs with no copies),
//     LayerNorm (the nine-node ReduceMean…Add chain plus the residual Add
//     in front of it) and GELU (the five-node erf form; an AVX2/FMA kernel
//     on amd64, see internal/simd). Every match checks operators,
//     attributes, constants and that intermediates have no other reader;
//     whatever does not match runs unfused, so any causeway export runs.
//   - Values live in numbered slots. Reshape, Squeeze and Unsqueeze are
//     views; every other float32 result takes a buffer from a per-run
//     free list and gives it back after its last reader ran (liveness is
//     computed at load time). Run states (slots, free list, scratch) are
//     pooled with sync.Pool, so steady-state runs reuse their buffers and
//     allocate only the returned outputs; a buffer is reused whenever it
//     is large enough, so one pool serves all shapes.
//   - Linear layers (a product with a constant weight matrix) run package
//     gemm's micro-kernels over weights packed into 16-column panels once, when the model loads (gemm.Pack): BLAS
//     re-packs the whole weight matrix on every call, which at N=20 costs
//     as much as the product itself. Each output is one chain of fused
//     multiply-adds in input order (per 256-step block), whatever the
//     batch or the row's position. Every other product (attention,
//     MatMul) runs the same package gemm kernels (AVX-512, AVX2 or pure
//     Go, from the CPU; BLAS says which), on the calling goroutine:
//     requests run concurrently instead.
//
// Numerically the kernels compute in float32 like onnxruntime (reductions
// accumulate in float64); parity tests hold the executor to model.Predict,
// the float64 reference, within 1e-4.
//
// The generic gonnx path stays available: LoadGonnx returns a gonnx.Model
// whose GetOperator (OpGetter) adds the operators gonnx v1.1.0 lacks
// (Clip, Erf, ReduceMean, Sqrt) and replaces two it gets wrong on these
// graphs (Slice, whose one-element results become rank-0 tensors that
// Concat rejects, and Softmax, which overflows without subtracting the row
// maximum), all implemented with this package's kernels. Tests use it as an
// independent cross-check.
package onnxrt
