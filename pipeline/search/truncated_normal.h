#pragma once
// Truncated normal distribution on [low, high]: the building block of the Parzen estimators in
// parzen_estimator.h. Log-space throughout so that points many sigmas from the mean give finite
// log densities instead of log(0).

#include "pipeline/rng.h"

namespace pipeline {

// log(Phi(b) - Phi(a)) for a <= b, Phi the standard normal CDF; accurate in both tails.
double LogNormalMass(double a, double b);

// log density at x of N(mu, sigma) truncated to [low, high]; -inf outside the interval.
double TruncatedNormalLogPdf(double x, double mu, double sigma, double low, double high);

// log of the probability that N(mu, sigma) truncated to [low, high] falls in [from, to]
// (clipped to the interval): the mass of one integer bin.
double TruncatedNormalLogMass(double from, double to, double mu, double sigma, double low,
                              double high);

// One draw. Precondition: low <= mu <= high and sigma <= high - low, which the estimators
// guarantee; then at least a third of the untruncated draws land inside, so the rejection
// loop ends quickly.
double SampleTruncatedNormal(Rng& rng, double mu, double sigma, double low, double high);

}  // namespace pipeline
