// Tests of the event-loop fast path that notify_fd() opts in to (signalfd): that it is in
// effect, and that everything Part 1 lets a program observe stays as it was (API.md Part 2,
// "Event loops"): masks reported, pending sets, checkpoints, pause/sleep, waits, the wakeup fd,
// fields and order, and the mask threads and child processes start with.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/event_loop.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/itimer.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/shutdown.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/wait.hpp"
#include "sigkit/wakeup.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

std::uint64_t bit(int s) { return std::uint64_t{1} << (s - 1); }

// SigBlk of a thread (or of the process's main thread) from /proc.
std::uint64_t sigblk(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return ~std::uint64_t{0};
}

std::uint64_t sigblk_of_output(const std::string& out) {
  const auto pos = out.find("SigBlk:");
  if (pos == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(out.substr(pos + 7), nullptr, 16);
}

// Everything readable from fd until end of file; closes fd.
std::string read_to_end(int fd) {
  std::string text;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

bool readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// ---- the fast path is in effect ----------------------------------------------------------------

TEST(FastPathTest, TheMainThreadBlocksHandledSignalsOnlyAfterTheOptIn) {
  sigkit::signal(SIGUSR1, [](int) {});
  EXPECT_EQ(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // no opt-in: no change at all
  static_cast<void>(sigkit::notify_fd());
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);             // queued on the signalfd now
  EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}).empty());  // but never reported
}

TEST(FastPathTest, SignalsThatMustStayOnTheClassicPathAreNotBlocked) {
  for (const int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTTIN, SIGTTOU}) {
    sigkit::signal(s, [](int) {});
  }
  sigkit::signal(SIGUSR1, [](int) {});
  const sigkit::shutdown armed({.signals = {SIGUSR2}});
  static_cast<void>(sigkit::notify_fd());
  const std::uint64_t blocked = sigblk(::getpid());
  for (const int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTTIN, SIGTTOU, SIGUSR2}) {
    EXPECT_EQ(blocked & bit(s), 0U) << s;
  }
  EXPECT_NE(blocked & bit(SIGUSR1), 0U);
}

// ---- checkpoints
// ---------------------------------------------------------------------------------

TEST(FastPathTest, CheckSignalsRunsWhatWaitsInTheSignalfd) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(FastPathTest, RaiseSignalHasRunTheHandlerWhenItReturns) {
  std::vector<int> codes;
  sigkit::signal(SIGUSR2, [&](const sigkit::siginfo& info) { codes.push_back(info.code); });
  static_cast<void>(sigkit::notify_fd());
  sigkit::raise_signal(SIGUSR2);
  ASSERT_EQ(codes.size(), 1U);
  EXPECT_EQ(codes[0], SI_TKILL);
}

TEST(FastPathTest, PauseWakesForADeliveryFromAnotherProcessAndRunsItsHandler) {
  int calls = 0;
  pid_t sender = 0;
  sigkit::signal(SIGUSR1, [&](const sigkit::siginfo& info) {
    ++calls;
    sender = info.pid;
  });
  static_cast<void>(sigkit::notify_fd());
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::usleep(50000);
    ::kill(parent, SIGUSR1);
    _exit(0);
  }
  sigkit::pause();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sender, child);
  ::waitpid(child, nullptr, 0);
}

TEST(FastPathTest, PauseWakesForADeliveryThatAnotherThreadReceived) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  std::thread sender([] {
    std::this_thread::sleep_for(30ms);
    ::pthread_kill(::pthread_self(), SIGUSR1);  // to itself: recorded there, main woken
  });
  sigkit::pause();
  sender.join();
  EXPECT_EQ(calls.load(), 1);
}

TEST(FastPathTest, SleepRunsHandlersAndResumesTheRemainingTime) {
  int calls = 0;
  sigkit::signal(SIGALRM, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  sigkit::setitimer(ITIMER_REAL, 50ms);
  const auto start = std::chrono::steady_clock::now();
  sigkit::sleep(200ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(calls, 1);
  EXPECT_GE(elapsed, 200ms);
}

// ---- masks and pending sets as the user sees them ----------------------------------------

TEST(FastPathTest, AUserBlockIsKeptAndItsUnblockRunsTheHandlerBeforeReturning) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  const sigkit::signal_set before = sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  EXPECT_TRUE(before.empty());
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);  // blocked by the user: it waits, as in Part 1
  EXPECT_TRUE(sigkit::sigpending().contains(SIGUSR1));
  EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}) == (sigkit::signal_set{SIGUSR1}));
  const sigkit::signal_set old = sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1});
  EXPECT_TRUE(old == (sigkit::signal_set{SIGUSR1}));
  EXPECT_EQ(calls, 1);  // unblocking ran it before pthread_sigmask returned
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // and the fast path has it again
}

TEST(FastPathTest, ScopedBlockRestoresTheUsersMaskAndKeepsTheFastPath) {
  sigkit::signal(SIGUSR1, [](int) {});
  static_cast<void>(sigkit::notify_fd());
  {
    const sigkit::scoped_block blocked({SIGUSR1, SIGUSR2});
    EXPECT_TRUE(blocked.previous().empty());
    EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}) == (sigkit::signal_set{SIGUSR1, SIGUSR2}));
  }
  EXPECT_TRUE(sigkit::pthread_sigmask(SIG_BLOCK, {}).empty());
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);
  EXPECT_EQ(sigblk(::getpid()) & bit(SIGUSR2), 0U);
}

TEST(FastPathTest, DeliveriesWaitingForDispatchAreNotPending) {
  sigkit::signal(SIGUSR1, [](int) {});
  static_cast<void>(sigkit::notify_fd());
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_TRUE(sigkit::sigpending().empty());  // Part 1: its handler had recorded it already
  sigkit::check_signals();
}

// ---- waits
// ---------------------------------------------------------------------------------------

TEST(FastPathTest, SigtimedwaitIsInterruptedByOtherHandledSignalsAsInPart1) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  const sigkit::scoped_block waited({SIGUSR2});
  std::thread sender([] {
    std::this_thread::sleep_for(30ms);
    ::kill(::getpid(), SIGUSR1);
    std::this_thread::sleep_for(30ms);
    ::kill(::getpid(), SIGUSR2);
  });
  const auto got = sigkit::sigtimedwait({SIGUSR2}, 5s);
  sender.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->signo, SIGUSR2);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // back on the fast path after the wait
}

TEST(FastPathTest, SigwaitinfoDoesNotTakeADeliveryThatArrivedBeforeTheCall) {
  std::vector<int> handled;
  sigkit::signal(SIGUSR1,
                 [&](const sigkit::siginfo& info) { handled.push_back(info.value.sival_int); });
  static_cast<void>(sigkit::notify_fd());
  sigval v{};
  v.sival_int = 1;
  ASSERT_EQ(::sigqueue(::getpid(), SIGUSR1, v), 0);  // before the wait: its handler's
  std::thread sender([] {
    std::this_thread::sleep_for(30ms);
    sigval w{};
    w.sival_int = 2;
    ::sigqueue(::getpid(), SIGUSR1, w);
  });
  const auto got = sigkit::sigtimedwait({SIGUSR1}, 5s);
  sender.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value.sival_int, 2);
  sigkit::check_signals();
  EXPECT_EQ(handled, (std::vector<int>{1}));
}

// ---- dispositions change, the fast path follows --------------------------------------------

TEST(FastPathDeathTest, ADefaultDispositionActsAtOnceAsWithoutTheFastPath) {
  EXPECT_EXIT(
      {
        sigkit::signal(SIGUSR1, [](int) {});
        static_cast<void>(sigkit::notify_fd());
        sigkit::signal(SIGUSR1, SIG_DFL);
        ::kill(::getpid(), SIGUSR1);  // no checkpoint needed: the default action acts now
        std::fputs("survived\n", stderr);
        std::_Exit(0);
      },
      testing::KilledBySignal(SIGUSR1), "");
}

TEST(FastPathTest, TheLastSubscriptionEndingFromAnotherThreadRestoresTheDefault) {
  const int status = sigkit_test::run_in_child([] {
    auto sub = sigkit::subscribe({SIGUSR1}, [](int) {});
    static_cast<void>(sigkit::notify_fd());
    std::thread([&] { sub.reset(); }).join();
    ::kill(::getpid(), SIGUSR1);
    sigkit::dispatch();  // the change reaches the main thread at its next checkpoint
    return 3;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1)
      << sigkit_test::describe_status(status);
}

TEST(FastPathTest, AWakeupFdGetsItsByteForEveryDelivery) {
  sigkit_test::pipe_pair pipe;
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  sigkit::set_wakeup_fd(pipe.write_end);
  EXPECT_EQ(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // the OS-level handler writes the byte
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  EXPECT_EQ(sigkit_test::drain_fd(pipe.read_end), std::string(1, static_cast<char>(SIGUSR1)));
  EXPECT_TRUE(readable(sigkit::notify_fd(), 1000));
  sigkit::dispatch();
  EXPECT_EQ(calls, 1);
  sigkit::set_wakeup_fd(-1);
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);
}

TEST(FastPathTest, ASecondShutdownSignalStillKillsAtOnce) {
  const int status = sigkit_test::run_in_child([] {
    sigkit::signal(SIGTERM, [](int) {});
    static_cast<void>(sigkit::notify_fd());
    const sigkit::shutdown stop;
    ::raise(SIGTERM);
    ::raise(SIGTERM);
    return 3;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
      << sigkit_test::describe_status(status);
}

// ---- other threads: forwarding and recording ----------------------------------------------

TEST(FastPathTest, AQueuedSignalThatLandsOnAnotherThreadKeepsItsFields) {
  SKIP_QUEUED_DELIVERIES_UNDER_TSAN();  // the worker's deliveries pass TSan's own handler
  std::vector<sigkit::siginfo> seen;
  sigkit::signal(SIGRTMIN, [&](const sigkit::siginfo& info) { seen.push_back(info); });
  static_cast<void>(sigkit::notify_fd());
  std::atomic<bool> stop{false};
  std::atomic<long> worker_tid{0};
  std::thread worker([&] {  // started after the opt-in: the user's (empty) mask
    worker_tid = ::syscall(SYS_gettid);
    while (!stop.load()) ::usleep(1000);
  });
  while (worker_tid.load() == 0) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(sigblk(static_cast<pid_t>(worker_tid.load())) & bit(SIGRTMIN), 0U);
  const pid_t parent = ::getpid();
  const pid_t sender = ::fork();
  ASSERT_GE(sender, 0);
  if (sender == 0) {
    for (int v = 0; v < 50; ++v) {
      sigval value{};
      value.sival_int = 1000 + v;
      ::sigqueue(parent, SIGRTMIN, value);
    }
    _exit(0);
  }
  ::waitpid(sender, nullptr, 0);
  const bool all = sigkit_test::checkpoint_until([&] { return seen.size() == 50; });
  stop = true;
  worker.join();
  ASSERT_TRUE(all) << seen.size();
  // A burst shared between the worker (forwarding) and the main thread's signalfd (taking
  // later instances from the process queue meanwhile) is complete but not ordered.
  std::sort(seen.begin(), seen.end(), [](const sigkit::siginfo& a, const sigkit::siginfo& b) {
    return a.value.sival_int < b.value.sival_int;
  });
  for (int v = 0; v < 50; ++v) {
    const auto& info = seen[static_cast<std::size_t>(v)];
    EXPECT_EQ(info.value.sival_int, 1000 + v);
    EXPECT_EQ(info.pid, sender);
    EXPECT_EQ(info.uid, ::getuid());
    EXPECT_EQ(info.code, SI_QUEUE);
  }
}

TEST(FastPathTest, AKillThatLandsOnAnotherThreadIsRecordedThereWithItsFields) {
  std::vector<sigkit::siginfo> seen;
  sigkit::signal(SIGUSR2, [&](const sigkit::siginfo& info) { seen.push_back(info); });
  static_cast<void>(sigkit::notify_fd());
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop.load()) ::usleep(1000);
  });
  const pid_t parent = ::getpid();
  const pid_t sender = ::fork();
  ASSERT_GE(sender, 0);
  if (sender == 0) {
    ::kill(parent, SIGUSR2);  // SI_USER: the kernel forbids forwarding it; recorded instead
    _exit(0);
  }
  ::waitpid(sender, nullptr, 0);
  const bool arrived = sigkit_test::checkpoint_until([&] { return seen.size() == 1; });
  stop = true;
  worker.join();
  ASSERT_TRUE(arrived);
  EXPECT_EQ(seen[0].pid, sender);
  EXPECT_EQ(seen[0].code, SI_USER);
}

// ---- what threads and child processes start with ------------------------------------------

TEST(FastPathTest, AThreadStartedAfterTheOptInHasTheUsersMask) {
  sigkit::signal(SIGUSR1, [](int) {});
  static_cast<void>(sigkit::notify_fd());
  const sigkit::scoped_block user({SIGHUP});
  std::uint64_t seen = 0;
  sigkit::signal_set reported;
  std::thread([&] {
    seen = sigblk(static_cast<pid_t>(::syscall(SYS_gettid)));
    reported = sigkit::pthread_sigmask(SIG_BLOCK, {});
  }).join();
  EXPECT_EQ(seen & (bit(SIGUSR1) | bit(SIGHUP)), bit(SIGHUP));
  EXPECT_TRUE(reported == (sigkit::signal_set{SIGHUP}));
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // the main thread keeps the fast path
}

TEST(FastPathTest, ChildProcessesStartWithTheUsersMask) {
  sigkit::signal(SIGUSR1, [](int) {});
  static_cast<void>(sigkit::notify_fd());
  const sigkit::scoped_block user({SIGHUP});
  const std::uint64_t expected = bit(SIGHUP);
  const std::uint64_t wanted = bit(SIGUSR1) | bit(SIGHUP);
  // (system() and popen() go through the same interposition, but Debian's /bin/sh clears its
  // mask at start-up, so what they hand over cannot be seen from the command.)
  // posix_spawn
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const char* argv[] = {"grep", "SigBlk", "/proc/self/status", nullptr};
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawnp(&pid, "grep", &actions, nullptr, const_cast<char**>(argv), environ), 0);
  ::close(out[1]);
  const std::string text = read_to_end(out[0]);
  ::waitpid(pid, nullptr, 0);
  ::posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(sigblk_of_output(text) & wanted, expected) << text;
  // fork + exec
  const int status = sigkit_test::run_in_child([&] {
    const std::uint64_t mine = sigblk(::getpid());
    return (mine & wanted) == expected ? 0 : 1;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  EXPECT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // the parent keeps the fast path
}

// What `grep SigBlk /proc/self/status` prints when started by one of the interposed exec
// functions in a fork child (variant 0..6) or by posix_spawn (variant 7).
std::string sigblk_line_after_exec(int variant) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  char grep_name[] = "grep";
  char pattern[] = "SigBlk";
  char file[] = "/proc/self/status";
  char* const argv[] = {grep_name, pattern, file, nullptr};
  pid_t pid = -1;
  if (variant == 7) {
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (::posix_spawn(&pid, "/bin/grep", &actions, nullptr, argv, environ) != 0) pid = -1;
    ::posix_spawn_file_actions_destroy(&actions);
  } else {
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      switch (variant) {
        case 0:
          ::execv("/bin/grep", argv);
          break;
        case 1:
          ::execvp("grep", argv);
          break;
        case 2:
          ::execve("/bin/grep", argv, environ);
          break;
        case 3:
          ::execvpe("grep", argv, environ);
          break;
        case 4:
          ::execl("/bin/grep", "grep", "SigBlk", "/proc/self/status", nullptr);
          break;
        case 5:
          ::execlp("grep", "grep", "SigBlk", "/proc/self/status", nullptr);
          break;
        default:
          ::execle("/bin/grep", "grep", "SigBlk", "/proc/self/status", nullptr, environ);
      }
      ::_exit(127);
    }
  }
  ::close(out[1]);
  const std::string text = read_to_end(out[0]);
  if (pid > 0) ::waitpid(pid, nullptr, 0);
  return text;
}

TEST(FastPathTest, EveryExecFunctionAndPosixSpawnStartTheProgramWithTheUsersMask) {
  sigkit::signal(SIGUSR1, [](int) {});
  static_cast<void>(sigkit::notify_fd());
  const sigkit::scoped_block user({SIGHUP});
  ASSERT_NE(sigblk(::getpid()) & bit(SIGUSR1), 0U);  // the fast path blocks it here
  const char* names[] = {"execv", "execvp", "execve", "execvpe",
                         "execl", "execlp", "execle", "posix_spawn"};
  for (int variant = 0; variant < 8; ++variant) {
    const std::string text = sigblk_line_after_exec(variant);
    EXPECT_EQ(sigblk_of_output(text) & (bit(SIGUSR1) | bit(SIGHUP)), bit(SIGHUP))
        << names[variant] << ": " << text;
  }
}

TEST(FastPathTest, AForkChildTakesTheFastPathAgainAtItsFirstCheckpoint) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  static_cast<void>(sigkit::notify_fd());
  const int status = sigkit_test::run_in_child([&] {
    if ((sigblk(::getpid()) & bit(SIGUSR1)) != 0) return 1;  // the child starts without it
    sigkit::check_signals();
    if ((sigblk(::getpid()) & bit(SIGUSR1)) == 0) return 2;  // and takes it again
    ::kill(::getpid(), SIGUSR1);
    if (!readable(sigkit::notify_fd(), 2000)) return 3;
    sigkit::dispatch();
    return calls == 1 ? 0 : 4;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
}

}  // namespace
