// registry: the private owner of all OS-action state (signal, getsignal, scoped_handler, the
// subscriber stacks). The OS actions themselves, process setup and fork handling are the
// port's: posix/registry_posix.cpp (sigaction), windows/registry_windows.cpp (the C runtime).
#include "detail/registry.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/platform.hpp"
#include "detail/state.hpp"
#include "detail/subscribers.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"

namespace sigkit {
namespace detail {
namespace {

std::mutex registry_mutex;
std::array<handler, NSIG> user_handlers;  // guarded by registry_mutex; written on main only

// Main thread only: handler calls in progress, and the handlers replaced meanwhile.
int handler_calls = 0;
std::vector<handler> retired_handlers;

// Every write of a table entry (main thread): the old handler outlives a call in progress.
void set_user_handler(std::size_t index, handler h) {
  if (handler_calls > 0 && user_handlers[index].is_callable()) {
    retired_handlers.push_back(user_handlers[index]);
  }
  user_handlers[index] = std::move(h);
}

// The subscriber stack of each signal and what lies beneath it (guarded by registry_mutex).
struct signal_route {
  std::vector<std::shared_ptr<subscriber_node>> subscribers;  // oldest first
  disposition beneath;  // meaningful while `subscribers` is not empty
};
std::array<signal_route, NSIG> routes;
// Lock-free mirrors for the dispatcher's fast path.
std::array<std::atomic<unsigned>, NSIG> subscriber_counts{};
std::array<std::atomic<std::uint64_t>, NSIG> route_versions{};

// What the OS-level handler must record for `signo`, from the registry's state (lock held):
// a queue record per delivery if any consumer wants the siginfo.
std::uint8_t wanted_mode(int signo) noexcept {
  const auto index = static_cast<std::size_t>(signo);
  const signal_route& route = routes[index];
  bool siginfo = false;
  if (route.subscribers.empty()) {
    siginfo = user_handlers[index].takes_siginfo();
  } else {
    siginfo = route.beneath.native ? is_foreign_siginfo(route.beneath.action)
                                   : route.beneath.user.takes_siginfo();
    for (const auto& node : route.subscribers) siginfo = siginfo || node->fn.takes_siginfo;
  }
  return static_cast<std::uint8_t>(siginfo ? record_mode::siginfo : record_mode::flag);
}

// Installs `action` for `signo`; the caller holds the registry lock and has already updated
// the table/route the action belongs to. The record mode that the OS-level handler reads is
// published before the OS can call it with the new action and retracted only after that
// action is gone. Nothing else is needed (no signal blocking): the OS-level handler reads
// nothing else of the registry and shares no lock with it. Returns 0, or the errno of a
// failed sigaction (then the mode is as before and the OS action unchanged).
int install_action(int signo, const native_action& action, native_action* old) {
  const auto index = static_cast<std::size_t>(signo);
  const std::uint8_t old_mode = handler_mode[index].load(std::memory_order_relaxed);
  if (is_ours(action)) handler_mode[index].store(wanted_mode(signo), std::memory_order_release);
  if (const int err = write_os_action(signo, action, old); err != 0) {
    handler_mode[index].store(old_mode, std::memory_order_release);
    return err;
  }
  if (!is_ours(action)) {
    handler_mode[index].store(static_cast<std::uint8_t>(record_mode::flag),
                              std::memory_order_release);
    owned_mask.fetch_and(~signal_bit(signo), std::memory_order_acq_rel);
  } else {
    owned_mask.fetch_or(signal_bit(signo), std::memory_order_acq_rel);
  }
  // The POSIX event-loop fast path follows the OS actions: a signal that is no longer
  // sigkit's is unblocked in the main thread before this returns there (elsewhere: at its
  // next checkpoint, which the notify fd prompts).
  delivery_routing_changed();
  return 0;
}

// Re-publishes the record mode after the route changed while our action stays installed.
// A switch to siginfo mode applies to deliveries from now on; records already queued for a
// consumer that has gone are counted as dropped by the dispatcher.
void refresh_mode(int signo) noexcept {
  handler_mode[static_cast<std::size_t>(signo)].store(wanted_mode(signo),
                                                      std::memory_order_release);
}

void bump_route(int signo) noexcept {
  const auto index = static_cast<std::size_t>(signo);
  route_versions[index].fetch_add(1, std::memory_order_release);
  subscriber_counts[index].store(static_cast<unsigned>(routes[index].subscribers.size()),
                                 std::memory_order_release);
}

// The number checks of signal(), getsignal() and scoped_handler: the range, then (Windows)
// the few signals that have a disposition at all.
void check_disposition_number(int signo) {
  check_signal_range(signo);
  if (!has_disposition(signo)) {
    throw std::invalid_argument("invalid signal value: " + describe_signal(signo) +
                                " has no disposition on this platform");
  }
}

// The checks signal() and scoped_handler make, in API.md's order: arguments, then thread.
void check_handler_arguments(int signo, const handler& h, const char* function) {
  check_disposition_number(signo);
  if (h.empty()) {
    throw std::invalid_argument("cannot install an empty handler for " + describe_signal(signo));
  }
  check_main_thread(function);
}

// getsignal()'s view of a disposition.
handler view_of(const disposition& d) {
  if (d.native) return from_os(d.action);
  return d.user;
}

// The disposition of `signo` as it is now: beneath the subscribers, or at the OS. Lock held.
disposition current_disposition(int signo) {
  const auto index = static_cast<std::size_t>(signo);
  if (!routes[index].subscribers.empty()) return routes[index].beneath;
  disposition d;
  d.user = user_handlers[index];
  if (const int err = read_os_action(signo, d.action); err != 0) {
    throw_error(err, "cannot read the disposition of " + describe_signal(signo));
  }
  d.native = !is_ours(d.action);
  return d;
}

// Puts `d` back as the disposition of `signo`. Lock held. Returns 0 or an errno.
int apply_disposition(int signo, const disposition& d) {
  const auto index = static_cast<std::size_t>(signo);
  if (!routes[index].subscribers.empty()) {
    // The subscribers keep our action at the OS; `d` becomes what lies beneath them.
    routes[index].beneath = d;
    set_user_handler(index, d.user);
    refresh_mode(signo);
    return 0;
  }
  const handler old_entry = user_handlers[index];
  set_user_handler(index, d.user);
  int err = 0;
  if (d.user.is_callable()) {
    err = install_action(signo, is_ours(d.action) ? d.action : our_action(), nullptr);
  } else if (d.native) {
    err = install_action(signo, d.action, nullptr);  // exactly what was there
  } else {
    err = install_action(signo, plain_action(d.user), nullptr);
  }
  if (err != 0) set_user_handler(index, old_entry);
  return err;
}

// The last subscriber of `signo` is gone: the OS disposition becomes what lies beneath.
// A `native` one is restored exactly, unless foreign code has replaced our action meanwhile
// (then that code owns the signal now). Lock held. Never throws.
void restore_beneath(int signo) noexcept {
  const auto index = static_cast<std::size_t>(signo);
  const disposition beneath = routes[index].beneath;
  routes[index].beneath = disposition{};
  native_action current{};
  if (read_os_action(signo, current) != 0 || !is_ours(current)) return;
  if (beneath.native) {
    static_cast<void>(install_action(signo, beneath.action, nullptr));
  } else if (beneath.user.is_callable()) {
    refresh_mode(signo);  // signal()'s handler keeps our action
  } else if (!beneath.user.empty()) {
    static_cast<void>(install_action(signo, plain_action(beneath.user), nullptr));
  }
}

// Unsubscribes `node` from `signo` (lock held).
void detach_from(int signo, const subscriber_node* node) noexcept {
  auto& subscribers = routes[static_cast<std::size_t>(signo)].subscribers;
  const auto it = std::find_if(subscribers.begin(), subscribers.end(),
                               [node](const auto& p) { return p.get() == node; });
  if (it == subscribers.end()) return;
  subscribers.erase(it);
  bump_route(signo);
  if (subscribers.empty()) {
    restore_beneath(signo);
  } else {
    refresh_mode(signo);
  }
}

}  // namespace

constinit std::atomic<unsigned> fork_generation{0};
constinit thread_local unsigned main_cache_generation = ~0U;
constinit thread_local bool main_cache = false;

std::mutex& registry_lock() noexcept { return registry_mutex; }

handler installed_handler(int signo) {
  const std::lock_guard lock(registry_mutex);
  return user_handlers[static_cast<std::size_t>(signo)];
}

const handler& installed_handler_ref(int signo) noexcept {
  return user_handlers[static_cast<std::size_t>(signo)];
}

handler_call_scope::handler_call_scope() noexcept { ++handler_calls; }

handler_call_scope::~handler_call_scope() {
  if (--handler_calls == 0 && !retired_handlers.empty()) retired_handlers.clear();
}

handler installed_handler_on_main_thread(int signo) noexcept {
  // Only the main thread writes the table (signal() and scoped_handler are main-thread only),
  // so the main thread reads it without the lock; the copy keeps the callable alive even if
  // the handler replaces itself while it runs.
  return user_handlers[static_cast<std::size_t>(signo)];
}

unsigned subscriber_count(int signo) noexcept {
  return subscriber_counts[static_cast<std::size_t>(signo)].load(std::memory_order_acquire);
}

std::uint64_t route_version(int signo) noexcept {
  return route_versions[static_cast<std::size_t>(signo)].load(std::memory_order_acquire);
}

route_snapshot snapshot_route(int signo) {
  const std::lock_guard lock(registry_mutex);
  const auto index = static_cast<std::size_t>(signo);
  route_snapshot snapshot;
  snapshot.subscribers = routes[index].subscribers;
  snapshot.beneath = routes[index].beneath;
  snapshot.version = route_versions[index].load(std::memory_order_relaxed);
  return snapshot;
}

void attach_subscriber(const std::shared_ptr<subscriber_node>& node) {
  ensure_initialized();
  const std::lock_guard lock(registry_mutex);
  std::vector<int> taken;  // signals this call subscribed to (rolled back on error)
  for (int s = 1; s < NSIG; ++s) {
    if ((node->signals & signal_bit(s)) == 0) continue;
    auto& route = routes[static_cast<std::size_t>(s)];
    if (route.subscribers.empty()) {
      // The first subscription: remember exactly what is there, then take the OS action.
      disposition beneath;
      try {
        beneath = current_disposition(s);
      } catch (...) {
        for (const int t : taken) detach_from(t, node.get());
        throw;
      }
      route.beneath = beneath;
      route.subscribers.push_back(node);
      const int err = is_ours(beneath.action) ? 0 : install_action(s, our_action(), nullptr);
      if (err != 0) {
        route.subscribers.clear();
        route.beneath = disposition{};
        for (const int t : taken) detach_from(t, node.get());
        throw_error(err, "cannot subscribe to " + describe_signal(s));
      }
    } else {
      route.subscribers.push_back(node);
    }
    taken.push_back(s);
    refresh_mode(s);
    bump_route(s);
  }
}

bool detach_subscriber(subscriber_node& node) noexcept {
  const std::lock_guard lock(registry_mutex);
  const unsigned state = node.state.fetch_and(~subscriber_node::kActive, std::memory_order_acq_rel);
  if ((state & subscriber_node::kActive) == 0) return false;
  for (int s = 1; s < NSIG; ++s) {
    if ((node.signals & signal_bit(s)) != 0) detach_from(s, &node);
  }
  return true;
}

}  // namespace detail

handler signal(int signalnum, handler h) {  // NOLINT(performance-unnecessary-value-param)
  detail::check_handler_arguments(signalnum, h, "signal");
  check_signals();  // pending handlers run before anything changes (bpo-30057)
  detail::ensure_initialized();

  const std::lock_guard lock(detail::registry_mutex);
  const auto index = static_cast<std::size_t>(signalnum);
  auto& route = detail::routes[index];
  const handler old_entry = detail::user_handlers[index];
  detail::native_action old{};
  if (!route.subscribers.empty()) {
    // Subscribers keep sigkit's OS action; `h` becomes the disposition beneath them. The
    // action is made again so that signal() resets SA_RESTART, as without subscribers.
    const detail::disposition old_beneath = route.beneath;
    route.beneath = detail::disposition{h, false, detail::our_action()};
    detail::set_user_handler(index, h);
    if (const int err = detail::install_action(signalnum, detail::our_action(), nullptr);
        err != 0) {
      route.beneath = old_beneath;
      detail::set_user_handler(index, old_entry);
      detail::refresh_mode(signalnum);
      detail::throw_error(err, "cannot install handler for " + detail::describe_signal(signalnum));
    }
    return detail::view_of(old_beneath);
  }
  detail::set_user_handler(index, h);
  const detail::native_action action =
      h.is_callable() ? detail::our_action() : detail::plain_action(h);
  if (const int err = detail::install_action(signalnum, action, &old); err != 0) {
    detail::set_user_handler(index, old_entry);
    detail::throw_error(err, "cannot install handler for " + detail::describe_signal(signalnum));
  }
  // The previous disposition as getsignal() saw it: the OS's word, ours if it was ours.
  if (detail::is_ours(old)) return old_entry.is_callable() ? old_entry : handler{};
  return detail::from_os(old);
}

handler getsignal(int signalnum) {
  detail::check_disposition_number(signalnum);
  detail::native_action current{};
  if (detail::read_os_action(signalnum, current) != 0) return {};  // 32, 33
  if (detail::is_ours(current)) {
    const std::lock_guard lock(detail::registry_mutex);
    const auto index = static_cast<std::size_t>(signalnum);
    if (!detail::routes[index].subscribers.empty()) {
      return detail::view_of(detail::routes[index].beneath);
    }
    const handler& h = detail::user_handlers[index];
    return h.is_callable() ? h : handler{};
  }
  return detail::from_os(current);
}

scoped_handler::scoped_handler(int signalnum, handler h) : signalnum_(signalnum) {
  detail::check_handler_arguments(signalnum, h, "scoped_handler");
  detail::disposition saved;
  {
    const std::lock_guard lock(detail::registry_mutex);
    saved = detail::current_disposition(signalnum);
  }
  previous_ = saved.action;
  previous_handler_ = saved.user;
  previous_native_ = saved.native;
  sigkit::signal(signalnum, std::move(h));
}

scoped_handler::~scoped_handler() {
  const std::lock_guard lock(detail::registry_mutex);
  // The exact previous disposition (handler, flags, mask) and the table entry that goes with
  // it; beneath the subscribers if the signal has any now.
  static_cast<void>(detail::apply_disposition(
      signalnum_, detail::disposition{previous_handler_, previous_native_, previous_}));
}

}  // namespace sigkit
