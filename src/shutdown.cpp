// shutdown: graceful shutdown with escalation, a policy on subscribe() and signal context.
//
// Signal context (signal_context.cpp, escalate_shutdowns) decides what a delivery means for
// each live `shutdown`: the first claims the slot and wakes sigkit's shutdown thread; a
// second ends the process there and then. This file is the normal-context side: the slots'
// owners, and the thread that requests stop (never request_stop() in signal context) and
// enforces the grace deadline. How the thread is started and woken is the port's
// (posix/shutdown_posix.cpp: an eventfd; windows/shutdown_windows.cpp: an event).
#include "sigkit/shutdown.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>

#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state.hpp"
#include "detail/subscribers.hpp"
#include "detail/util.hpp"
#include "sigkit/dispatch.hpp"

namespace sigkit {
namespace detail {
namespace {

std::int64_t now_ns() noexcept { return monotonic_ns(); }

// The normal-context side of one slot (guarded by shutdown_service::mutex_, except `stopped`).
struct shutdown_record {
  bool in_use = false;
  bool handled = false;     // the thread has requested stop for the current first delivery
  bool processing = false;  // the thread is inside request_stop() for it
  std::int64_t grace_ns = 0;
  std::stop_source source{std::nostopstate};
  std::atomic<bool> stopped{false};  // request_stop() has returned
};

class shutdown_service {
 public:
  static shutdown_service& instance() {
    // Never destroyed: its thread may run until the process ends.
    static auto* service = new shutdown_service;  // NOLINT(cppcoreguidelines-owning-memory)
    return *service;
  }

  int acquire(const shutdown_options& options, std::int64_t grace_ns) {
    ensure_thread();
    const std::lock_guard lock(mutex_);
    for (int i = 0; i < kMaxShutdowns; ++i) {
      shutdown_record& record = records_[static_cast<std::size_t>(i)];
      if (record.in_use) continue;
      record.in_use = true;
      record.handled = false;
      record.processing = false;
      record.grace_ns = grace_ns;
      record.source = std::stop_source();
      record.stopped.store(false, std::memory_order_relaxed);
      shutdown_slot& slot = shutdown_slots[i];
      slot.phase.store(0, std::memory_order_relaxed);
      slot.second_kills.store(options.second_signal_kills, std::memory_order_relaxed);
      slot.first_ns.store(0, std::memory_order_relaxed);
      slot.reason = siginfo{};
      std::uint64_t bits = 0;
      for (const signum s : options.signals) bits |= signal_bit(s);
      slot.signals.store(bits, std::memory_order_seq_cst);  // armed: signal context acts now
      publish_mask();
      return i;
    }
    throw std::length_error("cannot create a shutdown: " + std::to_string(kMaxShutdowns) +
                            " are alive already");
  }

  void release(int i) noexcept {
    shutdown_slot& slot = shutdown_slots[i];
    std::unique_lock lock(mutex_);
    slot.signals.store(0, std::memory_order_seq_cst);
    publish_mask();
    while (slot.in_flight.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
    shutdown_record& record = records_[static_cast<std::size_t>(i)];
    if (std::this_thread::get_id() != thread_id_) {
      changed_.wait(lock, [&record] { return !record.processing; });
    }
    record.in_use = false;
    record.source = std::stop_source(std::nostopstate);
  }

  std::stop_token token(int i) const noexcept {
    return records_[static_cast<std::size_t>(i)].source.get_token();
  }

  void wait_stopped(int i) {
    ensure_thread();
    auto& stopped = records_[static_cast<std::size_t>(i)].stopped;
    while (!stopped.load(std::memory_order_acquire)) stopped.wait(false, std::memory_order_acquire);
  }

  // Runs at main-thread checkpoints through the shutdown's subscriber: in a fork child the
  // thread does not exist until something starts it again.
  void on_checkpoint() {
    if (!thread_running_.load(std::memory_order_acquire)) ensure_thread();
  }

  // Fork child (single-threaded, all signals blocked): the thread is gone and the eventfd
  // is shared with the parent. The locks may have been held by the parent's threads. (POSIX
  // only: Windows has no fork().)
  void after_fork_in_child() noexcept {
    new (&mutex_) std::mutex;                 // NOLINT(cppcoreguidelines-owning-memory)
    new (&changed_) std::condition_variable;  // NOLINT(cppcoreguidelines-owning-memory)
    new (&start_mutex_) std::mutex;           // NOLINT(cppcoreguidelines-owning-memory)
    thread_running_.store(false, std::memory_order_release);
    thread_id_ = std::thread::id();
    for (auto& record : records_) record.processing = false;
    forget_shutdown_wake();
  }

 private:
  shutdown_service() = default;

  void publish_mask() noexcept {
    std::uint64_t all = 0;
    for (const auto& slot : shutdown_slots) all |= slot.signals.load(std::memory_order_relaxed);
    shutdown_mask.store(all, std::memory_order_seq_cst);
    delivery_routing_changed();  // armed signals stay off the POSIX event-loop fast path
  }

  void ensure_thread() {
    if (thread_running_.load(std::memory_order_acquire)) return;
    const std::lock_guard start(start_mutex_);
    if (thread_running_.load(std::memory_order_acquire)) return;
    add_fork_child_hook([] { instance().after_fork_in_child(); });
    // The port publishes the thread's wake object only once the thread runs, then wakes it
    // once: a first delivery recorded before (fork child) is picked up at once.
    thread_id_ = start_shutdown_thread([] { instance().run(); });
    thread_running_.store(true, std::memory_order_release);
  }

  // The thread: sleeps on its wake object (and on the nearest deadline), requests stop for
  // each new first delivery, and ends the process when a grace deadline passes.
  [[noreturn]] void run() {
    for (;;) {
      const std::int64_t deadline = next_deadline();
      int timeout_ms = -1;
      if (deadline != 0) {
        const std::int64_t left = deadline - now_ns();
        timeout_ms = left <= 0 ? 0
                               : static_cast<int>(std::min<std::int64_t>(
                                     (left + 999999) / 1000000, std::int64_t{1000} * 60 * 60));
      }
      wait_shutdown_wake(timeout_ms);
      serve();
    }
  }

  std::int64_t next_deadline() {
    const std::lock_guard lock(mutex_);
    std::int64_t nearest = 0;
    for (int i = 0; i < kMaxShutdowns; ++i) {
      const shutdown_record& record = records_[static_cast<std::size_t>(i)];
      if (!record.in_use || record.grace_ns == 0) continue;
      if (shutdown_slots[i].phase.load(std::memory_order_acquire) != 2) continue;
      const std::int64_t d =
          shutdown_slots[i].first_ns.load(std::memory_order_relaxed) + record.grace_ns;
      if (nearest == 0 || d < nearest) nearest = d;
    }
    return nearest;
  }

  void serve() {
    std::unique_lock lock(mutex_);
    for (int i = 0; i < kMaxShutdowns; ++i) {
      shutdown_record& record = records_[static_cast<std::size_t>(i)];
      if (!record.in_use) continue;
      shutdown_slot& slot = shutdown_slots[i];
      if (slot.phase.load(std::memory_order_acquire) != 2) continue;
      if (!record.handled) {
        record.handled = true;
        record.processing = true;
        lock.unlock();
        record.source.request_stop();  // stop callbacks run here, on sigkit's thread
        lock.lock();
        record.processing = false;
        record.stopped.store(true, std::memory_order_release);
        record.stopped.notify_all();
        changed_.notify_all();
        if (!record.in_use) continue;
      }
      if (record.grace_ns != 0 &&
          now_ns() >= slot.first_ns.load(std::memory_order_relaxed) + record.grace_ns) {
        end_process_by_signal(slot.reason.signo);  // the grace is over: by the first signal
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::mutex start_mutex_;
  std::array<shutdown_record, kMaxShutdowns> records_;
  std::atomic<bool> thread_running_{false};
  std::thread::id thread_id_;
};

std::int64_t checked_grace_ns(std::chrono::duration<double> grace) {
  const double seconds = grace.count();
  if (std::isnan(seconds)) throw std::invalid_argument("shutdown grace is NaN");
  if (seconds < 0) throw std::invalid_argument("shutdown grace must be non-negative");
  if (!(seconds < 9.2e9)) throw std::out_of_range("shutdown grace is too large");
  const double ns = std::ceil(seconds * 1e9);
  return seconds > 0 && ns < 1 ? 1 : static_cast<std::int64_t>(ns);
}

}  // namespace
}  // namespace detail

shutdown::shutdown(shutdown_options options) {
  const std::int64_t grace_ns = detail::checked_grace_ns(options.grace);
  auto& service = detail::shutdown_service::instance();
  // The set is checked before anything is armed; the slot is armed before the subscription
  // takes the OS actions, so that no delivery in between goes unseen.
  detail::check_subscribable(options.signals);
  slot_ = service.acquire(options, grace_ns);
  try {
    subscription_ = subscribe(options.signals, [](int) {
      detail::shutdown_service::instance().on_checkpoint();
      return verdict::handled;  // the stop is requested by sigkit's thread, not here
    });
  } catch (...) {
    service.release(slot_);
    throw;
  }
}

shutdown::~shutdown() {
  detail::shutdown_service::instance().release(slot_);
  subscription_.reset();
}

std::stop_token shutdown::token() const noexcept {
  return detail::shutdown_service::instance().token(slot_);
}

bool shutdown::requested() const noexcept {
  return detail::shutdown_slots[slot_].phase.load(std::memory_order_acquire) != 0;
}

std::optional<siginfo> shutdown::reason() const {
  const auto& slot = detail::shutdown_slots[slot_];
  std::uint32_t phase = slot.phase.load(std::memory_order_acquire);
  if (phase == 0) return std::nullopt;
  while (phase != 2) {  // the first delivery is being recorded right now (signal context)
    std::this_thread::yield();
    phase = slot.phase.load(std::memory_order_acquire);
  }
  return slot.reason;
}

void shutdown::wait() {
  if (detail::is_main_thread()) {
    while (!requested()) {
      check_signals();
      if (requested()) break;
      detail::wait_for_delivery();
    }
  }
  detail::shutdown_service::instance().wait_stopped(slot_);
}

}  // namespace sigkit
