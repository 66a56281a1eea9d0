// src/posix/detail/util_posix.hpp - timespec arithmetic on CLOCK_MONOTONIC deadlines for the
// POSIX port's waits (sleep, sigtimedwait, the interval timers). Normal context only.
#pragma once

#include <sys/time.h>
#include <time.h>

#include <cmath>
#include <limits>

#include "detail/util.hpp"

namespace sigkit::detail {

/// Converts a validated non-negative number of seconds to a timespec, rounding up to whole
/// nanoseconds (a tiny positive value gives 1 ns, never 0).
/// Like CPython's _PyTime_FromSecondsObject with ceiling rounding: the whole value is scaled
/// to nanoseconds first, so 1.002 gives 1.002000000 s, not 1.002000001 s (the double just
/// above 1.002 would otherwise round its fraction up).
inline timespec ceil_timespec(double seconds) noexcept {
  timespec ts{};
  const double total = seconds * 1e9;
  if (total < 9.2e18) {
    const auto ns = static_cast<long long>(std::ceil(total));
    ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
    ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
    return ts;
  }
  double whole = std::floor(seconds);  // beyond 292 years nanoseconds do not matter
  double nanos = std::ceil((seconds - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos -= 1e9;
  }
  ts.tv_sec = static_cast<time_t>(whole);
  ts.tv_nsec = static_cast<long>(nanos);
  return ts;
}

/// timespec arithmetic on CLOCK_MONOTONIC deadlines.
inline timespec monotonic_now() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return now;
}

inline timespec add_timespec(timespec a, timespec b) noexcept {
  constexpr time_t kMax = std::numeric_limits<time_t>::max();
  if (b.tv_sec >= kMax - a.tv_sec - 1) return timespec{kMax, 0};  // saturate: "forever"
  timespec r{a.tv_sec + b.tv_sec, a.tv_nsec + b.tv_nsec};
  if (r.tv_nsec >= 1000000000L) {
    r.tv_sec += 1;
    r.tv_nsec -= 1000000000L;
  }
  return r;
}

/// deadline - now, or nullopt-like negative marker: returns false if the deadline passed.
inline bool remaining_until(timespec deadline, timespec& remaining) noexcept {
  const timespec now = monotonic_now();
  remaining.tv_sec = deadline.tv_sec - now.tv_sec;
  remaining.tv_nsec = deadline.tv_nsec - now.tv_nsec;
  if (remaining.tv_nsec < 0) {
    remaining.tv_sec -= 1;
    remaining.tv_nsec += 1000000000L;
  }
  return remaining.tv_sec >= 0;
}

}  // namespace sigkit::detail
