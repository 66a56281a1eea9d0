// sigkit/itimer.hpp - alarm(2) and the interval timers.
#pragma once

#ifdef _WIN32
#error "sigkit/itimer.hpp: no alarm() or interval timers on Windows (Python has none there)"
#endif

#include <sys/time.h>  // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF

#include <chrono>

#include "sigkit/errors.hpp"

namespace sigkit {

/// An interval timer's state: time to the next expiry and the reload interval (Python's tuple).
struct itimer_value {
  std::chrono::duration<double> delay{};     ///< time to the next expiry (0: disarmed)
  std::chrono::duration<double> interval{};  ///< reloaded after each expiry (0: fires once)
};

/// Arms SIGALRM after `seconds` (0 cancels); returns the seconds left on the previous alarm.
/// Thread safety: safe. Signal safety: async-signal-safe.
/// Errors: std::invalid_argument if negative; std::out_of_range above UINT_MAX seconds.
std::chrono::seconds alarm(std::chrono::seconds seconds);

/// Sets timer `which` (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF) to fire after `seconds` and
/// then every `interval` (0: once); `seconds` == 0 disarms. Returns the old value. Times are
/// rounded up to whole microseconds, so a tiny positive time still fires.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: itimer_error (EINVAL) for a bad `which` or a negative time; std::invalid_argument
/// for NaN; std::out_of_range for +inf or a time too large for time_t.
itimer_value setitimer(int which, std::chrono::duration<double> seconds,
                       std::chrono::duration<double> interval = {});

/// The current value of timer `which`. Thread safety: safe. Signal safety: not
/// async-signal-safe. Errors: itimer_error (EINVAL) for a bad `which`.
itimer_value getitimer(int which);

}  // namespace sigkit
