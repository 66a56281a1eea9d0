// Windows: default_int_handler, install_default_handlers() and run_main(), whose escaped
// KeyboardInterrupt ends the process as Windows ends one on Ctrl+C: STATUS_CONTROL_C_EXIT.
#include "sigkit/defaults.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <thread>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "support/windows_test_support.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kStatusControlCExit = static_cast<int>(0xC000013AU);

TEST(DefaultIntHandlerTest, ThrowsKeyboardInterrupt) {
  EXPECT_THROW(sigkit::default_int_handler(SIGINT), sigkit::keyboard_interrupt);
  EXPECT_STREQ(sigkit::keyboard_interrupt{}.what(), "KeyboardInterrupt");
}

TEST(InstallDefaultHandlersTest, SetsSigintOnlyAndOnlyFromSigDfl) {
  sigkit::install_default_handlers();
  EXPECT_TRUE(sigkit::getsignal(SIGINT) == sigkit::handler(&sigkit::default_int_handler));
  for (const int s : {SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK, SIGABRT}) {
    EXPECT_TRUE(sigkit::getsignal(s).is_default()) << s;  // no SIGPIPE/SIGXFSZ on Windows
  }
  sigkit::signal(SIGINT, SIG_IGN);
  sigkit::install_default_handlers();
  EXPECT_TRUE(sigkit::getsignal(SIGINT).is_ignore());
}

TEST(InstallDefaultHandlersTest, MainThreadOnly) {
  bool refused = false;
  std::thread([&] {
    try {
      sigkit::install_default_handlers();
    } catch (const std::invalid_argument&) {
      refused = true;
    }
  }).join();
  EXPECT_TRUE(refused);
}

TEST(RunMainTest, ReturnsTheBodysValueAndLetsOtherExceptionsThrough) {
  EXPECT_EQ(sigkit::run_main([] { return 7; }), 7);
  EXPECT_THROW(sigkit::run_main([]() -> int { throw std::runtime_error("no"); }),
               std::runtime_error);
}

TEST(RunMainDeathTest, AKeyboardInterruptEndsWithStatusControlCExit) {
  EXPECT_EXIT(sigkit::run_main([] {
                sigkit::raise_signal(SIGINT);
                return 0;
              }),
              testing::ExitedWithCode(kStatusControlCExit), "KeyboardInterrupt");
}

TEST(RunMainDeathTest, CtrlCDuringASleepEndsWithStatusControlCExit) {
  // End to end: the console's Ctrl+C, a deferred SIGINT waking sleep() on the main thread,
  // default_int_handler's KeyboardInterrupt, the exit code Windows gives a Ctrl+C.
  EXPECT_EXIT(
      {
        sigkit_windows_test::own_console();
        sigkit::run_main([] {
          sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
          sigkit::sleep(30s);
          return 0;
        });
      },
      testing::ExitedWithCode(kStatusControlCExit), "KeyboardInterrupt");
}

}  // namespace
