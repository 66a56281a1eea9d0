// Windows: graceful shutdown with escalation (Part 2) on Ctrl+C, Ctrl+Break and the
// console's close event.
#include "sigkit/shutdown.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "detail/state_windows.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "support/windows_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using sigkit_windows_test::own_console;
using sigkit_windows_test::wait_until;

constexpr int kStatusControlCExit = static_cast<int>(0xC000013AU);

TEST(ShutdownTest, ListensToCtrlCCtrlBreakAndSigtermByDefault) {
  const sigkit::shutdown_options options;
  EXPECT_EQ(options.signals, (sigkit::signal_set{SIGINT, SIGBREAK, SIGTERM}));
}

TEST(ShutdownTest, CtrlCRequestsStopWithoutACheckpoint) {
  own_console();
  const sigkit::shutdown stop;
  std::atomic<std::thread::id> callback_thread{};
  const std::stop_callback callback(stop.token(),
                                    [&] { callback_thread = std::this_thread::get_id(); });
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  // The main thread never reaches a checkpoint: sigkit's thread requests the stop.
  ASSERT_TRUE(wait_until([&] { return stop.token().stop_requested(); }));
  EXPECT_TRUE(stop.requested());
  EXPECT_TRUE(wait_until([&] { return callback_thread.load() != std::thread::id{}; }));
  EXPECT_NE(callback_thread.load(), std::this_thread::get_id());
  ASSERT_TRUE(stop.reason().has_value());
  EXPECT_EQ(stop.reason()->signo, SIGINT);
  EXPECT_EQ(stop.reason()->code, sigkit::ctrl_c_event);
}

TEST(ShutdownDeathTest, ASecondCtrlCEndsTheProcessAtOnce) {
  EXPECT_EXIT(
      {
        own_console();
        const sigkit::shutdown stop;
        sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
        if (!wait_until([&] { return stop.requested(); })) std::exit(1);
        sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
        std::this_thread::sleep_for(20s);  // stuck: no checkpoint ever
        std::exit(2);
      },
      testing::ExitedWithCode(kStatusControlCExit), "");
}

TEST(ShutdownDeathTest, TheGraceDeadlineEndsTheProcessByTheFirstSignal) {
  EXPECT_EXIT(
      {
        sigkit::shutdown_options options;
        options.grace = 200ms;
        const sigkit::shutdown stop(options);
        sigkit::raise_signal(SIGTERM);
        std::this_thread::sleep_for(20s);
        std::exit(2);
      },
      testing::ExitedWithCode(3), "");  // SIGTERM's end: the C runtime's SIG_DFL code
}

TEST(ShutdownTest, AConsoleCloseRequestsStopAsSigbreak) {
  const sigkit::shutdown stop;
  std::thread console([] { sigkit::detail::sigkit_console_handler(CTRL_CLOSE_EVENT); });
  console.detach();  // held until the process ends, as Windows would hold the close
  ASSERT_TRUE(wait_until([&] { return stop.token().stop_requested(); }));
  EXPECT_EQ(stop.reason()->signo, SIGBREAK);
  EXPECT_EQ(stop.reason()->code, sigkit::ctrl_close_event);
}

TEST(ShutdownTest, WaitReturnsOnceStopIsRequestedAndTheDestructorRestores) {
  int beneath = 0;
  sigkit::signal(SIGTERM, [&](int) { ++beneath; });
  {
    sigkit::shutdown_options options;
    options.second_signal_kills = false;
    sigkit::shutdown stop(options);
    std::thread([] {
      std::this_thread::sleep_for(100ms);
      sigkit::raise_signal(SIGTERM);
    }).detach();
    stop.wait();
    EXPECT_TRUE(stop.token().stop_requested());
    sigkit::raise_signal(SIGTERM);  // no death: second_signal_kills is off
    EXPECT_EQ(beneath, 0);          // the shutdown's subscriber handled both
  }
  sigkit::raise_signal(SIGTERM);
  EXPECT_EQ(beneath, 1);  // signal()'s handler is back on its own
}

}  // namespace
