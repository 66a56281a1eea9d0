// src/detail/util.hpp - error construction, range checks and duration checks shared by the
// normal-context implementation files (the POSIX timespec arithmetic is in
// posix/detail/util_posix.hpp). Nothing here is used in signal context.
#pragma once

#include <csignal>
#include <ctime>

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
    if (set.contains(s)) bits |= std::uint64_t{1} << (s - 1);
  }
  return bits;
}

/// True on the process's main thread: the initial thread, or after fork() the forking one
/// (its thread id equals the process id in both cases; on Windows the thread that ran the
/// library's static initialisation, an executable's initial thread). Cached per thread and
/// fork. is_main_thread_slow() is the port's (posix/, windows/).
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

}  // namespace sigkit::detail
