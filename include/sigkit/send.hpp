// sigkit/send.hpp - sending signals to this thread, another thread or another process.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <csignal>

namespace sigkit {

/// Sends `signalnum` to the calling thread; 0 only checks. A checkpoint: on the main thread
/// the handler runs before this returns and its exception propagates.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::system_error (EINVAL) for a number the OS refuses.
void raise_signal(int signalnum);

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

}  // namespace sigkit
