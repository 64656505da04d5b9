package jsonscan

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"sync"
)

// Float reads a JSON number and converts it exactly as encoding/json does
// (strconv.ParseFloat, correctly rounded), in one pass over its digits.
// Numbers of at most 19 significant digits are converted exactly by
// Clinger's fast path (mantissa below 2^53, decimal exponent within ±22:
// one correctly rounded float64 multiplication or division) or else with
// the Eisel–Lemire algorithm (the one strconv uses after parsing) for a
// decimal exponent in [pow10Min, pow10Max]; every other number, and the
// rare inputs where that algorithm cannot decide the rounding, go to
// strconv.ParseFloat itself. A test holds the two to bit-identical
// results.
func (p *Scanner) Float() (float64, bool) {
	b, i := p.b, p.i
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	start := i
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	var man uint64
	nd, exp10 := 0, 0 // significant digits read into man; value = man·10^exp10
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for ; i < len(b) && isDigit(b[i]); i++ {
			man = man*10 + uint64(b[i]-'0') // wraps past 19 digits: nd says so
			nd++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		if man == 0 { // leading zeros of the fraction are not significant
			for i < len(b) && b[i] == '0' {
				i++
			}
		}
		sig := i
		for i+8 <= len(b) {
			v := binary.LittleEndian.Uint64(b[i:])
			if !eightDigits(v) {
				break
			}
			man = man*1e8 + parseEight(v)
			i += 8
		}
		for i < len(b) && isDigit(b[i]) {
			man = man*10 + uint64(b[i]-'0')
			i++
		}
		if i == d {
			return 0, false
		}
		exp10 = d - i
		nd += i - sig
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		d := i
		e := 0
		for ; i < len(b) && isDigit(b[i]); i++ {
			if e < 1e6 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == d {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	p.i = i
	if nd <= 19 {
		if man < 1<<53 && exp10 >= -22 && exp10 <= 22 {
			f := float64(man)
			if exp10 < 0 {
				f /= exactPow10[-exp10]
			} else {
				f *= exactPow10[exp10]
			}
			if neg {
				f = -f
			}
			return f, true
		}
		if p.pow == nil {
			p.pow = pow10Table()
		}
		if f, ok := eiselLemire64(p.pow, man, exp10, neg); ok {
			return f, true
		}
	}
	v, err := strconv.ParseFloat(string(b[start:i]), 64)
	return v, err == nil
}

// exactPow10 holds the powers of ten that float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// pow10s is a power-of-ten table (see pow10Table).
type pow10s [pow10Max - pow10Min + 1][2]uint64

// The decimal exponents of the power-of-ten table.
const (
	pow10Min = -64
	pow10Max = 64
)

// eightDigits reports whether the eight bytes of v (little-endian) are
// ASCII digits.
func eightDigits(v uint64) bool {
	return (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// parseEight returns the value of the eight ASCII digits in v
// (little-endian: the first digit in the low byte).
func parseEight(v uint64) uint64 {
	v = (v & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8
	v = (v & 0x00FF00FF00FF00FF) * 6553601 >> 16
	return (v & 0x0000FFFF0000FFFF) * 42949672960001 >> 32
}

// pow10Table holds 10^e for e in [pow10Min, pow10Max] as 128-bit
// mantissas rounded down and normalised (top bit set): [e][0] the low and
// [e][1] the high 64 bits, as strconv's detailedPowersOfTen. It is computed
// exactly with math/big on first use.
var pow10Table = sync.OnceValue(func() *pow10s {
	var t pow10s
	ten := big.NewInt(10)
	for e := pow10Min; e <= pow10Max; e++ {
		var x big.Int
		if e >= 0 {
			x.Exp(ten, big.NewInt(int64(e)), nil)
		} else {
			// floor(2^k / 10^-e) with k large enough for 128+ bits.
			var d big.Int
			d.Exp(ten, big.NewInt(int64(-e)), nil)
			x.Lsh(big.NewInt(1), uint(d.BitLen()+128))
			x.Quo(&x, &d)
		}
		if n := x.BitLen(); n > 128 {
			x.Rsh(&x, uint(n-128))
		} else {
			x.Lsh(&x, uint(128-n))
		}
		var lo, hi big.Int
		lo.And(&x, new(big.Int).SetUint64(math.MaxUint64))
		hi.Rsh(&x, 64)
		t[e-pow10Min] = [2]uint64{lo.Uint64(), hi.Uint64()}
	}
	return &t
})

// eiselLemire64 returns man·10^exp10 (negated if neg) correctly rounded to
// float64, or ok=false when it cannot decide (then the caller uses
// strconv). It is strconv's eiselLemire64 (Go's BSD-licensed source, after
// Nigel Tao's and Daniel Lemire's) restricted to pow10Table's range.
func eiselLemire64(table *pow10s, man uint64, exp10 int, neg bool) (f float64, ok bool) {
	if man == 0 {
		if neg {
			f = math.Float64frombits(0x8000000000000000)
		}
		return f, true
	}
	if exp10 < pow10Min || exp10 > pow10Max {
		return 0, false
	}
	pow := table[exp10-pow10Min]
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const float64ExponentBias = 1023
	retExp2 := uint64(217706*exp10>>16+64+float64ExponentBias) - uint64(clz)
	xHi, xLo := bits.Mul64(man, pow[1])
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, pow[0])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	retBits := retExp2<<52 | retMantissa&0x000FFFFFFFFFFFFF
	if neg {
		retBits |= 0x8000000000000000
	}
	return math.Float64frombits(retBits), true
}
