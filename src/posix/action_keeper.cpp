// action_keeper: routes the registry's sigaction calls through the action keeper (see
// detail/action_keeper.hpp).
#include "detail/action_keeper.hpp"

#include <sched.h>

#include <atomic>
#include <cerrno>

#include "detail/syscalls.hpp"

namespace sigkit::detail {
namespace {

constinit std::atomic<const action_keeper*> keeper{nullptr};
constinit std::atomic<bool> hand_over_lock{false};

}  // namespace

void set_action_keeper(const action_keeper* k) noexcept {
  keeper.store(k, std::memory_order_release);
}

void lock_os_actions() noexcept {
  while (hand_over_lock.exchange(true, std::memory_order_acquire)) ::sched_yield();
}

void unlock_os_actions() noexcept { hand_over_lock.store(false, std::memory_order_release); }

int peek_os_action(int signo, struct sigaction* old) noexcept {
  if (sys.sigaction(signo, nullptr, old) != 0) return -1;
  const action_keeper* k = keeper.load(std::memory_order_acquire);
  if (k != nullptr && k->keeps(signo, *old)) return k->exchange_beneath(signo, nullptr, old);
  return 0;
}

int os_action(int signo, const struct sigaction* act, struct sigaction* old) noexcept {
  if (act == nullptr) return peek_os_action(signo, old);
  lock_os_actions();
  int result = 0;
  const action_keeper* k = keeper.load(std::memory_order_acquire);
  struct sigaction now {};
  if (k != nullptr && sys.sigaction(signo, nullptr, &now) == 0 && k->keeps(signo, now)) {
    result = k->exchange_beneath(signo, act, old);
  } else {
    result = sys.sigaction(signo, act, old);
  }
  const int err = errno;
  unlock_os_actions();
  errno = err;
  return result;
}

void reset_os_action_lock_after_fork() noexcept {
  hand_over_lock.store(false, std::memory_order_relaxed);
}

}  // namespace sigkit::detail
