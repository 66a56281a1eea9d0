// src/windows/detail/state_windows.hpp - the signal-context state only the Windows port has,
// and its OS-level handlers. Like detail/state.hpp: namespace-scope constinit lock-free
// atomics, defined in windows/signal_context_windows.cpp.
//
// Where deliveries come from on Windows:
// - the C runtime calls sigkit_crt_handler, the C handler sigkit installs with signal() for a
//   signal that has a sigkit handler: synchronously on the thread that called raise() (or
//   abort()), or from the unhandled-exception filter on a faulting thread (SIGSEGV, SIGILL,
//   SIGFPE). It resets the action to SIG_DFL before each call (one-shot), so the handler
//   puts back what sigkit installed;
// - the console calls sigkit_console_handler, on a new thread of its own, for Ctrl+C
//   (SIGINT), Ctrl+Break and the close, logoff and shutdown events (SIGBREAK, as the C
//   runtime maps them), and only while sigkit's C handler is the signal's action: otherwise
//   it passes the event on to the C runtime's console handler (SIG_IGN, SIG_DFL, a foreign
//   handler) and to Windows' default (the process ends with STATUS_CONTROL_C_EXIT).
// Neither interrupts a thread asynchronously, but both run concurrently with the program, so
// they keep the signal-context rules: lock-free atomics, no allocation, no throw; the one
// lock is the short spin lock that orders sigkit's own changes of the C runtime's table.
#pragma once

#include <atomic>
#include <cstdint>

#include "detail/state.hpp"
#include "detail/win32.hpp"

namespace sigkit::detail {

/// The OS-level handler sigkit installs with the C runtime's signal() (one-shot: it
/// re-installs itself, or what sigkit installed meanwhile).
extern "C" void __cdecl sigkit_crt_handler(int signo);

/// The console control handler; registered once, after sigkit's first change of SIGINT or
/// SIGBREAK in the C runtime, so that it is called before the C runtime's own. Returns TRUE
/// when sigkit took the event. (Tests call it directly for the events Wine cannot send.)
BOOL WINAPI sigkit_console_handler(DWORD event);

/// Registers sigkit_console_handler once (never under the C-runtime-table lock: Windows
/// holds its own lock while it calls console handlers).
void ensure_console_handler() noexcept;

/// Registers the vectored exception handler that marks a CPU fault (access violation,
/// illegal instruction, division by zero...) for the faulting thread, so that
/// sigkit_crt_handler tells a real fault (not deferrable: the process must die of it) from a
/// raise(). Once; for SIGSEGV, SIGILL and SIGFPE.
void ensure_fault_marker() noexcept;

/// The spin lock that orders sigkit's reads and writes of the C runtime's signal table (the
/// registry, the one-shot re-install, the console handler's check). Held only around a few
/// signal() calls.
void lock_crt_table() noexcept;
void unlock_crt_table() noexcept;

/// What sigkit last knows the C runtime's table holds for each signal (a handler pointer as
/// an integer): what the one-shot re-install puts back. Written under the table lock.
extern std::atomic<std::uintptr_t> crt_action[NSIG];

/// The auto-reset event that wakes the main thread's sleep() (null until
/// ensure_initialized()), and whether the main thread waits on it right now.
extern std::atomic<void*> wake_event;
extern std::atomic<bool> main_waiting;

/// The auto-reset event of sigkit's shutdown thread (null: no thread yet).
extern std::atomic<void*> shutdown_event;

}  // namespace sigkit::detail
