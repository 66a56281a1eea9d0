// sigkit/faulthandler.hpp - crash reports: Python's faulthandler module for C++.
//
// A SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL or an uncaught C++ exception writes the native
// stacks of the crashing thread (and of every other thread) as module + offset + build-id,
// then the process dies by the original signal with the original siginfo. Reports are text
// (Python's layout) or JSON lines; `sigkit symbolize` adds functions, files and lines later.
// Design and limits: docs/faulthandler.md.
#pragma once

#ifdef _WIN32
#error "sigkit/faulthandler.hpp: the crash reporter is POSIX-only (Windows Error Reporting)"
#endif

#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

#include "sigkit/signal_set.hpp"

/// Python's faulthandler module (`register` is a C++ keyword, hence register_signal).
namespace sigkit::faulthandler {

/// The form of every report: Python's text layout, or one JSON object per line.
enum class report_format {
  text,  ///< "Fatal signal: ...", "Current thread 0x... (most recent call first):", frames
  json,  ///< JSON lines for crash collectors (schema: docs/faulthandler.md)
};

/// Everything enable() can be told. The defaults are enable()'s.
struct options {
  /// Where reports go (kept as a number, as Python keeps it: a reused fd gets the report).
  int fd = STDERR_FILENO;
  /// If not empty, reports are appended to this file instead, opened when a report is
  /// written (so a program that closes its fds still gets its report).
  std::string path;
  /// Report every thread's stack, not only the crashing thread's.
  bool all_threads = true;
  /// The form of every report from now on (also dump_traceback, register_signal and
  /// dump_traceback_later).
  report_format format = report_format::text;
  /// A report that has not finished after this long is abandoned and the process dies by
  /// the original signal (0: never). A POSIX timer on sigkit's internal signal: SIGALRM and
  /// alarm() stay the program's.
  std::chrono::duration<double> hang_timeout{5.0};
  /// The fatal signals covered: Python's set by default; SIGTRAP and SIGSYS may be added.
  signal_set signals{SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL};
};

/// Installs the crash reporter for SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL and uncaught C++
/// exceptions (std::terminate): reports go to `fd`; `all_threads` includes every thread.
/// Gives every existing thread an alternate stack (so a stack overflow is reported) and
/// warms up the unwinder. Calling it again changes the settings.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::system_error (EBADF) for a bad fd.
void enable(int fd = STDERR_FILENO, bool all_threads = true);

/// enable() with every setting.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::system_error (EBADF) for a bad fd; std::invalid_argument for a negative or
/// NaN hang_timeout, an empty `signals` or a signal outside SEGV/FPE/ABRT/BUS/ILL/TRAP/SYS;
/// std::out_of_range for an infinite hang_timeout.
void enable(const options& settings);

/// Removes the crash reporter: each signal's action becomes exactly what it was before
/// enable() (or what sigkit::signal() set since), and the previous terminate handler
/// returns. A signal whose handler someone else replaced after enable() is left alone.
/// Thread safety: safe. Signal safety: not async-signal-safe.
void disable();

/// True while the crash reporter is enabled.
/// Thread safety: safe. Signal safety: async-signal-safe.
bool is_enabled() noexcept;

/// Writes the stack of the calling thread ("Current thread ...") and, if `all_threads`, of
/// every other thread, to `fd`, now. Other threads are interrupted only for the moment
/// they take to unwind themselves (system calls resume: no EINTR).
/// Thread safety: safe (concurrent dumps take turns). Signal safety: not async-signal-safe.
/// Errors: std::system_error (EBADF) for a bad fd.
void dump_traceback(int fd = STDERR_FILENO, bool all_threads = true);

/// After `timeout`, writes "Timeout (H:MM:SS.ffffff)!" and every thread's stack to `fd`,
/// from a thread of sigkit's; again every `timeout` if `repeat`; then `_exit(1)` if `exit`.
/// A second call replaces the first.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a timeout <= 0 or NaN; std::out_of_range for an
/// infinite one; std::system_error (EBADF) for a bad fd.
void dump_traceback_later(std::chrono::duration<double> timeout, bool repeat = false,
                          int fd = STDERR_FILENO, bool exit = false);

/// Cancels dump_traceback_later() (nothing happens if none is scheduled).
/// Thread safety: safe. Signal safety: not async-signal-safe.
void cancel_dump_traceback_later();

/// When `signalnum` arrives, writes the stack of the thread that received it (and every
/// other thread if `all_threads`) to `fd` at once, in the handler (a hung process can be
/// diagnosed), and the process lives on; with `chain`, the action that was there before
/// runs too.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for SIGKILL, SIGSTOP, a number outside 1..NSIG-1, a signal
/// enable() covers (as Python: use enable()) or sigkit's internal signal;
/// std::system_error (EBADF) for a bad fd, (EINVAL) for a number the OS reserves (32, 33).
void register_signal(int signalnum, int fd = STDERR_FILENO, bool all_threads = true,
                     bool chain = false);

/// Undoes register_signal(): the signal's action becomes what it was before. Returns false
/// if it was not registered.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a number outside 1..NSIG-1.
bool unregister(int signalnum);

/// Gives the calling thread an alternate signal stack now (with a guard page), so that its
/// stack overflow is reported. enable() does this for every thread that exists; call it at
/// the start of threads created afterwards (`sigkit faulthandler` does it for every new
/// thread). The stack is freed when the thread ends. A large enough existing alternate
/// stack is kept.
/// Thread safety: safe (acts on the calling thread). Signal safety: not async-signal-safe.
/// Errors: std::system_error if the memory cannot be mapped.
void prepare_thread();

/// What `SIGKIT_FAULTHANDLER` asks for (Python's PYTHONFAULTHANDLER): unset or empty: nothing,
/// and false. Otherwise enable() with comma-separated words: `json` or `text` (the format),
/// `all-threads` (default) or `current-thread`; any other word (`1`, `yes`) just enables.
/// `SIGKIT_FAULTHANDLER_FILE`, if set, is the report file (options::path).
/// run_main() and install_default_handlers() call it.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: those of enable().
bool enable_from_environment();

/// The options SIGKIT_FAULTHANDLER's value describes (its parser, exposed for tests).
/// Thread safety: safe. Signal safety: not async-signal-safe.
options options_from_environment_value(std::string_view value);

/// The internal real-time signal sigkit uses to reach other threads (arming alternate
/// stacks, capturing stacks) and for the hang guard: SIGRTMAX-3 unless changed before the
/// first use with set_internal_signal(). Its deliveries that are not sigkit's own go to the
/// action that was installed before.
/// Thread safety: safe. Signal safety: async-signal-safe.
int internal_signal() noexcept;

/// Chooses the internal signal (a real-time signal) before faulthandler first uses it.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a signal outside SIGRTMIN..SIGRTMAX; std::logic_error
/// once the internal signal is in use.
void set_internal_signal(int signalnum);

}  // namespace sigkit::faulthandler
