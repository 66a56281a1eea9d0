// Windows: many subscribers per signal (Part 2), over the C runtime's seven signals.
#include "sigkit/subscribe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "support/windows_test_support.hpp"

namespace {

using sigkit_windows_test::checkpoint_until;

std::atomic<int> foreign_calls{0};
std::thread::id foreign_thread;
void foreign_crt_handler(int signo) {
  if (signo == SIGTERM) foreign_calls.fetch_add(1);
  foreign_thread = std::this_thread::get_id();
}

TEST(SubscribeTest, SubscribersRunDeferredNewestFirst) {
  std::vector<int> order;
  auto a = sigkit::subscribe({SIGTERM}, [&](int) { order.push_back(1); });
  auto b = sigkit::subscribe({SIGTERM}, [&](int) {
    order.push_back(2);
    return sigkit::verdict::pass;
  });
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_TRUE(order.empty());
  sigkit::check_signals();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(SubscribeTest, OnlyIfAllPassDoesTheSignalHandlerBeneathRun) {
  int beneath = 0;
  sigkit::signal(SIGBREAK, [&](int) { ++beneath; });
  auto s = sigkit::subscribe({SIGBREAK}, [](int) { return sigkit::verdict::pass; });
  sigkit::raise_signal(SIGBREAK);
  EXPECT_EQ(beneath, 1);
  {
    auto handled = sigkit::subscribe({SIGBREAK}, [](int) {});
    sigkit::raise_signal(SIGBREAK);
    EXPECT_EQ(beneath, 1);
  }
  EXPECT_EQ(sigkit::getsignal(SIGBREAK).is_callable(), true);  // subscribing changed nothing
}

TEST(SubscribeTest, FallThroughToAForeignHandlerCallsItOnTheMainThread) {
  foreign_calls.store(0);
  ASSERT_NE(::signal(SIGTERM, &foreign_crt_handler), SIG_ERR);
  {
    auto s = sigkit::subscribe({SIGTERM}, [](int) { return sigkit::verdict::pass; });
    EXPECT_TRUE(sigkit::getsignal(SIGTERM).empty());  // still the foreign one beneath
    std::thread([] { sigkit::raise_signal(SIGTERM); }).join();
    EXPECT_TRUE(checkpoint_until([] { return foreign_calls.load() == 1; }));
    EXPECT_EQ(foreign_thread, std::this_thread::get_id());
  }
  // The last subscription gone, the C runtime has exactly what was there before.
  EXPECT_EQ(::signal(SIGTERM, SIG_DFL), &foreign_crt_handler);
}

TEST(SubscribeDeathTest, FallThroughToSigDflEndsTheProcess) {
  EXPECT_EXIT(
      {
        auto s = sigkit::subscribe({SIGTERM}, [](int) { return sigkit::verdict::pass; });
        sigkit::raise_signal(SIGTERM);
        std::exit(1);
      },
      testing::ExitedWithCode(3), "");  // the C runtime's SIG_DFL
  EXPECT_EXIT(
      {
        auto s = sigkit::subscribe({SIGINT}, [](int) { return sigkit::verdict::pass; });
        sigkit::raise_signal(SIGINT);
        std::exit(1);
      },
      testing::ExitedWithCode(static_cast<int>(0xC000013AU)), "");  // as for a Ctrl+C
}

TEST(SubscribeTest, ResetIsImmediateAndRestoresSigIgn) {
  sigkit::signal(SIGABRT, SIG_IGN);
  int calls = 0;
  auto s = sigkit::subscribe({SIGABRT}, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGABRT), 0);
  s.reset();
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(s.active());
  EXPECT_EQ(::signal(SIGABRT, SIG_DFL), SIG_IGN);
}

TEST(SubscribeTest, SiginfoSubscribersSeeEachDeliveryAndCtrlC) {
  sigkit_windows_test::own_console();
  std::vector<int> codes;
  auto s =
      sigkit::subscribe({SIGINT}, [&](const sigkit::siginfo& info) { codes.push_back(info.code); });
  sigkit::raise_signal(SIGINT);
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  EXPECT_TRUE(checkpoint_until([&] { return codes.size() == 2; }));
  EXPECT_EQ(codes, (std::vector<int>{sigkit::raised, sigkit::ctrl_c_event}));
}

TEST(SubscribeTest, RefusesAnEmptySet) {
  EXPECT_THROW(static_cast<void>(sigkit::subscribe(sigkit::signal_set{}, [](int) {})),
               std::invalid_argument);
}

}  // namespace
