// Tests for sigkit/itimer.hpp: alarm, setitimer, getitimer, itimer_value.
#include "sigkit/itimer.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/time.h>
#include "support/test_support.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>

#include "sigkit/errors.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/wait.hpp"

namespace {

using seconds_d = std::chrono::duration<double>;
using std::chrono::seconds;
using std::chrono::steady_clock;

// The signatures API.md fixes.
static_assert(std::is_same_v<decltype(&sigkit::alarm), seconds (*)(seconds)>);
static_assert(std::is_same_v<decltype(&sigkit::setitimer),
                             sigkit::itimer_value (*)(int, seconds_d, seconds_d)>);
static_assert(std::is_same_v<decltype(&sigkit::getitimer), sigkit::itimer_value (*)(int)>);
static_assert(std::is_same_v<decltype(sigkit::itimer_value::delay), seconds_d>);
static_assert(std::is_same_v<decltype(sigkit::itimer_value::interval), seconds_d>);

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class F>
int itimer_errno(F&& f) {
  return sigkit_test::errno_of<sigkit::itimer_error>(std::forward<F>(f));
}

bool fires_within(int signo, double limit) {
  return sigkit::sigtimedwait({signo}, seconds_d(limit)).has_value();
}

void disarm_all() {
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
  sigkit::setitimer(ITIMER_VIRTUAL, seconds_d(0));
  sigkit::setitimer(ITIMER_PROF, seconds_d(0));
}

TEST(ItimerValueTest, DefaultIsZero) {
  const sigkit::itimer_value v;
  EXPECT_EQ(v.delay.count(), 0.0);
  EXPECT_EQ(v.interval.count(), 0.0);
}

// ---- alarm -----------------------------------------------------------------------------

TEST(AlarmTest, ReturnsTheRemainingSecondsOfThePreviousAlarm) {
  EXPECT_EQ(sigkit::alarm(seconds(100)), seconds(0));
  const seconds left = sigkit::alarm(seconds(0));
  EXPECT_GE(left, seconds(99));
  EXPECT_LE(left, seconds(100));
  EXPECT_EQ(sigkit::alarm(seconds(0)), seconds(0));
}

TEST(AlarmTest, Fires) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  const auto start = steady_clock::now();
  sigkit::alarm(seconds(1));
  const auto info = sigkit::sigtimedwait({SIGALRM}, seconds_d(10));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGALRM);
  EXPECT_EQ(info->code, SI_KERNEL);
  EXPECT_GE(seconds_d(steady_clock::now() - start).count(), 0.9);
}

TEST(AlarmTest, ZeroCancels) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  sigkit::alarm(seconds(1));
  sigkit::alarm(seconds(0));
  EXPECT_FALSE(fires_within(SIGALRM, 1.5));
}

TEST(AlarmTest, NegativeIsInvalid) {
  EXPECT_THROW(sigkit::alarm(seconds(-1)), std::invalid_argument);
  EXPECT_THROW(sigkit::alarm(seconds(LLONG_MIN)), std::invalid_argument);
  EXPECT_EQ(sigkit::alarm(seconds(0)), seconds(0)) << "nothing was armed";
}

TEST(AlarmTest, AboveUintMaxIsOutOfRange) {
  const auto above = static_cast<seconds::rep>(UINT_MAX) + 1;
  EXPECT_THROW(sigkit::alarm(seconds(above)), std::out_of_range);
  EXPECT_THROW(sigkit::alarm(seconds(LLONG_MAX)), std::out_of_range);
  EXPECT_EQ(sigkit::alarm(seconds(0)), seconds(0)) << "nothing was armed";
}

TEST(AlarmTest, UintMaxIsAccepted) {
  EXPECT_EQ(sigkit::alarm(seconds(UINT_MAX)), seconds(0));
  const seconds left = sigkit::alarm(seconds(0));
  EXPECT_GE(left.count(), static_cast<seconds::rep>(UINT_MAX) - 2);
  EXPECT_LE(left.count(), static_cast<seconds::rep>(UINT_MAX));
}

TEST(AlarmTest, SharesTheRealTimer) {
  sigkit::alarm(seconds(50));
  const sigkit::itimer_value v = sigkit::getitimer(ITIMER_REAL);
  EXPECT_GT(v.delay.count(), 49.0);
  EXPECT_LE(v.delay.count(), 50.0);
  sigkit::alarm(seconds(0));
}

// ---- setitimer / getitimer -------------------------------------------------------------

TEST(SetitimerTest, DisarmedTimersReadZero) {
  for (const int which : {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF}) {
    const sigkit::itimer_value v = sigkit::getitimer(which);
    EXPECT_EQ(v.delay.count(), 0.0) << which;
    EXPECT_EQ(v.interval.count(), 0.0) << which;
  }
}

TEST(SetitimerTest, ReturnsTheOldValue) {
  const sigkit::itimer_value first = sigkit::setitimer(ITIMER_REAL, seconds_d(100), seconds_d(2.5));
  EXPECT_EQ(first.delay.count(), 0.0);
  EXPECT_EQ(first.interval.count(), 0.0);
  const sigkit::itimer_value now = sigkit::getitimer(ITIMER_REAL);
  EXPECT_GT(now.delay.count(), 99.0);
  EXPECT_LE(now.delay.count(), 100.0);
  EXPECT_DOUBLE_EQ(now.interval.count(), 2.5);
  const sigkit::itimer_value old = sigkit::setitimer(ITIMER_REAL, seconds_d(0));
  EXPECT_GT(old.delay.count(), 99.0);
  EXPECT_LE(old.delay.count(), 100.0);
  EXPECT_DOUBLE_EQ(old.interval.count(), 2.5);
  const sigkit::itimer_value after = sigkit::getitimer(ITIMER_REAL);
  EXPECT_EQ(after.delay.count(), 0.0);
  EXPECT_EQ(after.interval.count(), 0.0);
}

TEST(SetitimerTest, VirtualAndProfTimersCanBeSetAndRead) {
  for (const int which : {ITIMER_VIRTUAL, ITIMER_PROF}) {
    sigkit::setitimer(which, seconds_d(30), seconds_d(0.25));
    const sigkit::itimer_value v = sigkit::getitimer(which);
    EXPECT_GT(v.delay.count(), 29.0) << which;
    EXPECT_LE(v.delay.count(), 30.1) << which;  // CPU timers have tick granularity
    EXPECT_DOUBLE_EQ(v.interval.count(), 0.25) << which;
    sigkit::setitimer(which, seconds_d(0));
  }
}

TEST(SetitimerTest, ZeroDelayDisarmsWhateverTheInterval) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  sigkit::setitimer(ITIMER_REAL, seconds_d(0.2), seconds_d(0.2));
  sigkit::setitimer(ITIMER_REAL, seconds_d(0), seconds_d(0.1));
  const sigkit::itimer_value v = sigkit::getitimer(ITIMER_REAL);
  EXPECT_EQ(v.delay.count(), 0.0);
  EXPECT_FALSE(fires_within(SIGALRM, 0.6));
}

TEST(SetitimerTest, RealTimerFires) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  sigkit::setitimer(ITIMER_REAL, seconds_d(0.05));
  const auto info = sigkit::sigtimedwait({SIGALRM}, seconds_d(10));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGALRM);
  EXPECT_EQ(sigkit::getitimer(ITIMER_REAL).delay.count(), 0.0) << "a one-shot timer";
}

TEST(SetitimerTest, IntervalTimerFiresRepeatedly) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  sigkit::setitimer(ITIMER_REAL, seconds_d(0.05), seconds_d(0.05));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fires_within(SIGALRM, 10)) << i;
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

TEST(SetitimerTest, TinyTimeStillFires) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  for (const double t : {1e-6, 1e-7, 1e-9, 1e-300, std::numeric_limits<double>::denorm_min()}) {
    sigkit::setitimer(ITIMER_REAL, seconds_d(t));
    EXPECT_TRUE(fires_within(SIGALRM, 5)) << t;
  }
}

TEST(SetitimerTest, TinyIntervalIsNotZero) {
  sigkit::setitimer(ITIMER_REAL, seconds_d(100), seconds_d(1e-9));
  const sigkit::itimer_value v = sigkit::getitimer(ITIMER_REAL);
  EXPECT_GT(v.interval.count(), 0.0);
  EXPECT_LE(v.interval.count(), 1e-3);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

TEST(SetitimerTest, TimesRoundUpToWholeMicroseconds) {
  sigkit::setitimer(ITIMER_REAL, seconds_d(100), seconds_d(1.0000001));
  EXPECT_DOUBLE_EQ(sigkit::getitimer(ITIMER_REAL).interval.count(), 1.000001);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

TEST(SetitimerTest, VirtualTimerFiresOnCpuTime) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGVTALRM, SIGPROF});
  sigkit::setitimer(ITIMER_VIRTUAL, seconds_d(0.01));
  sigkit::setitimer(ITIMER_PROF, seconds_d(0.01));
  const auto start = steady_clock::now();
  bool vt = false;
  bool prof = false;
  volatile unsigned long spin = 0;
  while ((!vt || !prof) && steady_clock::now() - start < std::chrono::seconds(10)) {
    for (int i = 0; i < 100000; ++i) spin = spin + 1;
    vt = vt || sigkit::sigtimedwait({SIGVTALRM}, seconds_d(0)).has_value();
    prof = prof || sigkit::sigtimedwait({SIGPROF}, seconds_d(0)).has_value();
  }
  EXPECT_TRUE(vt);
  EXPECT_TRUE(prof);
  disarm_all();
}

TEST(SetitimerTest, LargeTimeThatFitsTimeTIsAccepted) {
  // API.md "Durations": only +inf or seconds that do not fit time_t are out of range.
  EXPECT_NO_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(1e12)));
  EXPECT_GT(sigkit::getitimer(ITIMER_REAL).delay.count(), 1e8);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

TEST(SetitimerTest, BadWhichIsItimerError) {
  for (const int which : {-1, 3, 99, INT_MIN, INT_MAX}) {
    EXPECT_EQ(itimer_errno([which] { sigkit::setitimer(which, seconds_d(1)); }), EINVAL) << which;
    EXPECT_EQ(itimer_errno([which] { static_cast<void>(sigkit::getitimer(which)); }), EINVAL)
        << which;
  }
}

TEST(SetitimerTest, ItimerErrorIsASystemError) {
  EXPECT_THROW(sigkit::setitimer(99, seconds_d(1)), std::system_error);
  EXPECT_THROW(static_cast<void>(sigkit::getitimer(99)), std::system_error);
}

TEST(SetitimerTest, NegativeTimeIsItimerError) {
  for (const double t :
       {-1.0, -1e-6, -1e-9, -1e-300, -std::numeric_limits<double>::denorm_min(), -kInf, -1e300}) {
    EXPECT_EQ(itimer_errno([t] { sigkit::setitimer(ITIMER_REAL, seconds_d(t)); }), EINVAL) << t;
    EXPECT_EQ(itimer_errno([t] { sigkit::setitimer(ITIMER_REAL, seconds_d(1), seconds_d(t)); }),
              EINVAL)
        << t;
    EXPECT_EQ(itimer_errno([t] { sigkit::setitimer(ITIMER_REAL, seconds_d(0), seconds_d(t)); }),
              EINVAL)
        << t;
  }
}

TEST(SetitimerTest, NegativeZeroIsZero) {
  // -0.0 is not a negative duration: it disarms, as 0 does.
  sigkit::setitimer(ITIMER_REAL, seconds_d(100));
  EXPECT_NO_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(-0.0), seconds_d(-0.0)));
  EXPECT_EQ(sigkit::getitimer(ITIMER_REAL).delay.count(), 0.0);
}

TEST(SetitimerTest, NaNIsInvalidArgument) {
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(kNaN)), std::invalid_argument);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(1), seconds_d(kNaN)),
               std::invalid_argument);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(-kNaN)), std::invalid_argument);
}

TEST(SetitimerTest, InfiniteOrHugeTimeIsOutOfRange) {
  for (const double t : {kInf, 1e300, 1e19, 1e30, std::numeric_limits<double>::max()}) {
    EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(t)), std::out_of_range) << t;
    EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(1), seconds_d(t)), std::out_of_range)
        << t;
  }
}

TEST(SetitimerTest, FailedCallLeavesTheTimerAlone) {
  sigkit::setitimer(ITIMER_REAL, seconds_d(100), seconds_d(3));
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(-1)), sigkit::itimer_error);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(kNaN)), std::invalid_argument);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(kInf)), std::out_of_range);
  const sigkit::itimer_value v = sigkit::getitimer(ITIMER_REAL);
  EXPECT_GT(v.delay.count(), 99.0);
  EXPECT_DOUBLE_EQ(v.interval.count(), 3.0);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

TEST(SetitimerTest, AcceptsOtherDurationTypes) {
  using namespace std::chrono_literals;
  sigkit::setitimer(ITIMER_REAL, 100s, 1500ms);
  EXPECT_DOUBLE_EQ(sigkit::getitimer(ITIMER_REAL).interval.count(), 1.5);
  sigkit::setitimer(ITIMER_REAL, 0s);
}

TEST(SetitimerTest, WorksFromAnotherThread) {
  std::atomic<double> delay{0.0};
  std::thread t([&] {
    sigkit::setitimer(ITIMER_REAL, seconds_d(100));
    delay = sigkit::getitimer(ITIMER_REAL).delay.count();
  });
  t.join();
  EXPECT_GT(delay.load(), 99.0);
  // ITIMER_REAL is per process.
  EXPECT_GT(sigkit::getitimer(ITIMER_REAL).delay.count(), 99.0);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0));
}

}  // namespace

namespace {

// CPython scales to nanoseconds before rounding up to microseconds, so a decimal interval
// comes back as written, not one microsecond above (the double for 1.002 is just above it).
TEST(SetitimerTest, DecimalIntervalIsNotRoundedUpPastItsValue) {
  sigkit::setitimer(ITIMER_REAL, std::chrono::seconds(100), std::chrono::duration<double>(1.002));
  const sigkit::itimer_value v = sigkit::getitimer(ITIMER_REAL);
  EXPECT_DOUBLE_EQ(v.interval.count(), 1.002);
  sigkit::setitimer(ITIMER_REAL, std::chrono::seconds(0));
}

}  // namespace
