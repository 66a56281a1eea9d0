// dispatch: runs deferred handlers at checkpoints (normal context, main thread), and the
// checkpoints that block: pause() and sleep().
#include "sigkit/dispatch.hpp"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>

#include "detail/action_keeper.hpp"
#include "detail/fastpath.hpp"
#include "detail/registry.hpp"
#include "detail/state.hpp"
#include "detail/subscribers.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signum.hpp"

namespace sigkit {
namespace detail {
namespace {

// Deliveries taken out of the lock-free queue and not yet handed to their handler, per
// signal, in arrival order. Main thread only.
std::array<std::deque<siginfo>, NSIG> backlog;

constexpr std::uint64_t kMaxReportedWakeupErrors = 20;

void report_wakeup_errors() {
  if (wakeup_error_count.load(std::memory_order_relaxed) == 0) return;
  const std::uint64_t count = wakeup_error_count.exchange(0, std::memory_order_acquire);
  const int fd = wakeup_error_fd.load(std::memory_order_relaxed);
  const int err = wakeup_error_errno.load(std::memory_order_relaxed);
  const std::uint64_t shown = std::min(count, kMaxReportedWakeupErrors);
  for (std::uint64_t i = 0; i < shown; ++i) {
    static_cast<void>(std::fprintf(stderr, "sigkit: cannot write to the signal wakeup fd %d: %s\n",
                                   fd, std::strerror(err)));
  }
  if (count > shown) {
    static_cast<void>(
        std::fprintf(stderr, "sigkit: %" PRIu64 " more failed writes to the signal wakeup fd %d\n",
                     count - shown, fd));
  }
}

// Signals whose backlog is not empty (bit s-1), so the scan finds them with the tripped ones.
std::uint64_t backlog_mask = 0;
// Signals read from the fast path's signalfd since their last dispatch (main thread only: the
// dispatcher's own flag, so taking a delivery costs no atomic read-modify-write).
std::uint64_t taken_mask = 0;

void drain_queue() {
  if (queue_tail.load(std::memory_order_relaxed) == queue_head.load(std::memory_order_acquire)) {
    return;  // nothing claimed, nothing to take
  }
  siginfo info;
  while (queue_pop(info)) {
    backlog[static_cast<std::size_t>(info.signo)].push_back(info);
    backlog_mask |= signal_bit(info.signo);
  }
}

// Undo back-pressure in the main thread now that the queue has room: the kernel then hands
// over the instances it kept.
void release_backpressure() {
  if (throttled_mask.load(std::memory_order_relaxed) == 0) return;
  const std::uint64_t bits = throttled_mask.exchange(0, std::memory_order_acq_rel);
  sigset_t set;
  ::sigemptyset(&set);
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0) ::sigaddset(&set, s);
  }
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void count_dropped(int s, std::deque<siginfo>& records) {
  if (records.empty()) return;
  dropped[s].fetch_add(records.size(), std::memory_order_relaxed);
  records.clear();
}

// ---- subscribers ---------------------------------------------------------------------------

// Calls `node` if it is still active; false if it was reset (then it is not called). While
// it runs, reset() from another thread waits (kRunning).
bool call_subscriber(subscriber_node& node, const siginfo& info, verdict& result) {
  unsigned state = node.state.load(std::memory_order_acquire);
  do {
    if ((state & subscriber_node::kActive) == 0) return false;
  } while (!node.state.compare_exchange_weak(state, state | subscriber_node::kRunning,
                                             std::memory_order_acq_rel));
  struct running_guard {
    subscriber_node& node;
    ~running_guard() {
      node.state.fetch_and(~subscriber_node::kRunning, std::memory_order_acq_rel);
      node.state.notify_all();
    }
  } guard{node};
  result = node.fn.fn(info);
  return true;
}

// Carries out SIG_DFL's action for `s` for real, here at the checkpoint: a terminating signal
// ends the process by that signal; a stop signal stops it and, after SIGCONT, goes on.
void carry_out_default_action(int s) {
  switch (default_action_of(signum(s))) {
    case default_action::terminate:
    case default_action::core:
      end_process_by_signal(s);  // as the kernel would: no stdio flush, no atexit
    case default_action::stop: {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      ::sigemptyset(&dfl.sa_mask);
      struct sigaction ours {};
      if (::sigaction(s, &dfl, &ours) != 0) return;
      sigset_t one;
      sigset_t old;
      ::sigemptyset(&one);
      ::sigaddset(&one, s);
      ::pthread_sigmask(SIG_UNBLOCK, &one, &old);
      static_cast<void>(::raise(s));  // returns after SIGCONT
      ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
      ::sigaction(s, &ours, nullptr);
      return;
    }
    case default_action::cont:
    case default_action::ignore:
      return;
  }
}

// The native siginfo a foreign SA_SIGINFO handler beneath the subscribers is handed.
siginfo_t to_native(const siginfo& info) noexcept {
  siginfo_t native{};
  native.si_signo = info.signo;
  native.si_code = info.code;
  native.si_errno = info.error;
  native.si_pid = info.pid;
  native.si_uid = info.uid;
  native.si_value = info.value;
  return native;
}

// The disposition beneath the subscribers, for one delivery that every subscriber passed.
// (int) handlers run once per checkpoint (`int_ran`); a delivery without a record
// (`coalesced`) reaches no (const siginfo&) handler.
void run_beneath(int s, const disposition& beneath, const siginfo& info, bool coalesced,
                 bool& int_ran) {
  if (beneath.native) {
    const struct sigaction& action = beneath.action;
    if ((action.sa_flags & SA_SIGINFO) != 0) {
      siginfo_t native = to_native(info);
      action.sa_sigaction(s, &native, nullptr);
    } else if (action.sa_handler == SIG_DFL) {
      carry_out_default_action(s);
    } else if (action.sa_handler != SIG_IGN) {
      action.sa_handler(s);
    }
    return;
  }
  const handler& h = beneath.user;
  if (h.is_default()) {
    carry_out_default_action(s);
  } else if (h.takes_siginfo()) {
    if (!coalesced) h(info);
  } else if (h.is_callable() && !int_ran) {
    int_ran = true;
    h(info);
  }
}

// Runs the subscribers of `s` for every pending delivery, newest first, each delivery with
// a fresh view of the stack (a subscription made during one delivery applies from the next;
// a reset at once), and falls through to what lies beneath when all of them pass.
void dispatch_subscribers(int s, bool was_tripped) {
  auto& records = backlog[static_cast<std::size_t>(s)];
  const bool coalesced = records.empty();  // (int) deliveries only, or records were dropped
  if (coalesced && !was_tripped) return;
  route_snapshot route = snapshot_route(s);
  // (int) subscribers run once per checkpoint; their verdict stands for the other deliveries.
  std::vector<std::pair<const subscriber_node*, verdict>> int_verdicts;
  bool int_beneath_ran = false;
  for (;;) {
    siginfo info;
    info.signo = s;
    if (!coalesced) {
      if (records.empty()) break;
      info = records.front();
      records.pop_front();
      if (records.empty()) backlog_mask &= ~signal_bit(s);
    }
    if (route.version != route_version(s)) route = snapshot_route(s);
    bool all_pass = true;
    for (std::size_t i = route.subscribers.size(); i-- > 0;) {  // newest first
      subscriber_node& node = *route.subscribers[i];
      verdict v = verdict::pass;
      if (node.fn.takes_siginfo) {
        if (coalesced) {  // no siginfo for it: it did not pass this delivery either
          all_pass = false;
          continue;
        }
        if (!call_subscriber(node, info, v)) continue;
      } else {
        const auto cached = std::find_if(int_verdicts.begin(), int_verdicts.end(),
                                         [&node](const auto& p) { return p.first == &node; });
        if (cached != int_verdicts.end()) {
          if ((node.state.load(std::memory_order_acquire) & subscriber_node::kActive) == 0) {
            continue;
          }
          v = cached->second;
        } else {
          if (!call_subscriber(node, info, v)) continue;
          int_verdicts.emplace_back(&node, v);
        }
      }
      if (v != verdict::pass) all_pass = false;
    }
    if (all_pass) run_beneath(s, route.beneath, info, coalesced, int_beneath_ran);
    if (coalesced) break;
  }
}

// ---- Python's one disposition -------------------------------------------------------------

// Runs the handler of signal s for what is pending. Throws what the handler throws.
void dispatch_one(int s, bool was_tripped) {
  if (subscriber_count(s) != 0) {
    dispatch_subscribers(s, was_tripped);
    return;
  }
  auto& records = backlog[static_cast<std::size_t>(s)];
  const handler& entry = installed_handler_ref(s);
  if (entry.takes_siginfo()) {
    // A copy: if the handler replaces itself, this checkpoint's remaining records still go to
    // the handler they were recorded for.
    const handler h = entry;
    while (!records.empty()) {
      const siginfo info = records.front();
      records.pop_front();
      if (records.empty()) backlog_mask &= ~signal_bit(s);
      h(info);  // if it throws, the rest stay in the backlog for the next checkpoint
    }
    return;  // tripped without a record: the delivery was dropped (and counted) on overflow
  }
  count_dropped(s, records);  // recorded for a siginfo handler that has since been replaced
  backlog_mask &= ~signal_bit(s);
  if (entry.is_callable()) {
    siginfo info;
    info.signo = s;
    const handler_call_scope calling;  // keeps `entry`'s callable alive if it is replaced
    entry(info);
  } else if (was_tripped && !entry.empty()) {
    // (A delivery left over from subscribers that have all gone has no handler: nothing.)
    static_cast<void>(std::fprintf(stderr, "sigkit: signal %d ignored due to race condition\n", s));
  }
}

// A delivery read from the signalfd for a signal whose OS action is no longer sigkit's (the
// last subscription ended, or signal(SIG_DFL), while the main thread still blocked it): the
// action the OS has now is what a delivery would have met. Carried out here and now.
void run_current_os_action(int s, const siginfo& info) noexcept {
  struct sigaction action {};
  if (peek_os_action(s, &action) != 0) return;  // (beneath the crash reporter, if it keeps s)
  if ((action.sa_flags & SA_SIGINFO) != 0) {
    if (action.sa_sigaction == &sigkit_os_handler) return;
    siginfo_t native = to_native(info);
    action.sa_sigaction(s, &native, nullptr);
  } else if (action.sa_handler == SIG_DFL) {
    const default_action what = default_action_of(signum(s));
    if (what == default_action::terminate || what == default_action::core) {
      end_process_by_signal(s);
    }
    if (what == default_action::stop) static_cast<void>(::raise(SIGSTOP));
  } else if (action.sa_handler != SIG_IGN) {
    action.sa_handler(s);
  }
}

}  // namespace

std::atomic<const fastpath_ops*> fastpath{nullptr};

void bump_fast_generation() noexcept {
  fast_generation.fetch_add(1, std::memory_order_acq_rel);
  if (fastpath.load(std::memory_order_acquire) == nullptr) return;
  // The main thread applies the change at its next checkpoint: wake its loop for that.
  if (is_main_thread()) return;
  const int fd = notify_event_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  static_cast<void>(::write(fd, &one, sizeof one));
  notify_written.store(true, std::memory_order_release);
}

void sync_fast_path() noexcept {
  const fastpath_ops* ops = fastpath.load(std::memory_order_acquire);
  if (ops != nullptr && is_main_thread()) ops->sync();
}

void take_delivery(const siginfo& info) noexcept {
  const int s = info.signo;
  if (s < 1 || s >= NSIG) return;
  const std::uint64_t bit = signal_bit(s);
  if ((owned_mask.load(std::memory_order_acquire) & bit) == 0) {
    run_current_os_action(s, info);
    return;
  }
  if (handler_mode[s].load(std::memory_order_acquire) ==
      static_cast<std::uint8_t>(record_mode::siginfo)) {
    backlog[static_cast<std::size_t>(s)].push_back(info);
    backlog_mask |= bit;
  }
  taken_mask |= bit;
  if ((shutdown_mask.load(std::memory_order_relaxed) & bit) != 0) escalate_shutdowns(s, info);
  // Read by this thread only (the dispatcher); signal context never clears it.
  if (!signals_pending.load(std::memory_order_relaxed)) {
    signals_pending.store(true, std::memory_order_relaxed);
  }
}

classic_section::classic_section(const sigset_t& wait_set) noexcept {
  const fastpath_ops* ops = fastpath.load(std::memory_order_acquire);
  if (ops == nullptr || !is_main_thread()) return;
  ops->checkpoint();  // what arrived before the wait goes to its handler, as in Part 1
  const std::uint64_t bits = fast_blocked_mask.load(std::memory_order_acquire);
  ::sigemptyset(&unblocked_);
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0 && ::sigismember(&wait_set, s) != 1) {
      ::sigaddset(&unblocked_, s);
      active_ = true;
    }
  }
  if (active_) ::pthread_sigmask(SIG_UNBLOCK, &unblocked_, nullptr);
}

classic_section::~classic_section() {
  if (active_) ::pthread_sigmask(SIG_BLOCK, &unblocked_, nullptr);
}

void remove_backpressure(sigset_t& mask) noexcept {
  if (!is_main_thread()) return;
  const std::uint64_t bits = throttled_mask.load(std::memory_order_acquire) |
                             fast_blocked_mask.load(std::memory_order_acquire);
  if (bits == 0) return;
  for (int s = 1; s < NSIG; ++s) {
    if ((bits & signal_bit(s)) != 0) ::sigdelset(&mask, s);
  }
}

void reset_dispatcher_after_fork() {
  for (auto& records : backlog) records.clear();
  backlog_mask = 0;
  taken_mask = 0;
}

void run_pending_handlers() {
  if (!is_main_thread()) return;
  // Clear the global flag before scanning: a delivery from now on raises it again. (With the
  // event-loop fast path the checkpoint may come with nothing flagged: then nothing to clear.)
  if (signals_pending.load(std::memory_order_relaxed)) {
    signals_pending.store(false, std::memory_order_seq_cst);
  }
  if (const fastpath_ops* ops = fastpath.load(std::memory_order_acquire)) ops->checkpoint();
  report_wakeup_errors();
  drain_queue();
  release_backpressure();
  // Ascending signal number. Each signal's bit is cleared just before its handler runs (a
  // nested checkpoint inside a handler therefore never runs a handler twice); an exception
  // leaves the bits above it set for the next checkpoint.
  for (int s = 1; s < NSIG;) {
    const std::uint64_t from_s = ~std::uint64_t{0} << (s - 1);
    const std::uint64_t candidates =
        (tripped_mask.load(std::memory_order_acquire) | backlog_mask | taken_mask) & from_s;
    if (candidates == 0) break;
    s = std::countr_zero(candidates) + 1;
    const std::uint64_t bit = signal_bit(s);
    bool was_tripped = (taken_mask & bit) != 0;
    taken_mask &= ~bit;
    if ((tripped_mask.load(std::memory_order_acquire) & bit) != 0 &&
        (tripped_mask.fetch_and(~bit, std::memory_order_acq_rel) & bit) != 0) {
      was_tripped = true;
    }
    try {
      dispatch_one(s, was_tripped);
    } catch (...) {
      signals_pending.store(true, std::memory_order_seq_cst);
      throw;
    }
    ++s;
  }
}

namespace {

enum class wake { woken, interrupted, timed_out };

// Blocks on sigkit's wake eventfd, which the OS-level handler writes whenever this thread
// waits; so a delivery to any thread, or one that lands between the caller's last check and
// the block, wakes it at once (API.md 11).
wake wait_for_wake(const timespec* timeout) {
  const int fd = internal_wake_fd.load(std::memory_order_acquire);
  waiting_thread.store(static_cast<unsigned long>(::pthread_self()), std::memory_order_seq_cst);
  if (signals_pending.load(std::memory_order_seq_cst)) {
    waiting_thread.store(0, std::memory_order_seq_cst);
    return wake::woken;
  }
  // With the event-loop fast path, deliveries also wait in the signalfd.
  const int signal_fd = fast_blocked_mask.load(std::memory_order_acquire) != 0
                            ? fast_signal_fd.load(std::memory_order_acquire)
                            : -1;
  pollfd p[2] = {{fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  const int r = sys.ppoll(p, signal_fd >= 0 ? 2 : 1, timeout, nullptr);
  const int err = errno;
  waiting_thread.store(0, std::memory_order_seq_cst);
  if ((r > 0 && (p[0].revents & POLLIN) != 0) || wake_written.load(std::memory_order_acquire)) {
    wake_written.store(false, std::memory_order_relaxed);
    std::uint64_t count = 0;
    static_cast<void>(::read(fd, &count, sizeof count));  // EAGAIN: nothing to drain
  }
  if (r > 0) return wake::woken;
  if (r == 0) return wake::timed_out;
  if (err == EINTR) return wake::interrupted;
  throw_error(err, "cannot wait for a signal");
}

}  // namespace
}  // namespace detail

void pause() {
  if (!detail::is_main_thread()) {
    ::pause();  // returns once a handler has run in this thread
    return;
  }
  detail::ensure_initialized();
  for (;;) {
    // Deliveries waiting in the fast path's signalfd count as pending.
    if (const auto* ops = detail::fastpath.load(std::memory_order_acquire)) ops->checkpoint();
    // Returns at once if something is pending already (then no sleep at all).
    const detail::wake w = detail::wait_for_wake(nullptr);
    if (w == detail::wake::interrupted || detail::signals_pending.load()) {
      check_signals();
      return;
    }
    // Woken by a stale count with nothing pending: wait again.
  }
}

void sleep(std::chrono::duration<double> duration) {
  detail::check_wait_duration(duration.count(), "sleep duration");
  const timespec deadline =
      detail::add_timespec(detail::monotonic_now(), detail::ceil_timespec(duration.count()));
  if (!detail::is_main_thread()) {
    // Other threads sleep the whole duration and run no handlers.
    while (detail::sys.clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) ==
           EINTR) {
    }
    return;
  }
  detail::ensure_initialized();
  check_signals();
  for (;;) {
    timespec remaining{};
    if (!detail::remaining_until(deadline, remaining) ||
        (remaining.tv_sec == 0 && remaining.tv_nsec == 0)) {
      return;
    }
    if (detail::wait_for_wake(&remaining) == detail::wake::timed_out) return;
    check_signals();
  }
}

std::uint64_t dropped_deliveries(int signalnum) {
  detail::check_signal_range(signalnum);
  return detail::dropped[signalnum].load(std::memory_order_relaxed);
}

std::size_t siginfo_queue_capacity() noexcept {
  return detail::kQueueCapacity - detail::kQueueReserve;
}

}  // namespace sigkit
