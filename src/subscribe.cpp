// subscribe: many subscribers per signal (subscribe.hpp), a policy on the registry, which
// owns the subscriber stacks and the OS actions, and the dispatcher, which runs them.
#include "sigkit/subscribe.hpp"

#include <stdexcept>
#include <string>

#include "detail/registry.hpp"
#include "detail/subscribers.hpp"
#include "detail/util.hpp"

namespace sigkit::detail {

void check_subscribable(const signal_set& signals) {
  if (signals.empty()) throw std::invalid_argument("cannot subscribe to an empty signal set");
  const signal_set valid = valid_signals();
  for (int s = 1; s < NSIG; ++s) {
    if (!signals.contains(s)) continue;
    if (s == SIGKILL || s == SIGSTOP) {
      throw std::invalid_argument("cannot subscribe to " + describe_signal(s) +
                                  ": it cannot be caught");
    }
    if (!valid.contains(s)) {
      throw std::invalid_argument("cannot subscribe to " + describe_signal(s) +
                                  ": the number is reserved by the C library");
    }
  }
}

std::shared_ptr<subscriber_node> add_subscriber(const signal_set& signals, subscriber_function fn) {
  check_subscribable(signals);
  if (!fn.fn) throw std::invalid_argument("cannot subscribe an empty function");
  auto node = std::make_shared<subscriber_node>(std::move(fn), signals);
  attach_subscriber(node);
  return node;
}

void remove_subscriber(const std::shared_ptr<subscriber_node>& node) noexcept {
  static_cast<void>(detach_subscriber(*node));
  // A call already running on the main thread finishes before reset() returns elsewhere
  // (never wait on the main thread itself: that is where the call runs).
  if (is_main_thread()) return;
  for (;;) {
    const unsigned state = node->state.load(std::memory_order_acquire);
    if ((state & subscriber_node::kRunning) == 0) return;
    node->state.wait(state, std::memory_order_acquire);
  }
}

}  // namespace sigkit::detail
