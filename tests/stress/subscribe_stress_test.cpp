// Stress: 4 threads subscribe and unsubscribe while 100 000 deliveries arrive. Every
// (const siginfo&) delivery is accounted for (received by the long-lived subscriber, or
// counted in dropped_deliveries), in order, and no subscriber is ever called after its
// reset() returned. One variant sends real queued signals from another process (not under
// TSan, which coalesces queued signals); one injects from a thread (every preset).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/testing.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kDeliveries = 100000;
constexpr int kChurnThreads = 4;

// One churning subscriber: `reset_done` is set right after its reset() returned; a call
// after that is a violation.
struct churn_probe {
  std::atomic<bool> reset_done{false};
  std::atomic<int> late_calls{0};
};

struct churn {
  std::atomic<bool> stop{false};
  std::atomic<long> cycles{0};
  std::atomic<int> violations{0};
  std::vector<std::thread> threads;

  void start(int signo) {
    // The threads start with the signal blocked (a delivery must not land in one before its
    // own block below takes effect: there, a full queue would drop it).
    const sigkit::scoped_block inherited({signo});
    for (int t = 0; t < kChurnThreads; ++t) {
      threads.emplace_back([this, signo, t] {
        // Workers block the signal, as the README advises for zero loss: back-pressure only
        // acts on the main thread.
        const sigkit::scoped_block blocked({signo});
        while (!stop.load()) {
          auto probe = std::make_shared<churn_probe>();
          sigkit::subscription sub;
          if (t % 2 == 0) {
            sub = sigkit::subscribe({signo}, [probe](const sigkit::siginfo&) {
              if (probe->reset_done.load()) probe->late_calls.fetch_add(1);
            });
          } else {
            sub = sigkit::subscribe({signo}, [probe](int) {
              if (probe->reset_done.load()) probe->late_calls.fetch_add(1);
              return sigkit::verdict::pass;
            });
          }
          std::this_thread::yield();
          sub.reset();
          probe->reset_done.store(true);
          std::this_thread::sleep_for(50us);
          if (probe->late_calls.load() != 0) violations.fetch_add(1);
          cycles.fetch_add(1);
        }
      });
    }
  }
  void finish() {
    stop = true;
    for (auto& t : threads) t.join();
  }
};

// The long-lived subscriber: values must arrive in order 0, 1, 2 ... with gaps only where a
// delivery was dropped (and counted).
struct receiver {
  std::atomic<std::int64_t> received{0};  // read by the injector thread
  std::int64_t next_min = 0;
  bool in_order = true;
  sigkit::subscription sub;

  explicit receiver(int signo) {
    sub = sigkit::subscribe({signo}, [this](const sigkit::siginfo& info) {
      if (info.value.sival_int < next_min) in_order = false;
      next_min = info.value.sival_int + 1;
      received.fetch_add(1);
    });
  }
};

TEST(SubscribeStressTest, ChurnWhileQueuedSignalsArriveFromAnotherProcess) {
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();
  const int signo = SIGRTMIN + 1;
  receiver r(signo);
  churn c;
  c.start(signo);
  const pid_t parent = ::getpid();
  const pid_t sender = ::fork();
  ASSERT_GE(sender, 0);
  if (sender == 0) {
    for (int v = 0; v < kDeliveries; ++v) {
      sigval value{};
      value.sival_int = v;
      while (::sigqueue(parent, signo, value) != 0) {
        if (errno != EAGAIN) _exit(2);
        ::usleep(50);  // the receiver's kernel queue is full: wait for it to drain
      }
    }
    _exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (r.received + static_cast<std::int64_t>(sigkit::dropped_deliveries(signo)) < kDeliveries &&
         std::chrono::steady_clock::now() < deadline) {
    sigkit::sleep(10ms);
  }
  c.finish();
  int status = 0;
  ASSERT_EQ(::waitpid(sender, &status, 0), sender);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  sigkit::check_signals();
  EXPECT_EQ(r.received + static_cast<std::int64_t>(sigkit::dropped_deliveries(signo)), kDeliveries);
  EXPECT_EQ(sigkit::dropped_deliveries(signo), 0U) << r.received.load() << " received";
  EXPECT_TRUE(r.in_order);
  EXPECT_EQ(c.violations.load(), 0);
  EXPECT_GT(c.cycles.load(), 0);
}

TEST(SubscribeStressTest, ChurnWhileDeliveriesAreInjectedFromAThread) {
  const int signo = SIGUSR1;
  receiver r(signo);
  churn c;
  c.start(signo);
  std::atomic<int> injected{0};
  std::thread injector([&] {
    for (int v = 0; v < kDeliveries; ++v) {
      sigkit::siginfo info;
      info.signo = signo;
      info.code = SI_QUEUE;
      info.value.sival_int = v;
      // The queue holds 4096 records: do not outrun the dispatcher by more than that.
      while (v - static_cast<int>(r.received) > 2048) std::this_thread::yield();
      if (!sigkit::testing::inject(info)) break;
      injected.fetch_add(1);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (r.received + static_cast<std::int64_t>(sigkit::dropped_deliveries(signo)) < kDeliveries &&
         std::chrono::steady_clock::now() < deadline) {
    sigkit::check_signals();
    std::this_thread::yield();
  }
  injector.join();
  c.finish();
  sigkit::check_signals();
  EXPECT_EQ(injected.load(), kDeliveries);
  EXPECT_EQ(r.received + static_cast<std::int64_t>(sigkit::dropped_deliveries(signo)), kDeliveries);
  EXPECT_TRUE(r.in_order);
  EXPECT_EQ(c.violations.load(), 0);
}

}  // namespace
