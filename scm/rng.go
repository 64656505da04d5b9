package scm

import "math/rand/v2"

// Domains separate the random streams that derive from one seed, so that, for
// example, HeldOut never repeats a training batch of the same seed.
const (
	domainDataset     uint64 = iota + 1 // NewDataset: one stream per graph index
	domainElement                       // Stream: one stream per element index
	domainNodes                         // Stream: one stream per batch, for its N
	domainHeldOut                       // HeldOut: folded into the seed
	domainEpisode                       // NewEpisode
	domainRegimes                       // NewRegimes and RegimeStream: one stream per data set
	domainRegimeNodes                   // RegimeStream: one stream per batch, for its N
)

// mix is the splitmix64 finaliser, a bijection with full avalanche.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// streamSeed derives the two PCG state words of stream (domain, index) of seed.
func streamSeed(seed, domain, index uint64) (hi, lo uint64) {
	a := mix(seed ^ mix(domain*0x9e3779b97f4a7c15))
	hi = mix(a ^ mix(index+0x632be59bd9b4e019))
	lo = mix(hi ^ 0xda3e39cb94b95bdb)
	return hi, lo
}

// newRand returns the random stream (domain, index) of seed.
func newRand(seed, domain, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(streamSeed(seed, domain, index)))
}
