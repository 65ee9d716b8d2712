#include "detect/poisson.h"

#include <math.h>

#include <algorithm>
#include <cmath>

namespace om::detect {

double PoissonUpperTailScore(double k, double mu) {
  if (k <= mu) return 0;
  // log P(X = i) = i log mu - mu - lgamma(i + 1). The tail i = k, k+1, ... is the first term
  // times 1 + r1 + r1 r2 + ..., each ratio mu / i below 1: summed in linear space relative to the
  // first term, one multiplication a term instead of a log, an exp and a log1p (a regional test of
  // a large service sums hundreds of terms; this was a third of a backtest's time).
  double first = std::ceil(k);
  // lgamma_r, not std::lgamma: the latter sets the shared `signgam`, and detection runs beside
  // other threads.
  int sign = 0;
  double log_first = first * std::log(mu) - mu - ::lgamma_r(first + 1, &sign);
  double relative = 1, term = 1;
  for (int i = 1; i < 100000; ++i) {
    term *= mu / (first + i);
    relative += term;
    if (term < relative * 1e-16) break;  // the rest adds less than about 1e-15 relatively
  }
  double score = -(log_first + std::log(relative)) / std::log(10.0);
  return std::clamp(score, 0.0, 300.0);
}

double OverdispersedTailScore(double k, double mu, double dispersion) {
  double phi = 1 + dispersion * mu;
  return PoissonUpperTailScore(k / phi, mu / phi);
}

double PoissonExcessScore(double observed, double expected) {
  return observed > expected ? observed * std::log(observed / expected) - (observed - expected) : 0;
}

}  // namespace om::detect
