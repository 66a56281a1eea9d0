// sigkit/wait.hpp - synchronous waits for blocked signals.
#pragma once

#ifdef _WIN32
#error "sigkit/wait.hpp: no sigwait*() on Windows (Python has none there)"
#endif

#include <chrono>
#include <optional>

#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"

namespace sigkit {

/// Waits for one of `sigset` (which should be blocked in every thread) and accepts it; its
/// handler is not called. Not a checkpoint.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for an empty set; std::system_error from the OS.
signum sigwait(const signal_set& sigset);

/// Like sigwait, with the delivery's details. Interrupted by another signal (EINTR), it runs
/// pending handlers (main thread), propagates their exception, else waits again (PEP 475).
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for an empty set; std::system_error from the OS.
siginfo sigwaitinfo(const signal_set& sigset);

/// Like sigwaitinfo with a timeout measured on the monotonic clock; nullopt when it expires.
/// A zero timeout polls; a tiny positive one rounds up to 1 ns. After EINTR it resumes with
/// the time that remains.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for an empty set, a negative or NaN timeout;
/// std::out_of_range for +inf or one too large for time_t; std::system_error from the OS.
std::optional<siginfo> sigtimedwait(const signal_set& sigset,
                                    std::chrono::duration<double> timeout);

}  // namespace sigkit
