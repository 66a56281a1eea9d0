// Tests of sigkit/handler.hpp: the handler value type, signal(), getsignal(), siginterrupt()
// and scoped_handler, against API.md (behaviour points 4 and 5, "Handler overloads",
// "getsignal() tells the truth", "Reserved numbers", "Race with a handler change").
#include "sigkit/handler.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "detail/state.hpp"
#include "detail/syscalls.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/siginfo.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

std::atomic<int> g_calls{0};
std::atomic<int> g_last_signo{0};

void count_handler(int signo) {
  g_calls.fetch_add(1);
  g_last_signo.store(signo);
}
void other_handler(int /*signo*/) {}

extern "C" void foreign_c_handler(int /*signo*/) {}
extern "C" void foreign_info_handler(int /*signo*/, siginfo_t* /*info*/, void* /*ctx*/) {}

// Installs a disposition behind sigkit's back, as foreign C code would.
void raw_set_handler(int signo, void (*fn)(int), int flags = 0) {
  struct sigaction sa {};
  ::sigemptyset(&sa.sa_mask);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  ASSERT_EQ(::sigaction(signo, &sa, nullptr), 0);
}

struct sigaction raw_get(int signo) {
  struct sigaction sa {};
  EXPECT_EQ(::sigaction(signo, nullptr, &sa), 0);
  return sa;
}

template <class F>
void run_in_thread(F&& f) {
  std::thread t(std::forward<F>(f));
  t.join();
}

int system_error_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

// ---- the handler value type --------------------------------------------------------------

TEST(HandlerTest, DefaultConstructedIsEmpty) {
  const sigkit::handler h;
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.is_callable());
  EXPECT_FALSE(h.is_default());
  EXPECT_FALSE(h.is_ignore());
  EXPECT_EQ(h, sigkit::handler());
}

TEST(HandlerTest, SigDflAndSigIgnAreDistinctValues) {
  const sigkit::handler dfl = SIG_DFL;
  const sigkit::handler ign = SIG_IGN;
  EXPECT_TRUE(dfl.is_default());
  EXPECT_TRUE(ign.is_ignore());
  EXPECT_FALSE(dfl.empty());
  EXPECT_FALSE(ign.is_callable());
  EXPECT_EQ(dfl, sigkit::handler(SIG_DFL));
  EXPECT_EQ(ign, sigkit::handler(SIG_IGN));
  EXPECT_NE(dfl, ign);
  EXPECT_NE(dfl, sigkit::handler());
  EXPECT_NE(ign, sigkit::handler());
}

TEST(HandlerTest, SigErrThrowsInvalidArgument) {
  EXPECT_THROW(sigkit::handler{SIG_ERR}, std::invalid_argument);
}

TEST(HandlerTest, SameFunctionPointerComparesEqual) {
  const sigkit::handler a(&count_handler);
  const sigkit::handler b(&count_handler);
  EXPECT_TRUE(a.is_callable());
  EXPECT_FALSE(a.takes_siginfo());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, sigkit::handler(&other_handler));
  EXPECT_NE(a, sigkit::handler(SIG_DFL));
  EXPECT_EQ(sigkit::handler(count_handler), a);  // a function reference decays to the same
}

void info_function(const sigkit::siginfo& /*info*/) {}

TEST(HandlerTest, SameSiginfoFunctionPointerComparesEqual) {
  const sigkit::handler a(&info_function);
  const sigkit::handler b(&info_function);
  EXPECT_TRUE(a.takes_siginfo());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, sigkit::handler(&count_handler));
}

TEST(HandlerTest, CopiesCompareEqual) {
  const sigkit::handler a([](int) {});
  const sigkit::handler b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  sigkit::handler c;
  c = b;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

TEST(HandlerTest, SeparatelyConstructedLambdasAreNotEqual) {
  auto make = [] { return sigkit::handler([](int) {}); };
  EXPECT_NE(make(), make());
  const sigkit::handler x([](int) {});
  const sigkit::handler y([](int) {});
  EXPECT_NE(x, y);
}

TEST(HandlerTest, CallableKindsAreDetected) {
  const sigkit::handler plain([](int) {});
  const sigkit::handler info([](const sigkit::siginfo&) {});
  const sigkit::handler returns_value([](int s) { return s + 1; });
  EXPECT_FALSE(plain.takes_siginfo());
  EXPECT_TRUE(info.takes_siginfo());
  EXPECT_TRUE(info.is_callable());
  EXPECT_FALSE(returns_value.takes_siginfo());
  EXPECT_TRUE(returns_value.is_callable());
}

TEST(HandlerTest, CallOperatorPassesSignoOrSiginfo) {
  int got_int = 0;
  sigkit::siginfo got_info{};
  const sigkit::handler plain([&](int s) { got_int = s; });
  const sigkit::handler info([&](const sigkit::siginfo& i) { got_info = i; });
  sigkit::siginfo delivery{};
  delivery.signo = SIGUSR2;
  delivery.pid = 1234;
  delivery.value.sival_int = 77;
  plain(delivery);
  info(delivery);
  EXPECT_EQ(got_int, SIGUSR2);
  EXPECT_EQ(got_info.signo, SIGUSR2);
  EXPECT_EQ(got_info.pid, 1234);
  EXPECT_EQ(got_info.value.sival_int, 77);
  EXPECT_THROW(sigkit::handler()(delivery), std::logic_error);
  EXPECT_THROW(sigkit::handler(SIG_IGN)(delivery), std::logic_error);
}

// ---- signal() and getsignal() ------------------------------------------------------------

TEST(SignalTest, ReturnsPreviousHandlerWithIdentityPreserved) {
  raw_set_handler(SIGUSR1, SIG_DFL);
  const sigkit::handler h([](int) {});
  const sigkit::handler prev1 = sigkit::signal(SIGUSR1, h);
  EXPECT_EQ(prev1, SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), h);
  const sigkit::handler prev2 = sigkit::signal(SIGUSR1, &count_handler);
  EXPECT_EQ(prev2, h);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
  EXPECT_EQ(sigkit::signal(SIGUSR1, SIG_IGN), &count_handler);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_IGN);
  EXPECT_EQ(sigkit::signal(SIGUSR1, SIG_DFL), SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_DFL);
}

TEST(SignalTest, InstallsOsDispositions) {
  sigkit::signal(SIGUSR1, SIG_IGN);
  EXPECT_EQ(raw_get(SIGUSR1).sa_handler, SIG_IGN);
  sigkit::signal(SIGUSR1, SIG_DFL);
  EXPECT_EQ(raw_get(SIGUSR1).sa_handler, SIG_DFL);
  sigkit::signal(SIGUSR1, &count_handler);
  const struct sigaction sa = raw_get(SIGUSR1);
  EXPECT_NE(sa.sa_handler, SIG_DFL);
  EXPECT_NE(sa.sa_handler, SIG_IGN);
  EXPECT_EQ(sa.sa_flags & SA_RESTART, 0) << "signal() must install without SA_RESTART";
}

TEST(SignalTest, GetsignalOfUntouchedSignalsReadsTheOs) {
  EXPECT_EQ(sigkit::getsignal(SIGKILL), SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(SIGSTOP), SIG_DFL);
  raw_set_handler(SIGUSR2, SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGUSR2), SIG_IGN);
  raw_set_handler(SIGUSR2, SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(SIGUSR2), SIG_DFL);
}

TEST(SignalTest, GetsignalOfForeignHandlerIsEmpty) {
  raw_set_handler(SIGUSR1, &foreign_c_handler);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).empty());

  struct sigaction sa {};
  ::sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = &foreign_info_handler;
  sa.sa_flags = SA_SIGINFO;
  ASSERT_EQ(::sigaction(SIGUSR2, &sa, nullptr), 0);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR2).empty());

  // Installing over a foreign handler returns the empty handler as the previous one.
  const sigkit::handler prev = sigkit::signal(SIGUSR1, &count_handler);
  EXPECT_TRUE(prev.empty());
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
}

TEST(SignalTest, GetsignalTellsTheTruthAfterForeignCodeReplacedSigkitsHandler) {
  sigkit::signal(SIGUSR1, &count_handler);
  ASSERT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);

  raw_set_handler(SIGUSR1, &foreign_c_handler);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).empty()) << "getsignal() must not report a stale handler";

  raw_set_handler(SIGUSR1, SIG_IGN);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_IGN);

  raw_set_handler(SIGUSR1, SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_DFL);

  // signal() returns the truth as the previous handler as well.
  raw_set_handler(SIGUSR1, &foreign_c_handler);
  EXPECT_TRUE(sigkit::signal(SIGUSR1, SIG_DFL).empty());
}

TEST(SignalTest, ForeignCodeRestoringSigkitsSigactionMakesTheHandlerCurrentAgain) {
  g_calls = 0;
  sigkit::signal(SIGUSR1, &count_handler);
  // A library saves the disposition, installs its own, and later puts the saved one back.
  struct sigaction saved {};
  ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &saved), 0);
  raw_set_handler(SIGUSR1, &foreign_c_handler);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).empty());
  ASSERT_EQ(::sigaction(SIGUSR1, &saved, nullptr), 0);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(SignalTest, GetsignalComparesWithSigIgnAndFunctionPointers) {
  sigkit::signal(SIGUSR2, SIG_IGN);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR2) == SIG_IGN);
  EXPECT_FALSE(sigkit::getsignal(SIGUSR2) == SIG_DFL);
  sigkit::signal(SIGUSR2, &count_handler);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR2) == &count_handler);
  EXPECT_FALSE(sigkit::getsignal(SIGUSR2) == &other_handler);
}

TEST(SignalTest, OutOfRangeNumbersThrowInvalidArgument) {
  for (const int n : {0, -1, NSIG, NSIG + 1, 4242}) {
    EXPECT_THROW(sigkit::signal(n, &count_handler), std::invalid_argument) << n;
    EXPECT_THROW(sigkit::signal(n, SIG_DFL), std::invalid_argument) << n;
    EXPECT_THROW(static_cast<void>(sigkit::getsignal(n)), std::invalid_argument) << n;
    EXPECT_THROW(sigkit::siginterrupt(n, true), std::invalid_argument) << n;
  }
}

TEST(SignalTest, EmptyHandlerThrowsInvalidArgument) {
  EXPECT_THROW(sigkit::signal(SIGUSR1, sigkit::handler()), std::invalid_argument);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_DFL);
}

TEST(SignalTest, SigkillAndSigstopThrowSystemErrorEinval) {
  for (const int s : {SIGKILL, SIGSTOP}) {
    EXPECT_EQ(system_error_code([s] { sigkit::signal(s, &count_handler); }), EINVAL) << s;
    EXPECT_EQ(system_error_code([s] { sigkit::signal(s, SIG_DFL); }), EINVAL) << s;
    EXPECT_EQ(system_error_code([s] { sigkit::signal(s, SIG_IGN); }), EINVAL) << s;
    EXPECT_EQ(sigkit::getsignal(s), SIG_DFL);
  }
}

TEST(SignalTest, ReservedNumbersThrowSystemErrorAndGetsignalIsEmpty) {
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigset_t probe;
    ::sigemptyset(&probe);
    if (::sigaddset(&probe, s) == 0) continue;  // a valid signal
    SCOPED_TRACE("reserved signal " + std::to_string(s));
    EXPECT_EQ(system_error_code([s] { sigkit::signal(s, &count_handler); }), EINVAL);
    EXPECT_EQ(system_error_code([s] { sigkit::signal(s, SIG_IGN); }), EINVAL);
    EXPECT_TRUE(sigkit::getsignal(s).empty());
  }
  EXPECT_EQ(system_error_code([] { sigkit::signal(32, SIG_DFL); }), EINVAL);
  EXPECT_EQ(system_error_code([] { sigkit::signal(33, SIG_DFL); }), EINVAL);
  EXPECT_TRUE(sigkit::getsignal(32).empty());
  EXPECT_TRUE(sigkit::getsignal(33).empty());
}

TEST(SignalTest, FailedInstallLeavesPreviousHandler) {
  sigkit::signal(SIGUSR1, &count_handler);
  EXPECT_THROW(sigkit::signal(SIGUSR1, sigkit::handler()), std::invalid_argument);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
}

TEST(SignalTest, WorksForRealTimeSignals) {
  const int rt = SIGRTMIN + 3;
  const sigkit::handler h([](const sigkit::siginfo&) {});
  EXPECT_EQ(sigkit::signal(rt, h), SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(rt), h);
  EXPECT_EQ(sigkit::signal(SIGRTMAX, &count_handler), SIG_DFL);
  EXPECT_EQ(sigkit::getsignal(SIGRTMAX), &count_handler);
}

TEST(SignalTest, FromAnotherThreadThrowsInvalidArgument) {
  bool threw = false;
  bool threw_for_dfl = false;
  run_in_thread([&] {
    try {
      sigkit::signal(SIGUSR1, &count_handler);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    try {
      sigkit::signal(SIGUSR1, SIG_DFL);
    } catch (const std::invalid_argument&) {
      threw_for_dfl = true;
    }
  });
  EXPECT_TRUE(threw);
  EXPECT_TRUE(threw_for_dfl);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), SIG_DFL);
}

TEST(SignalTest, ThreadRuleComesBeforeOsErrors) {
  // API.md: argument checks first, then the thread rule, then the OS.
  int invalid = 0;
  int system = 0;
  run_in_thread([&] {
    for (const int s : {SIGKILL, SIGSTOP, 32}) {
      try {
        sigkit::signal(s, &count_handler);
      } catch (const std::invalid_argument&) {
        ++invalid;
      } catch (const std::system_error&) {
        ++system;
      }
    }
  });
  EXPECT_EQ(invalid, 3);
  EXPECT_EQ(system, 0);
}

TEST(SignalTest, GetsignalAndSiginterruptWorkFromAnotherThread) {
  sigkit::signal(SIGUSR1, &count_handler);
  bool equal = false;
  bool ok = true;
  run_in_thread([&] {
    equal = sigkit::getsignal(SIGUSR1) == &count_handler;
    try {
      sigkit::siginterrupt(SIGUSR1, false);
    } catch (...) {
      ok = false;
    }
  });
  EXPECT_TRUE(equal);
  EXPECT_TRUE(ok);
  EXPECT_NE(raw_get(SIGUSR1).sa_flags & SA_RESTART, 0);
}

TEST(SignalTest, RunsPendingHandlersBeforeChangingAnything) {
  g_calls = 0;
  sigkit::signal(SIGUSR1, &count_handler);
  ASSERT_EQ(::raise(SIGUSR1), 0);  // recorded, not yet run
  EXPECT_EQ(g_calls.load(), 0);
  sigkit::signal(SIGUSR1, SIG_IGN);
  EXPECT_EQ(g_calls.load(), 1) << "the pending handler must run before the change";
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(SignalTest, ExceptionFromPendingHandlerLeavesDispositionUnchanged) {
  const sigkit::handler thrower([](int) { throw std::runtime_error("boom"); });
  sigkit::signal(SIGUSR1, thrower);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_THROW(sigkit::signal(SIGUSR1, SIG_IGN), std::runtime_error);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), thrower);
  EXPECT_NE(raw_get(SIGUSR1).sa_handler, SIG_IGN);
}

// A delivery recorded after signal()'s own checkpoint but before the OS disposition becomes
// SIG_IGN: the syscall seam raises the signal in a helper thread at the moment sigkit asks the
// OS to install SIG_IGN, so the race is hit deterministically.
// While armed, the next time sigkit asks the OS to install SIG_DFL or SIG_IGN for
// g_trip_signal, a helper thread first sends that signal g_trip_count times (queued with
// values 0..n-1), so sigkit's OS-level handler records the deliveries under the old handler.
std::atomic<bool> g_trip_armed{false};
std::atomic<int> g_trip_signal{0};
std::atomic<int> g_trip_count{1};
std::atomic<int> g_seam_trips{0};

int tripping_sigaction(int signo, const struct sigaction* act, struct sigaction* old) {
  if (act != nullptr && signo == g_trip_signal.load() && (act->sa_flags & SA_SIGINFO) == 0 &&
      (act->sa_handler == SIG_IGN || act->sa_handler == SIG_DFL) && g_trip_armed.exchange(false)) {
    std::thread([signo] {
      sigset_t set;
      ::sigemptyset(&set);
      ::sigaddset(&set, signo);
      ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);  // signal() blocks everything meanwhile
      for (int i = 0; i < g_trip_count.load(); ++i) {
        sigval v{};
        v.sival_int = i;
        ::sigqueue(::getpid(), signo, v);  // only this thread can take it: recorded here
      }
      // Without TSan the OS-level handler has recorded the delivery before sigqueue returns.
      // TSan defers a signal that arrives outside an intercepted call and now and then never
      // delivers it: for a standard signal (one pending bit, so a resend adds nothing) resend
      // until sigkit has recorded it, for at most 2 s.
      const auto recorded = [signo] {
        return (sigkit::detail::tripped_mask.load() & sigkit::detail::signal_bit(signo)) != 0;
      };
      for (int tries = 0; signo < SIGRTMIN && tries < 200 && !recorded(); ++tries) {
        ::usleep(10000);
        if (!recorded()) ::sigqueue(::getpid(), signo, sigval{});
      }
    }).join();
    g_seam_trips.fetch_add(1);
  }
  return sigkit::detail::real_syscalls().sigaction(signo, act, old);
}

// Replaces the handler of `signo` by `replacement` with `count` deliveries racing the change;
// returns what stderr showed up to the following checkpoints.
std::string race_handler_change(int signo, sigkit::handler replacement, int count) {
  sigkit_test::stderr_capture capture;
  {
    const sigkit::detail::scoped_syscall seam(&sigkit::detail::syscall_table::sigaction,
                                              &tripping_sigaction);
    g_trip_signal = signo;
    g_trip_count = count;
    g_trip_armed = true;
    sigkit::signal(signo, std::move(replacement));
  }
  sigkit::check_signals();
  sigkit::check_signals();
  return capture.text();
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

std::string race_line(int signo) {
  return "sigkit: signal " + std::to_string(signo) + " ignored due to race condition\n";
}

#define SKIP_UNLESS_SEAM_USED()                                                               \
  if (g_seam_trips.load() == 0) {                                                             \
    GTEST_SKIP() << "signal() did not install the disposition through detail::sys.sigaction"; \
  }

TEST(SignalRaceTest, DeliveryWhoseHandlerWasReplacedBySigIgnIsReportedOnce) {
  g_calls = 0;
  sigkit::signal(SIGUSR1, &count_handler);
  const std::string text = race_handler_change(SIGUSR1, SIG_IGN, 1);
  SKIP_UNLESS_SEAM_USED();
  EXPECT_EQ(g_calls.load(), 0) << "the user's handler must not run after SIG_IGN was installed";
  EXPECT_EQ(count_occurrences(text, race_line(SIGUSR1)), 1U) << "stderr was: " << text;
}

TEST(SignalRaceTest, DeliveryWhoseHandlerWasReplacedBySigDflIsDroppedNotActedOn) {
  g_calls = 0;
  sigkit::signal(SIGUSR2, &count_handler);
  // SIGUSR2's default action would end the process; the recorded delivery must not trigger it.
  const std::string text = race_handler_change(SIGUSR2, SIG_DFL, 1);
  SKIP_UNLESS_SEAM_USED();
  EXPECT_EQ(g_calls.load(), 0);
  EXPECT_EQ(count_occurrences(text, race_line(SIGUSR2)), 1U) << "stderr was: " << text;
  EXPECT_EQ(sigkit::getsignal(SIGUSR2), SIG_DFL);
}

TEST(SignalRaceTest, DiscardedSiginfoRecordsAreCountedAsDropped) {
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();
  const int rt = SIGRTMIN + 7;
  std::atomic<int> received{0};
  sigkit::signal(rt, [&](const sigkit::siginfo&) { received.fetch_add(1); });
  const std::string text = race_handler_change(rt, SIG_IGN, 3);
  SKIP_UNLESS_SEAM_USED();
  EXPECT_EQ(received.load(), 0);
  EXPECT_EQ(sigkit::dropped_deliveries(rt), 3U) << "received + dropped must equal sent";
  const int status =
      sigkit_test::run_in_child([rt] { return sigkit::dropped_deliveries(rt) == 0 ? 0 : 1; });
  EXPECT_EQ(status, 0) << "a forked child starts with dropped_deliveries() at 0";
  EXPECT_GE(count_occurrences(text, race_line(rt)), 1U) << "stderr was: " << text;
}

// ---- siginterrupt --------------------------------------------------------------------------

TEST(SiginterruptTest, TogglesSaRestart) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::siginterrupt(SIGUSR1, false);
  EXPECT_NE(raw_get(SIGUSR1).sa_flags & SA_RESTART, 0);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
  sigkit::siginterrupt(SIGUSR1, true);
  EXPECT_EQ(raw_get(SIGUSR1).sa_flags & SA_RESTART, 0);
  EXPECT_EQ(sigkit::getsignal(SIGUSR1), &count_handler);
}

TEST(SiginterruptTest, LaterSignalCallMakesTheSignalInterruptibleAgain) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::siginterrupt(SIGUSR1, false);
  sigkit::signal(SIGUSR1, &other_handler);
  EXPECT_EQ(raw_get(SIGUSR1).sa_flags & SA_RESTART, 0);
}

TEST(SiginterruptTest, Errors) {
  EXPECT_THROW(sigkit::siginterrupt(0, true), std::invalid_argument);
  EXPECT_THROW(sigkit::siginterrupt(NSIG, false), std::invalid_argument);
  EXPECT_EQ(system_error_code([] { sigkit::siginterrupt(SIGKILL, true); }), EINVAL);
  EXPECT_EQ(system_error_code([] { sigkit::siginterrupt(SIGSTOP, false); }), EINVAL);
  EXPECT_EQ(system_error_code([] { sigkit::siginterrupt(32, false); }), EINVAL);
}

// A blocking read(2) in the main thread, a signal sent to the main thread 100 ms later.
// Returns read's result and errno; the helper thread feeds the pipe afterwards.
std::pair<ssize_t, int> read_interrupted_by_sigusr1() {
  const sigkit_test::pipe_pair p(false);
  const pthread_t main_thread = ::pthread_self();
  std::thread helper([&] {
    std::this_thread::sleep_for(100ms);
    ::pthread_kill(main_thread, SIGUSR1);
    std::this_thread::sleep_for(200ms);
    const char byte = 'x';
    static_cast<void>(::write(p.write_end, &byte, 1));
  });
  char c = 0;
  const ssize_t n = ::read(p.read_end, &c, 1);
  const int err = errno;
  helper.join();
  return {n, err};
}

TEST(SiginterruptTest, SystemCallsAreInterruptedByDefault) {
  g_calls = 0;
  sigkit::signal(SIGUSR1, &count_handler);
  const auto [n, err] = read_interrupted_by_sigusr1();
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EINTR);
  EXPECT_EQ(g_calls.load(), 0);  // deferred: the read's EINTR is not a checkpoint
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(SiginterruptTest, FalseMakesSystemCallsRestart) {
  g_calls = 0;
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::siginterrupt(SIGUSR1, false);
  const auto [n, err] = read_interrupted_by_sigusr1();
  EXPECT_EQ(n, 1) << "errno " << err;
  EXPECT_EQ(g_calls.load(), 0);
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
}

// ---- scoped_handler -------------------------------------------------------------------------

TEST(ScopedHandlerTest, InstallsAndRestoresSigDfl) {
  raw_set_handler(SIGUSR2, SIG_DFL);
  {
    const sigkit::scoped_handler scoped(SIGUSR2, &count_handler);
    EXPECT_EQ(sigkit::getsignal(SIGUSR2), &count_handler);
  }
  EXPECT_EQ(sigkit::getsignal(SIGUSR2), SIG_DFL);
  EXPECT_EQ(raw_get(SIGUSR2).sa_handler, SIG_DFL);
}

TEST(ScopedHandlerTest, RestoresForeignHandlerExactly) {
  struct sigaction foreign {};
  ::sigemptyset(&foreign.sa_mask);
  ::sigaddset(&foreign.sa_mask, SIGALRM);
  foreign.sa_sigaction = &foreign_info_handler;
  foreign.sa_flags = SA_SIGINFO | SA_RESTART;
  ASSERT_EQ(::sigaction(SIGUSR2, &foreign, nullptr), 0);
  {
    const sigkit::scoped_handler scoped(SIGUSR2, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGUSR2).is_callable());
  }
  const struct sigaction after = raw_get(SIGUSR2);
  EXPECT_EQ(after.sa_sigaction, &foreign_info_handler);
  EXPECT_NE(after.sa_flags & SA_SIGINFO, 0);
  EXPECT_NE(after.sa_flags & SA_RESTART, 0);
  EXPECT_EQ(::sigismember(&after.sa_mask, SIGALRM), 1);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR2).empty());
}

TEST(ScopedHandlerTest, RestoresPreviousSigkitHandler) {
  sigkit::signal(SIGUSR2, &other_handler);
  {
    const sigkit::scoped_handler scoped(SIGUSR2, &count_handler);
    EXPECT_EQ(sigkit::getsignal(SIGUSR2), &count_handler);
  }
  EXPECT_EQ(sigkit::getsignal(SIGUSR2), &other_handler);
}

TEST(ScopedHandlerTest, ErrorsAsSignal) {
  EXPECT_THROW(sigkit::scoped_handler(0, &count_handler), std::invalid_argument);
  EXPECT_THROW(sigkit::scoped_handler(SIGUSR1, sigkit::handler()), std::invalid_argument);
  EXPECT_EQ(system_error_code([] { const sigkit::scoped_handler s(SIGKILL, SIG_IGN); }), EINVAL);
  bool threw = false;
  run_in_thread([&] {
    try {
      const sigkit::scoped_handler s(SIGUSR1, &count_handler);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
  });
  EXPECT_TRUE(threw);
}

}  // namespace
