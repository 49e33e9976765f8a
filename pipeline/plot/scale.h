#pragma once
// Scale: maps data values to pixel positions on one axis and chooses its ticks.
//
// Linear ticks are "nice numbers" (1, 2 or 5 times a power of ten; Heckbert, "Nice numbers for
// graph labels", Graphics Gems 1990); an axis of whole numbers (epochs, iterations, K) ticks
// only at whole numbers, so its step is at least 1. Log ticks are the powers of ten inside the domain, with
// 2x and 5x minor ticks labelled when the domain spans fewer than three decades. The domain is
// widened to the nearest ticks so data never sits on the frame by accident.

#include <string>
#include <vector>

namespace pipeline::plot {

enum class ScaleKind { kLinear, kLog };

struct Tick {
  double value = 0;
  std::string label;
};

class Scale {
 public:
  // `low`/`high` are the data bounds (low may equal high; a log scale needs low > 0).
  // `whole_numbers`: the values are integers; linear ticks are too.
  Scale(ScaleKind kind, double low, double high, double pixel_low, double pixel_high,
        int target_ticks = 6, bool whole_numbers = false);
  // A categorical axis: category i sits at value i, the domain is [-0.5, n - 0.5] and every
  // category is a labelled tick.
  Scale(const std::vector<std::string>& categories, double pixel_low, double pixel_high);

  double Map(double value) const;
  const std::vector<Tick>& ticks() const { return ticks_; }
  double low() const { return low_; }
  double high() const { return high_; }
  ScaleKind kind() const { return kind_; }

 private:
  ScaleKind kind_;
  double low_;
  double high_;
  double pixel_low_;
  double pixel_high_;
  std::vector<Tick> ticks_;
};

// Nice linear tick values covering [low, high], about `target` of them (fewer when
// `whole_numbers` and the range is short: the step is then at least 1).
std::vector<double> NiceTicks(double low, double high, int target, bool whole_numbers = false);
// The tick step NiceTicks would use.
double NiceStep(double low, double high, int target, bool whole_numbers = false);
// A label with as many decimals as the step needs ("0.25", "1e-05", "20000").
std::string FormatTick(double value, double step);
// Log ticks: powers of ten (plus 2x/5x when the range is short), and their labels.
std::vector<Tick> LogTicks(double low, double high);

}  // namespace pipeline::plot
