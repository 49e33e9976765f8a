#include "pipeline/plot/scale.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pipeline::plot {
namespace {

// Heckbert's nice number: the closest of 1, 2, 5, 10 times a power of ten.
double NiceNumber(double range, bool round) {
  const double exponent = std::floor(std::log10(range));
  const double fraction = range / std::pow(10.0, exponent);
  double nice;
  if (round) {
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return nice * std::pow(10.0, exponent);
}

}  // namespace

double NiceStep(double low, double high, int target, bool whole_numbers) {
  if (!(high > low)) {
    const double magnitude = low == 0 ? 1.0 : std::abs(low);
    low -= 0.5 * magnitude;
    high += 0.5 * magnitude;
  }
  const double range = NiceNumber(high - low, false);
  const double step = NiceNumber(range / std::max(1, target - 1), true);
  // Nice steps below 1 are 0.5, 0.2, 0.1, ...; from 1 up they are whole numbers already.
  return whole_numbers ? std::max(step, 1.0) : step;
}

std::vector<double> NiceTicks(double low, double high, int target, bool whole_numbers) {
  if (!(high > low)) {
    const double magnitude = low == 0 ? 1.0 : std::abs(low);
    low -= 0.5 * magnitude;
    high += 0.5 * magnitude;
  }
  const double step = NiceStep(low, high, target, whole_numbers);
  const double first = std::floor(low / step + 1e-9) * step;
  const double last = std::ceil(high / step - 1e-9) * step;
  std::vector<double> ticks;
  for (int i = 0; first + i * step <= last + step * 1e-6; ++i) {
    double value = first + i * step;
    if (std::abs(value) < step * 1e-9) value = 0;  // no "-0" or 1e-17
    ticks.push_back(value);
  }
  return ticks;
}

std::string FormatTick(double value, double step) {
  char buf[32];
  const double magnitude = std::max(std::abs(value), step);
  if (magnitude >= 1e6 || (magnitude < 1e-3 && value != 0)) {
    std::snprintf(buf, sizeof buf, "%.3g", value);
    return buf;
  }
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::vector<Tick> LogTicks(double low, double high) {
  std::vector<Tick> ticks;
  const int first = static_cast<int>(std::floor(std::log10(low) + 1e-9));
  const int last = static_cast<int>(std::ceil(std::log10(high) - 1e-9));
  const bool minor = last - first < 3;
  for (int e = first; e <= last; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !minor) continue;
      const double value = m * std::pow(10.0, e);
      if (value < low * (1 - 1e-9) || value > high * (1 + 1e-9)) continue;
      char buf[32];
      if (e >= -4 && e <= 5) {
        std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -e), value);
      } else {
        std::snprintf(buf, sizeof buf, "%ge%d", m, e);
      }
      ticks.push_back({value, buf});
    }
  }
  return ticks;
}

Scale::Scale(ScaleKind kind, double low, double high, double pixel_low, double pixel_high,
             int target_ticks, bool whole_numbers)
    : kind_(kind), pixel_low_(pixel_low), pixel_high_(pixel_high) {
  if (kind == ScaleKind::kLog) {
    if (!(low > 0)) low = high > 0 ? high / 10 : 1;
    if (!(high > low)) high = low * 10;
    low_ = std::pow(10.0, std::floor(std::log10(low) + 1e-9));
    high_ = std::pow(10.0, std::ceil(std::log10(high) - 1e-9));
    if (high_ <= low_) high_ = low_ * 10;
    ticks_ = LogTicks(low_, high_);
  } else {
    const std::vector<double> values = NiceTicks(low, high, target_ticks, whole_numbers);
    const double step = values.size() > 1 ? values[1] - values[0] : 1.0;
    low_ = values.front();
    high_ = values.back();
    if (high_ <= low_) high_ = low_ + step;
    for (double v : values) ticks_.push_back({v, FormatTick(v, step)});
  }
}

Scale::Scale(const std::vector<std::string>& categories, double pixel_low, double pixel_high)
    : kind_(ScaleKind::kLinear),
      low_(-0.5),
      high_(std::max<double>(1, static_cast<double>(categories.size())) - 0.5),
      pixel_low_(pixel_low),
      pixel_high_(pixel_high) {
  for (size_t i = 0; i < categories.size(); ++i) {
    ticks_.push_back({static_cast<double>(i), categories[i]});
  }
}

double Scale::Map(double value) const {
  double t;
  if (kind_ == ScaleKind::kLog) {
    t = (std::log10(std::max(value, 1e-300)) - std::log10(low_)) /
        (std::log10(high_) - std::log10(low_));
  } else {
    t = (value - low_) / (high_ - low_);
  }
  return pixel_low_ + t * (pixel_high_ - pixel_low_);
}

}  // namespace pipeline::plot
