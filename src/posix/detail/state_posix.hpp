// src/posix/detail/state_posix.hpp - the signal-context state only the POSIX port has:
// back-pressure, the internal eventfd that wakes pause()/sleep(), the notify fd and the
// event-loop fast path, the shutdown thread's eventfd, and the OS-level handler itself.
// Like detail/state.hpp: namespace-scope constinit lock-free atomics, defined in
// posix/signal_context_posix.cpp.
#pragma once

#include <signal.h>

#include <atomic>
#include <cstdint>

#include "detail/state.hpp"

namespace sigkit::detail {

extern std::atomic<std::uint64_t> throttled_mask;  // blocked by back-pressure in main thread

/// sigkit's own eventfd that wakes the main thread's pause()/sleep() (-1: none yet), and the
/// pthread_t of the thread blocked on it (0: nobody waits).
extern std::atomic<int> internal_wake_fd;
extern std::atomic<unsigned long> waiting_thread;
/// The eventfd behind notify_fd() (-1: no opt-in yet), and a flag set after each write to it
/// so that dispatch() reads it only when something was written.
extern std::atomic<int> notify_event_fd;
extern std::atomic<bool> notify_written;

// ---- the event-loop fast path (fastpath.cpp): what signal context needs of it --------------

/// Signals that sigkit (not the user) keeps blocked in the main thread so that they queue on
/// the signalfd behind notify_fd() instead of running a handler (bit s-1).
extern std::atomic<std::uint64_t> fast_blocked_mask;
/// The signalfd (-1: none) and the main thread's identity, for forwarding a fast-path signal
/// that the kernel handed to another thread.
extern std::atomic<int> fast_signal_fd;
extern std::atomic<unsigned long> main_pthread;
extern std::atomic<int> main_pid;
/// Bumped by every change that can change which signals take the fast path.
extern std::atomic<std::uint64_t> fast_generation;

/// Set after the handler wrote the internal eventfd, so a waiter woken by EINTR drains it at
/// once instead of waking again for a stale count.
extern std::atomic<bool> wake_written;

/// The eventfd that wakes sigkit's shutdown thread (-1: no thread yet).
extern std::atomic<int> shutdown_wake_fd;

/// The OS-level handler sigkit installs for every signal with a callable handler.
extern "C" void sigkit_os_handler(int signo, siginfo_t* info, void* context);

/// Resets the POSIX-only signal-context state to "nothing pending" (fork child, after
/// reset_signal_context_state()).
void reset_posix_signal_context_state() noexcept;

/// Removes from `mask` the signals that sigkit (not the user) blocked in the main thread
/// (back-pressure, the event-loop fast path), if the calling thread is the main thread, so a
/// mask that user code saves and later restores never keeps sigkit's block. Normal context.
void remove_backpressure(sigset_t& mask) noexcept;

}  // namespace sigkit::detail
