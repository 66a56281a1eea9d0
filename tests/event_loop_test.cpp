// Tests of sigkit/event_loop.hpp against API.md Part 2, "Event loops": notify_fd() and
// dispatch(), readiness, threads, fork, and that the opt-in keeps what Part 1 lets a program
// observe.
#include "sigkit/event_loop.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/testing.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

bool readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

// Waits on the notify fd and dispatches until `done()` (bounded).
template <class Pred>
bool loop_until(Pred done, std::chrono::milliseconds timeout = 5000ms) {
  const int fd = sigkit::notify_fd();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (readable(fd, 50)) sigkit::dispatch();
  }
  return true;
}

TEST(NotifyFdTest, IsOneNonBlockingFdForTheLifeOfTheProcess) {
  const int fd = sigkit::notify_fd();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sigkit::notify_fd(), fd);
  int other = -1;
  std::thread([&] { other = sigkit::notify_fd(); }).join();
  EXPECT_EQ(other, fd);
  const int flags = ::fcntl(fd, F_GETFL);
  EXPECT_NE(flags & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_FALSE(readable(fd));
}

TEST(NotifyFdTest, ReadableWhileADeliveryWaitsAndNotAfterDispatch) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const int fd = sigkit::notify_fd();
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_TRUE(readable(fd, 1000));
  EXPECT_EQ(calls, 0);
  sigkit::dispatch();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(readable(fd));
  sigkit::dispatch();  // nothing pending: nothing runs
  EXPECT_EQ(calls, 1);
}

TEST(NotifyFdTest, SiginfoHandlersGetEveryDeliveryWithItsFieldsInOrder) {
  std::vector<int> values;
  pid_t pid = 0;
  sigkit::signal(SIGRTMIN, [&](const sigkit::siginfo& info) {
    values.push_back(info.value.sival_int);
    pid = info.pid;
  });
  static_cast<void>(sigkit::notify_fd());
  for (int v = 0; v < 100; ++v) {
    sigval value{};
    value.sival_int = v;
    ASSERT_EQ(::sigqueue(::getpid(), SIGRTMIN, value), 0);
  }
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();
  ASSERT_TRUE(loop_until([&] { return values.size() == 100; })) << values.size();
  for (int v = 0; v < 100; ++v) EXPECT_EQ(values[static_cast<std::size_t>(v)], v);
  EXPECT_EQ(pid, ::getpid());
}

TEST(NotifyFdTest, SubscribersRunThroughDispatch) {
  std::vector<int> order;
  auto a = sigkit::subscribe({SIGUSR2}, [&](int) { order.push_back(1); });
  auto b = sigkit::subscribe({SIGUSR2}, [&](const sigkit::siginfo&) { order.push_back(2); });
  static_cast<void>(sigkit::notify_fd());
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
  ASSERT_TRUE(loop_until([&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(NotifyFdTest, AnInjectedDeliveryMakesItReadable) {
  int pid = 0;
  sigkit::signal(SIGUSR1, [&](const sigkit::siginfo& info) { pid = info.pid; });
  const int fd = sigkit::notify_fd();
  sigkit::siginfo info;
  info.signo = SIGUSR1;
  info.pid = 777;
  ASSERT_TRUE(sigkit::testing::inject(info));
  EXPECT_TRUE(readable(fd, 1000));
  sigkit::dispatch();
  EXPECT_EQ(pid, 777);
}

TEST(NotifyFdTest, ADeliveryToAnotherThreadMakesItReadable) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const int fd = sigkit::notify_fd();
  std::thread([] { ::pthread_kill(::pthread_self(), SIGUSR1); }).join();
  EXPECT_TRUE(readable(fd, 2000));
  ASSERT_TRUE(loop_until([&] { return calls.load() == 1; }));
}

TEST(NotifyFdTest, DeliveriesBeforeTheOptInMakeItReadableAtOnce) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  const int fd = sigkit::notify_fd();
  EXPECT_TRUE(readable(fd, 1000));
  sigkit::dispatch();
  EXPECT_EQ(calls, 1);
}

TEST(NotifyFdTest, DispatchFromAnotherThreadThrows) {
  static_cast<void>(sigkit::notify_fd());
  bool threw = false;
  std::thread([&] {
    try {
      sigkit::dispatch();
    } catch (const std::invalid_argument&) {
      threw = true;
    }
  }).join();
  EXPECT_TRUE(threw);
}

TEST(NotifyFdTest, AnExceptionFromAHandlerPropagatesOutOfDispatch) {
  sigkit::signal(SIGUSR1, [](int) { throw std::runtime_error("from the handler"); });
  int later = 0;
  sigkit::signal(SIGUSR2, [&](int) { ++later; });
  static_cast<void>(sigkit::notify_fd());
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
  ASSERT_TRUE(readable(sigkit::notify_fd(), 1000));
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) {  // both deliveries may take more than one wakeup
          sigkit::dispatch();
          std::this_thread::sleep_for(1ms);
        }
      },
      std::runtime_error);
  ASSERT_TRUE(loop_until([&] { return later == 1; }));
}

TEST(NotifyFdTest, AForkChildHasItsOwnChannelUnderTheSameNumber) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const int fd = sigkit::notify_fd();
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  ASSERT_TRUE(readable(fd, 1000));  // the parent's delivery waits
  const int status = sigkit_test::run_in_child([&] {
    if (sigkit::notify_fd() != fd) return 1;
    if (readable(fd)) return 2;  // nothing of the parent's is seen
    sigkit::dispatch();
    if (calls != 0) return 3;
    if (::kill(::getpid(), SIGUSR1) != 0) return 4;
    if (!readable(fd, 2000)) return 5;
    sigkit::dispatch();
    return calls == 1 ? 0 : 6;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  EXPECT_TRUE(readable(fd));  // the child's dispatch took nothing from the parent
  sigkit::dispatch();
  EXPECT_EQ(calls, 1);
}

TEST(NotifyFdTest, TwentyThousandQueuedSignalsAllArriveThroughTheLoop) {
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();
  constexpr int kCount = 20000;
  std::vector<int> values;
  values.reserve(kCount);
  sigkit::signal(SIGRTMIN,
                 [&](const sigkit::siginfo& info) { values.push_back(info.value.sival_int); });
  static_cast<void>(sigkit::notify_fd());
  const pid_t parent = ::getpid();
  const pid_t sender = ::fork();
  ASSERT_GE(sender, 0);
  if (sender == 0) {
    for (int v = 0; v < kCount; ++v) {
      sigval value{};
      value.sival_int = v;
      while (::sigqueue(parent, SIGRTMIN, value) != 0) {
        if (errno != EAGAIN) _exit(2);
        ::usleep(100);
      }
    }
    _exit(0);
  }
  const bool all = loop_until(
      [&] {
        return static_cast<int>(values.size() + sigkit::dropped_deliveries(SIGRTMIN)) >= kCount;
      },
      30000ms);
  int status = 0;
  ::waitpid(sender, &status, 0);
  ASSERT_TRUE(all) << values.size();
  EXPECT_EQ(sigkit::dropped_deliveries(SIGRTMIN), 0U);
  ASSERT_EQ(values.size(), static_cast<std::size_t>(kCount));
  for (int v = 0; v < kCount; ++v) ASSERT_EQ(values[static_cast<std::size_t>(v)], v);
}

}  // namespace
