// src/posix/detail/action_keeper.hpp - one OS action per signal, even when two layers want it.
//
// The registry owns every sigaction sigkit makes. A layer above it may need to stay the
// OS-level handler of a few signals itself (the crash reporter must see a SIGSEGV before
// anything else) while the registry's action keeps working beneath it. That layer registers
// as the action keeper: for each signal it keeps, the registry reads and writes the action
// beneath the keeper's instead of the OS's, so sigkit::signal(), getsignal(), subscribe()
// and scoped_handler behave exactly as without the keeper, and when the keeper lets the
// signal go, the OS gets whatever the registry installed meanwhile.
#pragma once

#include <signal.h>

namespace sigkit::detail {

/// The keeper's two functions; both async-signal-safe.
struct action_keeper {
  /// True if `os_now`, the OS action of `signo` just read, is the keeper's own handler.
  bool (*keeps)(int signo, const struct sigaction& os_now) noexcept;
  /// Reads (`old`) and/or replaces (`act`) the action beneath the keeper's. Returns 0.
  int (*exchange_beneath)(int signo, const struct sigaction* act, struct sigaction* old) noexcept;
};

/// Registers the keeper (null: none). At most one; the crash reporter is the only one.
/// Thread safety: safe. Signal safety: async-signal-safe.
void set_action_keeper(const action_keeper* keeper) noexcept;

/// Serialises a signal's hand-over between the keeper and the OS with the registry's reads
/// and writes (held for a sigaction call or two; never in signal context).
void lock_os_actions() noexcept;
void unlock_os_actions() noexcept;

/// The registry's sigaction(2): the action beneath the keeper for a signal it keeps, the
/// OS's otherwise (through the syscall seam). Same contract as sigaction: 0, or -1 and errno.
/// A read is one sigaction call and takes no lock; a write takes the hand-over lock, and one
/// more sigaction call (a read) only while a keeper is registered.
/// Thread safety: safe. Signal safety: not async-signal-safe (a write takes the lock).
int os_action(int signo, const struct sigaction* act, struct sigaction* old) noexcept;

/// os_action() for reading only. Signal safety: async-signal-safe.
int peek_os_action(int signo, struct sigaction* old) noexcept;

/// In a fork child (single-threaded): forget a hand-over lock held by another thread.
void reset_os_action_lock_after_fork() noexcept;

}  // namespace sigkit::detail
