// Tests of sigkit/testing.hpp against API.md Part 2, "Test injection" and its bullet in
// "Details that are fixed (Part 2)".
#include "sigkit/testing.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/wakeup.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

sigkit::siginfo made_up(int signo) {
  sigkit::siginfo info;
  info.signo = signo;
  info.code = SI_QUEUE;
  info.error = 5;
  info.pid = 31337;
  info.uid = 4242;
  info.status = 3;
  info.band = 17;
  info.value.sival_int = -8;
  return info;
}

TEST(InjectTest, HandlersSeeTheInjectedFieldsAtTheNextCheckpoint) {
  std::vector<sigkit::siginfo> seen;
  sigkit::signal(SIGUSR1, [&](const sigkit::siginfo& info) { seen.push_back(info); });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1)));
  EXPECT_TRUE(seen.empty());  // recorded, not run
  sigkit::check_signals();
  ASSERT_EQ(seen.size(), 1U);
  const sigkit::siginfo expected = made_up(SIGUSR1);
  EXPECT_EQ(seen[0].signo, expected.signo);
  EXPECT_EQ(seen[0].code, expected.code);
  EXPECT_EQ(seen[0].error, expected.error);
  EXPECT_EQ(seen[0].pid, expected.pid);
  EXPECT_EQ(seen[0].uid, expected.uid);
  EXPECT_EQ(seen[0].status, expected.status);
  EXPECT_EQ(seen[0].band, expected.band);
  EXPECT_EQ(seen[0].value.sival_int, expected.value.sival_int);
}

TEST(InjectTest, IntHandlersAndSubscribersRunToo) {
  int handler_calls = 0;
  int subscriber_calls = 0;
  sigkit::signal(SIGUSR2, [&](int) { ++handler_calls; });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR2)));
  sigkit::check_signals();
  EXPECT_EQ(handler_calls, 1);
  auto sub = sigkit::subscribe({SIGALRM}, [&](const sigkit::siginfo& info) {
    EXPECT_EQ(info.pid, 31337);
    ++subscriber_calls;
  });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGALRM)));
  sigkit::check_signals();
  EXPECT_EQ(subscriber_calls, 1);
}

TEST(InjectTest, FalseWhenNothingOfSigkitsTakesTheSignal) {
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGUSR1)));  // SIG_DFL
  sigkit::signal(SIGUSR1, SIG_IGN);
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGUSR1)));
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGKILL)));
  EXPECT_FALSE(sigkit::testing::inject(made_up(32)));
  sigkit::check_signals();
  EXPECT_EQ(sigkit::sigpending().size(), 0U);
}

TEST(InjectTest, OutOfRangeThrows) {
  EXPECT_THROW(sigkit::testing::inject(made_up(0)), std::invalid_argument);
  EXPECT_THROW(sigkit::testing::inject(made_up(NSIG)), std::invalid_argument);
  EXPECT_THROW(sigkit::testing::inject(made_up(-3)), std::invalid_argument);
}

TEST(InjectTest, RecordedForASignalBlockedInTheCallerWithoutTouchingTheMask) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const sigkit::scoped_block blocked({SIGUSR1});
  const sigkit::signal_set mask_before = sigkit::pthread_sigmask(SIG_BLOCK, {});
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1)));
  EXPECT_EQ(sigkit::sigpending().size(), 0U);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}) == mask_before);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_callable());
}

TEST(InjectTest, FromAnotherThreadWakesAMainThreadPause) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  std::thread injector([] {
    std::this_thread::sleep_for(30ms);
    static_cast<void>(sigkit::testing::inject(made_up(SIGUSR1)));
  });
  sigkit::pause();  // returns once the injected delivery's handler has run
  injector.join();
  EXPECT_EQ(calls, 1);
}

TEST(InjectTest, WritesTheWakeupFdAsARealDeliveryWould) {
  sigkit_test::pipe_pair pipe;
  sigkit::signal(SIGUSR2, [](int) {});
  sigkit::set_wakeup_fd(pipe.write_end);
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR2)));
  EXPECT_EQ(sigkit_test::drain_fd(pipe.read_end), std::string(1, static_cast<char>(SIGUSR2)));
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGUSR1)));  // no sigkit handler: no byte
  EXPECT_EQ(sigkit_test::drain_fd(pipe.read_end), "");
  sigkit::set_wakeup_fd(-1);
  sigkit::check_signals();
}

TEST(InjectTest, AnInjectedFaultSignalIsDeferredNotFatal) {
  int calls = 0;
  sigkit::signal(SIGSEGV, [&](const sigkit::siginfo& info) {
    EXPECT_EQ(info.code, SEGV_MAPERR);
    ++calls;
  });
  sigkit::siginfo fault = made_up(SIGSEGV);
  fault.code = SEGV_MAPERR;
  ASSERT_TRUE(sigkit::testing::inject(fault));
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(InjectTest, AFullQueueCountsTheDeliveryAsDropped) {
  std::size_t calls = 0;
  sigkit::signal(SIGUSR1, [&](const sigkit::siginfo&) { ++calls; });
  const std::size_t total = 4096 + 10;  // more than the queue holds
  for (std::size_t i = 0; i < total; ++i) ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1)));
  sigkit::check_signals();
  EXPECT_EQ(calls + sigkit::dropped_deliveries(SIGUSR1), total);
  EXPECT_GT(sigkit::dropped_deliveries(SIGUSR1), 0U);
}

}  // namespace
