// sigkit/asio.hpp - Boost.Asio adapter: waiting for signals as Asio asynchronous operations,
// and running sigkit's deferred handlers inside an io_context.
//
// Header-only; CMake target sigkit::asio (exists when Boost >= 1.74 is found). Not part of the
// umbrella header <sigkit/sigkit.hpp>, which depends on nothing. See docs/event_loops.md.
#pragma once

#include <boost/version.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>

#if BOOST_VERSION >= 107700
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/cancellation_type.hpp>
/// 1 when async_wait() supports per-operation cancellation (Boost >= 1.77), else 0.
#define SIGKIT_ASIO_HAS_CANCELLATION 1
#else
#define SIGKIT_ASIO_HAS_CANCELLATION 0
#endif

#include <signal.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "sigkit/dispatch.hpp"
#include "sigkit/event_loop.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/subscribe.hpp"

/// The Boost.Asio adapter (header-only, CMake target sigkit::asio): signals awaited as Asio
/// asynchronous operations, and sigkit's deferred handlers run inside an io_context.
namespace sigkit::asio {

// Implementation, not part of the API reference:
/// @cond SIGKIT_DETAIL
namespace detail {

namespace net = ::boost::asio;

class wait_state;

/// The watcher of one execution context: while it has users (attachments and pending waits)
/// a posix::stream_descriptor on sigkit::notify_fd() keeps one async_wait(wait_read) in
/// flight, and each readiness runs sigkit::dispatch() in that context, then waits again.
/// Asio's wait completes when the descriptor is readable, also if it already was when the
/// wait started (its epoll reactor re-arms the descriptor with EPOLL_CTL_MOD, which reports
/// present readiness), so a delivery that comes between dispatch() and the next wait is not
/// missed. Shared by the context's service, the attachments and the waits, so that any of
/// them may outlive the others.
class watch_core : public std::enable_shared_from_this<watch_core> {
 public:
  /// One user of the watcher (RAII): an attachment or a pending wait.
  class token {
   public:
    token() noexcept = default;
    explicit token(std::shared_ptr<watch_core> core) noexcept : core_(std::move(core)) {}
    token(token&& other) noexcept = default;
    token& operator=(token&& other) noexcept {
      if (this != &other) {
        reset();
        core_ = std::move(other.core_);
      }
      return *this;
    }
    token(const token&) = delete;
    token& operator=(const token&) = delete;
    ~token() { reset(); }
    void reset() noexcept {
      if (core_) {
        core_->remove_user();
        core_.reset();
      }
    }
    [[nodiscard]] bool active() const noexcept { return static_cast<bool>(core_); }

   private:
    std::shared_ptr<watch_core> core_;
  };

  /// Adds a user; the first arms the watcher on `ex` (the context's own executor).
  /// Errors: std::system_error if notify_fd() or the descriptor cannot be set up;
  /// std::logic_error after the context was shut down.
  token add_user(const net::any_io_executor& ex) {
    const std::lock_guard lock(mutex_);
    if (!alive_) throw std::logic_error("sigkit::asio: the execution context is shut down");
    if (!descriptor_) {
      descriptor_ = std::make_unique<net::posix::stream_descriptor>(ex, sigkit::notify_fd());
    }
    ++users_;
    if (!waiting_) {
      try {
        arm_locked();
      } catch (...) {
        --users_;
        throw;
      }
    }
    return token(shared_from_this());
  }

  /// Remembers a wait, to be abandoned if the context shuts down first (an intrusive list:
  /// no allocation per wait). forget_pending() is idempotent.
  void add_pending(wait_state& state) noexcept;
  void forget_pending(wait_state& state) noexcept;

  /// Posts a finished wait's completion (`post`) unless the context is shut down; false then.
  template <class Post>
  bool post_completion(Post&& post) {
    const std::lock_guard lock(mutex_);
    if (!alive_) return false;
    std::forward<Post>(post)();
    return true;
  }

  /// The context is shutting down (its service's shutdown()): stop watching, abandon the
  /// pending waits (their handlers are destroyed uninvoked, as Asio does with its own).
  void shutdown() noexcept;

 private:
  void remove_user() noexcept {
    const std::lock_guard lock(mutex_);
    if (users_ > 0) --users_;
    if (users_ == 0 && waiting_ && descriptor_) {
      boost::system::error_code ignored;
      descriptor_->cancel(ignored);  // lets io_context::run() run out of work
    }
  }

  void arm_locked() {
    descriptor_->async_wait(
        net::posix::stream_descriptor::wait_read,
        [core = shared_from_this()](const boost::system::error_code& ec) { core->on_ready(ec); });
    waiting_ = true;
  }

  // Waits again if someone still needs it and nobody armed meanwhile.
  void rearm() {
    const std::lock_guard lock(mutex_);
    if (alive_ && users_ > 0 && !waiting_) arm_locked();
  }

  void on_ready(const boost::system::error_code& ec) {
    {
      const std::lock_guard lock(mutex_);
      waiting_ = false;
      if (!alive_ || users_ == 0) return;
      if (ec) {  // cancelled while the users came and went: wait again
        arm_locked();
        return;
      }
    }
    // Dispatch first, then wait again: waiting before the drain would report the readiness
    // being consumed here as a second, empty wakeup.
    try {
      sigkit::dispatch();  // main thread only; handlers may attach, detach and wait
    } catch (...) {
      rearm();
      throw;  // a handler's exception leaves run(), as Asio's own handlers' do
    }
    rearm();
  }

  std::mutex mutex_;
  bool alive_ = true;
  bool waiting_ = false;
  std::size_t users_ = 0;
  std::unique_ptr<net::posix::stream_descriptor> descriptor_;
  wait_state* pending_ = nullptr;  // the waits of this context, linked through the states
};

/// The per-context service that owns the watcher (net::use_service<notify_service>(ctx)).
class notify_service : public net::execution_context::service {
 public:
  /// The service's identity for use_service().
  inline static net::execution_context::id id;  // NOLINT(readability-identifier-naming)

  explicit notify_service(net::execution_context& ctx)
      : net::execution_context::service(ctx), core_(std::make_shared<watch_core>()) {}

  [[nodiscard]] const std::shared_ptr<watch_core>& core() const noexcept { return core_; }

 private:
  void shutdown() override { core_->shutdown(); }
  std::shared_ptr<watch_core> core_;
};

/// A pending wait's operation (the composed operation's `self`), type-erased.
class completion_base {
 public:
  completion_base() = default;
  completion_base(const completion_base&) = delete;
  completion_base& operator=(const completion_base&) = delete;
  virtual ~completion_base() = default;
  /// Posts the operation to its I/O executor: it then completes through its handler's
  /// associated executor.
  virtual void post() = 0;
};

template <class Self, class Executor>
class completion final : public completion_base {
 public:
  completion(Self&& self, Executor ex) : self_(std::move(self)), ex_(std::move(ex)) {}
  void post() override { net::post(ex_, std::move(self_)); }

 private:
  Self self_;
  Executor ex_;
};

/// Where a wait's subscription sends the deliveries: to the wait that owns it now. A
/// subscription can pass from a finished wait to the next one (wait_state::start).
class relay {
 public:
  explicit relay(std::weak_ptr<wait_state> target) noexcept : target_(std::move(target)) {}
  void retarget(std::weak_ptr<wait_state> target) noexcept {
    const std::lock_guard lock(mutex_);
    target_ = std::move(target);
  }
  verdict deliver(const siginfo& info);

 private:
  std::mutex mutex_;
  std::weak_ptr<wait_state> target_;
};

/// One async_wait(): a sigkit subscriber while pending. Exactly one of these ends it, under
/// `mutex_`: a delivery (the subscriber, main thread, at a checkpoint), a cancellation (the
/// operation's cancellation slot, any thread) or the context's shutdown. The subscription and
/// the watcher's token live until the state is destroyed, i.e. after the completion handler
/// has returned, so that a wait issued again from that handler overlaps with this one and no
/// delivery finds the signal without a subscriber in between. Such a wait, for the same
/// signals, takes the finished wait's subscription over instead of subscribing anew (a
/// subscriber that returns `pass` once its wait has finished: moving it to the next wait is
/// not observable, and saves a subscribe() and a reset() per wait of a loop).
class wait_state : public std::enable_shared_from_this<wait_state> {
 public:
  enum class phase { starting, pending, delivered, cancelled, abandoned };

  explicit wait_state(std::shared_ptr<watch_core> core) noexcept : core_(std::move(core)) {}
  wait_state(const wait_state&) = delete;
  wait_state& operator=(const wait_state&) = delete;
  ~wait_state() { core_->forget_pending(*this); }

  /// The subscriber: takes the delivery if still pending (handled), else passes it on.
  verdict deliver(const siginfo& info) {
    std::unique_ptr<completion_base> op;
    {
      const std::lock_guard lock(mutex_);
      if (phase_ != phase::pending) return verdict::pass;
      phase_ = phase::delivered;
      info_ = info;
      op = std::move(op_);
    }
    if (core_->post_completion([&op] { op->post(); })) return verdict::handled;
    return verdict::pass;  // the context is gone: the wait took nothing
  }

  /// The cancellation slot's handler: completes a pending wait with operation_aborted.
  void cancel() {
    std::unique_ptr<completion_base> op;
    {
      const std::lock_guard lock(mutex_);
      if (phase_ != phase::pending) return;
      phase_ = phase::cancelled;
      op = std::move(op_);
    }
    core_->post_completion([&op] { op->post(); });
  }

  /// The context shuts down: a pending wait is destroyed without completing.
  void abandon() noexcept {
    std::unique_ptr<completion_base> op;
    subscription sub;
    {
      const std::lock_guard lock(mutex_);
      if (phase_ != phase::pending) return;
      phase_ = phase::abandoned;
      op = std::move(op_);
      sub = std::move(subscription_);
    }
    sub.reset();
    op.reset();
  }

  /// The result the completion handler gets.
  std::pair<boost::system::error_code, siginfo> result() {
    const std::lock_guard lock(mutex_);
    if (phase_ == phase::delivered) return {boost::system::error_code(), info_};
    return {net::error::operation_aborted, siginfo{}};
  }

  /// Subscribes (or takes over the subscription of `finished`, the wait whose completion
  /// handler is running on this thread, if it waited for the same signals) and takes the
  /// operation. The caller holds no lock. Errors: what subscribe() throws (nothing is taken
  /// then).
  template <class Self, class Executor>
  void start(const signal_set& signals, watch_core::token token, wait_state* finished, Self& self,
             const Executor& ex) {
    const std::lock_guard lock(mutex_);  // a delivery during the start waits for its end
    signals_ = signals;
    if (!take_over(finished)) {
      relay_ = std::make_shared<relay>(weak_from_this());
      subscription_ = sigkit::subscribe(
          signals, [r = relay_](const siginfo& info) { return r->deliver(info); });
    }
    token_ = std::move(token);
    core_->add_pending(*this);
#if SIGKIT_ASIO_HAS_CANCELLATION
    // A wait has no side effect to undo: every kind of cancellation is honoured.
    self.reset_cancellation_state(net::enable_total_cancellation());
    auto slot = self.get_cancellation_state().slot();
    if (slot.is_connected()) {
      slot.assign([weak = weak_from_this()](net::cancellation_type type) {
        if (type == net::cancellation_type::none) return;
        if (const auto state = weak.lock()) state->cancel();
      });
    }
#endif
    op_ = std::make_unique<completion<Self, Executor>>(std::move(self), ex);
    phase_ = phase::pending;
  }

 private:
  friend class watch_core;

  // Takes over the subscription of `finished` (lock order: the new state, then the old one).
  bool take_over(wait_state* finished) {
    if (finished == nullptr || finished == this) return false;
    const std::lock_guard lock(finished->mutex_);
    if (!finished->subscription_.active() || !same_signals(finished->signals_, signals_)) {
      return false;
    }
    subscription_ = std::move(finished->subscription_);
    relay_ = std::move(finished->relay_);
    relay_->retarget(weak_from_this());
    return true;
  }

  // signal_set's == tests each of the 64 numbers; this compares the words that hold them
  // (glibc's sigset_t keeps signal n in bit n-1 of its array of unsigned long, and
  // sigemptyset() clears only those words: the rest of the 128 bytes is undefined).
  static bool same_signals(const signal_set& a, const signal_set& b) noexcept {
    constexpr std::size_t kBits = 8 * sizeof(unsigned long);
    constexpr std::size_t kWords = (NSIG - 1 + kBits - 1) / kBits;
    static_assert(kWords * sizeof(unsigned long) <= sizeof(sigset_t));
    return std::memcmp(&a.native(), &b.native(), kWords * sizeof(unsigned long)) == 0;
  }

  std::mutex mutex_;
  phase phase_ = phase::starting;
  siginfo info_{};
  signal_set signals_;
  std::unique_ptr<completion_base> op_;
  std::shared_ptr<relay> relay_;
  subscription subscription_;
  watch_core::token token_;
  std::shared_ptr<watch_core> core_;
  // The core's list of waits (guarded by the core's mutex).
  wait_state* prev_pending_ = nullptr;
  wait_state* next_pending_ = nullptr;
  bool listed_ = false;
};

inline verdict relay::deliver(const siginfo& info) {
  std::shared_ptr<wait_state> state;
  {
    const std::lock_guard lock(mutex_);
    state = target_.lock();
  }
  return state ? state->deliver(info) : verdict::pass;
}

inline void watch_core::add_pending(wait_state& state) noexcept {
  const std::lock_guard lock(mutex_);
  state.prev_pending_ = nullptr;
  state.next_pending_ = pending_;
  if (pending_ != nullptr) pending_->prev_pending_ = &state;
  pending_ = &state;
  state.listed_ = true;
}

inline void watch_core::forget_pending(wait_state& state) noexcept {
  const std::lock_guard lock(mutex_);
  if (!state.listed_) return;
  if (state.prev_pending_ != nullptr) {
    state.prev_pending_->next_pending_ = state.next_pending_;
  } else {
    pending_ = state.next_pending_;
  }
  if (state.next_pending_ != nullptr) state.next_pending_->prev_pending_ = state.prev_pending_;
  state.prev_pending_ = state.next_pending_ = nullptr;
  state.listed_ = false;
}

inline void watch_core::shutdown() noexcept {
  std::vector<std::shared_ptr<wait_state>> waits;
  {
    const std::lock_guard lock(mutex_);
    alive_ = false;
    for (wait_state* w = pending_; w != nullptr;) {
      wait_state* next = w->next_pending_;
      // A state whose last owner is letting go (its destructor waits for this lock) is
      // left to that destructor.
      if (auto state = w->weak_from_this().lock()) waits.push_back(std::move(state));
      w->prev_pending_ = w->next_pending_ = nullptr;
      w->listed_ = false;
      w = next;
    }
    pending_ = nullptr;
    if (descriptor_) {
      static_cast<void>(descriptor_->release());  // notify_fd() is sigkit's: never close it
      descriptor_.reset();
    }
  }
  for (const auto& state : waits) state->abandon();
}

/// The wait whose completion handler runs on this thread (wait_op), for take_over().
inline thread_local wait_state* completing_wait = nullptr;

template <class Executor>
net::execution_context& context_of(const Executor& ex) {
  return net::query(ex, net::execution::context);
}

/// The executor the watcher runs dispatch() on: the io_context's own when the executor
/// tells its context's type, else the executor itself (a strand, say: harmless).
template <class Executor>
net::any_io_executor watcher_executor(const Executor& ex) {
  using context_type = decltype(net::query(ex, net::execution::context));
  if constexpr (std::is_same_v<context_type, net::io_context&>) {
    return net::query(ex, net::execution::context).get_executor();
  } else {
    return net::any_io_executor(ex);
  }
}

inline void check_wait_set(const signal_set& signals) {
  if (signals.empty()) {
    throw std::invalid_argument("sigkit::asio::async_wait: cannot wait for an empty signal set");
  }
  if (signals.contains(SIGKILL) || signals.contains(SIGSTOP)) {
    throw std::invalid_argument("sigkit::asio::async_wait: SIGKILL and SIGSTOP cannot be caught");
  }
}

/// The composed operation of async_wait(): first call starts, the second (posted by a
/// delivery or a cancellation) completes.
template <class Executor>
struct wait_op {
  Executor ex;
  signal_set signals;
  std::shared_ptr<wait_state> state;

  template <class Self>
  void operator()(Self& self) {
    if (!state) {
      net::execution_context& ctx = context_of(ex);
      const std::shared_ptr<watch_core> core = net::use_service<notify_service>(ctx).core();
      watch_core::token token = core->add_user(watcher_executor(ex));
      auto me = std::make_shared<wait_state>(core);
      state = me;  // travels with `self` into the state (a cycle until the wait ends)
      const Executor io_ex = ex;
      const signal_set wanted = signals;
      me->start(wanted, std::move(token), completing_wait, self, io_ex);
      return;  // `self` (and this object) now belong to the state
    }
    const std::shared_ptr<wait_state> keep = state;
    auto [ec, info] = keep->result();
    struct completing_scope {  // a wait started by the handler may take our subscription
      wait_state* saved;
      explicit completing_scope(wait_state* now) noexcept : saved(completing_wait) {
        completing_wait = now;
      }
      ~completing_scope() { completing_wait = saved; }
      completing_scope(const completing_scope&) = delete;
      completing_scope& operator=(const completing_scope&) = delete;
    } scope(keep.get());
    self.complete(ec, info);
  }
};

}  // namespace detail
/// @endcond

class attachment;
/// Attaches an io_context to sigkit (defined below).
[[nodiscard]] inline attachment attach(boost::asio::io_context& ctx);

/// An attachment of an io_context to sigkit (attach()): while it lives, the context runs
/// sigkit::dispatch() whenever sigkit::notify_fd() is readable, so signal() handlers and
/// subscribers run inside that context's run(). Move-only RAII; destroying it (or reset())
/// detaches. While attached, the context does not run out of work (run() does not return
/// by itself), as with a pending wait.
/// Thread safety: one object must not be used from two threads at once.
/// Signal safety: not async-signal-safe.
class attachment {
 public:
  /// An inactive attachment.
  attachment() noexcept = default;
  /// Takes over `other`'s attachment; `other` becomes inactive.
  attachment(attachment&& other) noexcept = default;
  /// Detaches what this object held, then takes over `other`'s attachment.
  attachment& operator=(attachment&& other) noexcept = default;
  attachment(const attachment&) = delete;
  attachment& operator=(const attachment&) = delete;
  /// Detaches (reset()).
  ~attachment() = default;

  /// Detaches: the context stops watching notify_fd() unless a pending async_wait() still
  /// needs it. Idempotent; safe after the context was destroyed.
  /// Thread safety: safe from any thread. Signal safety: not async-signal-safe.
  void reset() noexcept { token_.reset(); }

  /// True from attach() until reset() or destruction.
  /// Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] bool active() const noexcept { return token_.active(); }

 private:
  // NOLINTNEXTLINE(readability-redundant-declaration)
  friend attachment attach(boost::asio::io_context& ctx);
  explicit attachment(detail::watch_core::token token) noexcept : token_(std::move(token)) {}
  detail::watch_core::token token_;
};

/// Attaches `ctx` to sigkit: while the returned handle lives, `ctx` runs sigkit::dispatch()
/// (a checkpoint) whenever sigkit::notify_fd() is readable, so every sigkit handler and
/// subscriber runs inside ctx.run(). Like every sigkit handler they run on the main thread:
/// run `ctx` there (dispatch() from another thread throws std::invalid_argument out of
/// run()). A handler's exception leaves ctx.run() (the next run() goes on). Several
/// attachments of one context share one watcher. In a fork child, call
/// ctx.notify_fork(fork_child) as Asio requires; the attachment then follows the child's
/// own notify fd.
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: std::system_error if the notify fd cannot be created or watched.
inline attachment attach(boost::asio::io_context& ctx) {
  auto& service = boost::asio::use_service<detail::notify_service>(ctx);
  return attachment(service.core()->add_user(ctx.get_executor()));
}

/// Waits asynchronously for one delivery of any signal in `signals`, with Asio's
/// completion-token model and the completion signature
/// `void(boost::system::error_code, sigkit::siginfo)`: a callback gets both; `use_future`
/// gives a std::future<siginfo>; `co_await async_wait(ex, s, use_awaitable)` yields the
/// siginfo and throws boost::system::system_error on error; `deferred` works too (Boost >=
/// 1.80). The wait is a sigkit subscriber (subscribe.hpp) from its start until its handler
/// has returned: every pending wait of a signal gets each delivery (broadcast, like all
/// subscribers), takes the first one it sees as `handled` (so the handler set with signal()
/// does not run for it) and passes on the rest. It works without attach(): while a wait is
/// pending, its context watches notify_fd() itself. The handler runs through `ex` (and its
/// associated executor); the delivery is dispatched, like every sigkit handler, on the main
/// thread: run the context there. Re-issue the wait from its handler (or a coroutine loop)
/// and no delivery can fall through between two waits.
/// Cancellation (Boost >= 1.77, SIGKIT_ASIO_HAS_CANCELLATION): any cancellation type
/// completes a pending wait with boost::asio::error::operation_aborted and an empty siginfo;
/// a cancelled wait takes nothing: a delivery it did not complete with goes to the other
/// subscribers and, if they all pass, to the disposition beneath. A wait that already took a
/// delivery completes with it. Destroying the context destroys pending waits' handlers
/// uninvoked (as Asio does).
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for an empty set or one with SIGKILL/SIGSTOP (thrown by
/// async_wait() itself); std::system_error if the OS or the notify fd setup fails.
template <class Executor,
          class CompletionToken = typename boost::asio::default_completion_token<Executor>::type>
requires boost::asio::execution::is_executor<Executor>::value auto async_wait(
    const Executor& ex, const signal_set& signals,
    CompletionToken&& token = typename boost::asio::default_completion_token<Executor>::type()) {
  detail::check_wait_set(signals);
  return boost::asio::async_compose<CompletionToken,
                                    void(boost::system::error_code, sigkit::siginfo)>(
      detail::wait_op<Executor>{ex, signals, nullptr}, token, ex);
}

/// async_wait(ex, signal_set{signalnum}, token): one signal, `async_wait(ex, SIGTERM, ...)`.
/// (With GCC 12, whose coroutines cannot hold a temporary signal_set, `co_await
/// async_wait(ex, {SIGINT, SIGTERM}, ...)` does not compile: name the set first.)
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a number outside 1..NSIG-1, a reserved one, SIGKILL or
/// SIGSTOP; otherwise as async_wait(executor, signal_set, ...).
template <class Executor,
          class CompletionToken = typename boost::asio::default_completion_token<Executor>::type>
requires boost::asio::execution::is_executor<Executor>::value auto async_wait(
    const Executor& ex, int signalnum,
    CompletionToken&& token = typename boost::asio::default_completion_token<Executor>::type()) {
  return sigkit::asio::async_wait(ex, signal_set{signum(signalnum)},
                                  std::forward<CompletionToken>(token));
}

/// async_wait(ctx.get_executor(), signals, token): the same, on an execution context.
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: as async_wait(executor, ...).
template <class ExecutionContext,
          class CompletionToken = typename boost::asio::default_completion_token<
              typename ExecutionContext::executor_type>::type>
requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
auto async_wait(ExecutionContext& ctx, const signal_set& signals,
                CompletionToken&& token = typename boost::asio::default_completion_token<
                    typename ExecutionContext::executor_type>::type()) {
  return sigkit::asio::async_wait(ctx.get_executor(), signals,
                                  std::forward<CompletionToken>(token));
}

}  // namespace sigkit::asio

namespace sigkit::asio {
/// async_wait(ctx.get_executor(), signalnum, token): one signal, on an execution context.
/// Thread safety: safe (any thread). Signal safety: not async-signal-safe.
/// Errors: as async_wait(executor, int, ...).
template <class ExecutionContext,
          class CompletionToken = typename boost::asio::default_completion_token<
              typename ExecutionContext::executor_type>::type>
requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
auto async_wait(ExecutionContext& ctx, int signalnum,
                CompletionToken&& token = typename boost::asio::default_completion_token<
                    typename ExecutionContext::executor_type>::type()) {
  return sigkit::asio::async_wait(ctx.get_executor(), signalnum,
                                  std::forward<CompletionToken>(token));
}
}  // namespace sigkit::asio
