#pragma once
// Clock: the only way code reads the time. Timing columns are filled from it; results never
// depend on it. Tests use FakeClock (tests/support/fake_clock.h).

namespace pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (for timestamps in the database).
  virtual double WallSeconds() = 0;
  // Seconds on a monotonic clock (for durations).
  virtual double MonotonicSeconds() = 0;
};

// The real clock. Thread-safe.
class SystemClock : public Clock {
 public:
  double WallSeconds() override;
  double MonotonicSeconds() override;
};

}  // namespace pipeline
