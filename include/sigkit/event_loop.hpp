// sigkit/event_loop.hpp - deliveries as a readable fd for poll/epoll/select loops.
#pragma once

#ifdef _WIN32
#error "sigkit/event_loop.hpp: Linux only; on Windows use set_wakeup_fd() with a socket"
#endif

namespace sigkit {

/// sigkit's own non-blocking fd, readable while deliveries wait for dispatch(): put it in
/// any poll/epoll/select loop (for reading) and call dispatch() when it is readable. The fd
/// is sigkit's (never close it) and keeps its number for the life of the process; in a fork
/// child the same number refers to the child's own channel. The first call is the opt-in to
/// sigkit's fastest delivery path (see docs/design.md, "Event loops"); everything Part 1 lets
/// a program observe stays as it was.
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: std::system_error if the fds cannot be created.
int notify_fd();

/// Consumes the notify fd's readiness and runs the handlers and subscribers of pending
/// deliveries (a checkpoint, like check_signals()).
/// Thread safety: main thread only. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument from another thread; whatever a handler throws.
void dispatch();

}  // namespace sigkit
