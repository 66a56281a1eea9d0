// sigkit/subscribe.hpp - many subscribers per signal: a stack above Python's one disposition.
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"

namespace sigkit {

/// What a subscriber decided about one delivery. Only if every subscriber of a signal
/// returns `pass` does the disposition beneath (the one set with signal(), or the one found
/// before sigkit) run for that delivery.
enum class verdict {
  handled,  ///< the delivery is dealt with: nothing beneath runs
  pass,     ///< let the next subscriber, and then the disposition beneath, have it
};

namespace detail {
struct subscriber_node;

/// A subscriber, type-erased: `fn` always receives the delivery's siginfo; `takes_siginfo`
/// says whether the user's callable wanted it (once per delivery) or only the number (once
/// per checkpoint, however many deliveries coalesced).
struct subscriber_function {
  std::function<verdict(const siginfo&)> fn;
  bool takes_siginfo = false;
};

template <class F>
concept int_subscriber = std::invocable<F&, int>;
template <class F>
concept siginfo_subscriber = !int_subscriber<F> && std::invocable<F&, const siginfo&>;

template <class R>
constexpr bool is_subscriber_return = std::same_as<R, void> || std::same_as<R, verdict>;

/// Registers `fn` for every signal of `signals` (validated first: nothing is subscribed on
/// error). Returns the node the subscription owns.
std::shared_ptr<subscriber_node> add_subscriber(const signal_set& signals, subscriber_function fn);
/// Unsubscribes `node`; idempotent. Waits for a call of it running on the main thread to
/// finish when called from another thread (never from the main thread itself).
void remove_subscriber(const std::shared_ptr<subscriber_node>& node) noexcept;

template <class F>
subscriber_function make_subscriber_function(F&& f) {
  using D = std::decay_t<F>;
  subscriber_function result;
  if constexpr (int_subscriber<D>) {
    using R = std::invoke_result_t<D&, int>;
    static_assert(is_subscriber_return<R>, "a subscriber returns void or sigkit::verdict");
    result.fn = [g = D(std::forward<F>(f))](const siginfo& info) mutable -> verdict {
      if constexpr (std::same_as<R, void>) {
        std::invoke(g, info.signo);
        return verdict::handled;
      } else {
        return std::invoke(g, info.signo);
      }
    };
    result.takes_siginfo = false;
  } else {
    using R = std::invoke_result_t<D&, const siginfo&>;
    static_assert(is_subscriber_return<R>, "a subscriber returns void or sigkit::verdict");
    result.fn = [g = D(std::forward<F>(f))](const siginfo& info) mutable -> verdict {
      if constexpr (std::same_as<R, void>) {
        std::invoke(g, info);
        return verdict::handled;
      } else {
        return std::invoke(g, info);
      }
    };
    result.takes_siginfo = true;
  }
  return result;
}
}  // namespace detail

/// A move-only RAII handle of one subscription: destroying it (or reset()) unsubscribes.
/// When the last subscription of a signal ends and no sigkit handler was set with signal(),
/// the OS disposition becomes exactly what it was before the first subscription.
/// Thread safety: one object must not be used from two threads at once; distinct
/// subscriptions may be made and reset from any threads, also from inside a subscriber.
/// Signal safety: not async-signal-safe.
class subscription {
 public:
  /// An inactive subscription (active() is false).
  subscription() noexcept = default;
  /// Takes over `other`'s subscription; `other` becomes inactive.
  subscription(subscription&& other) noexcept = default;
  /// Unsubscribes what this object held, then takes over `other`'s subscription.
  subscription& operator=(subscription&& other) noexcept {
    if (this != &other) {
      reset();
      node_ = std::move(other.node_);
    }
    return *this;
  }
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  /// Unsubscribes (reset()).
  ~subscription() { reset(); }

  /// Unsubscribes at once: the subscriber is never called after reset() has returned on the
  /// main thread. From another thread, reset() waits for a call of this subscriber that is
  /// running on the main thread to finish (as std::stop_callback's destructor does), so the
  /// objects it uses may be destroyed afterwards. Idempotent.
  /// Thread safety: safe (any thread, also inside a subscriber). Signal safety: not
  /// async-signal-safe.
  void reset() noexcept {
    if (node_) {
      detail::remove_subscriber(node_);
      node_.reset();
    }
  }

  /// True from subscribe() until reset() or destruction.
  /// Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] bool active() const noexcept { return static_cast<bool>(node_); }

 private:
  template <class F>
  friend subscription subscribe(const signal_set& signals, F&& f);
  explicit subscription(std::shared_ptr<detail::subscriber_node> node) noexcept
      : node_(std::move(node)) {}
  std::shared_ptr<detail::subscriber_node> node_;
};

/// Subscribes `f` to every signal in `signals`. `f` is invocable with (int) (called once per
/// checkpoint however many deliveries coalesced) or only with (const siginfo&) (called once
/// per delivery with that delivery's sender and payload), and returns void (= handled) or a
/// verdict. Subscribers run deferred like signal() handlers: on the main thread at
/// checkpoints, newest first; a subscription made inside a subscriber is first called for the
/// next delivery. Only if every subscriber returns verdict::pass does the disposition beneath
/// run (signal()'s handler; SIG_DFL's action for real; nothing for SIG_IGN; a foreign C
/// handler found before sigkit, called in normal context). getsignal() is unchanged.
/// Thread safety: safe (any thread, also inside a subscriber). Signal safety: not
/// async-signal-safe.
/// Errors: std::invalid_argument for an empty set, SIGKILL, SIGSTOP or a reserved number
/// (32, 33) in the set (nothing is subscribed); std::system_error if the OS refuses.
template <class F>
[[nodiscard]] subscription subscribe(const signal_set& signals, F&& f) {
  static_assert(
      detail::int_subscriber<std::decay_t<F>> || detail::siginfo_subscriber<std::decay_t<F>>,
      "a subscriber is invocable with (int) or with (const sigkit::siginfo&)");
  return subscription(
      detail::add_subscriber(signals, detail::make_subscriber_function(std::forward<F>(f))));
}

}  // namespace sigkit
