// src/detail/subscribers.hpp - the subscriber stack of each signal, as the registry keeps it
// and the dispatcher reads it. Normal context only.
#pragma once

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "sigkit/handler.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/subscribe.hpp"

namespace sigkit::detail {

/// One subscription. `state` tells the dispatcher (main thread) and reset() (any thread)
/// apart without a lock: the dispatcher sets `running` only while `active` holds (one CAS),
/// and reset() clears `active`, then waits for `running` to clear unless it runs on the main
/// thread itself.
struct subscriber_node {
  static constexpr unsigned kActive = 1;
  static constexpr unsigned kRunning = 2;

  subscriber_node(subscriber_function f, std::uint64_t s) : fn(std::move(f)), signals(s) {}

  subscriber_function fn;
  std::uint64_t signals;  ///< bit s-1 for each signal subscribed to
  std::atomic<unsigned> state{kActive};
};

/// What lies beneath the subscribers of a signal (Python's one disposition).
/// `native`: `action` is an OS action that sigkit did not install (SIG_DFL, SIG_IGN or a
/// foreign handler; a sigaction on POSIX, a C runtime handler on Windows), to be called on
/// fall-through and restored exactly. Otherwise `user` is what signal() set (a callable,
/// SIG_DFL or SIG_IGN), and `action` the OS action sigkit had made for it (restored exactly by
/// scoped_handler).
struct disposition {
  handler user;
  bool native = false;
  native_action action{};
};

/// A copy of a signal's route, for one dispatch: subscribers oldest first, what lies beneath,
/// and the version it was taken at (any subscribe or reset of the signal bumps it).
struct route_snapshot {
  std::vector<std::shared_ptr<subscriber_node>> subscribers;
  disposition beneath;
  std::uint64_t version = 0;
};

/// The argument checks of subscribe() (and shutdown): std::invalid_argument for an empty set,
/// SIGKILL, SIGSTOP or a reserved number. Returns the set as bits (s-1).
std::uint64_t check_subscribable(const signal_set& signals);

/// Registry: puts `node` on the stack of each of its signals (taking the OS action of a
/// signal at its first subscription, remembering exactly what was there). All or nothing.
/// Errors: std::system_error if the OS refuses.
void attach_subscriber(const std::shared_ptr<subscriber_node>& node);
/// Registry: takes `node` off its stacks and clears its active bit; the last subscriber of a
/// signal restores what lies beneath. False if it was not active.
bool detach_subscriber(subscriber_node& node) noexcept;

/// How many subscribers `signo` has (lock-free; the dispatcher's fast check).
unsigned subscriber_count(int signo) noexcept;
/// The version of `signo`'s route (lock-free).
std::uint64_t route_version(int signo) noexcept;
/// Copies `signo`'s route under the registry lock.
route_snapshot snapshot_route(int signo);

}  // namespace sigkit::detail
