// src/posix/detail/fastpath_impl.hpp - what event_loop.cpp needs of fastpath.cpp. Normal
// context.
#pragma once

namespace sigkit::detail {

/// Publishes the fast path with `signal_fd` (a signalfd with an empty mask, watched by the
/// notify epoll); applies it at once on the main thread, elsewhere at the main thread's next
/// checkpoint.
void enable_fast_path(int signal_fd) noexcept;

/// Looks up the C library functions that fastpath_spawn.cpp interposes (once, at the opt-in:
/// a vfork child must not call dlsym).
void resolve_spawn_functions() noexcept;

/// Fork child: the fast path starts over with the child's own `signal_fd`.
void fast_path_after_fork_in_child(int signal_fd) noexcept;

}  // namespace sigkit::detail
