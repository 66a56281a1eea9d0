// Windows: the signal catalogue: names, parsing, strsignal(), valid_signals(), signal_set
// and the delivery codes (Python: signal.Signals, strsignal, valid_signals on Windows).
#include "sigkit/signum.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <vector>

#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"

namespace {

TEST(SignumTest, TheSevenHaveTheirNamesOtherNumbersAreSIGn) {
  EXPECT_EQ(SIGINT, 2);
  EXPECT_EQ(SIGBREAK, 21);
  EXPECT_EQ(SIGABRT, 22);
  EXPECT_EQ(NSIG, 23);
  EXPECT_EQ(sigkit::signum(SIGINT).name(), "SIGINT");
  EXPECT_EQ(sigkit::signum(SIGILL).name(), "SIGILL");
  EXPECT_EQ(sigkit::signum(SIGFPE).name(), "SIGFPE");
  EXPECT_EQ(sigkit::signum(SIGSEGV).name(), "SIGSEGV");
  EXPECT_EQ(sigkit::signum(SIGTERM).name(), "SIGTERM");
  EXPECT_EQ(sigkit::signum(SIGBREAK).name(), "SIGBREAK");
  EXPECT_EQ(sigkit::signum(SIGABRT).name(), "SIGABRT");
  EXPECT_EQ(sigkit::signum(1).name(), "SIG1");
  EXPECT_EQ(sigkit::signum(6).name(), "SIG6");  // the runtime's SIGABRT_COMPAT: not Python's
  EXPECT_THROW(sigkit::signum(0), std::invalid_argument);
  EXPECT_THROW(sigkit::signum(NSIG), std::invalid_argument);
}

TEST(SignumTest, ParsesWindowsNamesAndNothingElse) {
  EXPECT_EQ(sigkit::signum::from_name("SIGBREAK"), SIGBREAK);
  EXPECT_EQ(sigkit::signum::from_name("break"), SIGBREAK);
  EXPECT_EQ(sigkit::signum::from_name("Int"), SIGINT);
  EXPECT_EQ(sigkit::signum::from_name("22"), SIGABRT);
  EXPECT_EQ(sigkit::signum::from_name("SIG6"), 6);
  for (const char* text : {"SIGHUP", "SIGKILL", "SIGIOT", "SIGRTMIN", "RTMAX-1", "SIGUSR1", "0",
                           "23", " SIGINT", "-2", "SIG02", ""}) {
    EXPECT_THROW(sigkit::signum::from_name(text), std::invalid_argument) << text;
  }
}

TEST(StrsignalTest, PythonsTableOnWindows) {
  EXPECT_EQ(sigkit::strsignal(SIGINT), "Interrupt");
  EXPECT_EQ(sigkit::strsignal(SIGILL), "Illegal instruction");
  EXPECT_EQ(sigkit::strsignal(SIGABRT), "Aborted");
  EXPECT_EQ(sigkit::strsignal(SIGFPE), "Floating-point exception");
  EXPECT_EQ(sigkit::strsignal(SIGSEGV), "Segmentation fault");
  EXPECT_EQ(sigkit::strsignal(SIGTERM), "Terminated");
  EXPECT_EQ(sigkit::strsignal(SIGBREAK), std::nullopt);  // not in Python's table
  EXPECT_EQ(sigkit::strsignal(1), std::nullopt);
  EXPECT_THROW(sigkit::strsignal(0), std::invalid_argument);
  EXPECT_THROW(sigkit::strsignal(NSIG), std::invalid_argument);
}

TEST(ValidSignalsTest, AreTheSeven) {
  const sigkit::signal_set valid = sigkit::valid_signals();
  std::vector<int> members;
  for (const sigkit::signum s : valid) members.push_back(s);
  EXPECT_EQ(members,
            (std::vector<int>{SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK, SIGABRT}));
  EXPECT_EQ(valid.size(), 7U);
  EXPECT_FALSE(valid.contains(0));
  EXPECT_FALSE(valid.contains(NSIG));
  EXPECT_EQ(sigkit::signal_set::filled(), valid);
}

TEST(SignalSetTest, HoldsOnlyTheSevenAndHasTheSetOperations) {
  sigkit::signal_set a{SIGINT, SIGTERM};
  const sigkit::signal_set b{SIGTERM, SIGBREAK};
  EXPECT_EQ(a | b, (sigkit::signal_set{SIGINT, SIGTERM, SIGBREAK}));
  EXPECT_EQ(a & b, (sigkit::signal_set{SIGTERM}));
  EXPECT_EQ(a - b, (sigkit::signal_set{SIGINT}));
  EXPECT_THROW(a.insert(1), std::invalid_argument);
  EXPECT_THROW((sigkit::signal_set{6}), std::invalid_argument);
  a.erase(SIGINT);
  EXPECT_EQ(a.size(), 1U);
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_FALSE(a.contains(-5));
}

TEST(CodeNameTest, NamesTheDeliveryCodes) {
  EXPECT_EQ(sigkit::code_name(SIGTERM, sigkit::raised), "raised");
  EXPECT_EQ(sigkit::code_name(SIGINT, sigkit::ctrl_c_event), "CTRL_C_EVENT");
  EXPECT_EQ(sigkit::code_name(SIGBREAK, sigkit::ctrl_break_event), "CTRL_BREAK_EVENT");
  EXPECT_EQ(sigkit::code_name(SIGBREAK, sigkit::ctrl_close_event), "CTRL_CLOSE_EVENT");
  EXPECT_EQ(sigkit::code_name(SIGBREAK, sigkit::ctrl_logoff_event), "CTRL_LOGOFF_EVENT");
  EXPECT_EQ(sigkit::code_name(SIGBREAK, sigkit::ctrl_shutdown_event), "CTRL_SHUTDOWN_EVENT");
  EXPECT_EQ(sigkit::code_name(SIGINT, 99), "99");
}

}  // namespace
