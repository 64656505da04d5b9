package jsonscan

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestFloatMatchesStrconv holds the parser's number conversion to
// strconv.ParseFloat (what encoding/json uses), bit for bit.
func TestFloatMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	toks := []string{"0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.2", "0.3", "1e0", "1E+2", "1e-2",
		"123456789012345678", "1234567890123456789", "12345678901234567890", "0.000000000000000000001",
		"9007199254740993", "9007199254740992.5", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
		"1e23", "8.988465674311579e+307", "0.30000000000000004", "1e-64", "1e64", "1e-65", "1e65", "340282346638528859811704183484516925440",
		"3.4028235e38", "3.4028236e38", "1.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124", "7.3177701707893310e+15"}
	for range 200000 {
		var v float64
		switch rng.IntN(4) {
		case 0:
			v = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		case 1:
			v = math.Float64frombits(rng.Uint64())
		case 2:
			v = float64(float32(rng.NormFloat64() * 10))
		default:
			v = float64(rng.IntN(2000)-1000) / 8
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		for _, f := range []byte{'g', 'e', 'f'} {
			prec := -1
			if rng.IntN(3) == 0 {
				prec = rng.IntN(22)
			}
			s := strconv.FormatFloat(v, f, prec, 64)
			if len(s) < 400 {
				toks = append(toks, s)
			}
		}
		if f32 := float32(v); !math.IsInf(float64(f32), 0) {
			toks = append(toks, strconv.FormatFloat(float64(f32), 'g', -1, 32))
		}
	}
	for _, s := range toks {
		want, werr := strconv.ParseFloat(s, 64)
		p := New([]byte(s))
		got, ok := p.Float()
		if ok != (werr == nil) || (ok && math.Float64bits(got) != math.Float64bits(want)) || (ok && p.Pos() != len(s)) {
			t.Fatalf("%q: parser %v (%v), strconv %v (%v)", s, got, ok, want, werr)
		}
	}
}

// TestPow10Table checks the computed table against powers of ten that
// float64 represents exactly.
func TestPow10Table(t *testing.T) {
	tab := pow10Table()
	for e := 0; e <= 22; e++ {
		hi := tab[e-pow10Min][1]
		v := math.Pow(10, float64(e))
		mant := math.Float64bits(v)&(1<<52-1) | 1<<52
		if hi>>11 != mant {
			t.Errorf("10^%d: table %x, float64 mantissa %x", e, hi>>11, mant)
		}
	}
}

// FuzzFloat holds the number parser to strconv.ParseFloat on any JSON
// number text (and to rejecting what is not one).
func FuzzFloat(f *testing.F) {
	for _, s := range []string{"0", "-0.0", "1.2345678901234567", "12345678.12345678", "0.000000001234567891234", "1e-64", "9007199254740993", "1.5e+300", "-", "01", "1.", ".5", "1e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := New([]byte(s))
		got, ok := p.Float()
		if !ok {
			return
		}
		num := s[:p.Pos()]
		want, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: parser %v, strconv %v (%v)", num, got, want, err)
		}
		var v float64
		if err := json.Unmarshal([]byte(num), &v); err != nil {
			t.Fatalf("%q: parser accepts what encoding/json rejects: %v", num, err)
		}
	})
}
