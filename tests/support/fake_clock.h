#pragma once
// A clock that only moves when told to (ninja's VirtualFileSystem::Tick).

#include "pipeline/clock.h"

namespace testing_support {

class FakeClock : public pipeline::Clock {
 public:
  double WallSeconds() override { return 1.7e9 + now_; }
  double MonotonicSeconds() override { return now_; }
  void Advance(double seconds) { now_ += seconds; }

 private:
  double now_ = 0.0;
};

}  // namespace testing_support
