// sigkit/testing.hpp - deterministic test injection of deliveries with made-up siginfo.
#pragma once

#include "sigkit/siginfo.hpp"

/// Test support: deliveries injected without sending a signal, for deterministic tests of
/// code that handles signals.
namespace sigkit::testing {

/// Records one delivery of `info.signo` exactly as if the OS had delivered it with these
/// fields (pid, uid, code, value ...): the handlers and subscribers run at the next
/// checkpoint and see `info` field for field, a shutdown's stop is requested without any
/// checkpoint, a main-thread pause() wakes, and the wakeup fd is written as for a real
/// delivery. No signal is sent and no mask or disposition changes; a signal blocked in the
/// caller is recorded all the same (sigpending() stays empty). Injected deliveries never take
/// the CPU-fault path: an injected SIGSEGV is deferred like one sent with kill().
/// Returns false (and records nothing) if no sigkit handler or subscriber takes
/// `info.signo` (the OS action is not sigkit's).
/// Thread safety: safe (any thread). Signal safety: async-signal-safe iff the signal is not
/// being changed concurrently (it reads the OS action with sigaction(2)).
/// Errors: std::invalid_argument unless 1 <= info.signo < NSIG.
bool inject(const siginfo& info);

}  // namespace sigkit::testing
