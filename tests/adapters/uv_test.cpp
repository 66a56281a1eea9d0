// Tests of sigkit/uv.hpp against API.md Part 2, "Event loops" (the libuv adapter): attach()
// runs handlers and subscribers inside uv_run(), the RAII handle (uv_close's asynchronous
// close, shared handles, moves, detaching inside a handler), exceptions through run(),
// threads and fork.
#include "sigkit/uv.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapter_test_support.hpp"
#include "sigkit/defaults.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/errors.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/subscribe.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using sigkit::siginfo;

// A libuv loop of the test's own, closed (after its handles' close callbacks ran) at the end.
class test_loop {
 public:
  test_loop() { EXPECT_EQ(uv_loop_init(&loop_), 0); }
  ~test_loop() {
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets pending uv_close callbacks run
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is still open";
  }
  test_loop(const test_loop&) = delete;
  test_loop& operator=(const test_loop&) = delete;
  uv_loop_t* get() { return &loop_; }

  // Runs the loop (UV_RUN_NOWAIT rounds, sleeping in poll() on its backend fd between them)
  // until `done()` or the timeout. Exceptions from sigkit::uv::run propagate.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd p{uv_backend_fd(&loop_), POLLIN, 0};
      static_cast<void>(::poll(&p, 1, 20));
      sigkit::uv::run(&loop_, UV_RUN_NOWAIT);
    }
    return true;
  }

  int handles() {
    int n = 0;
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void* arg) {
          if (uv_is_closing(h) == 0) ++*static_cast<int*>(arg);
        },
        &n);
    return n;
  }

 private:
  uv_loop_t loop_{};
};

TEST(UvAttachTest, RunsSignalHandlersInsideTheLoopDeferred) {
  test_loop loop;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  EXPECT_TRUE(attached.active());
  EXPECT_EQ(attached.loop(), loop.get());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(calls, 0);  // recorded only: the handler runs inside the loop
  ASSERT_TRUE(loop.run_until([&] { return calls == 1; }));
}

TEST(UvAttachTest, SiginfoHandlersGetEveryDeliveryInOrderWithItsFields) {
  test_loop loop;
  std::vector<int> values;
  pid_t pid = 0;
  sigkit::signal(SIGRTMIN, [&](const siginfo& info) {
    values.push_back(info.value.sival_int);
    pid = info.pid;
  });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  std::thread([] {
    for (int i = 1; i <= 5; ++i) {
      sigkit_test::queue_to_self(SIGRTMIN, i);
    }
  }).join();
  ASSERT_TRUE(loop.run_until([&] { return values.size() == 5; }));
  EXPECT_EQ(values, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(pid, ::getpid());
}

TEST(UvAttachTest, SubscribersAndTheHandlerBeneathRunAsEverywhere) {
  test_loop loop;
  std::vector<std::string> calls;
  sigkit::signal(SIGUSR2, [&](int) { calls.emplace_back("beneath"); });
  const sigkit::subscription passing = sigkit::subscribe({SIGUSR2}, [&](const siginfo& info) {
    calls.push_back("subscriber " + std::to_string(info.value.sival_int));
    return info.value.sival_int == 1 ? sigkit::verdict::pass : sigkit::verdict::handled;
  });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  sigkit_test::queue_to_self(SIGUSR2, 1);
  ASSERT_TRUE(loop.run_until([&] { return calls.size() == 2; }));
  sigkit_test::queue_to_self(SIGUSR2, 2);
  ASSERT_TRUE(loop.run_until([&] { return calls.size() == 3; }));
  EXPECT_EQ(calls, (std::vector<std::string>{"subscriber 1", "beneath", "subscriber 2"}));
}

TEST(UvAttachTest, DeliveriesRecordedBeforeAttachingRunAtOnce) {
  test_loop loop;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  ASSERT_TRUE(loop.run_until([&] { return calls == 1; }));
}

TEST(UvAttachTest, KeepsTheLoopAliveUntilResetThenClosesItsHandle) {
  test_loop loop;
  sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  EXPECT_EQ(loop.handles(), 1);
  EXPECT_NE(uv_run(loop.get(), UV_RUN_NOWAIT), 0) << "an active handle keeps the loop alive";
  attached.reset();
  EXPECT_FALSE(attached.active());
  EXPECT_EQ(attached.loop(), nullptr);
  EXPECT_EQ(loop.handles(), 0) << "closing at once";
  EXPECT_EQ(uv_run(loop.get(), UV_RUN_DEFAULT), 0) << "nothing keeps the loop alive now";
  attached.reset();  // idempotent
}

TEST(UvAttachTest, ALoopMayBeAttachedAgainWhileItsOldHandleIsStillClosing) {
  test_loop loop;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  attached.reset();  // uv_close: the handle is freed in the loop's next iteration
  attached = sigkit::uv::attach(loop.get());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(loop.run_until([&] { return calls == 1; }));
}

TEST(UvAttachTest, AHandlerMayDetachTheLoopItRunsIn) {
  test_loop loop;
  std::optional<sigkit::uv::attachment> attached(sigkit::uv::attach(loop.get()));
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) {
    ++calls;
    attached.reset();
  });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  // uv_run returns by itself once the handler has closed the only handle (ctest's timeout
  // bounds it otherwise).
  EXPECT_EQ(sigkit::uv::run(loop.get(), UV_RUN_DEFAULT), 0);
  EXPECT_EQ(calls, 1);
}

TEST(UvAttachTest, AttachmentsOfOneLoopShareOneHandle) {
  test_loop loop;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::uv::attachment a = sigkit::uv::attach(loop.get());
  sigkit::uv::attachment b = sigkit::uv::attach(loop.get());
  EXPECT_EQ(loop.handles(), 1);
  a.reset();
  EXPECT_EQ(loop.handles(), 1) << "b still holds it";
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(loop.run_until([&] { return calls == 1; }));
  sigkit::uv::attachment c = std::move(b);
  EXPECT_FALSE(b.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  EXPECT_TRUE(c.active());
  c = sigkit::uv::attachment();  // move-assigning detaches what c held
  EXPECT_EQ(loop.handles(), 0);
}

TEST(UvAttachTest, TwoLoopsEachGetTheirOwnHandle) {
  test_loop one;
  test_loop two;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const sigkit::uv::attachment a = sigkit::uv::attach(one.get());
  const sigkit::uv::attachment b = sigkit::uv::attach(two.get());
  EXPECT_EQ(one.handles(), 1);
  EXPECT_EQ(two.handles(), 1);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(two.run_until([&] { return calls == 1; }));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(one.run_until([&] { return calls == 2; }));
}

// ---- exceptions ------------------------------------------------------------------------------

TEST(UvRunTest, AHandlersExceptionStopsTheLoopAndLeavesRun) {
  test_loop loop;
  int usr2 = 0;
  sigkit::signal(SIGUSR1, [](int) { throw std::runtime_error("from the handler"); });
  sigkit::signal(SIGUSR2, [&](int) { ++usr2; });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  // UV_RUN_DEFAULT would run forever (the attachment is active): uv_stop ends it.
  EXPECT_THROW(sigkit::uv::run(loop.get(), UV_RUN_DEFAULT), std::runtime_error);
  EXPECT_EQ(usr2, 0) << "SIGUSR2 waits for the next checkpoint";
  ASSERT_TRUE(loop.run_until([&] { return usr2 == 1; }));
  EXPECT_NO_THROW(sigkit::uv::rethrow_pending(loop.get()));
}

TEST(UvRunTest, AnExceptionAfterPlainUvRunIsKeptForRethrowPending) {
  test_loop loop;
  sigkit::signal(SIGUSR1, [](int) { throw std::runtime_error("first"); });
  sigkit::signal(SIGUSR2, [](int) { throw std::logic_error("second"); });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  uv_run(loop.get(), UV_RUN_DEFAULT);  // stopped by the attachment
  ASSERT_EQ(::raise(SIGUSR2), 0);
  sigkit_test::stderr_capture err;
  uv_run(loop.get(), UV_RUN_DEFAULT);
  const std::string text = err.text();
  EXPECT_NE(text.find("was dropped"), std::string::npos) << text;
  EXPECT_NE(text.find("second"), std::string::npos) << text;
  try {
    sigkit::uv::rethrow_pending(loop.get());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_NO_THROW(sigkit::uv::rethrow_pending(loop.get()));
}

TEST(UvRunTest, KeyboardInterruptEndsTheProcessBySigintThroughRunMain) {
  const int status = sigkit_test::run_in_child([] {
    return sigkit::run_main([] {
      uv_loop_t loop{};
      uv_loop_init(&loop);
      const sigkit::uv::attachment attached = sigkit::uv::attach(&loop);
      static_cast<void>(
          ::raise(SIGINT));  // to this child only: default_int_handler throws keyboard_interrupt
      static_cast<void>(sigkit::uv::run(&loop, UV_RUN_DEFAULT));
      return 3;  // not reached
    });
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)
      << sigkit_test::describe_status(status);
}

TEST(UvRunTest, ALoopOnAnotherThreadGetsInvalidArgument) {
  sigkit::signal(SIGUSR1, [](int) {});
  std::string error;
  std::thread([&] {
    uv_loop_t loop{};
    uv_loop_init(&loop);
    {
      const sigkit::uv::attachment attached = sigkit::uv::attach(&loop);
      ::kill(::getpid(), SIGUSR1);
      try {
        sigkit::uv::run(&loop, UV_RUN_DEFAULT);
      } catch (const std::invalid_argument& e) {
        error = e.what();
      }
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
  }).join();
  EXPECT_NE(error.find("only works in the main thread"), std::string::npos) << error;
  sigkit::check_signals();
}

TEST(UvRunTest, NullLoopsThrowInvalidArgument) {
  EXPECT_THROW(static_cast<void>(sigkit::uv::attach(nullptr)), std::invalid_argument);
  EXPECT_THROW(sigkit::uv::run(nullptr), std::invalid_argument);
  EXPECT_THROW(sigkit::uv::rethrow_pending(nullptr), std::invalid_argument);
}

// ---- fork ------------------------------------------------------------------------------------

TEST(UvAttachTest, ForkChildDispatchesItsOwnDeliveriesAfterUvLoopFork) {
  test_loop loop;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const sigkit::uv::attachment attached = sigkit::uv::attach(loop.get());
  const int status = sigkit_test::run_in_child([&] {
    if (uv_loop_fork(loop.get()) != 0) return 2;
    if (::raise(SIGUSR1) != 0) return 3;
    if (!loop.run_until([&] { return calls == 1; })) return 4;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  EXPECT_EQ(calls, 0) << "nothing of the child's is seen here";
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(loop.run_until([&] { return calls == 1; }));
}

TEST(UvAttachTest, SignaturesAreFixed) {
  static_assert(std::is_same_v<decltype(sigkit::uv::attach(std::declval<uv_loop_t*>())),
                               sigkit::uv::attachment>);
  static_assert(!std::is_copy_constructible_v<sigkit::uv::attachment>);
  static_assert(std::is_nothrow_move_constructible_v<sigkit::uv::attachment>);
  static_assert(std::is_nothrow_move_assignable_v<sigkit::uv::attachment>);
}

}  // namespace
