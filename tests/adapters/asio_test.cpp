// Tests of sigkit/asio.hpp against API.md Part 2, "Event loops" (the Asio adapter): every
// completion form, cancellation (with no delivery, racing a delivery, taking nothing), the
// siginfo fields, lifetime (context destroyed with pending waits, attachment outliving its
// context), coexistence with signal() handlers and subscribers, attach()'s RAII, threads and
// fork.
#include "sigkit/asio.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#if BOOST_VERSION >= 107700
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#endif
#if BOOST_VERSION >= 108000
#include <boost/asio/deferred.hpp>
#endif

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapter_test_support.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/subscribe.hpp"
#include "support/test_support.hpp"

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using sigkit::siginfo;

// Runs `ctx` until it runs out of work (at most `limit`); true if that came well before.
bool runs_out_of_work(net::io_context& ctx, std::chrono::milliseconds limit = 3000ms) {
  ctx.restart();
  const auto start = std::chrono::steady_clock::now();
  ctx.run_for(limit);
  return std::chrono::steady_clock::now() - start < limit / 2;
}

// Runs `ctx` on this (main) thread until `done()` or a 5 s timeout; returns done().
template <class Pred>
bool run_until(net::io_context& ctx, Pred done, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ctx.restart();
    ctx.run_one_for(20ms);
  }
  return true;
}

struct sigaction os_action(int signo) {
  struct sigaction sa {};
  EXPECT_EQ(::sigaction(signo, nullptr, &sa), 0);
  return sa;
}

// The outcome of one callback-form wait.
struct outcome {
  int calls = 0;
  error_code ec;
  siginfo info{};
};

auto record(outcome& o) {
  return [&o](error_code ec, siginfo info) {
    ++o.calls;
    o.ec = ec;
    o.info = info;
  };
}

// ---- completion forms ------------------------------------------------------------------------

TEST(AsioAsyncWaitTest, CallbackGetsTheDeliverysSiginfoDeferredToTheContext) {
  net::io_context ctx;
  outcome o;
  sigkit::asio::async_wait(ctx.get_executor(), SIGUSR1, record(o));
  sigkit_test::queue_to_self(SIGUSR1, 42);
  EXPECT_EQ(o.calls, 0);  // recorded only: the handler runs inside the context
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls > 0; }));
  EXPECT_EQ(o.calls, 1);
  EXPECT_FALSE(o.ec);
  EXPECT_EQ(o.info.signo, SIGUSR1);
  EXPECT_EQ(o.info.code, SI_QUEUE);
  EXPECT_EQ(o.info.pid, ::getpid());
  EXPECT_EQ(o.info.uid, ::getuid());
  EXPECT_EQ(o.info.value.sival_int, 42);
  EXPECT_TRUE(runs_out_of_work(ctx)) << "nothing is left to do once the wait completed";
}

TEST(AsioAsyncWaitTest, AcceptsASetAContextAndASingleSignal) {
  net::io_context ctx;
  outcome a;
  outcome b;
  sigkit::asio::async_wait(ctx, sigkit::signal_set{SIGUSR1, SIGUSR2}, record(a));
  sigkit::asio::async_wait(ctx, SIGUSR2, record(b));
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return a.calls + b.calls == 2; }));
  EXPECT_EQ(a.info.signo, SIGUSR2);
  EXPECT_EQ(b.info.signo, SIGUSR2);
}

TEST(AsioAsyncWaitTest, UseFutureGivesTheSiginfo) {
  net::io_context ctx;
  std::future<siginfo> f = sigkit::asio::async_wait(ctx, SIGUSR2, net::use_future);
  sigkit_test::queue_to_self(SIGUSR2, 7);
  ASSERT_TRUE(run_until(ctx, [&] { return f.wait_for(0s) == std::future_status::ready; }));
  const siginfo info = f.get();
  EXPECT_EQ(info.signo, SIGUSR2);
  EXPECT_EQ(info.value.sival_int, 7);
  EXPECT_EQ(info.pid, ::getpid());
}

net::awaitable<void> await_one(int signo, std::optional<siginfo>* got, bool* threw) {
  try {
    *got = co_await sigkit::asio::async_wait(co_await net::this_coro::executor, signo,
                                             net::use_awaitable);
  } catch (const boost::system::system_error& e) {
    *threw = e.code() == net::error::operation_aborted;
  }
}

TEST(AsioAsyncWaitTest, CoAwaitYieldsTheSiginfo) {
  net::io_context ctx;
  std::optional<siginfo> got;
  bool threw = false;
  net::co_spawn(ctx, await_one(SIGUSR1, &got, &threw), net::detached);
  ctx.poll();  // the coroutine starts and suspends in the wait
  EXPECT_FALSE(got);
  sigkit_test::queue_to_self(SIGUSR1, 5);
  ASSERT_TRUE(run_until(ctx, [&] { return got.has_value(); }));
  EXPECT_EQ(got->signo, SIGUSR1);
  EXPECT_EQ(got->value.sival_int, 5);
  EXPECT_FALSE(threw);
}

net::awaitable<void> await_set(const sigkit::signal_set* set, std::vector<int>* got) {
  const net::any_io_executor ex = co_await net::this_coro::executor;
  for (int i = 0; i < 2; ++i) {
    const siginfo info = co_await sigkit::asio::async_wait(ex, *set, net::use_awaitable);
    got->push_back(info.signo);
  }
}

TEST(AsioAsyncWaitTest, ACoroutineLoopReissuesTheWaitWithoutAGap) {
  // SIGUSR1's default action kills: a delivery between two waits would end the process.
  net::io_context ctx;
  const sigkit::signal_set set{SIGUSR1, SIGUSR2};
  std::vector<int> got;
  net::co_spawn(ctx, await_set(&set, &got), net::detached);
  ctx.poll();
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return got.size() == 1; }));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return got.size() == 2; }));
  EXPECT_EQ(got, (std::vector<int>{SIGUSR2, SIGUSR1}));
}

TEST(AsioAsyncWaitTest, WaitsStartedByAHandlerEachGetTheNextDelivery) {
  // The first of them takes over the finished wait's subscription, the second subscribes.
  net::io_context ctx;
  int beneath = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  outcome first;
  outcome a;
  outcome b;
  outcome other_set;
  sigkit::asio::async_wait(ctx, SIGUSR1, [&](error_code ec, siginfo info) {
    record(first)(ec, info);
    sigkit::asio::async_wait(ctx, SIGUSR1, record(a));
    sigkit::asio::async_wait(ctx, SIGUSR1, record(b));
    sigkit::asio::async_wait(ctx, sigkit::signal_set{SIGUSR1, SIGUSR2}, record(other_set));
  });
  sigkit_test::queue_to_self(SIGUSR1, 1);
  ASSERT_TRUE(run_until(ctx, [&] { return first.calls == 1; }));
  sigkit_test::queue_to_self(SIGUSR1, 2);
  ASSERT_TRUE(run_until(ctx, [&] { return a.calls + b.calls + other_set.calls == 3; }));
  EXPECT_EQ(first.info.value.sival_int, 1);
  EXPECT_EQ(a.info.value.sival_int, 2);
  EXPECT_EQ(b.info.value.sival_int, 2);
  EXPECT_EQ(other_set.info.value.sival_int, 2);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);  // no wait left: the handler has SIGUSR1 again
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

#if BOOST_VERSION >= 108000
TEST(AsioAsyncWaitTest, DeferredWaitsOnlyOnceLaunched) {
  net::io_context ctx;
  int beneath = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  auto op = sigkit::asio::async_wait(ctx, SIGUSR1, net::deferred);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1) << "a deferred wait that was not launched takes nothing";
  outcome o;
  std::move(op)(record(o));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
  EXPECT_EQ(o.info.signo, SIGUSR1);
  EXPECT_EQ(beneath, 1);
}
#endif

TEST(AsioAsyncWaitTest, TheHandlerRunsThroughItsAssociatedExecutor) {
  net::io_context ctx;
  auto strand = net::make_strand(ctx);
  bool in_strand = false;
  int calls = 0;
  sigkit::asio::async_wait(ctx, SIGUSR1, net::bind_executor(strand, [&](error_code, siginfo) {
                             in_strand = strand.running_in_this_thread();
                             ++calls;
                           }));
  sigkit::asio::async_wait(strand, SIGUSR1, [&](error_code, siginfo) {
    in_strand = in_strand && strand.running_in_this_thread();
    ++calls;
  });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return calls == 2; }));
  EXPECT_TRUE(in_strand);
}

// ---- who takes a delivery --------------------------------------------------------------------

TEST(AsioAsyncWaitTest, EveryPendingWaitGetsTheDeliveryAndTheHandlerBeneathDoesNot) {
  net::io_context ctx;
  int beneath = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  outcome a;
  outcome b;
  sigkit::asio::async_wait(ctx, SIGUSR1, record(a));
  sigkit::asio::async_wait(ctx, SIGUSR1, record(b));
  sigkit_test::queue_to_self(SIGUSR1, 3);
  ASSERT_TRUE(run_until(ctx, [&] { return a.calls + b.calls == 2; }));
  EXPECT_EQ(a.info.value.sival_int, 3);
  EXPECT_EQ(b.info.value.sival_int, 3);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 0);
  // With no wait pending, the handler set with signal() has the signal again.
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

TEST(AsioAsyncWaitTest, AWaitTakesOneDeliveryTheNextOnesGoBeneath) {
  net::io_context ctx;
  std::vector<int> beneath;
  sigkit::signal(SIGRTMIN, [&](const siginfo& info) { beneath.push_back(info.value.sival_int); });
  outcome o;
  sigkit::asio::async_wait(ctx, SIGRTMIN, record(o));
  sigkit_test::queue_to_self(SIGRTMIN, 1);  // both wait for the same checkpoint
  sigkit_test::queue_to_self(SIGRTMIN, 2);
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
  sigkit::check_signals();
  EXPECT_EQ(o.info.value.sival_int, 1);
  EXPECT_EQ(beneath, std::vector<int>{2});
}

TEST(AsioAsyncWaitTest, SubscribersRunBesideAWait) {
  net::io_context ctx;
  int beneath = 0;
  std::vector<int> seen;
  sigkit::signal(SIGUSR2, [&](int) { ++beneath; });
  const sigkit::subscription passing = sigkit::subscribe({SIGUSR2}, [&](const siginfo& info) {
    seen.push_back(info.value.sival_int);
    return sigkit::verdict::pass;
  });
  outcome o;
  sigkit::asio::async_wait(ctx, SIGUSR2, record(o));
  sigkit_test::queue_to_self(SIGUSR2, 9);
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
  EXPECT_EQ(seen, std::vector<int>{9});
  EXPECT_EQ(beneath, 0) << "the wait handled the delivery";
  sigkit_test::queue_to_self(SIGUSR2, 10);  // no wait now: the subscriber passes, the handler runs
  sigkit::check_signals();
  EXPECT_EQ(seen, (std::vector<int>{9, 10}));
  EXPECT_EQ(beneath, 1);
}

TEST(AsioAsyncWaitTest, AnyCheckpointOnTheMainThreadCompletesTheWait) {
  net::io_context ctx;
  outcome o;
  sigkit::asio::async_wait(ctx, SIGUSR1, record(o));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();  // the subscriber runs here and posts the completion
  EXPECT_EQ(o.calls, 0);
  ctx.poll();
  EXPECT_EQ(o.calls, 1);
  EXPECT_EQ(o.info.signo, SIGUSR1);
}

// ---- cancellation ----------------------------------------------------------------------------

#if SIGKIT_ASIO_HAS_CANCELLATION

TEST(AsioCancellationTest, CancelWithNoDeliveryCompletesWithOperationAborted) {
  for (const auto type : {net::cancellation_type::terminal, net::cancellation_type::partial,
                          net::cancellation_type::total}) {
    net::io_context ctx;
    net::cancellation_signal cancel;
    outcome o;
    sigkit::asio::async_wait(ctx, SIGUSR1, net::bind_cancellation_slot(cancel.slot(), record(o)));
    ctx.poll();
    EXPECT_EQ(o.calls, 0);
    cancel.emit(type);
    EXPECT_EQ(o.calls, 0) << "completions are posted, never run inside emit()";
    ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
    EXPECT_EQ(o.ec, net::error::operation_aborted);
    EXPECT_EQ(o.info.signo, 0);
    cancel.emit(type);  // after completion: nothing
    EXPECT_TRUE(runs_out_of_work(ctx));
    EXPECT_EQ(o.calls, 1);
  }
  // Every subscription is gone: SIGUSR1 is back at the default action.
  EXPECT_EQ(os_action(SIGUSR1).sa_handler, SIG_DFL);
}

TEST(AsioCancellationTest, ACancelledWaitTakesNothingFromTheOthers) {
  net::io_context ctx;
  std::vector<int> beneath;
  sigkit::signal(SIGUSR1, [&](const siginfo& info) { beneath.push_back(info.value.sival_int); });
  net::cancellation_signal cancel;
  outcome cancelled;
  outcome other;
  sigkit::asio::async_wait(ctx, SIGUSR1,
                           net::bind_cancellation_slot(cancel.slot(), record(cancelled)));
  sigkit_test::queue_to_self(SIGUSR1, 1);  // recorded, not yet dispatched
  cancel.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return cancelled.calls == 1; }));
  EXPECT_EQ(cancelled.ec, net::error::operation_aborted);
  sigkit::check_signals();
  EXPECT_EQ(beneath, std::vector<int>{1}) << "the delivery went where it would have gone";

  // With another wait pending, that one gets it, and nothing reaches the handler beneath.
  net::cancellation_signal cancel2;
  sigkit::asio::async_wait(ctx, SIGUSR1,
                           net::bind_cancellation_slot(cancel2.slot(), record(cancelled)));
  sigkit::asio::async_wait(ctx, SIGUSR1, record(other));
  sigkit_test::queue_to_self(SIGUSR1, 2);
  cancel2.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return cancelled.calls == 2 && other.calls == 1; }));
  EXPECT_EQ(cancelled.ec, net::error::operation_aborted);
  EXPECT_EQ(other.info.value.sival_int, 2);
  sigkit::check_signals();
  EXPECT_EQ(beneath, std::vector<int>{1});
}

TEST(AsioCancellationTest, ACancelledWaitThatTookOverASubscriptionTakesNothing) {
  net::io_context ctx;
  int beneath = 0;
  sigkit::signal(SIGUSR2, [&](int) { ++beneath; });
  net::cancellation_signal cancel;
  outcome first;
  outcome next;
  sigkit::asio::async_wait(ctx, SIGUSR2, [&](error_code ec, siginfo info) {
    record(first)(ec, info);
    sigkit::asio::async_wait(ctx, SIGUSR2,
                             net::bind_cancellation_slot(cancel.slot(), record(next)));
  });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return first.calls == 1; }));
  cancel.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return next.calls == 1; }));
  EXPECT_EQ(next.ec, net::error::operation_aborted);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

TEST(AsioCancellationTest, AWaitThatTookADeliveryCompletesWithItDespiteACancel) {
  net::io_context ctx;
  net::cancellation_signal cancel;
  outcome o;
  sigkit::asio::async_wait(ctx, SIGUSR1, net::bind_cancellation_slot(cancel.slot(), record(o)));
  sigkit_test::queue_to_self(SIGUSR1, 4);
  sigkit::check_signals();  // the wait takes the delivery; its completion is posted
  cancel.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
  EXPECT_FALSE(o.ec);
  EXPECT_EQ(o.info.value.sival_int, 4);
}

// A delivery from another thread races a cancellation emitted inside the context: whichever
// comes first wins, and every delivery ends up in exactly one place.
TEST(AsioCancellationTest, CancellationRacingADeliveryLosesNothingAndDuplicatesNothing) {
  constexpr int kRounds = 300;
  using clock = std::chrono::steady_clock;
  net::io_context ctx;
  int beneath = 0;
  sigkit::signal(SIGUSR2, [&](const siginfo&) { ++beneath; });
  // One sender thread for all rounds (a new thread per round would start too late): in round
  // r it sends SIGUSR2 to the process at `send_at`, which falls before or after the time the
  // main thread emits the cancellation, at random.
  std::atomic<int> go{-1};
  std::atomic<int> sent{-1};
  std::atomic<clock::rep> send_at{0};
  std::thread sender([&] {
    for (int round = 0; round < kRounds; ++round) {
      while (go.load() < round) std::this_thread::yield();
      std::this_thread::sleep_until(clock::time_point{clock::duration(send_at.load())});
      sigkit_test::queue_to_self(SIGUSR2, round);
      sent.store(round);
    }
  });
  struct joiner {  // an ASSERT that returns early still ends the sender
    std::atomic<int>& go;
    std::thread& thread;
    ~joiner() {
      go.store(kRounds);
      thread.join();
    }
  } join_sender{go, sender};
  int completed = 0;
  int aborted = 0;
  std::mt19937 random(12345);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible rounds
  for (int round = 0; round < kRounds; ++round) {
    net::cancellation_signal cancel;
    int calls = 0;
    sigkit::asio::async_wait(
        ctx, SIGUSR2, net::bind_cancellation_slot(cancel.slot(), [&](error_code ec, siginfo) {
          ++calls;
          (ec ? aborted : completed)++;
        }));
    const auto now = clock::now();
    send_at.store(
        (now + std::chrono::microseconds(200 + random() % 400)).time_since_epoch().count());
    const auto cancel_at = now + std::chrono::microseconds(200 + random() % 400);
    go.store(round);
    // The context runs (and dispatches a delivery that has come) until the cancellation; it
    // sleeps in epoll_wait meanwhile, so the sender gets a CPU even when only one is free.
    while (clock::now() < cancel_at) {
      ctx.restart();
      ctx.run_until(cancel_at);
    }
    cancel.emit(net::cancellation_type::terminal);
    while (sent.load() < round) std::this_thread::yield();
    ASSERT_TRUE(run_until(ctx, [&] { return calls == 1; }));
    ASSERT_TRUE(sigkit_test::checkpoint_until([&] { return completed + beneath == round + 1; }))
        << "round " << round << ": a delivery went nowhere";
    ctx.restart();
    ctx.poll();
    ASSERT_EQ(calls, 1);
  }
  EXPECT_EQ(completed + aborted, kRounds);
  EXPECT_EQ(completed + beneath, kRounds) << "each delivery went to the wait or beneath, once";
  RecordProperty("completed", completed);
  RecordProperty("beneath", beneath);
}

net::awaitable<void> await_forever(bool* threw) {
  try {
    co_await sigkit::asio::async_wait(co_await net::this_coro::executor, SIGUSR1,
                                      net::use_awaitable);
  } catch (const boost::system::system_error& e) {
    *threw = e.code() == net::error::operation_aborted;
  }
}

TEST(AsioCancellationTest, ACancelledCoAwaitThrowsSystemError) {
  net::io_context ctx;
  net::cancellation_signal cancel;
  bool threw = false;
  bool done = false;
  net::co_spawn(
      ctx, await_forever(&threw),
      net::bind_cancellation_slot(cancel.slot(), [&](const std::exception_ptr&) { done = true; }));
  ctx.poll();
  cancel.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return done; }));
  EXPECT_TRUE(threw);
}

TEST(AsioCancellationTest, ACancelledFutureThrowsSystemError) {
  net::io_context ctx;
  net::cancellation_signal cancel;
  std::future<siginfo> f = sigkit::asio::async_wait(
      ctx, SIGUSR1, net::bind_cancellation_slot(cancel.slot(), net::use_future));
  ctx.poll();
  cancel.emit(net::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ctx, [&] { return f.wait_for(0s) == std::future_status::ready; }));
  try {
    f.get();
    ADD_FAILURE() << "no exception";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), net::error::operation_aborted);
  }
}

#endif  // SIGKIT_ASIO_HAS_CANCELLATION

// ---- lifetime --------------------------------------------------------------------------------

TEST(AsioLifetimeTest, DestroyingTheContextDestroysPendingHandlersUninvoked) {
  const auto before = os_action(SIGUSR1);
  auto token = std::make_shared<int>(0);
  bool invoked = false;
  bool threw = false;
  {
    net::io_context ctx;
    sigkit::asio::async_wait(ctx, SIGUSR1,
                             [&invoked, token](error_code, siginfo) { invoked = true; });
    sigkit::asio::async_wait(ctx, SIGUSR1, net::use_future);
    net::co_spawn(ctx, await_forever(&threw), net::detached);
    ctx.poll();
    EXPECT_EQ(token.use_count(), 2);
  }
  EXPECT_EQ(token.use_count(), 1) << "the handler was destroyed";
  EXPECT_FALSE(invoked);
  EXPECT_FALSE(threw);
  // The waits' subscriptions are gone: the OS action is what it was.
  EXPECT_EQ(os_action(SIGUSR1).sa_handler, before.sa_handler);
  // A delivery after that is not taken by anything (here: a handler set afterwards gets it).
  int beneath = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

TEST(AsioLifetimeTest, ADeliveryRecordedBeforeTheContextDiesGoesBeneath) {
  int beneath = 0;
  sigkit::signal(SIGUSR2, [&](int) { ++beneath; });
  {
    net::io_context ctx;
    outcome o;
    sigkit::asio::async_wait(ctx, SIGUSR2, record(o));
    ASSERT_EQ(::raise(SIGUSR2), 0);  // recorded; the checkpoint comes after the context died
  }
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

TEST(AsioLifetimeTest, ACompletionPostedButNotRunIsDestroyedWithTheContext) {
  int beneath = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
  auto token = std::make_shared<int>(0);
  bool invoked = false;
  {
    net::io_context ctx;
    sigkit::asio::async_wait(ctx, SIGUSR1,
                             [&invoked, token](error_code, siginfo) { invoked = true; });
    ASSERT_EQ(::raise(SIGUSR1), 0);
    sigkit::check_signals();  // the wait takes the delivery; its completion is posted
    EXPECT_EQ(beneath, 0);
  }
  EXPECT_FALSE(invoked);
  EXPECT_EQ(token.use_count(), 1);
  ASSERT_EQ(::raise(SIGUSR1), 0);  // the wait's subscription went with it
  sigkit::check_signals();
  EXPECT_EQ(beneath, 1);
}

TEST(AsioLifetimeTest, AnAttachmentMayOutliveItsContext) {
  sigkit::asio::attachment a;
  {
    net::io_context ctx;
    a = sigkit::asio::attach(ctx);
    EXPECT_TRUE(a.active());
  }
  EXPECT_TRUE(a.active());
  a.reset();
  EXPECT_FALSE(a.active());
  a.reset();  // idempotent
}

TEST(AsioLifetimeTest, TheHandlerMayStartTheNextWaitAndDestroyTheContextsLastAttachment) {
  net::io_context ctx;
  auto attached = std::make_unique<sigkit::asio::attachment>(sigkit::asio::attach(ctx));
  int calls = 0;
  std::function<void(error_code, siginfo)> again = [&](error_code ec, siginfo) {
    ASSERT_FALSE(ec);
    if (++calls < 3) {
      sigkit::asio::async_wait(ctx, SIGUSR1, again);
    } else {
      attached.reset();
    }
  };
  sigkit::asio::async_wait(ctx, SIGUSR1, again);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(::raise(SIGUSR1), 0);
    ASSERT_TRUE(run_until(ctx, [&] { return calls == i + 1; }));
  }
  EXPECT_TRUE(runs_out_of_work(ctx)) << "no attachment and no wait: run() returns at once";
}

// ---- attach() --------------------------------------------------------------------------------

TEST(AsioAttachTest, RunsSignalHandlersInsideRunUntilDetached) {
  net::io_context ctx;
  std::optional<sigkit::asio::attachment> attached(sigkit::asio::attach(ctx));
  std::vector<int> values;
  sigkit::signal(SIGRTMIN, [&](const siginfo& info) {
    values.push_back(info.value.sival_int);
    if (values.size() == 3) attached.reset();  // detaching from inside a handler
  });
  std::thread sender([] {
    for (int i = 1; i <= 3; ++i) {
      sigkit_test::queue_to_self(SIGRTMIN, i);
    }
  });
  sender.join();
  const auto start = std::chrono::steady_clock::now();
  ctx.run_for(10s);  // returns once detached: nothing else keeps the context busy
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(values, (std::vector<int>{1, 2, 3}));
}

TEST(AsioAttachTest, KeepsRunBusyWhileAttached) {
  net::io_context ctx;
  {
    const sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
    EXPECT_FALSE(runs_out_of_work(ctx, 300ms));
  }
  EXPECT_TRUE(runs_out_of_work(ctx));
}

TEST(AsioAttachTest, DeliveriesRecordedBeforeAttachingRunAtOnce) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(calls, 0);
  net::io_context ctx;
  const sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
  ASSERT_TRUE(run_until(ctx, [&] { return calls == 1; }));
}

TEST(AsioAttachTest, TwoAttachmentsShareTheWatcherAndEitherKeepsItAlive) {
  net::io_context ctx;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::asio::attachment a = sigkit::asio::attach(ctx);
  sigkit::asio::attachment b = sigkit::asio::attach(ctx);
  a.reset();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return calls == 1; }));
  sigkit::asio::attachment c = std::move(b);
  EXPECT_FALSE(b.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return calls == 2; }));
}

TEST(AsioAttachTest, AHandlersExceptionLeavesRunAndTheNextRunGoesOn) {
  net::io_context ctx;
  const sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
  int usr2 = 0;
  sigkit::signal(SIGUSR1, [](int) { throw std::runtime_error("from the handler"); });
  sigkit::signal(SIGUSR2, [&](int) { ++usr2; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_THROW(ctx.run_for(5s), std::runtime_error);
  EXPECT_EQ(usr2, 0) << "SIGUSR2 waits for the next checkpoint";
  ASSERT_TRUE(run_until(ctx, [&] { return usr2 == 1; }));
}

TEST(AsioAttachTest, AContextRunningOnAnotherThreadGetsInvalidArgument) {
  net::io_context ctx;
  sigkit::signal(SIGUSR1, [](int) {});
  const sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
  sigkit::siginfo info;
  info.signo = SIGUSR1;
  ASSERT_TRUE(sigkit::testing::inject(info));  // a delivery waits: the fd is readable
  std::string error;
  std::thread runner([&] {
    try {
      ctx.run_for(5s);
    } catch (const std::invalid_argument& e) {
      error = e.what();
    }
  });
  runner.join();
  EXPECT_NE(error.find("only works in the main thread"), std::string::npos) << error;
}

TEST(AsioAttachTest, ForkChildDispatchesItsOwnDeliveriesAfterNotifyFork) {
  net::io_context ctx;
  const sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const int status = sigkit_test::run_in_child([&] {
    ctx.notify_fork(net::execution_context::fork_child);
    if (::raise(SIGUSR1) != 0) return 2;
    if (!run_until(ctx, [&] { return calls == 1; })) return 3;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(ctx, [&] { return calls == 1; }));
}

// ---- threads and errors ----------------------------------------------------------------------

TEST(AsioAsyncWaitTest, AWaitStartedOnAnotherThreadCompletesOnTheMainThread) {
  net::io_context ctx;
  outcome o;
  pthread_t handler_thread{};
  std::thread([&] {
    sigkit::asio::async_wait(ctx, SIGUSR1, [&](error_code ec, siginfo info) {
      handler_thread = ::pthread_self();
      record(o)(ec, info);
    });
  }).join();
  std::thread([] { ::kill(::getpid(), SIGUSR1); }).join();
  ASSERT_TRUE(run_until(ctx, [&] { return o.calls == 1; }));
  EXPECT_TRUE(::pthread_equal(handler_thread, ::pthread_self()));
  EXPECT_EQ(o.info.signo, SIGUSR1);
}

TEST(AsioAsyncWaitTest, BadSetsThrowAndSubscribeNothing) {
  net::io_context ctx;
  const auto before = os_action(SIGUSR1);
  auto ignore = [](error_code, siginfo) {};
  EXPECT_THROW(sigkit::asio::async_wait(ctx, sigkit::signal_set{}, ignore), std::invalid_argument);
  EXPECT_THROW(sigkit::asio::async_wait(ctx, (sigkit::signal_set{SIGUSR1, SIGKILL}), ignore),
               std::invalid_argument);
  EXPECT_THROW(sigkit::asio::async_wait(ctx, SIGSTOP, ignore), std::invalid_argument);
  EXPECT_THROW(sigkit::asio::async_wait(ctx, 0, ignore), std::invalid_argument);
  EXPECT_THROW(sigkit::asio::async_wait(ctx, NSIG, ignore), std::invalid_argument);
  EXPECT_THROW(sigkit::asio::async_wait(ctx, 32, ignore), std::invalid_argument);
  EXPECT_EQ(os_action(SIGUSR1).sa_handler, before.sa_handler);
  EXPECT_EQ(ctx.poll(), 0U);
}

TEST(AsioAsyncWaitTest, SignaturesAreFixed) {
  net::io_context ctx;
  using future_type = decltype(sigkit::asio::async_wait(
      ctx.get_executor(), std::declval<const sigkit::signal_set&>(), net::use_future));
  static_assert(std::is_same_v<future_type, std::future<siginfo>>);
  using awaitable_type = decltype(sigkit::asio::async_wait(
      std::declval<net::any_io_executor>(), std::declval<const sigkit::signal_set&>(),
      net::use_awaitable));
  static_assert(std::is_same_v<awaitable_type, net::awaitable<siginfo>>);
  using attach_type = decltype(sigkit::asio::attach(ctx));
  static_assert(std::is_same_v<attach_type, sigkit::asio::attachment>);
  static_assert(!std::is_copy_constructible_v<sigkit::asio::attachment>);
  static_assert(std::is_nothrow_move_constructible_v<sigkit::asio::attachment>);
}

}  // namespace
