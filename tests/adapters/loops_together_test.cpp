// The Asio and libuv adapters side by side in one process, with signal() handlers and
// subscribers (API.md Part 2, "Event loops": both work beside signal(), subscribers and each
// other): whichever loop dispatches, every delivery is handled once, and detaching one loop
// leaves the other working.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "adapter_test_support.hpp"
#include "sigkit/asio.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/uv.hpp"
#include "support/test_support.hpp"

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using sigkit::siginfo;

class LoopsTogetherTest : public ::testing::Test {
 public:
  LoopsTogetherTest(const LoopsTogetherTest&) = delete;
  LoopsTogetherTest& operator=(const LoopsTogetherTest&) = delete;

 protected:
  LoopsTogetherTest() { EXPECT_EQ(uv_loop_init(&loop_), 0); }
  ~LoopsTogetherTest() override {
    uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Turns the loops selected until `done()` (5 s at most), sleeping on both backends.
  bool run_until(const std::function<bool()>& done, bool run_asio = true, bool run_uv = true) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd p{uv_backend_fd(&loop_), POLLIN, 0};
      static_cast<void>(::poll(&p, 1, 5));
      if (run_uv) sigkit::uv::run(&loop_, UV_RUN_NOWAIT);
      if (run_asio) {
        ctx_.restart();
        ctx_.run_for(5ms);
      }
    }
    return true;
  }

  net::io_context ctx_;
  uv_loop_t loop_{};
};

TEST_F(LoopsTogetherTest, EveryDeliveryIsHandledOnceWhicheverLoopDispatches) {
  std::vector<int> beneath;
  std::vector<int> subscriber;
  sigkit::signal(SIGRTMIN, [&](const siginfo& info) { beneath.push_back(info.value.sival_int); });
  const sigkit::subscription passing = sigkit::subscribe({SIGRTMIN}, [&](const siginfo& info) {
    subscriber.push_back(info.value.sival_int);
    return sigkit::verdict::pass;
  });
  const sigkit::asio::attachment asio_attached = sigkit::asio::attach(ctx_);
  const sigkit::uv::attachment uv_attached = sigkit::uv::attach(&loop_);
  std::vector<int> waited;
  sigkit::asio::async_wait(ctx_, SIGRTMIN, [&](boost::system::error_code ec, siginfo info) {
    EXPECT_FALSE(ec);
    waited.push_back(info.value.sival_int);
  });
  for (int i = 1; i <= 6; ++i) sigkit_test::queue_to_self(SIGRTMIN, i);
  ASSERT_TRUE(run_until([&] { return waited.size() + beneath.size() == 6; }));
  EXPECT_EQ(waited, std::vector<int>{1}) << "the wait took the first delivery";
  EXPECT_EQ(beneath, (std::vector<int>{2, 3, 4, 5, 6}));
  EXPECT_EQ(subscriber, (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST_F(LoopsTogetherTest, EitherLoopAloneRunsTheHandlersAndCompletesAsioWaits) {
  int calls = 0;
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  const sigkit::asio::attachment asio_attached = sigkit::asio::attach(ctx_);
  const sigkit::uv::attachment uv_attached = sigkit::uv::attach(&loop_);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until([&] { return calls == 1; }, /*run_asio=*/false, /*run_uv=*/true));
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until([&] { return calls == 2; }, /*run_asio=*/true, /*run_uv=*/false));
  // An Asio wait completed by a delivery that the uv loop dispatched: the handler runs in
  // the io_context, as always.
  int waited = 0;
  int seen = 0;
  const sigkit::subscription observer = sigkit::subscribe({SIGUSR1}, [&](int) {
    ++seen;
    return sigkit::verdict::pass;
  });
  sigkit::asio::async_wait(ctx_, SIGUSR1, [&](boost::system::error_code, siginfo) { ++waited; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until([&] { return seen == 1; }, /*run_asio=*/false, /*run_uv=*/true));
  EXPECT_EQ(waited, 0) << "posted to the io_context, which has not run";
  ASSERT_TRUE(run_until([&] { return waited == 1; }));
}

TEST_F(LoopsTogetherTest, DetachingOneLoopLeavesTheOtherWorking) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::asio::attachment asio_attached = sigkit::asio::attach(ctx_);
  sigkit::uv::attachment uv_attached = sigkit::uv::attach(&loop_);
  uv_attached.reset();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until([&] { return calls == 1; }));
  uv_attached = sigkit::uv::attach(&loop_);
  asio_attached.reset();
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until([&] { return calls == 2; }, /*run_asio=*/true, /*run_uv=*/true));
  uv_attached.reset();
}

}  // namespace
