// src/detail/util.hpp - error construction, range checks and time conversion shared by the
// normal-context implementation files. Nothing here is used in signal context.
#pragma once

#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"

namespace sigkit::detail {

/// std::system_error for error number `err`: "<what>: <strerror>".
[[noreturn]] inline void throw_error(int err, const std::string& what) {
  throw std::system_error(std::error_code(err, std::system_category()), what);
}

/// The printable name of a number that may be out of range ("SIGUSR1", "signal 99").
inline std::string describe_signal(int n) {
  if (n >= 1 && n < NSIG) return signum(n).name();
  return "signal " + std::to_string(n);
}

/// std::invalid_argument unless 1 <= n < NSIG (the range check of signal, getsignal, ...).
inline void check_signal_range(int n) {
  if (n < 1 || n >= NSIG) {
    throw std::invalid_argument("signal number " + std::to_string(n) + " out of range [1; " +
                                std::to_string(NSIG - 1) + "]");
  }
}

/// Bumped in every fork child, so that the per-thread cache below is recomputed there.
extern std::atomic<unsigned> fork_generation;
extern constinit thread_local unsigned main_cache_generation;
extern constinit thread_local bool main_cache;
bool is_main_thread_slow() noexcept;

/// The members of `set` as bits (signal s is bit s-1).
inline std::uint64_t bits_of(const signal_set& set) noexcept {
  std::uint64_t bits = 0;
  for (int s = 1; s < NSIG; ++s) {
    if (::sigismember(&set.native(), s) == 1) bits |= std::uint64_t{1} << (s - 1);
  }
  return bits;
}

/// True on the process's main thread: the initial thread, or after fork() the forking one
/// (its thread id equals the process id in both cases). Cached per thread and fork.
inline bool is_main_thread() noexcept {
  if (main_cache_generation == fork_generation.load(std::memory_order_relaxed)) [[likely]] {
    return main_cache;
  }
  return is_main_thread_slow();
}

/// The thread rule of signal() and set_wakeup_fd().
inline void check_main_thread(const char* function) {
  if (!is_main_thread()) {
    throw std::invalid_argument(std::string(function) + " only works in the main thread");
  }
}

/// Validates a wait/sleep duration per API.md "Durations": NaN or negative:
/// std::invalid_argument; +inf or too large for time_t: std::out_of_range.
inline void check_wait_duration(double seconds, const char* what) {
  if (std::isnan(seconds)) throw std::invalid_argument(std::string(what) + " is NaN");
  if (seconds < 0) {
    throw std::invalid_argument(std::string(what) + " must be non-negative");
  }
  if (!(seconds < static_cast<double>(std::numeric_limits<time_t>::max()))) {
    throw std::out_of_range(std::string(what) + " is too large");
  }
}

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
