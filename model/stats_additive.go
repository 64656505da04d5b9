package model

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Constants of the version-4 statistics (see DataStats).
const (
	// AdditiveBasis is the number of basis functions of every variable in
	// the additive dependences: z, z², and a tent of clamp(z,
	// ±AdditiveRange) at each AdditiveTentCentre.
	AdditiveBasis = 2 + len(AdditiveTentCentres)
	// AdditiveRange clamps z before its tents are taken; it is also each
	// tent's half-width.
	AdditiveRange = 1.0
	// AdditiveRidge is added to the diagonal of the basis functions'
	// normalised Gram before it is inverted.
	AdditiveRidge = 0.3
)

// AdditiveTentCentres are the centres of the additive dependences' tents:
// −AdditiveRange and 0 (the tent at +AdditiveRange is their complement on
// [−AdditiveRange, AdditiveRange], so it would add nothing).
var AdditiveTentCentres = [...]float64{-AdditiveRange, 0}

// AdditiveBasisValue returns basis function b (0 ≤ b < AdditiveBasis) of
// the additive dependences at z: z, z², then the tents of clamp(z,
// ±AdditiveRange) at AdditiveTentCentres.
func AdditiveBasisValue(z float64, b int) float64 {
	switch b {
	case 0:
		return z
	case 1:
		return z * z
	}
	c := refClamp(z, -AdditiveRange, AdditiveRange)
	return math.Max(0, 1-math.Abs(c-AdditiveTentCentres[b-2])/AdditiveRange)
}

// additiveDependence returns Additive and AdditiveDirected [N,N] of z
// [r,n] (see DataStats): basis column b·n + j is basis function b of
// variable j.
func additiveDependence(z []float64, r, n int) (sym, directed []float64) {
	k := AdditiveBasis * n
	f := make([]float64, r*k)
	for row := range r {
		zr, fr := z[row*n:(row+1)*n], f[row*k:(row+1)*k]
		for b := range AdditiveBasis {
			for j, v := range zr {
				fr[b*n+j] = AdditiveBasisValue(v, b)
			}
		}
	}
	mean := make([]float64, k)
	for row := range r {
		for a, v := range f[row*k : (row+1)*k] {
			mean[a] += v
		}
	}
	for a := range mean {
		mean[a] /= float64(r)
	}
	for row := range r {
		fr := f[row*k : (row+1)*k]
		for a := range fr {
			fr[a] -= mean[a]
		}
	}
	gram := make([]float64, k*k)
	blas64.Syrk(blas.Trans, 1, blas64.General{Rows: r, Cols: k, Stride: k, Data: f}, 0,
		blas64.Symmetric{N: k, Stride: k, Data: gram, Uplo: blas.Upper})
	c := normalise(gram, k, GramRidge*float64(r)) // the upper triangle (Syrk's)
	a := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			a.SetSym(i, j, c[i*k+j])
		}
		a.SetSym(i, i, c[i*k+i]+AdditiveRidge)
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		Failf("additive dependences: the ridge-regularised basis Gram is not positive definite")
	}
	var p mat.SymDense
	if err := ch.InverseTo(&p); err != nil {
		Failf("additive dependences: %v", err)
	}
	pc := func(x, y int) float64 { return -p.At(x, y) / math.Sqrt(p.At(x, x)*p.At(y, y)) }
	sym, directed = make([]float64, n*n), make([]float64, n*n)
	for i := range n {
		for j := range n {
			s, d := 0.0, 0.0
			for bi := range AdditiveBasis {
				v := pc(bi*n+i, j)
				d += v * v
				for bj := range AdditiveBasis {
					if j >= i {
						v := pc(bi*n+i, bj*n+j)
						s += v * v
					}
				}
			}
			if j >= i {
				sym[i*n+j] = math.Sqrt(s / float64(AdditiveBasis*AdditiveBasis))
				sym[j*n+i] = sym[i*n+j]
			}
			directed[i*n+j] = math.Sqrt(d / float64(AdditiveBasis))
		}
	}
	return sym, directed
}
