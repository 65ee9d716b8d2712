#include "detect/poisson.h"

#include <algorithm>
#include <cmath>

namespace om::detect {

double PoissonUpperTailScore(double k, double mu) {
  if (k <= mu) return 0;
  // log P(X = i) = i log mu - mu - lgamma(i + 1); sum the tail i = k, k+1, ... in log space.
  double first = std::ceil(k);
  double log_term = first * std::log(mu) - mu - std::lgamma(first + 1);
  double log_sum = log_term;
  for (int i = 1; i < 100000; ++i) {
    log_term += std::log(mu) - std::log(first + i);
    if (log_term < log_sum - 35) break;  // the rest adds less than 1e-15 relatively
    log_sum = std::max(log_sum, log_term) + std::log1p(std::exp(-std::fabs(log_sum - log_term)));
  }
  double score = -log_sum / std::log(10.0);
  return std::clamp(score, 0.0, 300.0);
}

double OverdispersedTailScore(double k, double mu, double dispersion) {
  double phi = 1 + dispersion * mu;
  return PoissonUpperTailScore(k / phi, mu / phi);
}

}  // namespace om::detect
