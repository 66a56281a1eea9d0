// Tests for sigkit/errors.hpp: itimer_error, keyboard_interrupt, and the error mapping of
// API.md (one representative call per row).
#include "sigkit/errors.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

#include "sigkit/sigkit.hpp"

namespace {

using seconds_d = std::chrono::duration<double>;

// ---- itimer_error ----------------------------------------------------------------------

static_assert(std::is_base_of_v<std::system_error, sigkit::itimer_error>);
static_assert(std::is_base_of_v<std::exception, sigkit::itimer_error>);
static_assert(std::is_constructible_v<sigkit::itimer_error, std::error_code, const char*>);
static_assert(std::is_constructible_v<sigkit::itimer_error, std::error_code, std::string>);
static_assert(std::is_constructible_v<sigkit::itimer_error, std::error_code>);
static_assert(std::is_nothrow_copy_constructible_v<sigkit::itimer_error>);

TEST(ItimerErrorTest, ConstructibleFromErrorCodeAndMessage) {
  const sigkit::itimer_error e(std::error_code(EINVAL, std::system_category()), "setitimer");
  EXPECT_EQ(e.code().value(), EINVAL);
  EXPECT_EQ(e.code().category(), std::system_category());
  EXPECT_NE(std::string(e.what()).find("setitimer"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find(std::strerror(EINVAL)), std::string::npos);
}

TEST(ItimerErrorTest, ConstructibleFromStringMessage) {
  const std::string message = "getitimer failed";
  const sigkit::itimer_error e(std::error_code(EFAULT, std::system_category()), message);
  EXPECT_EQ(e.code().value(), EFAULT);
  EXPECT_NE(std::string(e.what()).find(message), std::string::npos);
}

TEST(ItimerErrorTest, CaughtAsSystemError) {
  try {
    throw sigkit::itimer_error(std::error_code(EINVAL, std::system_category()), "x");
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    return;
  }
  FAIL() << "not caught as std::system_error";
}

TEST(ItimerErrorTest, ThrownBySetitimerAndGetitimer) {
  try {
    sigkit::setitimer(99, seconds_d(1));
    FAIL() << "no exception";
  } catch (const sigkit::itimer_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_EQ(e.code().category(), std::system_category());
    EXPECT_STRNE(e.what(), "");
  }
  try {
    static_cast<void>(sigkit::getitimer(-1));
    FAIL() << "no exception";
  } catch (const sigkit::itimer_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
  }
}

// ---- keyboard_interrupt ----------------------------------------------------------------

static_assert(!std::is_base_of_v<std::exception, sigkit::keyboard_interrupt>);
static_assert(!std::is_convertible_v<sigkit::keyboard_interrupt*, std::exception*>);
static_assert(std::is_nothrow_default_constructible_v<sigkit::keyboard_interrupt>);
static_assert(std::is_nothrow_copy_constructible_v<sigkit::keyboard_interrupt>);
static_assert(noexcept(sigkit::keyboard_interrupt{}.what()));

TEST(KeyboardInterruptTest, What) {
  EXPECT_STREQ(sigkit::keyboard_interrupt{}.what(), "KeyboardInterrupt");
}

TEST(KeyboardInterruptTest, NotSwallowedByCatchStdException) {
  bool std_caught = false;
  bool ki_caught = false;
  try {
    try {
      throw sigkit::keyboard_interrupt{};
    } catch (const std::exception&) {
      std_caught = true;
    }
  } catch (const sigkit::keyboard_interrupt&) {
    ki_caught = true;
  }
  EXPECT_FALSE(std_caught);
  EXPECT_TRUE(ki_caught);
}

TEST(KeyboardInterruptTest, ThrownByDefaultIntHandler) {
  EXPECT_THROW(sigkit::default_int_handler(SIGINT), sigkit::keyboard_interrupt);
  bool std_caught = false;
  try {
    try {
      sigkit::default_int_handler(SIGINT);
    } catch (const std::exception&) {
      std_caught = true;
    }
  } catch (const sigkit::keyboard_interrupt&) {
  }
  EXPECT_FALSE(std_caught);
}

TEST(KeyboardInterruptTest, PropagatesFromADeferredHandler) {
  sigkit::signal(SIGUSR1, &sigkit::default_int_handler);
  EXPECT_THROW(sigkit::raise_signal(SIGUSR1), sigkit::keyboard_interrupt);
}

// ---- the mapping table, one row at a time ------------------------------------------------

// ValueError -> std::invalid_argument
TEST(ErrorMappingTest, BadValueIsInvalidArgument) {
  EXPECT_THROW(sigkit::signum{0}, std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::strsignal(NSIG)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::sigwait({})), std::invalid_argument);
  EXPECT_THROW(sigkit::pthread_kill(pthread_t{}, SIGUSR1), std::invalid_argument);
  EXPECT_THROW(sigkit::alarm(std::chrono::seconds(-1)), std::invalid_argument);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(std::nan(""))), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(-1))),
               std::invalid_argument);
  EXPECT_THROW(sigkit::siginterrupt(0, true), std::invalid_argument);
  EXPECT_THROW(sigkit::siginterrupt(NSIG, false), std::invalid_argument);
}

// OverflowError -> std::out_of_range
TEST(ErrorMappingTest, TooLargeIsOutOfRange) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(sigkit::alarm(std::chrono::seconds(static_cast<long long>(UINT_MAX) + 1)),
               std::out_of_range);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(inf)), std::out_of_range);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(inf))),
               std::out_of_range);
}

// OSError -> std::system_error with errno
TEST(ErrorMappingTest, FailedSystemCallIsSystemErrorWithErrno) {
  try {
    sigkit::raise_signal(-1);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_EQ(e.code().category(), std::system_category());
    EXPECT_EQ(dynamic_cast<const sigkit::itimer_error*>(&e), nullptr);
  }
  try {
    sigkit::pidfd_send_signal(-1, SIGUSR1);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF);
  }
  try {
    static_cast<void>(sigkit::pthread_sigmask(1700, {}));
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
  }
}

// The system_error is not also an invalid_argument or out_of_range.
TEST(ErrorMappingTest, SystemErrorIsDistinctFromLogicErrors) {
  bool logic = false;
  try {
    sigkit::raise_signal(NSIG);
  } catch (const std::logic_error&) {
    logic = true;
  } catch (const std::system_error&) {
  }
  EXPECT_FALSE(logic);
}

// SIGKILL / SIGSTOP -> std::system_error (EINVAL)
TEST(ErrorMappingTest, KillAndStopAreEinval) {
  for (const int s : {SIGKILL, SIGSTOP}) {
    try {
      sigkit::siginterrupt(s, true);
      ADD_FAILURE() << "no exception for " << s;
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EINVAL) << s;
    }
  }
}

// TypeError -> an empty handler passed to signal() is std::invalid_argument
TEST(ErrorMappingTest, EmptyHandlerIsInvalidArgument) {
  EXPECT_THROW(sigkit::signal(SIGUSR1, sigkit::handler{}), std::invalid_argument);
}

// Messages are lowercase and name the operation (STYLE.md "Errors").
TEST(ErrorMappingTest, MessagesAreNotEmpty) {
  try {
    sigkit::raise_signal(-1);
  } catch (const std::system_error& e) {
    EXPECT_GT(std::strlen(e.what()), 0U);
  }
  try {
    static_cast<void>(sigkit::signum::from_name("SIGFOO"));
  } catch (const std::invalid_argument& e) {
    EXPECT_GT(std::strlen(e.what()), 0U);
  }
}

}  // namespace
