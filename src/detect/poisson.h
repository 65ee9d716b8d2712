#pragma once
// Tail probabilities for count data, the statistical core of the detector.

#include <cstdint>

namespace om::detect {

// -log10 P(X >= k) for X ~ Poisson(mu): how surprising `k` reports are when `mu` are expected.
// 0 when k <= mu (not an excess). Accurate in the far tail (summed in log space from k upwards),
// finite for any k (scores are capped at 300). REQUIRES: mu > 0.
double PoissonUpperTailScore(double k, double mu);

// The same under overdispersion: counts of crowd reports vary more than Poisson (a news story, a
// school holiday). With variance mu * (1 + dispersion * mu), observed and expected are both
// divided by the factor phi = 1 + dispersion * mu before the Poisson tail (quasi-Poisson scaling,
// McCullagh & Nelder, "Generalized Linear Models", 2nd ed., §4.5).
double OverdispersedTailScore(double k, double mu, double dispersion);

// The expectation-based Poisson log-likelihood ratio of `observed` against `expected` (Neill,
// Moore, Sabhnani and Daniel, "Detection of emerging space-time clusters", KDD 2005):
// observed * ln(observed / expected) - (observed - expected), 0 when observed <= expected. It
// grows with both the size and the surprise of an excess: places are ranked by it, and an
// area's outage is taken to start where it is largest. REQUIRES: expected > 0.
double PoissonExcessScore(double observed, double expected);

}  // namespace om::detect
