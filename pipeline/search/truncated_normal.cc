#include "pipeline/search/truncated_normal.h"

// Implementation notes: Phi(b) - Phi(a) is computed from erfc on whichever tail the interval
// lies in (mirroring it to the lower tail when a > 0), because erfc keeps its relative
// precision far into the tail where 1 - Phi rounds to 0. Below about -37 sigma erfc itself
// underflows, and the asymptotic log Phi(x) ~ -x^2/2 - log(-x) - log(sqrt(2 pi)) takes over.

#include <algorithm>
#include <cmath>
#include <limits>

namespace pipeline {
namespace {

constexpr double kLogSqrtTwoPi = 0.91893853320467274178;  // log(sqrt(2 pi))
constexpr double kInvSqrt2 = 0.70710678118654752440;

// log Phi(x) for any x.
double LogNormalCdf(double x) {
  if (x > -37.0) return std::log(0.5 * std::erfc(-x * kInvSqrt2));
  // Asymptotic series, two correction terms; relative error below 1e-10 at x = -37.
  const double x2 = x * x;
  return -0.5 * x2 - std::log(-x) - kLogSqrtTwoPi + std::log1p(-1.0 / x2 + 3.0 / (x2 * x2));
}

// log(exp(a) - exp(b)) for a >= b.
double LogSubExp(double a, double b) {
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(-std::exp(b - a));
}

}  // namespace

double LogNormalMass(double a, double b) {
  if (!(a < b)) return -std::numeric_limits<double>::infinity();
  // On the upper side mirror the interval: Phi(b) - Phi(a) = Phi(-a) - Phi(-b).
  if (a > 0) return LogNormalMass(-b, -a);
  if (b <= 0) return LogSubExp(LogNormalCdf(b), LogNormalCdf(a));
  // a <= 0 < b: neither CDF is tiny, the direct difference is accurate.
  const double mass = 1.0 - 0.5 * std::erfc(-a * kInvSqrt2) - 0.5 * std::erfc(b * kInvSqrt2);
  return std::log(mass);
}

double TruncatedNormalLogPdf(double x, double mu, double sigma, double low, double high) {
  if (x < low || x > high) return -std::numeric_limits<double>::infinity();
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - kLogSqrtTwoPi - std::log(sigma) -
         LogNormalMass((low - mu) / sigma, (high - mu) / sigma);
}

double TruncatedNormalLogMass(double from, double to, double mu, double sigma, double low,
                              double high) {
  from = std::max(from, low);
  to = std::min(to, high);
  return LogNormalMass((from - mu) / sigma, (to - mu) / sigma) -
         LogNormalMass((low - mu) / sigma, (high - mu) / sigma);
}

double SampleTruncatedNormal(Rng& rng, double mu, double sigma, double low, double high) {
  for (;;) {
    const double x = mu + sigma * rng.Normal();
    if (x >= low && x <= high) return x;
  }
}

}  // namespace pipeline
