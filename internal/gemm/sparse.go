package gemm

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

// sparseMaxDensity is the share of nonzero values of a above which a block
// of rows goes to the dense tile kernels instead of the sparse ones (at
// 640×128×2048 the sparse kernels take 1.0 + 3.0·d ms at density d with
// AVX2, the tile kernels 3.45 ms: even at 0.82). A variable for tests.
var sparseMaxDensity = 0.7

// MulPackedBiasSparse is MulPackedBias for an a with many zeros (a ReLU's
// output, the input of a transformer's second feed-forward layer): with
// AVX2 or AVX-512 it multiplies only a's nonzero values, a row at a time
// against the packed weights, for each block of rows where at most 70% of
// a is nonzero; other blocks, the columns past the last whole group of
// panels (64 columns with AVX2, 128 with AVX-512) and other paths take
// MulPackedBias's kernels.
//
// The sums are MulPackedBias's, one fused multiply-add per nonzero value
// in order from zero in each block of 256 steps: a zero of a times a finite
// weight adds ±0 to a sum, which leaves it as it is, so when every weight is
// finite the result is MulPackedBias's bit for bit, but for the sign of a
// zero sum reached by underflow. A zero of a times an infinite or NaN weight
// is NaN in MulPackedBias and skipped here: call it only with finite
// weights. It panics if a slice is too short for its shape.
func MulPackedBiasSparse(m, n, k int, a []float32, lda int, packed []float32, bias []float32, relu bool, c []float32, ldc int) {
	if bias == nil {
		bias = []float32{} // too short for any column, as in MulPackedBias
	}
	ob := operandB{packed: packed, bias: bias, relu: relu}
	path := packedPath()
	gp, steps, ok := sparseShape(path)
	groups := 0
	if ok {
		groups = n / (gp * PanelWidth) // whole groups: SparseWidth's columns
	}
	if groups <= 0 || m <= 0 || k <= 0 {
		// No whole group, nothing to skip, or a negative size (which
		// mulPacked refuses).
		mulPacked("MulPackedBiasSparse", m, n, k, a, lda, packed, c, ldc, ob)
		return
	}
	checkPacked("MulPackedBiasSparse", m, n, k, a, lda, packed, c, ldc, ob)
	ob.bias = ob.bias[:n]
	width := groups * gp * PanelWidth // the sparse kernels' columns
	panels := (n + PanelWidth - 1) / PanelWidth
	ldm := (k + 63) / 64 * 8 // mask bytes per row: whole 64-bit words
	rowsMax := min(m, mBlock)
	mbuf := getMasks(rowsMax * ldm)
	defer putMasks(mbuf)
	masks := *mbuf
	sbuf := getBuf(rowsMax * width)
	defer putBuf(sbuf)
	s := *sbuf
	for ib := 0; ib < m; ib += mBlock {
		rows := min(mBlock, m-ib)
		ai := a[ib*lda:]
		nonzero := nonzeroMasks(masks, ldm, ai, lda, rows, k)
		if float64(nonzero) > sparseMaxDensity*float64(rows)*float64(k) {
			block(path, false, ib, ib+rows, 0, panels, n, k, a, lda, ob, c, ldc, false)
			continue
		}
		ci := c[ib*ldc:]
		for k0 := 0; k0 < k; k0 += kBlock {
			kb := min(kBlock, k-k0)
			for q := k0; q < k0+kb; q += steps {
				flags := 0
				if q > k0 {
					flags |= 1 // go on with the block's sums in s
				}
				if q+steps >= k0+kb {
					flags |= 2 // the block ends: its sums go to c
					if k0 > 0 {
						flags |= 4
					}
					if k0+kb == k && relu {
						flags |= 8
					}
				}
				for g := range groups {
					j0 := g * gp * PanelWidth
					var bg []float32
					if flags&2 != 0 && k0+kb == k {
						bg = ob.bias[j0 : j0+gp*PanelWidth]
					}
					sparseKernel(path, ai[q:], lda, masks[q/8:], ldm, packed[(g*gp*k+q)*PanelWidth:], k*PanelWidth,
						min(steps, k-q), s[j0:], width, rows, flags, ci[j0:], ldc, bg)
				}
			}
		}
		if gp*groups < panels {
			block(path, false, ib, ib+rows, gp*groups, panels, n, k, a, lda, ob, c, ldc, false)
		}
	}
}

// SparseWidth returns how many columns one call of the current path's
// sparse kernels covers (MulPackedBiasSparse skips zeros only in whole
// groups of them), or 0 when the path has no sparse kernels.
func SparseWidth() int {
	panels, _, ok := sparseShape(packedPath())
	if !ok {
		return 0
	}
	return panels * PanelWidth
}

// nonzeroMasks writes the masks of rows rows of a's first k columns
// (stride lda) to dst, ldm bytes a row: bit j of byte q set when
// a[8q+j] ≠ 0 (NaN included), every bit from k on clear; it returns how
// many are set.
func nonzeroMasks(dst []byte, ldm int, a []float32, lda, rows, k int) int {
	full := 0
	if nonzeroChunks(dst, ldm, a, lda, rows, k) {
		full = k / 8
	}
	count := 0
	for r := range rows {
		row := a[r*lda : r*lda+k]
		m := dst[r*ldm : (r+1)*ldm]
		clear(m[full:])
		for p := 8 * full; p < k; p++ {
			if row[p] != 0 || row[p] != row[p] {
				m[p/8] |= 1 << (p % 8)
			}
		}
		for w := 0; w < ldm; w += 8 {
			count += bits.OnesCount64(binary.LittleEndian.Uint64(m[w:]))
		}
	}
	return count
}

var maskPool sync.Pool

func getMasks(n int) *[]byte {
	if v, ok := maskPool.Get().(*[]byte); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	b := make([]byte, n)
	return &b
}

func putMasks(b *[]byte) { maskPool.Put(b) }
