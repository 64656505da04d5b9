package gemm

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"causeway/internal/parallel"
	"causeway/internal/simd"
)

const (
	// PanelWidth is how many columns of op(b) one packed panel holds: one
	// zmm register or two ymm registers.
	PanelWidth = 16
	// kBlock is how many steps of the inner dimension one pass covers: a
	// panel's block (kBlock×16 floats, 16 KiB) stays in L1 while the rows
	// go by. It is the same on every path (it fixes the rounding).
	kBlock = 256
	// mBlock is how many rows of op(a) one pass takes through every panel
	// (a multiple of every kernel height): their mBlock×kBlock floats
	// (480 KiB) stay in L2 from panel to panel, and each panel block is
	// read from memory once per mBlock rows (measured: 480 beats 120 and
	// 240 by 5–10% on the trainer's shapes, 960 gains nothing more).
	mBlock = 480
	// groupPanels is how many panels of op(b) are packed at once: a
	// 256-column block of kBlock rows (256 KiB) stays in L2 beside the
	// rows of a while they all go by.
	groupPanels = 16
	// packATPanels is how many panels a worker must have for packing aᵀ
	// to pay (A bwd xᵀ·g, 128 panels: 89 against 76 GFLOP/s; Model F's
	// 8 panels: 59 against 67).
	packATPanels = 16
	// parallelFlops is the size (2·m·n·k) from which MulParallel splits a
	// product across goroutines.
	parallelFlops = 1 << 21
	// prefetchTiles is how many tiles of a packed panel's first pass
	// prefetch the weights ahead (four: a 20-row block, the executor at
	// one graph, prefetches in every tile).
	prefetchTiles = 4
)

// PackedLen returns the length of Pack's result for a k×n matrix.
func PackedLen(k, n int) int { return (n + PanelWidth - 1) / PanelWidth * PanelWidth * k }

// Pack lays out the k×n row-major matrix w for MulPacked: ⌈n/16⌉ panels,
// each k rows of 16 consecutive columns (the last one zero-padded). The
// layout is the same on every path. It panics if w is shorter than k·n.
func Pack(w []float32, k, n int) []float32 {
	if len(w) < k*n {
		panic(fmt.Sprintf("gemm: Pack: %d values for a %d×%d matrix", len(w), k, n))
	}
	out := make([]float32, PackedLen(k, n))
	packB(out, false, k, n, 1, w, n)
	return out
}

// packB writes alpha·op(b) (k×n; op(b)[p][j] = b[p·ldb+j], or b[j·ldb+p]
// when trans) into dst in Pack's layout.
func packB(dst []float32, trans bool, k, n int, alpha float32, b []float32, ldb int) {
	packBRange(dst, trans, 0, k, 0, (n+PanelWidth-1)/PanelWidth, n, alpha, b, ldb)
}

// packBRange writes rows k0…k0+kb−1 of panels p0…p1−1 of alpha·op(b)
// (n columns) into dst: panel p at dst[(p−p0)·kb·16], kb rows of 16.
func packBRange(dst []float32, trans bool, k0, kb, p0, p1, n int, alpha float32, b []float32, ldb int) {
	for p := p0; p < p1; p++ {
		j0 := p * PanelWidth
		width := min(PanelWidth, n-j0)
		panel := dst[(p-p0)*kb*PanelWidth : (p-p0+1)*kb*PanelWidth]
		switch {
		case trans:
			// op(b)[k0+q][j0+j] = b[(j0+j)·ldb + k0+q]: read each of the 16
			// rows of b in order, write the panel's column j.
			if width < PanelWidth {
				clear(panel)
			}
			// Eight rows of b at a time by 8×8 vector transposes (the
			// steps past a multiple of eight one by one), then four rows
			// at a time, so that each step writes four adjacent values of
			// one panel row.
			j := 0
			for steps := kb &^ 7; j+8 <= width && transpose8(panel[j:], b[(j0+j)*ldb+k0:], ldb, steps/8, alpha); j += 8 {
				for q := steps; q < kb; q++ {
					d := panel[q*PanelWidth+j:][:8]
					for r := range d {
						d[r] = alpha * b[(j0+j+r)*ldb+k0+q]
					}
				}
			}
			for ; j+4 <= width; j += 4 {
				r0 := b[(j0+j)*ldb+k0 : (j0+j)*ldb+k0+kb]
				r1 := b[(j0+j+1)*ldb+k0:][:len(r0)]
				r2 := b[(j0+j+2)*ldb+k0:][:len(r0)]
				r3 := b[(j0+j+3)*ldb+k0:][:len(r0)]
				for q, v := range r0 {
					d := panel[q*PanelWidth+j:][:4]
					d[0], d[1], d[2], d[3] = alpha*v, alpha*r1[q], alpha*r2[q], alpha*r3[q]
				}
			}
			for ; j < width; j++ {
				src := b[(j0+j)*ldb+k0 : (j0+j)*ldb+k0+kb]
				col := panel[j:]
				if alpha == 1 {
					for q, v := range src {
						col[q*PanelWidth] = v
					}
				} else {
					for q, v := range src {
						col[q*PanelWidth] = alpha * v
					}
				}
			}
		case width == PanelWidth && alpha == 1 && copyRows16(panel, b[k0*ldb+j0:], kb, ldb):
		default:
			for q := range kb {
				row := panel[q*PanelWidth : (q+1)*PanelWidth]
				for j, v := range b[(k0+q)*ldb+j0 : (k0+q)*ldb+j0+width] {
					row[j] = alpha * v
				}
				clear(row[width:])
			}
		}
	}
}

// operandB is op(b) for the kernels: already packed (Pack's layout, all k
// rows), or raw, packed by each worker one kBlock at a time (so that the
// packed block is still in cache when the kernels read it).
type operandB struct {
	packed []float32
	raw    []float32
	trans  bool
	ldb    int
	alpha  float32
	epi    Epilogue  // nil: none
	bias   []float32 // added by the kernels to the final sums (n values), or nil
	relu   bool      // max(0, ·) after bias
}

// Epilogue finishes a part of c that a product has just completed, while
// it is still in cache: rows×width elements from column j0, row r at
// part[r·ldc:]. MulPackedEpilogue calls it once for every element of c.
type Epilogue func(part []float32, ldc, rows, j0, width int)

// Mul computes c = alpha·op(a)·op(b) + beta·c on row-major matrices, op(a)
// m×k and op(b) k×n (op(x) = xᵀ when its trans flag is set; lda, ldb, ldc
// are the row strides), on the calling goroutine. As in BLAS, c is not
// read when beta is 0, and a and b are not read when alpha is 0. It panics
// if a dimension is negative or a slice too short for its shape.
func Mul(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	MulParallel(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// MulParallel is Mul split across up to workers goroutines when the
// product is large enough to gain from it. The result is the same bits
// whatever workers is.
func MulParallel(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkShape("Mul", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	path := Current()
	if path == OpenBLAS {
		mulOpenBLAS(workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if alpha == 0 || k == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	acc := beta != 0
	if beta != 0 && beta != 1 {
		scaleRows(m, n, beta, c, ldc)
	}
	run(path, workers, transA, m, n, k, a, lda, operandB{raw: b, trans: transB, ldb: ldb, alpha: alpha}, c, ldc, acc)
}

// mulOpenBLAS runs OpenBLAS's sgemm (one thread per call) as causeway's
// trainer did before package gemm: large products split into workers
// blocks of rows of c (or of columns, when c is wide), run concurrently.
func mulOpenBLAS(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if workers <= 1 || 2*float64(m)*float64(n)*float64(k) < parallelFlops {
		openblasSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m >= n {
		chunk := max((m/workers+15)&^15, 16)
		parallel.Run(workers, (m+chunk-1)/chunk, func(t int) {
			lo, hi := t*chunk, min((t+1)*chunk, m)
			off := lo * lda
			if transA {
				off = lo
			}
			openblasSgemm(transA, transB, hi-lo, n, k, alpha, a[off:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		})
		return
	}
	chunk := max((n/workers+15)&^15, 16)
	parallel.Run(workers, (n+chunk-1)/chunk, func(t int) {
		lo, hi := t*chunk, min((t+1)*chunk, n)
		off := lo
		if transB {
			off = lo * ldb
		}
		openblasSgemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[off:], ldb, beta, c[lo:], ldc)
	})
}

// MulPacked sets c = a·w for the m×k row-major a (stride lda) and the k×n
// matrix w, packed = Pack(w, k, n), on the calling goroutine. It panics if
// a slice is too short for its shape.
func MulPacked(m, n, k int, a []float32, lda int, packed []float32, c []float32, ldc int) {
	MulPackedEpilogue(m, n, k, a, lda, packed, c, ldc, nil)
}

// MulPackedEpilogue is MulPacked followed by epi on every element of c,
// applied a block of up to 480 rows and 256 columns at a time as soon as
// it is final (a bias and activation then cost no pass of their own
// over c). A nil epi does nothing.
func MulPackedEpilogue(m, n, k int, a []float32, lda int, packed []float32, c []float32, ldc int, epi Epilogue) {
	mulPacked("MulPacked", m, n, k, a, lda, packed, c, ldc, operandB{packed: packed, epi: epi})
}

// MulPackedBias sets c = a·w + bias for the m×k row-major a (stride
// lda), the k×n matrix w, packed = Pack(w, k, n), and n bias values, and
// then, when relu, every value v to max(0, v) (NaN and −0 stay): a Linear
// layer, its bias and ReLU applied by the kernels to the sums still in
// registers. Every column follows simd.BiasRows's rule, c + bias and then
// VMAXPS's max(0, ·): the bits are MulPacked's followed by BiasRows's. It
// panics if a slice is too short for its shape.
func MulPackedBias(m, n, k int, a []float32, lda int, packed []float32, bias []float32, relu bool, c []float32, ldc int) {
	if bias == nil {
		bias = []float32{} // a bias of no values, too short for any column
	}
	mulPacked("MulPackedBias", m, n, k, a, lda, packed, c, ldc, operandB{packed: packed, bias: bias, relu: relu})
}

// mulPacked checks a packed product's shape, ob's bias too when it has one
// (op names the caller in a panic), and runs it on the calling goroutine,
// ob's bias, ReLU and epilogue included.
func mulPacked(op string, m, n, k int, a []float32, lda int, packed []float32, c []float32, ldc int, ob operandB) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: %s: negative dimension in %d×%d×%d", op, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkPacked(op, m, n, k, a, lda, packed, c, ldc, ob)
	if ob.bias != nil {
		ob.bias = ob.bias[:n]
	}
	if k == 0 {
		scaleRows(m, n, 0, c, ldc)
		if ob.bias != nil {
			for i := range m {
				biasAct(c[i*ldc:i*ldc+n], ob.bias, ob.relu)
			}
		}
		if ob.epi != nil {
			ob.epi(c, ldc, m, 0, n)
		}
		return
	}
	run(packedPath(), 1, false, m, n, k, a, lda, ob, c, ldc, false)
}

// packedPath is the path the packed products run on: the current one, or
// Best() when that is openblas (the packed layout is causeway's own).
func packedPath() Path {
	if p := Current(); p != OpenBLAS {
		return p
	}
	return Best()
}

// checkPacked panics (op names the caller) unless a, packed, c and ob's
// bias, when it has one, are long enough for an m×n×k packed product
// (m, n > 0).
func checkPacked(op string, m, n, k int, a []float32, lda int, packed []float32, c []float32, ldc int, ob operandB) {
	if len(packed) < PackedLen(k, n) || ldc < n || len(c) < (m-1)*ldc+n || (k > 0 && (lda < k || len(a) < (m-1)*lda+k)) ||
		(ob.bias != nil && len(ob.bias) < n) {
		panic(fmt.Sprintf("gemm: %s: slice too short for a %d×%d×%d product", op, m, n, k))
	}
}

func checkShape(op string, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: %s: negative dimension in %d×%d×%d", op, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	need := func(rows, cols, ld int, x []float32) bool {
		return rows == 0 || cols == 0 || (ld >= cols && len(x) >= (rows-1)*ld+cols)
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if !need(ar, ac, lda, a) || !need(br, bc, ldb, b) || !need(m, n, ldc, c) {
		panic(fmt.Sprintf("gemm: %s: slice or stride too small for a %d×%d×%d product", op, m, n, k))
	}
}

// scaleRows sets c = beta·c (zero when beta is 0, whatever c held).
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// run multiplies op(a) by op(b) into c, splitting the work across up to
// workers goroutines by groups of panels or, for a single panel, by blocks
// of rows.
func run(path Path, workers int, transA bool, m, n, k int, a []float32, lda int, ob operandB, c []float32, ldc int, acc bool) {
	panels := (n + PanelWidth - 1) / PanelWidth
	if workers <= 1 || 2*float64(m)*float64(n)*float64(k) < parallelFlops {
		block(path, transA, 0, m, 0, panels, n, k, a, lda, ob, c, ldc, acc)
		return
	}
	if panels >= workers {
		// By groups of panels: each worker packs only its own columns of
		// op(b) and reads op(a) in place, so nothing is done twice.
		per := (panels + workers - 1) / workers
		parallel.Run(workers, (panels+per-1)/per, func(t int) {
			block(path, transA, 0, m, t*per, min((t+1)*per, panels), n, k, a, lda, ob, c, ldc, acc)
		})
		return
	}
	// Few columns: by blocks of rows.
	rowBlocks := (m + mBlock - 1) / mBlock
	per := (rowBlocks + workers - 1) / workers
	parallel.Run(workers, (rowBlocks+per-1)/per, func(t int) {
		block(path, transA, t*per*mBlock, min((t+1)*per*mBlock, m), 0, panels, n, k, a, lda, ob, c, ldc, acc)
	})
}

// block computes rows i0…i1−1 of c in panels p0…p1−1. The kernels read
// op(a) in place (row kernels for a, column kernels for aᵀ), but for aᵀ
// with many panels (packATPanels), packed once per block of rows, and a
// last micro-panel with fewer rows than its kernel, copied zero-padded.
// Whole tiles of a whole panel go to the kernels a run at a time; a short
// last tile and a panel narrower than 16 columns go one tile at a time
// through a 16-wide buffer.
func block(path Path, transA bool, i0, i1, p0, p1, n, k int, a []float32, lda int, ob operandB, c []float32, ldc int, acc bool) {
	plans := plansOf(path)
	var bb []float32
	if ob.packed == nil {
		bbuf := getBuf(min(p1-p0, groupPanels) * min(k, kBlock) * PanelWidth)
		defer putBuf(bbuf)
		bb = *bbuf
	}
	var pad []float32 // a short micro-panel, packed; taken when first needed
	var pbuf *[]float32
	defer func() { // one deferred call outside the loops: a defer inside one allocates
		if pbuf != nil {
			putBuf(pbuf)
		}
	}()
	var packed []float32 // aᵀ's micro-panels for one block of rows
	if transA && p1-p0 >= packATPanels {
		abuf := getBuf(mBlock * kBlock)
		defer putBuf(abuf)
		packed = *abuf
	}
	var tile [12 * PanelWidth]float32
	var lastBias [PanelWidth]float32 // a narrow last panel's bias, zero-padded
	for k0 := 0; k0 < k; k0 += kBlock {
		kb := min(kBlock, k-k0)
		accumulate := 0
		if acc || k0 > 0 {
			accumulate = 1
		}
		// Groups of panels whose packed block (groupPanels·16 columns ×
		// kBlock) stays in L2 while every row goes by.
		for g0 := p0; g0 < p1; g0 += groupPanels {
			g1 := min(g0+groupPanels, p1)
			if ob.packed == nil {
				packBRange(bb, ob.trans, k0, kb, g0, g1, n, ob.alpha, ob.raw, ob.ldb)
			}
			// aᵀ's rows are columns of a, a cache line per step: packed once
			// per block of rows for the group's panels when there are
			// enough of them.
			packAT := packed != nil && g1-g0 >= packATPanels
			for ib := i0; ib < i1; ib += mBlock {
				rows := min(mBlock, i1-ib)
				plan := plans.heights[rows]
				if packAT {
					off, r0 := 0, 0
					for _, h := range plan {
						live := min(h, rows-r0)
						packA(packed[off:off+kb*h], true, h, live, ib+r0, k0, kb, a, lda)
						off, r0 = off+kb*h, r0+live
					}
				}
				pairDone := 0 // tiles of panel p that the pair kernel did with panel p−1
				for p := g0; p < g1; p++ {
					var bp []float32
					if ob.packed != nil {
						bp = ob.packed[(p*k+k0)*PanelWidth : (p*k+k0+kb)*PanelWidth]
						if k > kBlock && p+1 < p1 && ib == i0 {
							// The next panel's block is k·16 floats further
							// on, past the hardware prefetchers' reach:
							// weights that do not stay in cache (the
							// executor at one graph) stream ahead of use.
							prefetchL2(&ob.packed[((p+1)*k+k0)*PanelWidth], kb*PanelWidth/16)
						}
					} else {
						bp = bb[(p-g0)*kb*PanelWidth : (p-g0+1)*kb*PanelWidth]
					}
					j0 := p * PanelWidth
					width := min(PanelWidth, n-j0)
					// Packed weights are read from memory on the first pass
					// over their block: its first tiles prefetch ahead (every
					// tile measured slower with many rows, only the first
					// slower with few: too few requests in flight).
					prefetch := 0
					if ob.packed != nil && ib == i0 {
						prefetch = prefetchTiles
					}
					var bias []float32 // on the last block of k only
					if ob.bias != nil && k0+kb == k {
						if width == PanelWidth {
							bias = ob.bias[j0 : j0+PanelWidth]
						} else {
							copy(lastBias[:], ob.bias[j0:j0+width])
							bias = lastBias[:]
						}
					}
					// avx512x32: the leading run of whole 8-row tiles of two
					// whole panels in one 8×32 kernel call; the rest of each
					// panel's tiles as on avx512.
					t0 := 0
					if pairDone > 0 {
						t0, pairDone = pairDone, 0
					} else if path == AVX512x32 && p+1 < g1 && j0+2*PanelWidth <= n && plan[0] == 8 {
						lead := plans.runs[rows][0]
						if lead*8 > rows {
							lead-- // the last tile is short
						}
						if lead > 0 && pairKernel(transA, packAT, ob, bb, packed, p, g0, k, k0, kb, ib, j0, lead, a, lda, bias, c, ldc, accumulate, prefetch) {
							t0, pairDone = lead, lead
						}
					}
					prefetch = max(0, prefetch-t0)
					t, r0, off := t0, 8*t0, 8*t0*kb // the first t0 tiles are 8 rows high
					for t < len(plan) {
						h := plan[t]
						live := min(h, rows-r0)
						i := ib + r0
						ci := i*ldc + j0
						// op(a)'s rows i…i+h−1 from column k0, for the kernel,
						// and the step to the next tile's.
						var am []float32
						var amRows bool
						var amLd, astep int
						if live < h && !packAT {
							if pad == nil {
								pbuf = getBuf(12 * kBlock)
								pad = *pbuf
							}
							am, amRows, amLd = pad[:kb*h], false, h
							if p == g0 {
								packA(am, transA, h, live, i, k0, kb, a, lda)
							}
						} else {
							am, amRows, amLd, astep = tileA(packAT, transA, packed, off, a, lda, i, k0, kb, h)
						}
						if live == h && width == PanelWidth {
							// A run of whole tiles of one height: one call.
							run := plans.runs[rows][t]
							if r0+run*h > rows {
								run-- // the last tile is short
							}
							kernel(path, amRows, h, am, amLd, bp, kb, c[ci:], ldc, accumulate,
								tiles{n: run, astep: astep, cstep: h * ldc, prefetch: prefetch, bias: bias, relu: ob.relu})
							prefetch = max(0, prefetch-run)
							t, r0, off = t+run, r0+run*h, off+run*kb*h
							continue
						}
						// A partial tile (the last rows, or a panel narrower
						// than 16) goes through a whole one; only its live
						// rows and columns are kept.
						if accumulate != 0 {
							for r := range live {
								copy(tile[r*PanelWidth:r*PanelWidth+width], c[ci+r*ldc:ci+r*ldc+width])
							}
						}
						kernel(path, amRows, h, am, amLd, bp, kb, tile[:], PanelWidth, accumulate, tiles{n: 1, prefetch: min(prefetch, 1), bias: bias, relu: ob.relu})
						prefetch = max(0, prefetch-1)
						for r := range live {
							copy(c[ci+r*ldc:ci+r*ldc+width], tile[r*PanelWidth:r*PanelWidth+width])
						}
						t, r0, off = t+1, r0+live, off+kb*h
					}
				}
				if ob.epi != nil && k0+kb == k {
					j0, j1 := g0*PanelWidth, min(g1*PanelWidth, n)
					ob.epi(c[ib*ldc+j0:], ldc, rows, j0, j1-j0)
				}
			}
		}
	}
}

// tileA returns op(a)'s rows i…i+h−1 from column k0 of a block of kb
// steps as a kernel reads them: aᵀ's packed micro-panels (the tile's at
// packed[off:]), aᵀ in place (column kernels) or a in place (row
// kernels), with the operand's stride and the step to the next tile's.
func tileA(packAT, transA bool, packed []float32, off int, a []float32, lda, i, k0, kb, h int) (am []float32, rows bool, ld, astep int) {
	switch {
	case packAT:
		return packed[off:], false, h, kb * h
	case transA:
		return a[k0*lda+i:], false, lda, h
	}
	return a[i*lda+k0:], true, lda, h * lda
}

// pairKernel runs the 8×32 kernel over the first lead (whole, 8-row)
// tiles of row block ib for panels p and p+1 (both whole) and block k0 of
// kb steps, with block's operands, and reports whether it could. bias is
// panel p's (nil before the last block of k): the pair's 32 values follow
// from it.
func pairKernel(transA, packAT bool, ob operandB, bb, packed []float32, p, g0, k, k0, kb, ib, j0, lead int, a []float32, lda int, bias, c []float32, ldc, accumulate, prefetch int) bool {
	var b []float32
	var pstride int
	if ob.packed != nil {
		b, pstride = ob.packed[(p*k+k0)*PanelWidth:((p+1)*k+k0+kb)*PanelWidth], k*PanelWidth
	} else {
		b, pstride = bb[(p-g0)*kb*PanelWidth:(p-g0+2)*kb*PanelWidth], kb*PanelWidth
	}
	am, amRows, amLd, astep := tileA(packAT, transA, packed, 0, a, lda, ib, k0, kb, 8)
	if bias != nil {
		bias = ob.bias[j0 : j0+2*PanelWidth]
	}
	ok := asmPairKernel(amRows, am, amLd, b, pstride, kb, c[ib*ldc+j0:], ldc, accumulate,
		tiles{n: lead, astep: astep, cstep: 8 * ldc, prefetch: prefetch, bias: bias, relu: ob.relu})
	if ok && pairTilesDone != nil {
		pairTilesDone.Add(int64(lead))
	}
	return ok
}

// pairTilesDone, when a test sets it, counts the tiles the 8×32 kernels
// computed.
var pairTilesDone *atomic.Int64

// packA writes rows i…i+live−1, columns k0…k0+kb−1 of op(a) into dst as a
// micro-panel of h rows (dst[p·h+r]; rows from live on are zero).
func packA(dst []float32, trans bool, h, live, i, k0, kb int, a []float32, lda int) {
	if live < h {
		clear(dst)
	}
	if trans {
		// op(a)[i+r][k0+p] = a[(k0+p)·lda + i + r]: contiguous in r.
		switch {
		case live == 8 && h == 8:
			for p := range kb {
				*(*[8]float32)(dst[p*8:]) = *(*[8]float32)(a[(k0+p)*lda+i:])
			}
		case live == 6 && h == 6:
			for p := range kb {
				*(*[6]float32)(dst[p*6:]) = *(*[6]float32)(a[(k0+p)*lda+i:])
			}
		case live == 4 && h == 4:
			for p := range kb {
				*(*[4]float32)(dst[p*4:]) = *(*[4]float32)(a[(k0+p)*lda+i:])
			}
		default:
			for p := range kb {
				copy(dst[p*h:p*h+live], a[(k0+p)*lda+i:(k0+p)*lda+i+live])
			}
		}
		return
	}
	for r := range live {
		src := a[(i+r)*lda+k0 : (i+r)*lda+k0+kb]
		for p, v := range src {
			dst[p*h+r] = v
		}
	}
}

// planRows splits rows into kernel heights (the last may be padded):
// as few computed rows as possible, then as few kernel calls.
func planRows(rows int, hs []int) []int {
	tall := hs[0]
	var plan []int
	// Whole tall tiles while the rest is large, then the best split of
	// what is left.
	for rows >= 3*tall {
		plan = append(plan, tall)
		rows -= tall
	}
	return append(plan, bestSplit(rows, hs)...)
}

// bestSplit returns the split of rows (< 3·tallest height) that computes
// the fewest rows, then uses the fewest calls.
func bestSplit(rows int, hs []int) []int {
	type best struct {
		cost  int
		calls int
		split []int
	}
	memo := make([]best, rows+1)
	for r := 1; r <= rows; r++ {
		memo[r] = best{cost: math.MaxInt}
		for _, h := range hs {
			var c best
			if h >= r {
				c = best{cost: h, calls: 1, split: []int{h}}
			} else {
				prev := memo[r-h]
				c = best{cost: prev.cost + h, calls: prev.calls + 1, split: append([]int{h}, prev.split...)}
			}
			if c.cost < memo[r].cost || (c.cost == memo[r].cost && c.calls < memo[r].calls) {
				memo[r] = c
			}
		}
	}
	return memo[rows].split
}

// rowPlan holds planRows(rows, a path's heights) for every block size up
// to mBlock: heights[rows], and runs[rows][t], how many tiles from t on
// have tile t's height (a run computed by one kernel call).
type rowPlan struct {
	heights [mBlock + 1][]int
	runs    [mBlock + 1][]int
}

// rowPlans[path] is each path's rowPlan, computed once.
var rowPlans = func() (t [3]rowPlan) {
	for p, hs := range [3][]int{Go: heightsGo, AVX2: heights256, AVX512: heights512} {
		for rows := 1; rows <= mBlock; rows++ {
			plan := planRows(rows, hs)
			runs := make([]int, len(plan))
			for i := len(plan) - 1; i >= 0; i-- {
				runs[i] = 1
				if i+1 < len(plan) && plan[i+1] == plan[i] {
					runs[i] = runs[i+1] + 1
				}
			}
			t[p].heights[rows], t[p].runs[rows] = plan, runs
		}
	}
	return t
}()

func plansOf(p Path) *rowPlan {
	switch {
	case p == AVX512x32:
		p = AVX512 // the same heights: pairs of panels take its 8-row tiles
	case p < 0 || p > AVX512:
		p = Go
	}
	return &rowPlans[p]
}

// tiles is a run of one kernel's tiles down a panel: n of them, each
// one's op(a) astep and c cstep floats after the one before; the first
// prefetch of them prefetch the panel ahead (weights read from memory).
// A non-nil bias (the panel's 16 values) is added to the final sums, then
// max(0, ·) taken when relu.
type tiles struct {
	n, astep, cstep int
	prefetch        int
	bias            []float32
	relu            bool
}

// kernel runs path p's h-row micro-kernel over the tiles t:
// op(a)[r][p] = a[r·lda+p] when rows, else a[p·lda+r].
func kernel(p Path, rows bool, h int, a []float32, lda int, b []float32, k int, c []float32, ldc int, acc int, t tiles) {
	if asmKernel(p, rows, h, a, lda, b, k, c, ldc, acc, t) {
		return
	}
	for i := range t.n {
		goKernel(rows, h, a[i*t.astep:], lda, b, k, c[i*t.cstep:], ldc, acc)
		if t.bias != nil {
			for r := range h {
				biasAct(c[i*t.cstep+r*ldc:][:PanelWidth], t.bias[:PanelWidth], t.relu)
			}
		}
	}
}

// biasAct sets row = row + bias and then, when relu, simd.ReLU32 (the
// kernels' VMAXPS rule: NaN and −0 stay as they are).
func biasAct(row, bias []float32, relu bool) {
	bias = bias[:len(row)]
	for j, v := range row {
		v += bias[j]
		if relu {
			v = simd.ReLU32(v)
		}
		row[j] = v
	}
}

// bufs holds scratch slices by size class: bufs[c] has capacity 2^c.
var bufs [40]sync.Pool

func getBuf(n int) *[]float32 {
	c := bits.Len(uint(max(n, 1) - 1))
	if v, ok := bufs[c].Get().(*[]float32); ok {
		*v = (*v)[:n]
		return v
	}
	s := make([]float32, n, 1<<c)
	return &s
}

func putBuf(b *[]float32) {
	if c := bits.Len(uint(cap(*b)) - 1); cap(*b) == 1<<c && c < len(bufs) {
		bufs[c].Put(b)
	}
}
