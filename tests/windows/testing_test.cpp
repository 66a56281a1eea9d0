// Windows: testing::inject() (Part 2), deliveries with made-up fields, no signal sent.
#include "sigkit/testing.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/shutdown.hpp"
#include "support/windows_test_support.hpp"

namespace {

using namespace std::chrono_literals;

sigkit::siginfo made_up(int signo) {
  sigkit::siginfo info;
  info.signo = signo;
  info.code = sigkit::ctrl_close_event;
  info.pid = 4242;
  return info;
}

TEST(InjectTest, HandlersSeeTheInjectedFieldsAtTheNextCheckpoint) {
  sigkit::siginfo seen;
  int calls = 0;
  sigkit::signal(SIGBREAK, [&](const sigkit::siginfo& info) {
    seen = info;
    ++calls;
  });
  EXPECT_TRUE(sigkit::testing::inject(made_up(SIGBREAK)));
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(seen.signo, SIGBREAK);
  EXPECT_EQ(seen.code, sigkit::ctrl_close_event);
  EXPECT_EQ(seen.pid, 4242U);
}

TEST(InjectTest, FalseWithoutASigkitHandlerAndRangeChecked) {
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGTERM)));
  sigkit::signal(SIGTERM, SIG_IGN);
  EXPECT_FALSE(sigkit::testing::inject(made_up(SIGTERM)));
  EXPECT_THROW(sigkit::testing::inject(made_up(0)), std::invalid_argument);
  EXPECT_THROW(sigkit::testing::inject(made_up(NSIG)), std::invalid_argument);
}

TEST(InjectTest, WakesTheMainThreadsSleepFromAnotherThread) {
  int calls = 0;
  sigkit::signal(SIGTERM, [&](int) {
    ++calls;
    throw std::runtime_error("woken");
  });
  std::thread injector([] {
    std::this_thread::sleep_for(100ms);
    sigkit::testing::inject(made_up(SIGTERM));
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(sigkit::sleep(30s), std::runtime_error);
  injector.join();
  EXPECT_EQ(calls, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(InjectTest, RequestsAShutdownsStopWithoutACheckpoint) {
  const sigkit::shutdown stop;
  EXPECT_TRUE(sigkit::testing::inject(made_up(SIGTERM)));
  EXPECT_TRUE(sigkit_windows_test::wait_until([&] { return stop.token().stop_requested(); }));
  EXPECT_EQ(stop.reason()->pid, 4242U);
}

}  // namespace
