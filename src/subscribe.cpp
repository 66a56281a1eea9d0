// subscribe: many subscribers per signal (subscribe.hpp), a policy on the registry, which
// owns the subscriber stacks and the OS actions, and the dispatcher, which runs them.
#include "sigkit/subscribe.hpp"

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/subscribers.hpp"
#include "detail/util.hpp"

namespace sigkit::detail {

std::uint64_t check_subscribable(const signal_set& signals) {
  const std::uint64_t bits = bits_of(signals);  // one pass over the set, then its members only
  if (bits == 0) throw std::invalid_argument("cannot subscribe to an empty signal set");
  for (std::uint64_t rest = bits; rest != 0; rest &= rest - 1) {
    const int s = std::countr_zero(rest) + 1;
    if (!can_be_caught(s)) {
      throw std::invalid_argument("cannot subscribe to " + describe_signal(s) +
                                  ": it cannot be caught");
    }
    if (is_reserved_number(s)) {
      throw std::invalid_argument("cannot subscribe to " + describe_signal(s) +
                                  ": the number is reserved by the C library");
    }
  }
  return bits;
}

std::shared_ptr<subscriber_node> add_subscriber(const signal_set& signals, subscriber_function fn) {
  const std::uint64_t bits = check_subscribable(signals);
  if (!fn.fn) throw std::invalid_argument("cannot subscribe an empty function");
  auto node = std::make_shared<subscriber_node>(std::move(fn), bits);
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
