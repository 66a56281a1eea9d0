// Windows: console control events. send_ctrl_event() (Python: os.kill(group, CTRL_C_EVENT)),
// and what the console's Ctrl+C and Ctrl+Break become: deferred SIGINT and SIGBREAK
// deliveries, or what the C runtime does with SIG_IGN, SIG_DFL and foreign handlers.
#include "sigkit/send.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "detail/state_windows.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/siginfo.hpp"
#include "support/windows_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using sigkit_windows_test::checkpoint_until;
using sigkit_windows_test::delivery_pending;
using sigkit_windows_test::own_console;
using sigkit_windows_test::wait_until;

std::atomic<int> foreign_calls{0};
void foreign_crt_handler(int) { foreign_calls.fetch_add(1); }

TEST(CtrlEventMacrosTest, AreTheSystemsValues) {
  EXPECT_EQ(CTRL_C_EVENT, 0);
  EXPECT_EQ(CTRL_BREAK_EVENT, 1);
}

TEST(SendCtrlEventTest, CtrlCBecomesADeferredSigintOnTheMainThread) {
  own_console();
  std::atomic<int> calls{0};
  sigkit::siginfo seen;
  std::thread::id ran_on;
  sigkit::signal(SIGINT, [&](const sigkit::siginfo& info) {
    seen = info;
    ran_on = std::this_thread::get_id();
    calls.fetch_add(1);
  });
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);  // delivered on a new thread of the console's
  ASSERT_TRUE(wait_until(delivery_pending));
  EXPECT_EQ(calls.load(), 0);  // recorded there, run here at the checkpoint
  sigkit::check_signals();
  ASSERT_EQ(calls.load(), 1);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(seen.signo, SIGINT);
  EXPECT_EQ(seen.code, sigkit::ctrl_c_event);
  EXPECT_EQ(seen.pid, 0U);  // the console does not say who sent it
}

TEST(SendCtrlEventTest, EveryCtrlCIsDelivered) {
  own_console();
  std::atomic<int> calls{0};
  sigkit::signal(SIGINT, [&](const sigkit::siginfo&) { calls.fetch_add(1); });
  for (int i = 0; i < 3; ++i) {
    sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
    ASSERT_TRUE(checkpoint_until([&] { return calls.load() == i + 1; })) << i;
  }
}

TEST(SendCtrlEventTest, CtrlCWithSigIgnIsIgnored) {
  own_console();
  sigkit::signal(SIGINT, SIG_IGN);
  const sigkit_windows_test::console_probe probe;  // called first; passes the event on
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  ASSERT_TRUE(wait_until([&] { return probe.ctrl_c() == 1; }));
  std::this_thread::sleep_for(300ms);  // the C runtime's handler has run by now
  EXPECT_FALSE(delivery_pending());
  EXPECT_TRUE(sigkit::getsignal(SIGINT).is_ignore());
}

TEST(SendCtrlEventTest, CtrlCReachesAForeignHandlerThroughTheRuntime) {
  own_console();
  foreign_calls.store(0);
  sigkit::signal(SIGINT, SIG_DFL);  // sigkit's console handler is registered
  ASSERT_NE(::signal(SIGINT, &foreign_crt_handler), SIG_ERR);
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  EXPECT_TRUE(wait_until([] { return foreign_calls.load() == 1; }));
  EXPECT_FALSE(delivery_pending());
}

TEST(SendCtrlEventDeathTest, AnUnhandledCtrlCEndsTheProcessWithStatusControlCExit) {
  SKIP_UNDER_WINE(
      "Wine 8 ends a process on an unhandled Ctrl+C with exit code 0, not "
      "STATUS_CONTROL_C_EXIT (0xC000013A)");
  EXPECT_EXIT(
      {
        own_console();
        sigkit::signal(SIGINT, SIG_DFL);
        sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
        std::this_thread::sleep_for(10s);
        std::exit(1);
      },
      testing::ExitedWithCode(static_cast<int>(0xC000013AU)), "");
}

TEST(SendCtrlEventTest, CtrlBreakBecomesADeferredSigbreak) {
  SKIP_UNDER_WINE(
      "Wine 8 does not implement CTRL_BREAK_EVENT (GenerateConsoleCtrlEvent "
      "fails with ERROR_INVALID_HANDLE)");
  own_console();
  std::atomic<int> calls{0};
  sigkit::siginfo seen;
  sigkit::signal(SIGBREAK, [&](const sigkit::siginfo& info) {
    seen = info;
    calls.fetch_add(1);
  });
  sigkit::send_ctrl_event(CTRL_BREAK_EVENT, 0);
  ASSERT_TRUE(checkpoint_until([&] { return calls.load() == 1; }));
  EXPECT_EQ(seen.signo, SIGBREAK);
  EXPECT_EQ(seen.code, sigkit::ctrl_break_event);
}

TEST(SendCtrlEventTest, RefusesOtherEvents) {
  EXPECT_THROW(sigkit::send_ctrl_event(2, 0), std::invalid_argument);  // CTRL_CLOSE_EVENT
  EXPECT_THROW(sigkit::send_ctrl_event(-1, 0), std::invalid_argument);
  EXPECT_THROW(sigkit::send_ctrl_event(SIGINT, 0), std::invalid_argument);
}

TEST(SendCtrlEventTest, FailsWithTheWindowsErrorWithoutAConsole) {
  ::FreeConsole();
  try {
    sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
    ADD_FAILURE() << "send_ctrl_event without a console did not throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(e.code().value(), 0);
    EXPECT_NE(std::string(e.what()).find("CTRL_C_EVENT"), std::string::npos) << e.what();
  }
}

// The console handler itself, called as Windows calls it, for the events that Wine cannot
// send (CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT): the C runtime's mapping to SIGBREAK, and a close
// held so that the program can finish.
TEST(ConsoleHandlerTest, CtrlBreakIsASigbreakDelivery) {
  std::atomic<int> calls{0};
  sigkit::siginfo seen;
  sigkit::signal(SIGBREAK, [&](const sigkit::siginfo& info) {
    seen = info;
    calls.fetch_add(1);
  });
  BOOL taken = FALSE;
  std::thread([&] { taken = sigkit::detail::sigkit_console_handler(CTRL_BREAK_EVENT); }).join();
  EXPECT_TRUE(taken);
  sigkit::check_signals();
  ASSERT_EQ(calls.load(), 1);
  EXPECT_EQ(seen.signo, SIGBREAK);
  EXPECT_EQ(seen.code, sigkit::ctrl_break_event);
}

TEST(ConsoleHandlerTest, ACloseIsASigbreakDeliveryAndIsHeld) {
  std::atomic<int> calls{0};
  sigkit::siginfo seen;
  sigkit::signal(SIGBREAK, [&](const sigkit::siginfo& info) {
    seen = info;
    calls.fetch_add(1);
  });
  std::atomic<bool> returned{false};
  std::thread console([&] {
    sigkit::detail::sigkit_console_handler(CTRL_CLOSE_EVENT);
    returned.store(true);  // never: Windows ends the process while the handler holds it
  });
  console.detach();
  ASSERT_TRUE(checkpoint_until([&] { return calls.load() == 1; }));
  EXPECT_EQ(seen.code, sigkit::ctrl_close_event);
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(returned.load());
}

TEST(ConsoleHandlerTest, PassesEventsOnWhenTheSignalIsNotSigkits) {
  sigkit::signal(SIGINT, SIG_DFL);
  sigkit::signal(SIGBREAK, SIG_IGN);
  EXPECT_FALSE(sigkit::detail::sigkit_console_handler(CTRL_C_EVENT));
  EXPECT_FALSE(sigkit::detail::sigkit_console_handler(CTRL_BREAK_EVENT));
  EXPECT_FALSE(sigkit::detail::sigkit_console_handler(CTRL_CLOSE_EVENT));
  EXPECT_FALSE(sigkit::detail::sigkit_console_handler(12345));
  EXPECT_FALSE(delivery_pending());
  EXPECT_TRUE(sigkit::getsignal(SIGINT).is_default());  // the check left the table alone
  EXPECT_TRUE(sigkit::getsignal(SIGBREAK).is_ignore());
}

}  // namespace
