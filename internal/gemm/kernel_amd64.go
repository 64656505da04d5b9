//go:build amd64 && !purego

package gemm

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// The micro-kernels, in kernels_amd64.s (written by genkernels.go): tiles
// h×16 tiles of c, each from h rows of op(a) and a packed B panel over k
// steps, the next tile's a and c astep and cstep bytes on; acc ≠ 0 adds c
// to the sum; a non-nil bias (16 values) is then added, and relu ≠ 0 takes
// max(0, ·); the first pf tiles prefetch b ahead. Column
// kernels (C) read op(a)[r][p] at a[p·lda+r], row kernels (R) at
// a[r·lda+p].

//go:noescape
func gemm8x16AVX512C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm6x16AVX512C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm6x16AVX512R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm4x16AVX512C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm6x16AVX2C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm4x16AVX2C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm8x16AVX512R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm4x16AVX512R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm6x16AVX2R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm4x16AVX2R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int)

//go:noescape
func gemm8x32AVX512C(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int, pstride int)

//go:noescape
func gemm8x32AVX512R(a *float32, lda int, b *float32, k int, c *float32, ldc int, acc int, tiles int, astep int, cstep int, pf int, bias *float32, relu int, pstride int)

// asmPairKernel runs the 8×32 kernel (row kernel when rows, else column
// kernel) over t.n tiles of two panels, the second pstride floats after
// the first in b, and reports whether this CPU has it (AVX-512).
func asmPairKernel(rows bool, a []float32, lda int, b []float32, pstride, k int, c []float32, ldc int, acc int, t tiles) bool {
	if !hasAVX512 {
		return false
	}
	if pstride < k*PanelWidth {
		panic(fmt.Sprintf("gemm: pair kernel's panels %d floats apart, %d steps each", pstride, k))
	}
	bias, relu := runArgs(rows, 8, 2*PanelWidth, a, lda, k, c, ldc, t)
	_ = b[pstride+k*PanelWidth-1]
	if rows {
		gemm8x32AVX512R(&a[0], lda, &b[0], k, &c[0], ldc, acc, t.n, 4*t.astep, 4*t.cstep, t.prefetch, bias, relu, 4*pstride)
	} else {
		gemm8x32AVX512C(&a[0], lda, &b[0], k, &c[0], ldc, acc, t.n, 4*t.astep, 4*t.cstep, t.prefetch, bias, relu, 4*pstride)
	}
	return true
}

// runArgs checks what the tile kernels trust, at least one tile (they
// count tiles down to zero) of at least one step, every tile's h rows of
// op(a) and its h×width block of c inside the slices, and t's bias (width
// values) when it has one, and returns the bias pointer and relu flag the
// kernels take.
func runArgs(rows bool, h, width int, a []float32, lda, k int, c []float32, ldc int, t tiles) (*float32, int) {
	if t.n < 1 || k < 1 {
		panic(fmt.Sprintf("gemm: kernel over %d tiles of %d steps", t.n, k))
	}
	last := (t.n - 1) * t.astep
	if rows {
		_ = a[last+(h-1)*lda+k-1]
	} else {
		_ = a[last+(k-1)*lda+h-1]
	}
	_ = c[(t.n-1)*t.cstep+(h-1)*ldc+width-1]
	if t.bias == nil {
		return nil, 0
	}
	_ = t.bias[width-1]
	if t.relu {
		return &t.bias[0], 1
	}
	return &t.bias[0], 0
}

// asmKernel runs path p's h-row kernel (row kernel when rows, else column
// kernel) over t.n tiles and reports whether it has one.
func asmKernel(p Path, rows bool, h int, a []float32, lda int, b []float32, k int, c []float32, ldc int, acc int, t tiles) bool {
	if p == AVX512x32 {
		p = AVX512 // its 8×16 kernels
	}
	bias, relu := runArgs(rows, h, PanelWidth, a, lda, k, c, ldc, t)
	_ = b[k*PanelWidth-1]
	pa, pb, pc := &a[0], &b[0], &c[0]
	n, as, cs, pf := t.n, 4*t.astep, 4*t.cstep, t.prefetch
	switch {
	case p == AVX512 && !rows && h == 8:
		gemm8x16AVX512C(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX512 && !rows && h == 6:
		gemm6x16AVX512C(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX512 && rows && h == 6:
		gemm6x16AVX512R(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX512 && !rows && h == 4:
		gemm4x16AVX512C(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX512 && rows && h == 8:
		gemm8x16AVX512R(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX512 && rows && h == 4:
		gemm4x16AVX512R(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX2 && !rows && h == 6:
		gemm6x16AVX2C(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX2 && !rows && h == 4:
		gemm4x16AVX2C(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX2 && rows && h == 6:
		gemm6x16AVX2R(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	case p == AVX2 && rows && h == 4:
		gemm4x16AVX2R(pa, lda, pb, k, pc, ldc, acc, n, as, cs, pf, bias, relu)
	default:
		return false
	}
	return true
}

// fmaPeakAVX512 and fmaPeakAVX2 run n×12 independent register FMAs (512-
// and 256-bit): the core's peak, the benchmarks' reference.
//
//go:noescape
func fmaPeakAVX512(n int)

//go:noescape
func fmaPeakAVX2(n int)

// peakLoop runs path p's peak loop of n×12 FMAs and returns the flops it
// did (0 without one).
func peakLoop(p Path, n int) float64 {
	switch p {
	case AVX512, AVX512x32:
		fmaPeakAVX512(n)
		return float64(n) * 12 * 16 * 2
	case AVX2:
		fmaPeakAVX2(n)
		return float64(n) * 12 * 8 * 2
	}
	return 0
}

// copyRows16AVX2 copies n rows of 16 floats from src (stride ld floats) to
// dst (contiguous); in kernels_amd64.s.
//
//go:noescape
func copyRows16AVX2(dst, src *float32, n, ld int)

// copyRows16 copies n rows of 16 floats from src (stride ld) into dst and
// reports whether it could (AVX2).
func copyRows16(dst, src []float32, n, ld int) bool {
	if !hasAVX2 || n == 0 {
		return false
	}
	_ = dst[n*PanelWidth-1]
	_ = src[(n-1)*ld+PanelWidth-1]
	copyRows16AVX2(&dst[0], &src[0], n, ld)
	return true
}

// prefetchL2 asks for lines cache lines from p on into L2 (PREFETCHT1,
// prefetch_amd64.s), without waiting for them.
//
//go:noescape
func prefetchL2(p *float32, lines int)

// transpose8AVX2 writes n 8×8 blocks of alpha·srcᵀ into half-panel rows
// (kernels_amd64.s): block i from 8 rows of src (stride ld floats) at
// columns 8i…8i+7, as 8 rows of 8 values 16 floats apart at dst[128i:].
//
//go:noescape
func transpose8AVX2(dst, src *float32, ld, n int, alpha float32)

// transpose8 writes dst[q·16+r] = alpha·src[r·ld+q] for r < 8, q < 8n and
// reports whether it could (AVX2).
func transpose8(dst, src []float32, ld, n int, alpha float32) bool {
	if !hasAVX2 || n == 0 {
		return false
	}
	_ = dst[(8*n-1)*PanelWidth+7]
	_ = src[7*ld+8*n-1]
	transpose8AVX2(&dst[0], &src[0], ld, n, alpha)
	return true
}

// The sparse kernels (kernels_amd64.s): rows rows of a's nonzero steps
// against a group of sparseGroup(p) panels; see genkernels.go's sparse.
//
//go:noescape
func sparseRowsAVX2(a *float32, lda int, masks *byte, ldm int, b *float32, pstride int, s *float32, lds int, rows int, flags int, c *float32, ldc int, bias *float32)

//go:noescape
func sparseRowsAVX512(a *float32, lda int, masks *byte, ldm int, b *float32, pstride int, s *float32, lds int, rows int, flags int, c *float32, ldc int, bias *float32)

//go:noescape
func nonzeroMasksAVX2(dst *byte, ldm int, a *float32, lda int, rows int, chunks int)

// hasBMI1 is whether the sparse kernels' bit scans (TZCNT, BLSR) run.
var hasBMI1 = cpu.X86.HasBMI1

// sparseShape returns path p's sparse kernel's group of panels and steps
// per call, or ok false when p has none.
func sparseShape(p Path) (panels, steps int, ok bool) {
	switch {
	case !hasBMI1:
		return 0, 0, false
	case (p == AVX512 || p == AVX512x32) && hasAVX512:
		return 8, 32, true
	case p == AVX2 && hasAVX2:
		return 4, 64, true
	}
	return 0, 0, false
}

// sparseKernel runs path p's sparse kernel (sparseShape(p) must be ok)
// over rows rows for the steps q…q+steps−1 (fewer at the end of k) of
// one group of panels: a and masks at step q of the first row, b the
// group's first panel at step q (panels pstride floats apart).
func sparseKernel(p Path, a []float32, lda int, masks []byte, ldm int, b []float32, pstride, steps int, s []float32, lds, rows, flags int, c []float32, ldc int, bias []float32) {
	panels, callSteps, _ := sparseShape(p)
	width := panels * PanelWidth
	// The assembly trusts these: a row at least, and every row's a, mask
	// word, panel rows, s and c inside the slices.
	if rows < 1 || steps < 1 {
		panic(fmt.Sprintf("gemm: sparse kernel over %d rows of %d steps", rows, steps))
	}
	_ = a[(rows-1)*lda+steps-1]
	_ = masks[(rows-1)*ldm+callSteps/8-1] // one mask word
	_ = b[(panels-1)*pstride+steps*PanelWidth-1]
	_ = s[(rows-1)*lds+width-1]
	_ = c[(rows-1)*ldc+width-1]
	var pb *float32
	if bias != nil {
		_ = bias[width-1]
		pb = &bias[0]
	}
	if p == AVX512 || p == AVX512x32 {
		sparseRowsAVX512(&a[0], lda, &masks[0], ldm, &b[0], pstride, &s[0], lds, rows, flags, &c[0], ldc, pb)
		return
	}
	sparseRowsAVX2(&a[0], lda, &masks[0], ldm, &b[0], pstride, &s[0], lds, rows, flags, &c[0], ldc, pb)
}

// nonzeroChunks writes, for rows rows of a (stride lda), bytes 0…k/8−1 of
// each row's mask (stride ldm) from whole chunks of 8 values, and reports
// whether it could (AVX2).
func nonzeroChunks(dst []byte, ldm int, a []float32, lda, rows, k int) bool {
	chunks := k / 8
	if !hasAVX2 || rows == 0 || chunks == 0 {
		return false
	}
	_ = dst[(rows-1)*ldm+chunks-1]
	_ = a[(rows-1)*lda+8*chunks-1]
	nonzeroMasksAVX2(&dst[0], ldm, &a[0], lda, rows, chunks)
	return true
}
