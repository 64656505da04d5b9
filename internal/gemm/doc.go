// Package gemm is causeway's one float32 matrix multiply: every product of
// the trainer (package nn, and gorgonia's tensors through BLAS) and of the
// ONNX executor (package onnxrt) goes through it.
//
// A product c = alpha·op(a)·op(b) + beta·c on row-major matrices is done
// in the GotoBLAS way: op(b) is packed into panels of 16 columns (scaled by
// alpha), kBlock (256) steps of the inner dimension at a time, and a
// micro-kernel accumulates an h×16 tile of c in registers (h = 8, 6 or 4 with
// AVX-512, 6 or 4 with AVX2, 4 in pure Go), reading h rows of op(a) in
// place, while the panel's block stays in L1; one call computes a run of
// equal whole tiles down a whole panel (a short last tile and a narrow
// last panel go through a 16-wide buffer, a tile at a time). Constant weights (the executor's Linear
// layers) are packed once, with Pack, and multiplied with MulPacked;
// MulPackedBias has the kernels add a bias (and take a ReLU) while the
// sums are in registers, MulPackedEpilogue applies any other function to
// each block of c as soon as it is final. MulPackedBiasSparse is
// MulPackedBias for an a with many zeros (a ReLU's output): its kernels
// take a row at a time and multiply only a's nonzero values, with the same
// bits when the weights are finite (but for the sign of a zero sum reached
// by underflow). MulParallel splits a large product
// by groups of panels, so that no worker packs what another one does, and
// runs the groups on package parallel's workers.
//
// # Kernel paths
//
// The path is chosen from the CPU's features (golang.org/x/sys/cpu): AVX-512
// (F) if the CPU and the operating system support it, else AVX2 with FMA,
// else pure Go (any architecture, arm64 included). AVX-512 has two tile
// shapes, avx512 (8×16, one panel) and avx512x32 (8×32 across two panels,
// MLAS's layout for cores with two 512-bit FMA units); the first product
// times both on three small products and keeps avx512 unless avx512x32 is
// at least 3% faster (Best, Tuning).
// The environment variable CAUSEWAY_GEMM=avx512|avx512x32|avx2|go|best
// forces a path (a path the CPU lacks is refused and the best one kept;
// Problem says why), and Use switches it at run time, for tests and
// benchmarks of every path on one machine. A build with -tags openblas
// (cgo, libopenblas-dev) adds the path "openblas", OpenBLAS's sgemm on one
// thread, kept for comparison.
//
// # Determinism
//
// Every element of c is the same sequence of fused multiply-adds over the
// inner dimension in order, from zero within each block of kBlock steps,
// each block's sum then added once to what c holds: the result does not
// depend on the shape's other dimensions, on the tiling, on the number of
// goroutines, or on the path: AVX-512 (both tile shapes) and AVX2 give the
// same bits, and so does pure Go where the compiler fuses a·b+c (arm64,
// amd64 with GOAMD64=v3; with v1 and v2 each product is rounded first).
// OpenBLAS rounds differently.
package gemm
