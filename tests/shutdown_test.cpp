// Tests of sigkit/shutdown.hpp against API.md Part 2, "Graceful shutdown with escalation" and
// the Shutdown bullet of "Details that are fixed (Part 2)". Every test that delivers a
// shutdown signal runs in a forked child (a second delivery ends the process).
#include "sigkit/shutdown.hpp"

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/testing.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
bool killed_by(int status, int signo) { return WIFSIGNALED(status) && WTERMSIG(status) == signo; }

// How many threads of this process have the name `comm` (/proc/self/task/*/comm).
int threads_named(const std::string& comm) {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/comm");
    std::string name;
    std::getline(in, name);
    if (name == comm) ++n;
  }
  ::closedir(dir);
  return n;
}

// Waits without ever reaching a sigkit checkpoint (a plain futex-like spin on an atomic with
// nanosleep, as code stuck in a join() or a library call would).
template <class Pred>
bool spin_until(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    timespec ts{0, 200000};
    ::nanosleep(&ts, nullptr);
  }
  return true;
}

TEST(ShutdownTest, FirstDeliveryRequestsStopWhileTheMainThreadIsBlockedInJoin) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR1}});
    std::atomic<bool> worker_saw_stop{false};
    std::thread worker([&, token = sd.token()] {
      while (!token.stop_requested()) std::this_thread::sleep_for(1ms);
      worker_saw_stop = true;
    });
    std::thread sender([] {
      std::this_thread::sleep_for(20ms);
      ::kill(::getpid(), SIGUSR1);
    });
    worker.join();  // the main thread never reaches a checkpoint meanwhile
    sender.join();
    if (!worker_saw_stop || !sd.requested()) return 1;
    const auto why = sd.reason();
    if (!why || why->signo != SIGUSR1 || why->pid != ::getpid()) return 2;
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, StopCallbacksRunOnAThreadOfSigkits) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR2}});
    std::atomic<long> callback_tid{0};
    std::atomic<long> sender_tid{0};
    const std::stop_callback cb(sd.token(), [&] { callback_tid = ::gettid(); });
    std::thread sender([&] {
      sender_tid = ::gettid();
      ::syscall(SYS_tgkill, ::getpid(), ::gettid(), SIGUSR2);  // to the sender itself
    });
    sender.join();
    if (!spin_until([&] { return callback_tid.load() != 0; })) return 1;
    if (callback_tid.load() == ::getpid()) return 2;         // not the main thread
    if (callback_tid.load() == sender_tid.load()) return 3;  // not the sending thread
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, WaitReturnsAfterTheFirstDeliveryWithTheStopRequested) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR1}});
    std::thread sender([] {
      std::this_thread::sleep_for(30ms);
      ::kill(::getpid(), SIGUSR1);
    });
    sd.wait();
    sender.join();
    return sd.token().stop_requested() && sd.requested() ? 0 : 1;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, WaitRunsOtherHandlersMeanwhile) {
  const int status = sigkit_test::run_in_child([] {
    int other = 0;
    sigkit::signal(SIGALRM, [&](int) {
      ++other;
      ::kill(::getpid(), SIGUSR1);
    });
    sigkit::shutdown sd({.signals = {SIGUSR1}});
    ::kill(::getpid(), SIGALRM);
    sd.wait();
    return other == 1 && sd.token().stop_requested() ? 0 : 1;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, WaitFromAnotherThread) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR1}});
    std::atomic<bool> done{false};
    std::thread waiter([&] {
      sd.wait();
      done = true;
    });
    std::this_thread::sleep_for(20ms);
    ::kill(::getpid(), SIGUSR1);
    waiter.join();
    return done ? 0 : 1;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, SecondDeliveryEndsTheProcessByThatSignalEvenIfEveryThreadIsStuck) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR1, SIGUSR2}});
    std::thread sender([] {
      ::kill(::getpid(), SIGUSR1);
      std::this_thread::sleep_for(50ms);
      ::kill(::getpid(), SIGUSR2);
    });
    sender.detach();
    volatile unsigned long spin = 0;  // stuck: no checkpoint, no system call
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) spin = spin + 1;
    return 1;
  });
  EXPECT_TRUE(killed_by(status, SIGUSR2)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, SecondSigtermEndsTheProcessBySigterm) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd;  // INT and TERM
    ::raise(SIGTERM);
    if (!sd.requested()) return 1;
    ::raise(SIGTERM);
    return 2;
  });
  EXPECT_TRUE(killed_by(status, SIGTERM)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, WithoutSecondSignalKillsLaterDeliveriesAreHandled) {
  const int status = sigkit_test::run_in_child([] {
    int beneath = 0;
    sigkit::signal(SIGUSR1, [&](int) { ++beneath; });
    sigkit::shutdown sd({.signals = {SIGUSR1}, .second_signal_kills = false});
    sigval v{};
    v.sival_int = 11;
    ::sigqueue(::getpid(), SIGUSR1, v);
    v.sival_int = 22;
    ::sigqueue(::getpid(), SIGUSR1, v);
    sigkit::check_signals();
    const auto why = sd.reason();
    if (!why || why->value.sival_int != 11 || why->code != SI_QUEUE) return 1;
    if (beneath != 0) return 2;  // the shutdown's subscriber counts as handled
    if (!(sigkit::getsignal(SIGUSR1).is_callable())) return 3;
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, GraceDeadlineEndsTheProcessByTheFirstSignal) {
  sigkit_test::pipe_pair ready(false);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sigkit::shutdown sd({.signals = {SIGUSR1, SIGUSR2}, .grace = 300ms});
    const char byte = 'r';
    static_cast<void>(::write(ready.write_end, &byte, 1));
    for (;;) ::pause();  // never finishes its drain
  }
  char byte = 0;
  ASSERT_EQ(::read(ready.read_end, &byte, 1), 1);
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(child, SIGUSR2), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const auto elapsed = std::chrono::steady_clock::now() - sent;
  EXPECT_TRUE(killed_by(status, SIGUSR2)) << sigkit_test::describe_status(status);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LE(elapsed, 300ms + 1500ms);
}

TEST(ShutdownTest, DestroyingTheShutdownCancelsTheDeadline) {
  const int status = sigkit_test::run_in_child([] {
    {
      sigkit::shutdown sd({.signals = {SIGUSR1}, .grace = 200ms});
      ::raise(SIGUSR1);
      if (!sd.requested()) return 1;
      sd.wait();
    }
    std::this_thread::sleep_for(500ms);
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, ReasonIsNulloptBeforeAndKeepsTheFirstDelivery) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGUSR1, SIGUSR2}, .second_signal_kills = false});
    if (sd.reason() || sd.requested() || sd.token().stop_requested()) return 1;
    sigkit::siginfo first;
    first.signo = SIGUSR2;
    first.code = SI_QUEUE;
    first.pid = 1234;
    first.uid = 56;
    first.value.sival_int = 78;
    if (!sigkit::testing::inject(first)) return 2;
    ::raise(SIGUSR1);
    const auto why = sd.reason();
    if (!why) return 3;
    if (why->signo != SIGUSR2 || why->pid != 1234 || why->uid != 56U ||
        why->value.sival_int != 78 || why->code != SI_QUEUE) {
      return 4;
    }
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, InjectRequestsStopWithoutACheckpoint) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown sd({.signals = {SIGTERM}});
    std::thread injector([] {
      sigkit::siginfo info;
      info.signo = SIGTERM;
      info.pid = 1;
      static_cast<void>(sigkit::testing::inject(info));
    });
    injector.join();
    return spin_until([&] { return sd.token().stop_requested(); }) ? 0 : 1;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, DestructorRestoresWhatWasThereBefore) {
  const int status = sigkit_test::run_in_child([] {
    int beneath = 0;
    const sigkit::handler h = [&](int) { ++beneath; };
    sigkit::signal(SIGUSR1, h);
    struct sigaction usr2_before {};
    ::sigaction(SIGUSR2, nullptr, &usr2_before);
    {
      sigkit::shutdown sd({.signals = {SIGUSR1, SIGUSR2}});
      if (!(sigkit::getsignal(SIGUSR1) == h)) return 1;  // getsignal keeps reporting it
      if (!sigkit::getsignal(SIGUSR2).is_default()) return 2;
    }
    struct sigaction usr2_after {};
    ::sigaction(SIGUSR2, nullptr, &usr2_after);
    if (usr2_after.sa_handler != SIG_DFL) return 3;
    sigkit::raise_signal(SIGUSR1);
    return beneath == 1 ? 0 : 4;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, CoexistsWithOtherSubscribers) {
  const int status = sigkit_test::run_in_child([] {
    int older = 0;
    auto sub = sigkit::subscribe({SIGUSR1}, [&](const sigkit::siginfo&) { ++older; });
    sigkit::shutdown sd({.signals = {SIGUSR1}});
    ::raise(SIGUSR1);
    sigkit::check_signals();
    if (older != 1) return 1;  // broadcast: every subscriber runs
    sd.wait();
    return 0;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, TwoShutdownsBothRequestStop) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::shutdown a({.signals = {SIGUSR1}, .second_signal_kills = false});
    sigkit::shutdown b({.signals = {SIGUSR1, SIGUSR2}, .second_signal_kills = false});
    ::raise(SIGUSR1);
    a.wait();
    b.wait();
    return a.token().stop_requested() && b.token().stop_requested() ? 0 : 1;
  });
  EXPECT_TRUE(exited_with(status, 0)) << sigkit_test::describe_status(status);
}

TEST(ShutdownTest, BadOptionsThrowAndArmNothing) {
  EXPECT_THROW(sigkit::shutdown({.signals = {}}), std::invalid_argument);
  EXPECT_THROW(sigkit::shutdown({.signals = {SIGTERM, SIGKILL}}), std::invalid_argument);
  EXPECT_THROW(sigkit::shutdown({.signals = {SIGSTOP}}), std::invalid_argument);
  EXPECT_THROW(sigkit::shutdown({.grace = std::chrono::duration<double>(-1e-9)}),
               std::invalid_argument);
  EXPECT_THROW(sigkit::shutdown({.grace = std::chrono::duration<double>(std::nan(""))}),
               std::invalid_argument);
  EXPECT_THROW(sigkit::shutdown({.grace = std::chrono::duration<double>(
                                     std::numeric_limits<double>::infinity())}),
               std::out_of_range);
  struct sigaction term {};
  ::sigaction(SIGTERM, nullptr, &term);
  EXPECT_EQ(term.sa_handler, SIG_DFL);
}

TEST(ShutdownTest, AtMostSixteenLiveAtOnce) {
  std::vector<std::unique_ptr<sigkit::shutdown>> many;
  for (int i = 0; i < 16; ++i) {
    many.push_back(std::make_unique<sigkit::shutdown>(sigkit::shutdown_options{{SIGUSR1}}));
  }
  EXPECT_THROW(sigkit::shutdown({.signals = {SIGUSR2}}), std::length_error);
  many.pop_back();
  EXPECT_NO_THROW(sigkit::shutdown({.signals = {SIGUSR2}}));
}

// A fork child inherits the parent's shutdown but not its thread: the child's first delivery
// requests its own stop (the thread comes back at the next checkpoint), the second ends the
// child by the signal, and the parent sees nothing of either.
TEST(ShutdownTest, AForkChildStopsAndEscalatesOnItsOwn) {
  SKIP_THREADS_AFTER_FORK_UNDER_TSAN();  // the child starts its own sigkit thread
  const sigkit::shutdown sd({.signals = {SIGUSR1}});
  const int status = sigkit_test::run_in_child([&] {
    if (sd.requested()) return 1;
    if (::kill(::getpid(), SIGUSR1) != 0) return 2;
    sigkit::check_signals();
    if (!sd.requested()) return 3;  // recorded in signal context
    const std::stop_token token = sd.token();
    for (int i = 0; i < 5000 && !token.stop_requested(); ++i) std::this_thread::sleep_for(1ms);
    if (!token.stop_requested()) return 6;  // the child's own sigkit thread requested it
    if (!sd.reason() || sd.reason()->signo != SIGUSR1 || sd.reason()->pid != ::getpid()) return 4;
    ::kill(::getpid(), SIGUSR1);  // the second delivery: dies by it from signal context
    for (int i = 0; i < 5000; ++i) std::this_thread::sleep_for(1ms);
    return 5;
  });
  EXPECT_TRUE(killed_by(status, SIGUSR1)) << sigkit_test::describe_status(status);
  sigkit::check_signals();
  EXPECT_FALSE(sd.requested());
}

TEST(ShutdownTest, AProgramThatDoesNotUseItStartsNoThread) {
  {
    auto sub = sigkit::subscribe({SIGUSR1}, [](int) {});
    sigkit::raise_signal(SIGUSR1);
  }
  EXPECT_EQ(threads_named("sigkit-shutdown"), 0);
  { const sigkit::shutdown sd({.signals = {SIGUSR1}}); }
  EXPECT_EQ(threads_named("sigkit-shutdown"), 1);  // started on first use, then kept
  { const sigkit::shutdown sd({.signals = {SIGUSR2}}); }
  EXPECT_EQ(threads_named("sigkit-shutdown"), 1);
}

TEST(ShutdownTest, SignaturesAreFixed) {
  static_assert(!std::is_copy_constructible_v<sigkit::shutdown>);
  static_assert(!std::is_move_constructible_v<sigkit::shutdown>);
  static_assert(noexcept(std::declval<const sigkit::shutdown&>().token()));
  static_assert(noexcept(std::declval<const sigkit::shutdown&>().requested()));
  static_assert(std::is_same_v<decltype(std::declval<const sigkit::shutdown&>().reason()),
                               std::optional<sigkit::siginfo>>);
  const sigkit::shutdown_options defaults;
  EXPECT_TRUE(defaults.signals == (sigkit::signal_set{SIGINT, SIGTERM}));
  EXPECT_EQ(defaults.grace.count(), 0.0);
  EXPECT_TRUE(defaults.second_signal_kills);
}

}  // namespace
