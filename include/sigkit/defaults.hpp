// sigkit/defaults.hpp - what a Python interpreter does at start and at a KeyboardInterrupt.
#pragma once

#include <functional>

#include "sigkit/errors.hpp"

namespace sigkit {

/// The default SIGINT handler: throws keyboard_interrupt (Python's default_int_handler).
/// Thread safety: safe. Signal safety: not async-signal-safe (throws; runs deferred).
void default_int_handler(int signalnum);

/// Sets SIGPIPE and SIGXFSZ to SIG_IGN where they are at SIG_DFL and, only if SIGINT is at
/// SIG_DFL, installs default_int_handler for it. If the environment variable
/// SIGKIT_FAULTHANDLER is set and non-empty, enables crash reports
/// (faulthandler::enable_from_environment(), Python's PYTHONFAULTHANDLER).
/// Thread safety: main thread only. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument from another thread; with SIGKIT_FAULTHANDLER set, those of
/// faulthandler::enable().
void install_default_handlers();

/// install_default_handlers(), then returns body()'s value. If keyboard_interrupt escapes,
/// prints "KeyboardInterrupt" on stderr and ends the process by SIGINT (a shell sees 130;
/// on Windows the exit code is STATUS_CONTROL_C_EXIT, 0xC000013A, as for a Ctrl+C).
/// Other exceptions propagate unchanged.
/// Thread safety: main thread only. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument from another thread; whatever body throws.
int run_main(std::function<int()> body);

#ifndef _WIN32
/// Ends the process by `signalnum`: restores SIG_DFL, unblocks it in the calling thread,
/// raises it; exits 128 + signalnum only if that did not end the process.
/// Thread safety: safe. Signal safety: async-signal-safe.
[[noreturn]] void die_by_signal(int signalnum) noexcept;
#endif  // Windows: a process does not end "by a signal" there (no WIFSIGNALED)

}  // namespace sigkit
