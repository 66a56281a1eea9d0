// Tests for sigkit/mask.hpp: pthread_sigmask, sigpending, block, scoped_block.
#include "sigkit/mask.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "sigkit/wait.hpp"

namespace {

using sigkit::signal_set;

// The signatures API.md fixes.
static_assert(
    std::is_same_v<decltype(&sigkit::pthread_sigmask), signal_set (*)(int, const signal_set&)>);
static_assert(std::is_same_v<decltype(&sigkit::sigpending), signal_set (*)()>);

signal_set current_mask() {
  sigset_t now;
  EXPECT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &now), 0);
  return signal_set::from_native(now);
}

bool is_blocked(int signo) { return current_mask().contains(signo); }

struct handler_error : std::runtime_error {
  handler_error() : std::runtime_error("handler_error") {}
};

template <class F>
int expect_system_error(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().category(), std::system_category());
    return e.code().value();
  } catch (...) {
    ADD_FAILURE() << "unexpected exception type";
    return -1;
  }
  ADD_FAILURE() << "no exception";
  return 0;
}

TEST(MaskTest, BlockReturnsOldMask) {
  ASSERT_FALSE(is_blocked(SIGUSR1));
  const signal_set old = sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  EXPECT_FALSE(old.contains(SIGUSR1));
  EXPECT_TRUE(is_blocked(SIGUSR1));
  const signal_set again = sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  EXPECT_TRUE(again.contains(SIGUSR1));
  EXPECT_FALSE(again.contains(SIGUSR2));
  EXPECT_TRUE(is_blocked(SIGUSR2));
  sigkit::pthread_sigmask(SIG_SETMASK, old);
  EXPECT_FALSE(is_blocked(SIGUSR1));
  EXPECT_FALSE(is_blocked(SIGUSR2));
}

TEST(MaskTest, EmptyBlockReadsTheMask) {
  const signal_set before = current_mask();
  EXPECT_EQ(sigkit::pthread_sigmask(SIG_BLOCK, {}), before);
  EXPECT_EQ(current_mask(), before);
  ::sigset_t raw;
  sigemptyset(&raw);
  sigaddset(&raw, SIGRTMIN + 2);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &raw, nullptr), 0);
  EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}).contains(SIGRTMIN + 2));
}

TEST(MaskTest, Unblock) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1, SIGUSR2});
  const signal_set old = sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1});
  EXPECT_TRUE(old.contains(SIGUSR1));
  EXPECT_TRUE(old.contains(SIGUSR2));
  EXPECT_FALSE(is_blocked(SIGUSR1));
  EXPECT_TRUE(is_blocked(SIGUSR2));
}

TEST(MaskTest, SetMask) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  const signal_set old = sigkit::pthread_sigmask(SIG_SETMASK, {SIGUSR2, SIGRTMAX});
  EXPECT_TRUE(old.contains(SIGUSR1));
  EXPECT_EQ(current_mask(), (signal_set{SIGUSR2, SIGRTMAX}));
  sigkit::pthread_sigmask(SIG_SETMASK, {});
  EXPECT_TRUE(current_mask().empty());
}

TEST(MaskTest, KillAndStopCanBeListedButAreNeverBlocked) {
  const signal_set old = sigkit::pthread_sigmask(SIG_BLOCK, {SIGKILL, SIGSTOP, SIGUSR1});
  const signal_set now = current_mask();
  EXPECT_FALSE(now.contains(SIGKILL));
  EXPECT_FALSE(now.contains(SIGSTOP));
  EXPECT_TRUE(now.contains(SIGUSR1));
  sigkit::pthread_sigmask(SIG_SETMASK, old);
}

TEST(MaskTest, BadHowIsEinval) {
  const signal_set before = current_mask();
  for (const int how : {-1, 3, 1700}) {
    EXPECT_EQ(expect_system_error([how] { sigkit::pthread_sigmask(how, {SIGUSR1}); }), EINVAL)
        << how;
  }
  EXPECT_EQ(current_mask(), before);
}

TEST(MaskTest, OnlyTheCallingThreadIsAffected) {
  std::atomic<bool> thread_blocked{false};
  std::thread t([&] {
    sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
    thread_blocked = is_blocked(SIGUSR2);
  });
  t.join();
  EXPECT_TRUE(thread_blocked);
  EXPECT_FALSE(is_blocked(SIGUSR2));
}

TEST(MaskTest, UnblockingAPendingSignalRunsItsHandlerBeforeReturning) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 0) << "a blocked signal must not be handled";
  sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1});
  EXPECT_EQ(calls, 1);
}

TEST(MaskTest, PthreadSigmaskIsACheckpointEvenWhenNothingIsUnblocked) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR1), 0);  // recorded, not yet handled
  EXPECT_EQ(calls, 0);
  static_cast<void>(sigkit::pthread_sigmask(SIG_BLOCK, {}));
  EXPECT_EQ(calls, 1);
}

TEST(MaskTest, HandlerExceptionPropagatesFromPthreadSigmask) {
  sigkit::signal(SIGUSR1, [](int) { throw handler_error(); });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_THROW(sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1}), handler_error);
  // The mask was changed all the same.
  EXPECT_FALSE(is_blocked(SIGUSR1));
}

TEST(MaskTest, SigpendingIsEmptyWhenNothingIsPending) { EXPECT_TRUE(sigkit::sigpending().empty()); }

TEST(MaskTest, SigpendingShowsBlockedPendingSignals) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1, SIGUSR2, SIGRTMIN});
  ASSERT_EQ(::raise(SIGUSR1), 0);              // thread-directed
  ASSERT_EQ(::kill(::getpid(), SIGRTMIN), 0);  // process-directed
  EXPECT_EQ(sigkit::sigpending(), (signal_set{SIGUSR1, SIGRTMIN}));
  EXPECT_EQ(sigkit::sigwait({SIGUSR1}), SIGUSR1);
  EXPECT_EQ(sigkit::sigwait({SIGRTMIN}), SIGRTMIN);
  EXPECT_TRUE(sigkit::sigpending().empty());
}

TEST(MaskTest, SigpendingIsNotACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_TRUE(sigkit::sigpending().contains(SIGUSR2));
  EXPECT_EQ(calls, 0);
}

TEST(MaskTest, BlockReturnsOldMaskAndBlocks) {
  const signal_set before = current_mask();
  const signal_set old = sigkit::block({SIGUSR1, SIGRTMIN + 1});
  EXPECT_EQ(old, before);
  EXPECT_TRUE(is_blocked(SIGUSR1));
  EXPECT_TRUE(is_blocked(SIGRTMIN + 1));
  const signal_set old2 = sigkit::block({SIGUSR2});
  EXPECT_TRUE(old2.contains(SIGUSR1));
  EXPECT_TRUE(is_blocked(SIGUSR1));  // block only adds
  static_assert(noexcept(sigkit::block(signal_set{})));
}

TEST(MaskTest, BlockIsNotACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR1), 0);  // recorded, not yet handled
  EXPECT_EQ(calls, 0);
  sigkit::block({SIGUSR2});
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(ScopedBlockTest, BlocksAndRestores) {
  const signal_set before = current_mask();
  {
    const sigkit::scoped_block guard({SIGUSR1, SIGALRM});
    EXPECT_TRUE(is_blocked(SIGUSR1));
    EXPECT_TRUE(is_blocked(SIGALRM));
    EXPECT_EQ(guard.previous(), before);
  }
  EXPECT_EQ(current_mask(), before);
}

TEST(ScopedBlockTest, RestoresExactlyWhenAlreadyBlocked) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  const signal_set before = current_mask();
  {
    const sigkit::scoped_block guard({SIGUSR1, SIGUSR2});
    EXPECT_TRUE(guard.previous().contains(SIGUSR1));
    EXPECT_FALSE(guard.previous().contains(SIGUSR2));
  }
  // SIGUSR1 was blocked before the guard and stays blocked.
  EXPECT_TRUE(is_blocked(SIGUSR1));
  EXPECT_FALSE(is_blocked(SIGUSR2));
  EXPECT_EQ(current_mask(), before);
}

TEST(ScopedBlockTest, Nests) {
  const signal_set before = current_mask();
  {
    const sigkit::scoped_block outer({SIGUSR1});
    {
      const sigkit::scoped_block inner({SIGUSR2});
      EXPECT_TRUE(is_blocked(SIGUSR1));
      EXPECT_TRUE(is_blocked(SIGUSR2));
      EXPECT_TRUE(inner.previous().contains(SIGUSR1));
    }
    EXPECT_TRUE(is_blocked(SIGUSR1));
    EXPECT_FALSE(is_blocked(SIGUSR2));
  }
  EXPECT_EQ(current_mask(), before);
}

TEST(ScopedBlockTest, DefersDeliveryUntilTheEndOfTheScope) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  {
    const sigkit::scoped_block guard({SIGUSR1});
    ASSERT_EQ(::raise(SIGUSR1), 0);
    EXPECT_TRUE(sigkit::sigpending().contains(SIGUSR1));
    sigkit::check_signals();
    EXPECT_EQ(calls, 0);
  }
  // Delivered when the mask was restored; the handler runs at the next checkpoint.
  EXPECT_FALSE(sigkit::sigpending().contains(SIGUSR1));
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

}  // namespace
