// dispatch: runs deferred handlers at checkpoints (normal context, main thread): the records
// of signal context, Python's one disposition per signal, and the subscriber stacks. The
// checkpoints that block (pause(), sleep()) and the default actions are the port's:
// posix/dispatch_posix.cpp, windows/dispatch_windows.cpp.
#include "sigkit/dispatch.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <string>

#include "detail/dispatcher.hpp"
#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state.hpp"
#include "detail/subscribers.hpp"
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
  const std::string line = wakeup_error_line(fd, err);
  for (std::uint64_t i = 0; i < shown; ++i) static_cast<void>(std::fputs(line.c_str(), stderr));
  if (count > shown) {
    static_cast<void>(
        std::fprintf(stderr, "sigkit: %" PRIu64 " more failed writes to the signal wakeup fd %d\n",
                     count - shown, fd));
  }
}

// Signals whose backlog is not empty (bit s-1), so the scan finds them with the tripped ones.
std::uint64_t backlog_mask = 0;
// Signals read from the POSIX fast path's signalfd since their last dispatch (main thread
// only: the dispatcher's own flag, so taking a delivery costs no atomic read-modify-write).
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

// The disposition beneath the subscribers, for one delivery that every subscriber passed.
// (int) handlers run once per checkpoint (`int_ran`); a delivery without a record
// (`coalesced`) reaches no (const siginfo&) handler.
void run_beneath(int s, const disposition& beneath, const siginfo& info, bool coalesced,
                 bool& int_ran) {
  if (beneath.native) {
    run_native_action(s, beneath.action, info);
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

}  // namespace

void push_backlog(const siginfo& info) {
  backlog[static_cast<std::size_t>(info.signo)].push_back(info);
  backlog_mask |= signal_bit(info.signo);
}

void mark_taken(int signo) noexcept { taken_mask |= signal_bit(signo); }

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
  take_os_deliveries();
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

}  // namespace detail

std::uint64_t dropped_deliveries(int signalnum) {
  detail::check_signal_range(signalnum);
  return detail::dropped[signalnum].load(std::memory_order_relaxed);
}

std::size_t siginfo_queue_capacity() noexcept {
  return detail::kQueueCapacity - detail::kQueueReserve;
}

}  // namespace sigkit
