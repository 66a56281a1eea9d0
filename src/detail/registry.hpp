// src/detail/registry.hpp - the private owner of every sigaction sigkit makes, and of the
// table of user handlers that the dispatcher reads. Normal context only.
#pragma once

#include <mutex>

#include "sigkit/handler.hpp"

namespace sigkit::detail {

/// The handler sigkit last installed for `signo` (none, SIG_DFL, SIG_IGN or a callable).
/// Thread safety: safe (takes the registry lock). Never called in signal context.
handler installed_handler(int signo);

/// The same, lock-free, for the dispatcher (main thread only, the table's only writer).
handler installed_handler_on_main_thread(int signo) noexcept;

/// The table entry itself (main thread only). Call it only inside a handler_call_scope: a
/// handler that signal() or scoped_handler replace while a call is in progress is kept alive
/// until the outermost call returns (no copy, so no reference-count traffic per delivery).
const handler& installed_handler_ref(int signo) noexcept;

/// Marks a handler call in progress on the main thread (see installed_handler_ref).
class handler_call_scope {
 public:
  handler_call_scope() noexcept;
  ~handler_call_scope();
  handler_call_scope(const handler_call_scope&) = delete;
  handler_call_scope& operator=(const handler_call_scope&) = delete;
};

/// One-time process setup, the port's (POSIX: pthread_atfork hooks and sigkit's internal
/// wake eventfd; Windows: the wake event).
void ensure_initialized();

/// Registers `hook` to run in a fork child (single-threaded, registry lock held, all signals
/// blocked) after sigkit's own reset; for the layers above the registry (shutdown). At most 8.
/// Idempotent for the same hook. (Windows has no fork(): nothing is registered there.)
void add_fork_child_hook(void (*hook)());

/// True if the OS action of `signo` is sigkit's OS-level handler (read from the OS now, or
/// beneath the action keeper: detail/action_keeper.hpp). Async-signal-safe.
bool owns_os_action(int signo) noexcept;

/// The registry's lock, for the port's fork handlers: held across fork() so that the child
/// never inherits it held by another thread.
std::mutex& registry_lock() noexcept;

}  // namespace sigkit::detail
