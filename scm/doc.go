// Package scm generates the synthetic training data of causeway: random
// structural causal models (SCMs) over directed acyclic graphs, their
// observational samples, samples under hard interventions, and the episodes
// and batches of the tensor contract (base_samples, int_samples, target_row,
// int_mask, delta, adjacency).
//
// It reproduces the reference notebook's SCMGenerator (a random topological
// order with each forward pair an edge with probability p, ten additive
// mechanisms, Gaussian noise, values clipped to [−20, 20], interventions on
// ceil(N·q) nodes at the values 5, 8 and 10) and fixes its defects: every
// random draw comes from a math/rand/v2 PCG stream derived from (seed, index),
// so a seed fixes a whole run and every element of a Stream is a fresh
// (graph, intervention) pair, independent of how many goroutines generate it.
// Sparser priors (Erdős–Rényi with an expected in-degree, scale-free), edge
// weights, other noise laws, per-variable standardisation and a
// counterfactual pairing of the delta target are options.
//
// The package keeps no global state and prints nothing.
package scm
