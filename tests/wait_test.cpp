// Tests for sigkit/wait.hpp: sigwait, sigwaitinfo, sigtimedwait, including EINTR resumption.
#include "sigkit/wait.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"

namespace {

using sigkit::signal_set;
using std::chrono::duration;
using std::chrono::steady_clock;

using seconds_d = duration<double>;

// The signatures API.md fixes.
static_assert(std::is_same_v<decltype(&sigkit::sigwait), sigkit::signum (*)(const signal_set&)>);
static_assert(
    std::is_same_v<decltype(&sigkit::sigwaitinfo), sigkit::siginfo (*)(const signal_set&)>);
static_assert(std::is_same_v<decltype(&sigkit::sigtimedwait),
                             std::optional<sigkit::siginfo> (*)(const signal_set&, seconds_d)>);

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// tgkill(2) reports SI_TKILL on most kernels; some report SI_USER.
bool is_thread_kill_code(int code) { return code == SI_TKILL || code == SI_USER; }

double since(steady_clock::time_point start) {
  return seconds_d(steady_clock::now() - start).count();
}

struct handler_error : std::runtime_error {
  handler_error() : std::runtime_error("handler_error") {}
};

// A thread that sleeps and then sends signals to a target thread; it can be cancelled, and
// it is always joined.
class delayed_sender {
 public:
  delayed_sender() : target_(::pthread_self()) {}
  ~delayed_sender() {
    cancel();
    if (thread_.joinable()) thread_.join();
  }
  delayed_sender(const delayed_sender&) = delete;
  delayed_sender& operator=(const delayed_sender&) = delete;

  // Sends `signo` to the constructing thread `delay` after start (in call order).
  void start(std::initializer_list<std::pair<double, int>> schedule) {
    std::vector<std::pair<double, int>> plan(schedule);
    thread_ = std::thread([this, plan] {
      const auto t0 = steady_clock::now();
      for (const auto& [at, signo] : plan) {
        std::unique_lock lock(mutex_);
        const auto when = t0 + std::chrono::duration_cast<steady_clock::duration>(seconds_d(at));
        if (cv_.wait_until(lock, when, [this] { return cancelled_; })) return;
        lock.unlock();
        sigkit::pthread_kill(target_, signo);
      }
    });
  }
  void cancel() {
    {
      const std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  pthread_t target_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::thread thread_;
};

// ---- sigwait ---------------------------------------------------------------------------

TEST(SigwaitTest, ReturnsAPendingSignal) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const sigkit::signum got = sigkit::sigwait({SIGUSR1, SIGUSR2});
  EXPECT_EQ(got, SIGUSR1);
  EXPECT_TRUE(sigkit::sigpending().empty());
}

TEST(SigwaitTest, ConsumesQueuedRealTimeSignalsOneAtATime) {
  const int rt = SIGRTMIN + 1;
  sigkit::pthread_sigmask(SIG_BLOCK, {rt});
  ASSERT_EQ(::raise(rt), 0);
  ASSERT_EQ(::raise(rt), 0);
  EXPECT_EQ(sigkit::sigwait({rt}), rt);
  EXPECT_TRUE(sigkit::sigpending().contains(rt));
  EXPECT_EQ(sigkit::sigwait({rt}), rt);
  EXPECT_FALSE(sigkit::sigpending().contains(rt));
}

TEST(SigwaitTest, ReturnsTheLowestPendingStandardSignal) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1, SIGUSR2});
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(sigkit::sigwait({SIGUSR1, SIGUSR2}), SIGUSR1);
  EXPECT_EQ(sigkit::sigwait({SIGUSR1, SIGUSR2}), SIGUSR2);
}

TEST(SigwaitTest, WaitsForASignalFromAnotherThread) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.1, SIGUSR2}});
  EXPECT_EQ(sigkit::sigwait({SIGUSR2}), SIGUSR2);
}

TEST(SigwaitTest, DoesNotRunTheHandler) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(sigkit::sigwait({SIGUSR1}), SIGUSR1);
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);
}

TEST(SigwaitTest, IsNotACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});  // a checkpoint, so before the raise below
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR2), 0);  // recorded; its handler is pending
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(sigkit::sigwait({SIGUSR1}), SIGUSR1);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(SigwaitTest, EmptySetIsInvalid) {
  EXPECT_THROW(static_cast<void>(sigkit::sigwait({})), std::invalid_argument);
}

// ---- sigwaitinfo -----------------------------------------------------------------------

TEST(SigwaitinfoTest, ReturnsTheDetails) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  sigval value{};
  value.sival_int = 77;
  ASSERT_EQ(::sigqueue(::getpid(), SIGUSR1, value), 0);
  const sigkit::siginfo info = sigkit::sigwaitinfo({SIGUSR1});
  EXPECT_EQ(info.signo, SIGUSR1);
  EXPECT_EQ(info.code, SI_QUEUE);
  EXPECT_EQ(info.pid, ::getpid());
  EXPECT_EQ(info.uid, ::getuid());
  EXPECT_EQ(info.value.sival_int, 77);
}

TEST(SigwaitinfoTest, ThreadDirectedSignal) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGUSR2), 0);
  const sigkit::siginfo info = sigkit::sigwaitinfo({SIGUSR2});
  EXPECT_EQ(info.signo, SIGUSR2);
  EXPECT_PRED1(is_thread_kill_code, info.code);
  EXPECT_EQ(info.pid, ::getpid());
}

TEST(SigwaitinfoTest, RealTimeSignalsInOrderWithPayloads) {
  const int rt = SIGRTMIN + 2;
  sigkit::pthread_sigmask(SIG_BLOCK, {rt});
  for (int i = 1; i <= 5; ++i) {
    sigval value{};
    value.sival_int = i * 10;
    ASSERT_EQ(::sigqueue(::getpid(), rt, value), 0);
  }
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(sigkit::sigwaitinfo({rt}).value.sival_int, i * 10);
  }
}

TEST(SigwaitinfoTest, DoesNotRunTheWaitedSignalsHandler) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(sigkit::sigwaitinfo({SIGUSR1}).signo, SIGUSR1);
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);
}

TEST(SigwaitinfoTest, EmptySetIsInvalid) {
  EXPECT_THROW(static_cast<void>(sigkit::sigwaitinfo({})), std::invalid_argument);
}

TEST(SigwaitinfoTest, InterruptedWaitRunsHandlerAndResumes) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int s) {
    EXPECT_EQ(s, SIGUSR1);
    ++calls;
  });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.2, SIGUSR1}, {0.5, SIGUSR2}});
  const sigkit::siginfo info = sigkit::sigwaitinfo({SIGUSR2});
  EXPECT_EQ(info.signo, SIGUSR2);
  EXPECT_PRED1(is_thread_kill_code, info.code);
  EXPECT_EQ(calls, 1) << "the interrupting signal's handler runs inside the wait";
}

TEST(SigwaitinfoTest, HandlerExceptionPropagatesOutOfTheWait) {
  sigkit::signal(SIGUSR1, [](int) { throw handler_error(); });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  // SIGUSR2 at 5 s only ends the wait if the exception did not propagate.
  sender.start({{0.2, SIGUSR1}, {5.0, SIGUSR2}});
  const auto start = steady_clock::now();
  EXPECT_THROW(static_cast<void>(sigkit::sigwaitinfo({SIGUSR2})), handler_error);
  EXPECT_LT(since(start), 4.0);
  sender.cancel();
}

TEST(SigwaitinfoTest, WorksInAnotherThread) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGRTMIN});
  std::atomic<int> got{0};
  std::thread t([&] { got = sigkit::sigwaitinfo({SIGRTMIN}).signo; });
  ASSERT_EQ(::kill(::getpid(), SIGRTMIN), 0);
  t.join();
  EXPECT_EQ(got, SIGRTMIN);
}

// ---- sigtimedwait ----------------------------------------------------------------------

TEST(SigtimedwaitTest, ReturnsAPendingSignal) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  sigval value{};
  value.sival_int = -5;
  ASSERT_EQ(::sigqueue(::getpid(), SIGUSR1, value), 0);
  const std::optional<sigkit::siginfo> info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(5));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR1);
  EXPECT_EQ(info->code, SI_QUEUE);
  EXPECT_EQ(info->pid, ::getpid());
  EXPECT_EQ(info->value.sival_int, -5);
}

TEST(SigtimedwaitTest, TimesOut) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(0.2)), std::nullopt);
  const double took = since(start);
  EXPECT_GE(took, 0.2);
  EXPECT_LT(took, 2.0);
}

TEST(SigtimedwaitTest, ZeroTimeoutPolls) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGALRM});
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGALRM}, seconds_d(0)), std::nullopt);
  EXPECT_LT(since(start), 0.5);
  ASSERT_EQ(::raise(SIGALRM), 0);
  const auto info = sigkit::sigtimedwait({SIGALRM}, seconds_d(0));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGALRM);
}

TEST(SigtimedwaitTest, TinyTimeoutDoesNotBlock) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR2}, seconds_d(1e-12)), std::nullopt);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR2}, seconds_d(1e-300)), std::nullopt);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR2}, seconds_d(1e-9)), std::nullopt);
  EXPECT_LT(since(start), 0.5);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  const auto info = sigkit::sigtimedwait({SIGUSR2}, seconds_d(1e-12));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR2);
}

TEST(SigtimedwaitTest, NegativeTimeoutIsInvalid) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  for (const double t :
       {-1.0, -1e-9, -1e-300, -std::numeric_limits<double>::denorm_min(), -kInf, -1e300}) {
    EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(t))),
                 std::invalid_argument)
        << t;
  }
}

TEST(SigtimedwaitTest, NegativeTimeoutIsInvalidEvenWithASignalPending) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(-1e-9))),
               std::invalid_argument);
  EXPECT_TRUE(sigkit::sigpending().contains(SIGUSR1)) << "nothing was consumed";
}

TEST(SigtimedwaitTest, NaNTimeoutIsInvalid) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(kNaN))),
               std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(-kNaN))),
               std::invalid_argument);
}

TEST(SigtimedwaitTest, InfiniteOrHugeTimeoutIsOutOfRange) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  for (const double t : {kInf, 1e300, 1e19, 1e30, std::numeric_limits<double>::max()}) {
    EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(t))),
                 std::out_of_range)
        << t;
  }
}

TEST(SigtimedwaitTest, LargeTimeoutThatFitsTimeTIsAccepted) {
  // API.md "Durations": only +inf or seconds that do not fit time_t are out of range. A
  // pending signal makes the call return at once.
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  for (const double t : {1e6, 1e10, 1e12, 1e15}) {
    ASSERT_EQ(::raise(SIGUSR1), 0);
    std::optional<sigkit::siginfo> info;
    EXPECT_NO_THROW(info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(t))) << t;
    ASSERT_TRUE(info.has_value()) << t;
    EXPECT_EQ(info->signo, SIGUSR1);
  }
}

TEST(SigtimedwaitTest, EmptySetIsInvalid) {
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({}, seconds_d(1))), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({}, seconds_d(0))), std::invalid_argument);
}

TEST(SigtimedwaitTest, AcceptsOtherDurationTypes) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  using namespace std::chrono_literals;
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, 10ms), std::nullopt);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, std::chrono::microseconds(1)), std::nullopt);
}

TEST(SigtimedwaitTest, SignalFromAnotherThreadEndsTheWait) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.2, SIGUSR2}});
  const auto start = steady_clock::now();
  const auto info = sigkit::sigtimedwait({SIGUSR2}, seconds_d(10));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR2);
  EXPECT_LT(since(start), 5.0);
}

TEST(SigtimedwaitTest, InterruptedWaitRunsHandlerAndReturnsTheSignal) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.2, SIGUSR1}, {0.5, SIGUSR2}});
  const auto info = sigkit::sigtimedwait({SIGUSR2}, seconds_d(10));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR2);
  EXPECT_PRED1(is_thread_kill_code, info->code);
  EXPECT_EQ(calls, 1);
}

TEST(SigtimedwaitTest, InterruptedWaitResumesWithTheRemainingTime) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.3, SIGUSR1}, {0.7, SIGUSR1}});
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR2}, seconds_d(1.0)), std::nullopt);
  const double took = since(start);
  EXPECT_EQ(calls, 2);
  EXPECT_GE(took, 1.0);
  // Restarting with the full timeout after each interruption would take about 1.7 s.
  EXPECT_LT(took, 1.5);
}

TEST(SigtimedwaitTest, DeadlinePassingInsideTheHandlerGivesNullopt) {
  // CPython returns garbage here (python-signal.md 3.18); sigkit must return nullopt.
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.1, SIGUSR1}});
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR2}, seconds_d(0.3)), std::nullopt);
  EXPECT_EQ(calls, 1);
  EXPECT_LT(since(start), 2.0);
}

TEST(SigtimedwaitTest, HandlerExceptionPropagatesOutOfTheWait) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) {
    ++calls;
    throw handler_error();
  });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  delayed_sender sender;
  sender.start({{0.2, SIGUSR1}});
  const auto start = steady_clock::now();
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR2}, seconds_d(5))), handler_error);
  EXPECT_EQ(calls, 1);
  EXPECT_LT(since(start), 4.0);
}

TEST(SigtimedwaitTest, NegativeZeroTimeoutPolls) {
  // -0.0 is not a negative duration (it equals 0): a poll, as in Python.
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  std::optional<sigkit::siginfo> info;
  EXPECT_NO_THROW(info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(-0.0)));
  EXPECT_EQ(info, std::nullopt);
}

TEST(SigtimedwaitTest, IsACheckpointOnlyWhenInterrupted) {
  // A handler already pending does not run when the wait returns without EINTR.
  std::atomic<int> calls{0};
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});  // a checkpoint, so before the raise below
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const auto info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(1));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR1);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(0)), std::nullopt);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(SigwaitinfoTest, IsACheckpointOnlyWhenInterrupted) {
  std::atomic<int> calls{0};
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(sigkit::sigwaitinfo({SIGUSR1}).signo, SIGUSR1);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(SigtimedwaitTest, InterruptedInAnotherThreadResumesWithoutRunningHandlers) {
  // In a thread other than the main thread an interrupted wait runs no handlers (API.md 1:
  // check_signals does nothing there) and still resumes with the remaining time.
  std::atomic<int> calls{0};
  std::atomic<bool> on_main{false};
  const std::thread::id main_id = std::this_thread::get_id();
  sigkit::signal(SIGUSR1, [&](int) {
    ++calls;
    on_main = std::this_thread::get_id() == main_id;
  });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});
  std::atomic<bool> timed_out{false};
  std::atomic<int> calls_seen_in_thread{-1};
  std::atomic<double> took{0.0};
  std::atomic<bool> started{false};
  std::thread t([&] {
    sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1});
    started = true;
    const auto start = steady_clock::now();
    timed_out = !sigkit::sigtimedwait({SIGUSR2}, seconds_d(1.0)).has_value();
    took = since(start);
    calls_seen_in_thread = calls.load();
  });
  // Block SIGUSR1 here so that only the thread can take it.
  sigkit::block({SIGUSR1});
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The raw call: sigkit::pthread_kill would be a checkpoint on this (main) thread.
  EXPECT_EQ(::pthread_kill(t.native_handle(), SIGUSR1), 0);
  t.join();
  EXPECT_TRUE(timed_out);
  EXPECT_GE(took, 1.0);
  EXPECT_LT(took, 1.4);
  EXPECT_EQ(calls_seen_in_thread, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(on_main);
}

TEST(SigtimedwaitTest, WorksInAnotherThread) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGRTMIN + 3});
  std::atomic<bool> timed_out{false};
  std::atomic<int> got{0};
  std::thread t([&] {
    timed_out = !sigkit::sigtimedwait({SIGRTMIN + 3}, seconds_d(0.05)).has_value();
    const auto info = sigkit::sigtimedwait({SIGRTMIN + 3}, seconds_d(10));
    got = info ? info->signo : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(::kill(::getpid(), SIGRTMIN + 3), 0);
  t.join();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(got, SIGRTMIN + 3);
}

}  // namespace
