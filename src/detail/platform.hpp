// src/detail/platform.hpp - what a platform port implements for sigkit's shared core.
//
// The shared core (src/*.cpp: the registry, the delivery record of signal context, the
// dispatcher, subscribers, shutdown, defaults, names) is the same on every platform. What it
// needs of the OS is declared here, once, and implemented by each port:
//   src/posix/    sigaction, pthreads, eventfd, fork (Linux; the POSIX calls where it can)
//   src/windows/  the C runtime's signal table, console control handlers, Win32 events,
//                 Winsock (mingw-w64 and MSVC)
// A port's own private headers are in src/<port>/detail/ (on the include path of that port's
// build only). Each function says where it runs; "signal context" means the OS-level handler
// (POSIX: inside a signal handler; Windows: the C runtime's handler, on the raising thread or
// a console control thread), so such functions are async-signal-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "sigkit/handler.hpp"
#include "sigkit/siginfo.hpp"

namespace sigkit::detail {

// ---- OS actions (the registry, normal context) ----------------------------------------------

/// Reads the OS action of `signo` into `out`. Returns 0 or an errno (POSIX: EINVAL for the
/// numbers the OS refuses).
int read_os_action(int signo, native_action& out) noexcept;
/// Installs `action` for `signo`, the previous one into `*old` if not null. Returns 0 or an
/// errno (then nothing changed).
int write_os_action(int signo, const native_action& action, native_action* old) noexcept;
/// True if `action` is sigkit's OS-level handler.
bool is_ours(const native_action& action) noexcept;
/// getsignal()'s view of an action sigkit did not install: SIG_DFL, SIG_IGN, or an empty
/// handler for anything else.
handler from_os(const native_action& action);
/// The action sigkit installs for a callable handler or a subscriber stack.
native_action our_action() noexcept;
/// The plain action signal() installs for SIG_DFL / SIG_IGN (`h` is one of them).
native_action plain_action(const handler& h) noexcept;
/// True if `action` is a foreign handler that wants each delivery's details (POSIX
/// SA_SIGINFO; never on Windows), so that the OS-level handler must record them.
bool is_foreign_siginfo(const native_action& action) noexcept;
/// False for a number in 1..NSIG-1 that has no disposition at all on this platform (Windows:
/// all but its seven signals), which signal() and getsignal() refuse with
/// std::invalid_argument before anything else. POSIX: always true (the OS itself refuses
/// SIGKILL, SIGSTOP and the reserved numbers with EINVAL).
bool has_disposition(int signo) noexcept;
/// Called after any change of the OS actions or of the armed shutdowns, which can change the
/// route deliveries take (POSIX: the event-loop fast path follows them). Never throws.
void delivery_routing_changed() noexcept;

// ---- signal context (async-signal-safe) -----------------------------------------------------

/// Back-pressure for a delivery of `signo` that found the siginfo queue (nearly) full:
/// POSIX blocks the signal in the interrupted `context` when it is the main thread's; where
/// that is not possible (no context, another thread, Windows) nothing happens and a full
/// queue counts the delivery as dropped.
void throttle(int signo, void* context) noexcept;
/// Called after a delivery of `signo` has been recorded and flagged: wakes the main thread's
/// sleep (and pause()), makes the notify fd readable (POSIX), then writes the wakeup fd
/// (CPython's order: flags first, then the wake-ups).
void announce_delivery(int signo) noexcept;
/// Wakes sigkit's shutdown thread (if it exists yet).
void wake_shutdown_thread() noexcept;
/// A monotonic clock in nanoseconds (the shutdown deadlines).
std::int64_t monotonic_ns() noexcept;

// ---- the dispatcher (normal context, main thread) -------------------------------------------

/// Hands the dispatcher the deliveries that wait in the OS rather than in sigkit's records
/// (POSIX: the event-loop fast path's signalfd; Windows: none). Start of every checkpoint.
void take_os_deliveries() noexcept;
/// Lifts the back-pressure that signal context put on the main thread, now that the records
/// were taken (POSIX; Windows has none).
void release_backpressure() noexcept;
/// Carries out the default action (SIG_DFL) of `signo` for real, here and now: a terminating
/// signal ends the process by that signal (never returns); POSIX stop signals stop it and
/// return after SIGCONT; the others do nothing.
void carry_out_default_action(int signo);
/// Calls a foreign handler beneath the subscribers, or carries out SIG_DFL / SIG_IGN, for one
/// delivery `info` of `signo` (POSIX SA_SIGINFO handlers get a native siginfo_t made of it).
void run_native_action(int signo, const native_action& action, const siginfo& info);
/// The stderr line that reports a failed write (error `err`) to the wakeup fd `fd`:
/// "sigkit: cannot write to the signal wakeup fd <fd>: <error text>" (Windows: "send to").
std::string wakeup_error_line(int fd, int err);

// ---- waits (normal context) -----------------------------------------------------------------

/// Main thread: blocks until a delivery is recorded (or one is already pending), then runs
/// the handlers (shutdown::wait()). POSIX: pause(); Windows: the same wait without the name.
void wait_for_delivery();

// ---- the shutdown service's thread (normal context) -----------------------------------------

/// Starts `body` on a new detached thread named "sigkit-shutdown" that receives no
/// asynchronous signals, with a wake object of its own that it then publishes to
/// wake_shutdown_thread() and signals once; returns the thread's id.
/// Errors: std::system_error (nothing is left behind).
std::thread::id start_shutdown_thread(void (*body)());
/// On the shutdown thread: blocks until woken or `timeout_ms` passes (-1: no limit).
void wait_shutdown_wake(int timeout_ms) noexcept;
/// Forgets the published wake object without waking anyone (fork child: it is shared with
/// the parent; the thread is gone).
void forget_shutdown_wake() noexcept;

// ---- defaults (normal context, main thread) --------------------------------------------------

/// The signals a Python interpreter sets to SIG_IGN at start where they are at SIG_DFL
/// (POSIX: SIGPIPE and SIGXFSZ; Windows: none).
std::span<const int> ignored_at_start() noexcept;
/// After run_main() printed "KeyboardInterrupt": ends the process as a Ctrl+C would (POSIX:
/// by SIGINT, exit(130) only if it still lives; Windows: STATUS_CONTROL_C_EXIT).
[[noreturn]] void end_process_by_keyboard_interrupt();
/// install_default_handlers()'s last step: with SIGKIT_FAULTHANDLER set and non-empty, the
/// crash reporter (POSIX: faulthandler::enable_from_environment(); Windows has none: nothing).
/// Errors: those of faulthandler::enable().
void crash_reports_from_environment();

// ---- the signal catalogue (signum.cpp) ------------------------------------------------------

/// One signal's name, without "SIG".
struct signal_name {
  int number;
  const char* name;
};
/// The canonical names, in ascending number order.
std::span<const signal_name> canonical_signal_names() noexcept;
/// Names that only parse (POSIX: IOT, CLD, POLL; Windows: none).
std::span<const signal_name> signal_name_aliases() noexcept;
/// The real-time signals SIGRTMIN..SIGRTMAX; false where there are none (Windows).
bool realtime_range(int& lo, int& hi) noexcept;
/// strsignal()'s text for a number in range, or nullopt (POSIX: strsignal(3); Windows:
/// Python's fixed table).
std::optional<std::string> signal_description(int signo);
/// False for the signals that cannot be caught (SIGKILL, SIGSTOP; none on Windows).
bool can_be_caught(int signo) noexcept;
/// True for a number the C library keeps for itself (glibc's 32 and 33; none on Windows,
/// where a signal_set holds nothing but the seven signals).
bool is_reserved_number(int signo) noexcept;

}  // namespace sigkit::detail
