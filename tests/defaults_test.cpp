// Tests of sigkit/defaults.hpp (API.md behaviour point 7, "Threads", "run_main and SIGINT"):
// default_int_handler, keyboard_interrupt, install_default_handlers(), run_main() and
// die_by_signal(). Anything that must die runs in a forked child; SIGINT is only ever sent by
// a child to itself.
#include "sigkit/defaults.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "support/test_support.hpp"

namespace {

extern "C" void foreign_handler(int /*signo*/) {}

void raw_set(int signo, void (*fn)(int)) {
  struct sigaction sa {};
  ::sigemptyset(&sa.sa_mask);
  sa.sa_handler = fn;
  ASSERT_EQ(::sigaction(signo, &sa, nullptr), 0);
}

void (*raw_get(int signo))(int) {
  struct sigaction sa {};
  EXPECT_EQ(::sigaction(signo, nullptr, &sa), 0);
  return sa.sa_handler;
}

void reset_defaults() {
  for (const int s : {SIGINT, SIGPIPE, SIGXFSZ}) raw_set(s, SIG_DFL);
}

// Runs `body` in a forked child whose stderr goes to a pipe; returns the wait status and
// fills `err` with what the child wrote there.
int run_capturing_stderr(const std::function<int()>& body, std::string& err) {
  sigkit_test::pipe_pair p(true);
  const int status = sigkit_test::run_in_child([&] {
    ::dup2(p.write_end, 2);
    return body();
  });
  ::close(p.write_end);
  p.write_end = -1;
  err = sigkit_test::drain_fd(p.read_end);
  return status;
}

bool killed_by(int status, int signo) { return WIFSIGNALED(status) && WTERMSIG(status) == signo; }

// ---- default_int_handler and keyboard_interrupt ---------------------------------------------

static_assert(!std::is_base_of_v<std::exception, sigkit::keyboard_interrupt>,
              "keyboard_interrupt must not be a std::exception");

TEST(DefaultIntHandlerTest, ThrowsKeyboardInterrupt) {
  EXPECT_THROW(sigkit::default_int_handler(SIGINT), sigkit::keyboard_interrupt);
  try {
    sigkit::default_int_handler(SIGINT);
  } catch (const sigkit::keyboard_interrupt& e) {
    EXPECT_STREQ(e.what(), "KeyboardInterrupt");
  }
}

TEST(DefaultIntHandlerTest, KeyboardInterruptIsNotCaughtAsStdException) {
  bool caught_as_std = false;
  bool caught_as_keyboard_interrupt = false;
  try {
    try {
      sigkit::default_int_handler(SIGINT);
    } catch (const std::exception&) {
      caught_as_std = true;
    }
  } catch (const sigkit::keyboard_interrupt&) {
    caught_as_keyboard_interrupt = true;
  }
  EXPECT_FALSE(caught_as_std);
  EXPECT_TRUE(caught_as_keyboard_interrupt);
}

TEST(DefaultIntHandlerTest, RunsDeferredFromARealSigintInAChild) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::signal(SIGINT, &sigkit::default_int_handler);
    if (::raise(SIGINT) != 0) return 1;  // recorded, not yet run
    try {
      sigkit::check_signals();
    } catch (const std::exception&) {
      return 2;
    } catch (const sigkit::keyboard_interrupt&) {
      return 0;
    }
    return 3;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
}

// ---- install_default_handlers ----------------------------------------------------------------

TEST(InstallDefaultHandlersTest, IgnoresPipeAndXfszAndInstallsTheIntHandler) {
  reset_defaults();
  sigkit::install_default_handlers();
  EXPECT_EQ(raw_get(SIGPIPE), SIG_IGN);
  EXPECT_EQ(raw_get(SIGXFSZ), SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGPIPE), SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGXFSZ), SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGINT), &sigkit::default_int_handler);
  EXPECT_NE(raw_get(SIGINT), SIG_DFL);
}

TEST(InstallDefaultHandlersTest, IsIdempotent) {
  reset_defaults();
  sigkit::install_default_handlers();
  sigkit::install_default_handlers();
  EXPECT_EQ(sigkit::getsignal(SIGINT), &sigkit::default_int_handler);
  EXPECT_EQ(sigkit::getsignal(SIGPIPE), SIG_IGN);
}

TEST(InstallDefaultHandlersTest, LeavesAnIgnoredSigintAlone) {
  reset_defaults();
  raw_set(SIGINT, SIG_IGN);
  sigkit::install_default_handlers();
  EXPECT_EQ(sigkit::getsignal(SIGINT), SIG_IGN);
  EXPECT_EQ(raw_get(SIGINT), SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGPIPE), SIG_IGN);
}

TEST(InstallDefaultHandlersTest, LeavesForeignAndSigkitHandlersAlone) {
  reset_defaults();
  raw_set(SIGINT, &foreign_handler);
  raw_set(SIGXFSZ, &foreign_handler);
  const sigkit::handler mine([](int) {});
  sigkit::signal(SIGPIPE, mine);
  sigkit::install_default_handlers();
  EXPECT_EQ(raw_get(SIGINT), &foreign_handler);
  EXPECT_EQ(raw_get(SIGXFSZ), &foreign_handler);
  EXPECT_TRUE(sigkit::getsignal(SIGINT).empty());
  EXPECT_EQ(sigkit::getsignal(SIGPIPE), mine);
}

TEST(InstallDefaultHandlersTest, LeavesAUserSigintHandlerAlone) {
  reset_defaults();
  const sigkit::handler mine([](int) {});
  sigkit::signal(SIGINT, mine);
  sigkit::install_default_handlers();
  EXPECT_EQ(sigkit::getsignal(SIGINT), mine);
}

TEST(InstallDefaultHandlersTest, IgnoredSigpipeTurnsIntoEpipe) {
  reset_defaults();
  sigkit::install_default_handlers();
  sigkit_test::pipe_pair p;
  ::close(p.read_end);
  p.read_end = -1;
  const char byte = 'x';
  EXPECT_EQ(::write(p.write_end, &byte, 1), -1);
  EXPECT_EQ(errno, EPIPE);
}

TEST(InstallDefaultHandlersTest, FromAnotherThreadThrowsInvalidArgument) {
  reset_defaults();
  bool threw_install = false;
  bool threw_run_main = false;
  bool body_ran = false;
  std::thread([&] {
    try {
      sigkit::install_default_handlers();
    } catch (const std::invalid_argument&) {
      threw_install = true;
    }
    try {
      sigkit::run_main([&] {
        body_ran = true;
        return 0;
      });
    } catch (const std::invalid_argument&) {
      threw_run_main = true;
    }
  }).join();
  EXPECT_TRUE(threw_install);
  EXPECT_TRUE(threw_run_main);
  EXPECT_FALSE(body_ran);
  EXPECT_EQ(raw_get(SIGPIPE), SIG_DFL);
  EXPECT_EQ(raw_get(SIGINT), SIG_DFL);
}

// ---- run_main ----------------------------------------------------------------------------------

TEST(RunMainTest, ReturnsTheBodysValueAfterInstallingDefaults) {
  reset_defaults();
  bool defaults_seen = false;
  const int rc = sigkit::run_main([&] {
    defaults_seen = sigkit::getsignal(SIGINT) == &sigkit::default_int_handler &&
                    sigkit::getsignal(SIGPIPE) == SIG_IGN;
    return 7;
  });
  EXPECT_EQ(rc, 7);
  EXPECT_TRUE(defaults_seen);
}

TEST(RunMainTest, OtherExceptionsPropagateUnchanged) {
  reset_defaults();
  try {
    sigkit::run_main([]() -> int { throw std::out_of_range("body failed"); });
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "body failed");
  }
  EXPECT_THROW(sigkit::run_main([]() -> int { throw 5; }), int);
}

TEST(RunMainTest, RaisedSigintEndsTheProcessBySigint) {
  std::string err;
  const int status = run_capturing_stderr(
      [] {
        return sigkit::run_main([] {
          sigkit::raise_signal(SIGINT);  // to this process only
          return 0;
        });
      },
      err);
  EXPECT_TRUE(killed_by(status, SIGINT)) << sigkit_test::describe_status(status);
  EXPECT_NE(err.find("KeyboardInterrupt"), std::string::npos) << "stderr: " << err;
}

TEST(RunMainTest, SigintHandledAtALaterCheckpointEndsTheProcessBySigint) {
  std::string err;
  const int status = run_capturing_stderr(
      [] {
        return sigkit::run_main([] {
          ::kill(::getpid(), SIGINT);  // this child only
          sigkit::sleep(std::chrono::seconds(5));
          return 0;
        });
      },
      err);
  EXPECT_TRUE(killed_by(status, SIGINT)) << sigkit_test::describe_status(status);
  EXPECT_NE(err.find("KeyboardInterrupt"), std::string::npos) << "stderr: " << err;
}

TEST(RunMainTest, EscapedKeyboardInterruptDiesBySigintEvenWhenSigintIsIgnoredAndBlocked) {
  std::string err;
  const int status = run_capturing_stderr(
      [] {
        return sigkit::run_main([]() -> int {
          sigkit::signal(SIGINT, SIG_IGN);
          sigset_t set;
          ::sigemptyset(&set);
          ::sigaddset(&set, SIGINT);
          ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
          throw sigkit::keyboard_interrupt{};
        });
      },
      err);
  EXPECT_TRUE(killed_by(status, SIGINT)) << sigkit_test::describe_status(status);
  EXPECT_NE(err.find("KeyboardInterrupt"), std::string::npos) << "stderr: " << err;
}

TEST(RunMainTest, CaughtKeyboardInterruptDoesNotEndTheProcess) {
  const int status = sigkit_test::run_in_child([] {
    return sigkit::run_main([] {
      try {
        sigkit::raise_signal(SIGINT);
      } catch (const sigkit::keyboard_interrupt&) {
        return 4;
      }
      return 5;
    });
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 4)
      << sigkit_test::describe_status(status);
}

// ---- die_by_signal -----------------------------------------------------------------------------

TEST(DieBySignalTest, EndsTheProcessByTheSignalEvenWithAHandlerInstalledAndBlocked) {
  const int status = sigkit_test::run_in_child([]() -> int {
    sigkit::signal(SIGUSR1, [](int) {});
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    sigkit::die_by_signal(SIGUSR1);
  });
  EXPECT_TRUE(killed_by(status, SIGUSR1)) << sigkit_test::describe_status(status);
}

TEST(DieBySignalTest, EndsTheProcessBySigkillToo) {
  // sigaction() refuses SIGKILL; the process must still die by it, not exit 137.
  const int status = sigkit_test::run_in_child([]() -> int { sigkit::die_by_signal(SIGKILL); });
  EXPECT_TRUE(killed_by(status, SIGKILL)) << sigkit_test::describe_status(status);
}

}  // namespace
