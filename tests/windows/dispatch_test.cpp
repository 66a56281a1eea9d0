// Windows: check_signals(), sleep() (interruptible, also by Ctrl+C from the console's own
// thread), (const siginfo&) handlers and dropped_deliveries().
#include "sigkit/dispatch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>
#include <stdexcept>
#include <thread>

#include "sigkit/defaults.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "sigkit/siginfo.hpp"
#include "support/windows_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using sigkit_windows_test::checkpoint_until;

TEST(CheckSignalsTest, OtherThreadsRunNoHandler) {
  int calls = 0;
  sigkit::signal(SIGTERM, [&](int) { ++calls; });
  std::thread([] {
    ASSERT_EQ(::raise(SIGTERM), 0);
    sigkit::check_signals();  // not the main thread: nothing runs here
  }).join();
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(SleepTest, RunsAHandlerThatArrivesAndResumesTheRemainingTime) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGTERM, [&](int) { calls.fetch_add(1); });
  std::thread sender([] {
    std::this_thread::sleep_for(100ms);
    sigkit::raise_signal(SIGTERM);
  });
  const auto start = clock_type::now();
  sigkit::sleep(600ms);
  const auto slept = clock_type::now() - start;
  sender.join();
  EXPECT_EQ(calls.load(), 1);  // ran inside sleep(), on this thread
  EXPECT_GE(slept, 600ms);     // PEP 475: the remaining time was slept too
}

TEST(SleepTest, AHandlersExceptionEndsTheSleep) {
  sigkit::signal(SIGTERM, [](int) { throw std::runtime_error("stop sleeping"); });
  std::thread sender([] {
    std::this_thread::sleep_for(100ms);
    sigkit::raise_signal(SIGTERM);
  });
  const auto start = clock_type::now();
  EXPECT_THROW(sigkit::sleep(30s), std::runtime_error);
  sender.join();
  EXPECT_LT(clock_type::now() - start, 10s);
}

TEST(SleepTest, RunsPendingHandlersOnEntry) {
  int calls = 0;
  sigkit::signal(SIGTERM, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGTERM), 0);
  sigkit::sleep(0s);
  EXPECT_EQ(calls, 1);
}

TEST(SleepTest, CtrlCInterruptsItWithKeyboardInterrupt) {
  // Python: time.sleep() on Windows wakes on Ctrl+C (the console's thread sets an event).
  sigkit_windows_test::own_console();
  sigkit::install_default_handlers();
  std::thread sender([] {
    std::this_thread::sleep_for(200ms);
    sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  });
  const auto start = clock_type::now();
  bool interrupted = false;
  try {
    sigkit::sleep(30s);
  } catch (const sigkit::keyboard_interrupt&) {
    interrupted = true;
  }
  sender.join();
  EXPECT_TRUE(interrupted);
  EXPECT_LT(clock_type::now() - start, 10s);
}

TEST(SleepTest, OtherThreadsSleepTheWholeDuration) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGTERM, [&](int) { calls.fetch_add(1); });
  std::chrono::nanoseconds slept{};
  std::thread sleeper([&] {
    const auto start = clock_type::now();
    sigkit::sleep(300ms);
    slept = clock_type::now() - start;
  });
  std::this_thread::sleep_for(50ms);
  sigkit::raise_signal(SIGTERM);
  sleeper.join();
  EXPECT_GE(slept, 300ms);
  EXPECT_EQ(calls.load(), 1);
}

TEST(SleepTest, RefusesBadDurations) {
  EXPECT_THROW(sigkit::sleep(std::chrono::duration<double>(-1e-9)), std::invalid_argument);
  EXPECT_THROW(sigkit::sleep(std::chrono::duration<double>(std::nan(""))), std::invalid_argument);
  EXPECT_THROW(
      sigkit::sleep(std::chrono::duration<double>(std::numeric_limits<double>::infinity())),
      std::out_of_range);
}

TEST(SiginfoHandlerTest, GetsEachDeliveryWithHowItCame) {
  std::vector<sigkit::siginfo> seen;
  sigkit::signal(SIGTERM, [&](const sigkit::siginfo& info) { seen.push_back(info); });
  ASSERT_EQ(::raise(SIGTERM), 0);
  ASSERT_EQ(::raise(SIGTERM), 0);
  sigkit::check_signals();
  ASSERT_EQ(seen.size(), 2U);  // one call per delivery, not coalesced
  for (const auto& info : seen) {
    EXPECT_EQ(info.signo, SIGTERM);
    EXPECT_EQ(info.code, sigkit::raised);
    EXPECT_EQ(info.pid, sigkit_windows_test::this_process_id());
  }
}

TEST(DroppedDeliveriesTest, CountsWhatOverflowedTheQueueAndNothingIsLostSilently) {
  // Windows has no signal masks, so no back-pressure: beyond the queue, deliveries are
  // dropped and counted.
  constexpr int kSent = 6000;
  int received = 0;
  sigkit::signal(SIGBREAK, [&](const sigkit::siginfo&) { ++received; });
  std::thread([] {
    for (int i = 0; i < kSent; ++i) ASSERT_EQ(::raise(SIGBREAK), 0);
  }).join();
  sigkit::check_signals();
  const auto dropped = sigkit::dropped_deliveries(SIGBREAK);
  EXPECT_GT(dropped, 0U);
  EXPECT_GE(received, 1024);
  EXPECT_EQ(static_cast<std::uint64_t>(received) + dropped, static_cast<std::uint64_t>(kSent));
  EXPECT_THROW(sigkit::dropped_deliveries(0), std::invalid_argument);
  EXPECT_THROW(sigkit::dropped_deliveries(NSIG), std::invalid_argument);
}

}  // namespace
