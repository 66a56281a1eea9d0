// sigkit/send.hpp - sending signals to this thread, another thread or another process.
#pragma once

#ifndef _WIN32
#include <pthread.h>
#include <sys/types.h>
#endif

#include <csignal>

#ifdef _WIN32
// The console control events that send_ctrl_event() sends (Python: signal.CTRL_C_EVENT and
// signal.CTRL_BREAK_EVENT). They are the system's own macros from <wincon.h>, defined here
// with the same tokens so that sigkit's headers need not pull in <windows.h>; including
// <windows.h> before or after sigkit is fine.
#ifndef CTRL_C_EVENT
#define CTRL_C_EVENT 0
#endif
#ifndef CTRL_BREAK_EVENT
#define CTRL_BREAK_EVENT 1
#endif
#endif

namespace sigkit {

/// Sends `signalnum` to the calling thread; 0 only checks. A checkpoint: on the main thread
/// the handler runs before this returns and its exception propagates. On Windows the C
/// runtime's raise(): only the seven signals of valid_signals() (0 too is refused, as there).
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::system_error (EINVAL) for a number the OS refuses.
void raise_signal(int signalnum);

#ifdef _WIN32
/// Sends the console control event `event` (CTRL_C_EVENT or CTRL_BREAK_EVENT) to the
/// processes of `process_group` that share this process's console; group 0: every process
/// attached to the console, this one too (Python: os.kill(process_group, CTRL_C_EVENT)).
/// Windows delivers it to each process on a new thread; sigkit turns it into a SIGINT or
/// SIGBREAK delivery. Not a checkpoint.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for another event; std::system_error with the Windows error
/// (GetLastError) when GenerateConsoleCtrlEvent fails (no console, for example).
void send_ctrl_event(int event, unsigned process_group);
#else
/// Sends `signalnum` to thread `thread_id` of this process; 0 only checks. A checkpoint.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a zero thread id; std::system_error (EINVAL, ESRCH).
void pthread_kill(pthread_t thread_id, int signalnum);

/// Sends `signalnum` to the process that `pidfd` refers to (race-free; Linux >= 5.1).
/// Not a checkpoint. Thread safety: safe. Signal safety: async-signal-safe.
/// Errors: std::system_error (EBADF, EINVAL, ESRCH, EPERM, ENOSYS).
void pidfd_send_signal(int pidfd, int signalnum, int flags = 0);

/// Opens a pidfd for `pid` (O_CLOEXEC). Thread safety: safe. Signal safety: async-signal-safe.
/// Errors: std::system_error (ESRCH, EINVAL, ENOSYS).
int pidfd_open(pid_t pid);

/// Queues `signalnum` with an integer payload to process `pid` (sigqueue(3)).
/// Thread safety: safe. Signal safety: async-signal-safe.
/// Errors: std::system_error (EAGAIN when the receiver's queue is full, EINVAL, ESRCH, EPERM).
void sigqueue(pid_t pid, int signalnum, int value);
#endif

}  // namespace sigkit
