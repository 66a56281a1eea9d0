// Tests of sigkit/subscribe.hpp against API.md Part 2, "Many subscribers per signal" and
// "Details that are fixed (Part 2)": the stack, broadcast, fall-through, exact restoration,
// threads, changes during a delivery, and errors.
#include "sigkit/subscribe.hpp"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/testing.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using sigkit::verdict;

struct sigaction raw_get(int signo) {
  struct sigaction sa {};
  EXPECT_EQ(::sigaction(signo, nullptr, &sa), 0);
  return sa;
}

void raw_set(int signo, void (*fn)(int), int flags, std::initializer_list<int> mask = {}) {
  struct sigaction sa {};
  ::sigemptyset(&sa.sa_mask);
  for (const int m : mask) ::sigaddset(&sa.sa_mask, m);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  ASSERT_EQ(::sigaction(signo, &sa, nullptr), 0);
}

// Exact restoration compares handler, mask and flags apart from glibc's SA_RESTORER.
void expect_same_action(const struct sigaction& a, const struct sigaction& b) {
  constexpr int kRestorer = 0x04000000;
  EXPECT_EQ(reinterpret_cast<void*>(a.sa_handler), reinterpret_cast<void*>(b.sa_handler));
  EXPECT_EQ(a.sa_flags & ~kRestorer, b.sa_flags & ~kRestorer);
  for (int s = 1; s < NSIG; ++s) {
    EXPECT_EQ(::sigismember(&a.sa_mask, s), ::sigismember(&b.sa_mask, s)) << "mask bit " << s;
  }
}

sigkit::siginfo made_up(int signo, pid_t pid, uid_t uid, int value, int code = SI_QUEUE) {
  sigkit::siginfo info;
  info.signo = signo;
  info.code = code;
  info.pid = pid;
  info.uid = uid;
  info.value.sival_int = value;
  return info;
}

std::atomic<int> g_foreign_calls{0};
std::atomic<int> g_foreign_signo{0};
std::atomic<pid_t> g_foreign_pid{0};
std::atomic<uid_t> g_foreign_uid{0};
std::atomic<int> g_foreign_code{0};
std::atomic<int> g_foreign_value{0};
std::atomic<bool> g_foreign_null_context{false};
std::atomic<bool> g_foreign_on_main{false};

extern "C" void foreign_plain(int signo) {
  g_foreign_calls.fetch_add(1);
  g_foreign_signo.store(signo);
  g_foreign_on_main.store(::gettid() == ::getpid());
}

extern "C" void foreign_info(int signo, siginfo_t* info, void* context) {
  g_foreign_calls.fetch_add(1);
  g_foreign_signo.store(signo);
  g_foreign_pid.store(info->si_pid);
  g_foreign_uid.store(info->si_uid);
  g_foreign_code.store(info->si_code);
  g_foreign_value.store(info->si_value.sival_int);
  g_foreign_null_context.store(context == nullptr);
  g_foreign_on_main.store(::gettid() == ::getpid());
}

// ---- deferral, broadcast, order --------------------------------------------------------------

TEST(SubscribeTest, RunsDeferredOnTheMainThreadAtACheckpoint) {
  int calls = 0;
  bool on_main = false;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int signo) {
    EXPECT_EQ(signo, SIGUSR1);
    on_main = ::gettid() == ::getpid();
    ++calls;
  });
  EXPECT_TRUE(sub.active());
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_EQ(calls, 0);  // recorded, not run, in signal context
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(on_main);
}

TEST(SubscribeTest, EverySubscriberRunsNewestFirst) {
  std::vector<int> order;
  auto a = sigkit::subscribe({SIGUSR1}, [&](int) { order.push_back(1); });
  auto b = sigkit::subscribe({SIGUSR1}, [&](int) { order.push_back(2); });
  auto c = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo&) { order.push_back(3); });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

TEST(SubscribeTest, IntSubscribersCoalesceSiginfoSubscribersSeeEachDelivery) {
  int int_calls = 0;
  std::vector<int> values;
  auto a = sigkit::subscribe({SIGUSR2}, [&](int) { ++int_calls; });
  auto b = sigkit::subscribe(
      {SIGUSR2}, [&](const sigkit::siginfo& info) { values.push_back(info.value.sival_int); });
  for (int v = 1; v <= 5; ++v) ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR2, 7, 8, v)));
  sigkit::check_signals();
  EXPECT_EQ(int_calls, 1);
  EXPECT_EQ(values, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(SubscribeTest, SiginfoSubscriberGetsEachQueuedDeliveryInOrderWithItsFields) {
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();
  std::vector<int> values;
  pid_t pid = 0;
  int code = 0;
  auto sub = sigkit::subscribe({SIGRTMIN}, [&](const sigkit::siginfo& info) {
    values.push_back(info.value.sival_int);
    pid = info.pid;
    code = info.code;
  });
  {
    const sigkit::scoped_block blocked({SIGRTMIN});
    for (int v = 0; v < 500; ++v) {
      sigval value{};
      value.sival_int = v;
      ASSERT_EQ(::sigqueue(::getpid(), SIGRTMIN, value), 0);
    }
  }
  sigkit::check_signals();
  ASSERT_EQ(values.size(), 500U);
  for (int v = 0; v < 500; ++v) EXPECT_EQ(values[static_cast<std::size_t>(v)], v);
  EXPECT_EQ(pid, ::getpid());
  EXPECT_EQ(code, SI_QUEUE);
  EXPECT_EQ(sigkit::dropped_deliveries(SIGRTMIN), 0U);
}

TEST(SubscribeTest, OneSubscriptionCoversEverySignalOfItsSet) {
  std::vector<int> seen;
  auto sub = sigkit::subscribe({SIGUSR1, SIGUSR2, SIGALRM}, [&](int s) { seen.push_back(s); });
  sigkit::raise_signal(SIGUSR2);
  sigkit::raise_signal(SIGALRM);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(seen, (std::vector<int>{SIGUSR2, SIGALRM, SIGUSR1}));
}

// ---- fall-through -----------------------------------------------------------------------------

TEST(SubscribeTest, VoidCountsAsHandledSoTheHandlerBeneathDoesNotRun) {
  int beneath = 0;
  int subscriber = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int) { ++subscriber; });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(subscriber, 1);
  EXPECT_EQ(beneath, 0);
}

TEST(SubscribeTest, TheHandlerBeneathRunsOnlyIfEverySubscriberPasses) {
  int beneath = 0;
  verdict second = verdict::pass;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  auto a = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
  auto b = sigkit::subscribe({SIGUSR1}, [&](int) { return second; });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(beneath, 1);
  second = verdict::handled;
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(beneath, 1);
}

TEST(SubscribeTest, ASiginfoHandlerBeneathGetsEachPassedDelivery) {
  std::vector<int> beneath;
  sigkit::signal(SIGUSR1,
                 [&](const sigkit::siginfo& info) { beneath.push_back(info.value.sival_int); });
  auto sub = sigkit::subscribe({SIGUSR1}, [](const sigkit::siginfo& info) {
    return info.value.sival_int % 2 == 0 ? verdict::pass : verdict::handled;
  });
  for (int v = 0; v < 6; ++v) ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, v)));
  sigkit::check_signals();
  EXPECT_EQ(beneath, (std::vector<int>{0, 2, 4}));
}

TEST(SubscribeTest, AnIntHandlerBeneathRunsOncePerCheckpoint) {
  int beneath = 0;
  int subscriber = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  auto sub = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo&) {
    ++subscriber;
    return verdict::pass;
  });
  for (int v = 0; v < 4; ++v) ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, v)));
  sigkit::check_signals();
  EXPECT_EQ(subscriber, 4);
  EXPECT_EQ(beneath, 1);
}

TEST(SubscribeDeathTest, FallThroughToDefaultEndsTheProcessByThatSignal) {
  EXPECT_EXIT(
      {
        auto sub = sigkit::subscribe({SIGTERM}, [](int) { return verdict::pass; });
        ::kill(::getpid(), SIGTERM);
        std::fputs("still alive before the checkpoint\n", stderr);
        sigkit::check_signals();
        std::fputs("survived\n", stderr);
        std::_Exit(0);
      },
      testing::KilledBySignal(SIGTERM), "still alive before the checkpoint");
}

TEST(SubscribeDeathTest, FallThroughToDefaultOfSigusr1) {
  EXPECT_EXIT(
      {
        auto a = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
        auto b = sigkit::subscribe({SIGUSR1}, [](const sigkit::siginfo&) { return verdict::pass; });
        sigkit::raise_signal(SIGUSR1);
        std::_Exit(0);
      },
      testing::KilledBySignal(SIGUSR1), "");
}

TEST(SubscribeTest, FallThroughToDefaultOfAStopSignalStopsThenGoesOn) {
  sigkit_test::pipe_pair ready(false);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);  // a group that is not orphaned: the kernel stops it for SIGTSTP
    int after = 0;
    auto sub = sigkit::subscribe({SIGTSTP}, [](int) { return verdict::pass; });
    ::raise(SIGTSTP);
    sigkit::check_signals();  // stops here until SIGCONT
    after = 1;
    const char byte = 'c';
    static_cast<void>(::write(ready.write_end, &byte, 1));
    // The subscription still works after the stop.
    bool again = false;
    auto other = sigkit::subscribe({SIGTSTP}, [&](int) { again = true; });
    sigkit::raise_signal(SIGTSTP);
    _exit(after == 1 && again ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(status)) << sigkit_test::describe_status(status);
  EXPECT_EQ(WSTOPSIG(status), SIGTSTP);
  ASSERT_EQ(::kill(child, SIGCONT), 0);
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
}

TEST(SubscribeTest, FallThroughToDefaultOfIgnoredByDefaultSignalsDoesNothing) {
  int passes = 0;
  auto sub = sigkit::subscribe({SIGCHLD, SIGURG, SIGWINCH, SIGCONT}, [&](int) {
    ++passes;
    return verdict::pass;
  });
  for (const int s : {SIGCHLD, SIGURG, SIGWINCH, SIGCONT}) sigkit::raise_signal(s);
  EXPECT_EQ(passes, 4);  // and the process lives
}

TEST(SubscribeTest, FallThroughToIgnoreDoesNothing) {
  sigkit::signal(SIGUSR1, SIG_IGN);
  int passes = 0;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int) {
    ++passes;
    return verdict::pass;
  });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(passes, 1);
}

TEST(SubscribeTest, AForeignPlainHandlerBeneathIsCalledInNormalContextOnTheMainThread) {
  raw_set(SIGUSR1, &foreign_plain, 0);
  auto sub = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
  std::thread([] { ::kill(::getpid(), SIGUSR1); }).join();
  ASSERT_TRUE(sigkit_test::checkpoint_until([] { return g_foreign_calls.load() == 1; }));
  EXPECT_EQ(g_foreign_signo.load(), SIGUSR1);
  EXPECT_TRUE(g_foreign_on_main.load());
}

TEST(SubscribeTest, AForeignSiginfoHandlerBeneathGetsTheDeliverysFieldsAndANullContext) {
  struct sigaction sa {};
  ::sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = &foreign_info;
  sa.sa_flags = SA_SIGINFO;
  ASSERT_EQ(::sigaction(SIGUSR2, &sa, nullptr), 0);
  auto sub = sigkit::subscribe({SIGUSR2}, [](const sigkit::siginfo&) { return verdict::pass; });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR2, 4242, 77, 99, SI_QUEUE)));
  EXPECT_EQ(g_foreign_calls.load(), 0);
  sigkit::check_signals();
  EXPECT_EQ(g_foreign_calls.load(), 1);
  EXPECT_EQ(g_foreign_signo.load(), SIGUSR2);
  EXPECT_EQ(g_foreign_pid.load(), 4242);
  EXPECT_EQ(g_foreign_uid.load(), 77U);
  EXPECT_EQ(g_foreign_code.load(), SI_QUEUE);
  EXPECT_EQ(g_foreign_value.load(), 99);
  EXPECT_TRUE(g_foreign_null_context.load());
  EXPECT_TRUE(g_foreign_on_main.load());
}

TEST(SubscribeTest, AForeignHandlerBeneathDoesNotRunWhenASubscriberHandles) {
  raw_set(SIGUSR1, &foreign_plain, 0);
  auto sub = sigkit::subscribe({SIGUSR1}, [](int) {});
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(g_foreign_calls.load(), 0);
}

// ---- the layer beneath stays Python's ----------------------------------------------------------

TEST(SubscribeTest, GetsignalIsUnchangedBySubscribing) {
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_default());
  {
    auto sub = sigkit::subscribe({SIGUSR1}, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_default());
  }
  sigkit::signal(SIGUSR2, SIG_IGN);
  {
    auto sub = sigkit::subscribe({SIGUSR2}, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGUSR2).is_ignore());
  }
  const sigkit::handler h = [](int) {};
  sigkit::signal(SIGALRM, h);
  {
    auto sub = sigkit::subscribe({SIGALRM}, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGALRM) == h);
  }
  raw_set(SIGHUP, &foreign_plain, 0);
  {
    auto sub = sigkit::subscribe({SIGHUP}, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGHUP).empty());
  }
}

TEST(SubscribeTest, SignalWhileSubscribedSetsTheDispositionBeneath) {
  int beneath = 0;
  int subscriber = 0;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int) {
    ++subscriber;
    return verdict::pass;
  });
  const sigkit::handler h = [&](int) { ++beneath; };
  EXPECT_TRUE(sigkit::signal(SIGUSR1, h).is_default());
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1) == h);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(subscriber, 1);
  EXPECT_EQ(beneath, 1);
  EXPECT_TRUE(sigkit::signal(SIGUSR1, SIG_IGN) == h);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_ignore());
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(subscriber, 2);
  EXPECT_EQ(beneath, 1);
  sub.reset();
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_ignore());
  EXPECT_EQ(raw_get(SIGUSR1).sa_handler, SIG_IGN);
}

TEST(SubscribeTest, TheSignalHandlerSetMeanwhileStaysAfterTheLastReset) {
  int beneath = 0;
  auto sub = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
  const sigkit::handler h = [&](int) { ++beneath; };
  sigkit::signal(SIGUSR1, h);
  sub.reset();
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1) == h);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(beneath, 1);
}

// ---- exact restoration ----------------------------------------------------------------------

TEST(SubscribeTest, TheLastResetRestoresAForeignActionExactly) {
  raw_set(SIGUSR1, &foreign_plain, SA_RESTART | SA_NODEFER, {SIGUSR2, SIGALRM});
  const struct sigaction before = raw_get(SIGUSR1);
  auto a = sigkit::subscribe({SIGUSR1}, [](int) {});
  auto b = sigkit::subscribe({SIGUSR1, SIGUSR2}, [](int) {});
  EXPECT_NE(reinterpret_cast<void*>(raw_get(SIGUSR1).sa_handler),
            reinterpret_cast<void*>(&foreign_plain));
  a.reset();
  EXPECT_NE(reinterpret_cast<void*>(raw_get(SIGUSR1).sa_handler),
            reinterpret_cast<void*>(&foreign_plain));  // b still holds it
  b.reset();
  expect_same_action(raw_get(SIGUSR1), before);
}

TEST(SubscribeTest, AnInheritedIgnoreStaysIgnore) {
  raw_set(SIGHUP, SIG_IGN, 0);  // as nohup leaves it
  const struct sigaction before = raw_get(SIGHUP);
  int calls = 0;
  {
    auto sub = sigkit::subscribe({SIGHUP}, [&](int) { ++calls; });
    sigkit::raise_signal(SIGHUP);  // the subscriber asked for it: it sees it
  }
  EXPECT_EQ(calls, 1);
  expect_same_action(raw_get(SIGHUP), before);
  EXPECT_TRUE(sigkit::getsignal(SIGHUP).is_ignore());
}

TEST(SubscribeTest, TheDefaultIsRestoredWithItsFlags) {
#ifdef SIGKIT_TEST_TSAN
  GTEST_SKIP() << "TSan's sigaction interceptor reports a SIG_DFL action's mask as its own";
#endif
  const struct sigaction before = raw_get(SIGWINCH);
  {
    auto sub = sigkit::subscribe({SIGWINCH}, [](int) {});
  }
  expect_same_action(raw_get(SIGWINCH), before);
}

TEST(SubscribeTest, ASignalHandlerFoundAtTheFirstSubscriptionStaysInstalled) {
  int beneath = 0;
  const sigkit::handler h = [&](int) { ++beneath; };
  sigkit::signal(SIGUSR1, h);
  const struct sigaction before = raw_get(SIGUSR1);
  {
    auto sub = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
  }
  expect_same_action(raw_get(SIGUSR1), before);
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1) == h);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(beneath, 1);
}

TEST(SubscribeTest, RestorationHappensAtTheEndOfTheLastSubscriptionFromAnyThread) {
  raw_set(SIGUSR2, &foreign_plain, SA_RESTART, {SIGHUP});
  const struct sigaction before = raw_get(SIGUSR2);
  auto sub = sigkit::subscribe({SIGUSR2}, [](int) {});
  std::thread([&] { sub.reset(); }).join();
  expect_same_action(raw_get(SIGUSR2), before);
}

TEST(SubscribeTest, ForeignCodeThatReplacedOurActionKeepsItAfterTheLastReset) {
  auto sub = sigkit::subscribe({SIGUSR1}, [](int) {});
  raw_set(SIGUSR1, &foreign_plain, 0);
  sub.reset();
  EXPECT_EQ(reinterpret_cast<void*>(raw_get(SIGUSR1).sa_handler),
            reinterpret_cast<void*>(&foreign_plain));
}

TEST(SubscribeTest, ScopedHandlerInsideASubscriptionRestoresTheDispositionBeneath) {
  int scoped = 0;
  auto sub = sigkit::subscribe({SIGUSR1}, [](int) { return verdict::pass; });
  {
    const sigkit::scoped_handler h(SIGUSR1, [&](int) { ++scoped; });
    sigkit::raise_signal(SIGUSR1);
    EXPECT_EQ(scoped, 1);
  }
  EXPECT_TRUE(sigkit::getsignal(SIGUSR1).is_default());
  const struct sigaction before_last = raw_get(SIGUSR1);
  EXPECT_EQ(before_last.sa_flags & SA_SIGINFO, SA_SIGINFO);  // still ours: the subscription
  sub.reset();
  EXPECT_EQ(raw_get(SIGUSR1).sa_handler, SIG_DFL);
}

// ---- threads and changes during a delivery ---------------------------------------------------

TEST(SubscribeTest, SubscribingFromAnotherThreadRunsOnTheMainThread) {
  std::atomic<bool> on_main{false};
  std::atomic<int> calls{0};
  sigkit::subscription sub;
  std::thread([&] {
    sub = sigkit::subscribe({SIGUSR1}, [&](int) {
      on_main = ::gettid() == ::getpid();
      ++calls;
    });
    ::kill(::getpid(), SIGUSR1);
  }).join();
  ASSERT_TRUE(sigkit_test::checkpoint_until([&] { return calls.load() == 1; }));
  EXPECT_TRUE(on_main.load());
}

TEST(SubscribeTest, ASubscriptionMadeInsideASubscriberIsFirstCalledForTheNextDelivery) {
  std::vector<std::string> calls;
  sigkit::subscription inner;
  auto outer = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo& info) {
    calls.push_back("outer" + std::to_string(info.value.sival_int));
    if (!inner.active()) {
      inner = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo& i) {
        calls.push_back("inner" + std::to_string(i.value.sival_int));
      });
    }
  });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, 1)));
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, 2)));
  sigkit::check_signals();
  EXPECT_EQ(calls, (std::vector<std::string>{"outer1", "inner2", "outer2"}));
}

TEST(SubscribeTest, AnOlderSubscriberResetByANewerOneIsNotCalledForThatDelivery) {
  int older_calls = 0;
  auto older = sigkit::subscribe({SIGUSR1}, [&](int) { ++older_calls; });
  auto newer = sigkit::subscribe({SIGUSR1}, [&](int) { older.reset(); });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(older_calls, 0);
  EXPECT_FALSE(older.active());
}

TEST(SubscribeTest, ASubscriberThatResetsItselfFinishesAndIsNeverCalledAgain) {
  int calls = 0;
  bool finished = false;
  auto keep = sigkit::subscribe({SIGUSR1}, [](int) {});  // keeps SIGUSR1 from its default
  sigkit::subscription self;
  self = sigkit::subscribe({SIGUSR1}, [&](int) {
    ++calls;
    self.reset();
    finished = true;  // the call goes on after its own reset
  });
  sigkit::raise_signal(SIGUSR1);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(finished);
}

TEST(SubscribeTest, ResetFromAnotherThreadWaitsForARunningCallToFinish) {
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::atomic<bool> call_done{false};
  std::atomic<bool> reset_returned{false};
  bool order_ok = true;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int) {
    inside = true;
    while (!release.load()) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);
    order_ok = !reset_returned.load();
    call_done = true;
  });
  std::thread resetter([&] {
    while (!inside.load()) std::this_thread::sleep_for(1ms);
    release = true;
    sub.reset();
    reset_returned = true;
    EXPECT_TRUE(call_done.load());
  });
  sigkit::raise_signal(SIGUSR1);  // runs the subscriber here, on the main thread
  resetter.join();
  EXPECT_TRUE(order_ok);
  EXPECT_TRUE(call_done.load());
}

TEST(SubscribeTest, NeverCalledAfterTheSubscriptionIsDestroyed) {
  int calls = 0;
  {
    auto sub = sigkit::subscribe({SIGUSR1}, [&](int) { ++calls; });
    ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, 1)));
  }  // destroyed with a delivery pending
  sigkit::signal(SIGUSR1, SIG_IGN);
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);
}

TEST(SubscribeTest, AnExceptionPropagatesAndLaterDeliveriesStayPending) {
  std::vector<int> seen;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo& info) {
    seen.push_back(info.value.sival_int);
    if (info.value.sival_int == 1) throw std::runtime_error("boom");
  });
  for (int v = 1; v <= 3; ++v) ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, v)));
  EXPECT_THROW(sigkit::check_signals(), std::runtime_error);
  EXPECT_EQ(seen, (std::vector<int>{1}));
  sigkit::check_signals();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(SubscribeTest, MoveTransfersTheSubscription) {
  int calls = 0;
  sigkit::subscription a = sigkit::subscribe({SIGUSR1}, [&](int) { ++calls; });
  sigkit::subscription b(std::move(a));
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  EXPECT_TRUE(b.active());
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(calls, 1);
  sigkit::subscription c;
  c = std::move(b);
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(calls, 2);
  c = sigkit::subscription();
  EXPECT_EQ(raw_get(SIGUSR1).sa_handler, SIG_DFL);
  c.reset();  // idempotent
  EXPECT_FALSE(c.active());
}

TEST(SubscribeTest, ForkChildRunsNothingDeliveredToTheParent) {
  int calls = 0;
  auto sub = sigkit::subscribe({SIGUSR1}, [&](int) { ++calls; });
  ASSERT_TRUE(sigkit::testing::inject(made_up(SIGUSR1, 1, 1, 1)));
  const int status = sigkit_test::run_in_child([&] {
    sigkit::check_signals();
    if (calls != 0) return 1;
    sigkit::raise_signal(SIGUSR1);  // the child's own deliveries work
    return calls == 1 ? 0 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

// ---- errors ----------------------------------------------------------------------------------

TEST(SubscribeTest, BadSetsThrowAndSubscribeNothing) {
  const struct sigaction usr1 = raw_get(SIGUSR1);
  EXPECT_THROW(static_cast<void>(sigkit::subscribe(sigkit::signal_set{}, [](int) {})),
               std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::subscribe({SIGUSR1, SIGKILL}, [](int) {})),
               std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::subscribe({SIGSTOP, SIGUSR1}, [](int) {})),
               std::invalid_argument);
  for (const int reserved_number : {32, 33}) {
    // glibc's sigaddset refuses its own reserved numbers: set the bit by hand.
    sigset_t reserved;
    ::sigemptyset(&reserved);
    ::sigaddset(&reserved, SIGUSR1);
    reinterpret_cast<unsigned long*>(&reserved)[0] |= 1UL << (reserved_number - 1);  // NOLINT
    const sigkit::signal_set set = sigkit::signal_set::from_native(reserved);
    ASSERT_TRUE(set.contains(reserved_number));
    EXPECT_THROW(static_cast<void>(sigkit::subscribe(set, [](int) {})), std::invalid_argument);
  }
  expect_same_action(raw_get(SIGUSR1), usr1);
}

TEST(SubscribeTest, SignaturesAreFixed) {
  static_assert(std::is_nothrow_default_constructible_v<sigkit::subscription>);
  static_assert(std::is_nothrow_move_constructible_v<sigkit::subscription>);
  static_assert(std::is_nothrow_move_assignable_v<sigkit::subscription>);
  static_assert(!std::is_copy_constructible_v<sigkit::subscription>);
  static_assert(noexcept(std::declval<sigkit::subscription&>().reset()));
  static_assert(noexcept(std::declval<const sigkit::subscription&>().active()));
  static_assert(
      std::is_same_v<decltype(sigkit::subscribe({SIGUSR1}, [](int) {})), sigkit::subscription>);
  SUCCEED();
}

}  // namespace
