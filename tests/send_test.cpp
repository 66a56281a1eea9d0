// Tests for sigkit/send.hpp: raise_signal, pthread_kill, pidfd_open, pidfd_send_signal,
// sigqueue, including real delivery to a forked child.
#include "sigkit/send.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/wait.hpp"
#include "support/test_support.hpp"

namespace {

using seconds_d = std::chrono::duration<double>;
using sigkit::signal_set;

// The signatures API.md fixes.
static_assert(std::is_same_v<decltype(&sigkit::raise_signal), void (*)(int)>);
static_assert(std::is_same_v<decltype(&sigkit::pthread_kill), void (*)(pthread_t, int)>);
static_assert(std::is_same_v<decltype(&sigkit::pidfd_send_signal), void (*)(int, int, int)>);
static_assert(std::is_same_v<decltype(&sigkit::pidfd_open), int (*)(pid_t)>);
static_assert(std::is_same_v<decltype(&sigkit::sigqueue), void (*)(pid_t, int, int)>);

// A pid that cannot exist (above the kernel's PID_MAX_LIMIT of 2^22).
constexpr pid_t kNoSuchPid = 1 << 30;

// ThreadSanitizer intercepts signal handlers: it keeps one pending slot per signal number (so
// it coalesces queued real-time signals before the handler sees them), and in a forked child
// it occasionally loses a delivery altogether (about 1 in 100 with a plain C handler).
#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

struct handler_error : std::runtime_error {
  handler_error() : std::runtime_error("handler_error") {}
};

template <class F>
int system_errno(F&& f) {
  return sigkit_test::errno_of<std::system_error>(std::forward<F>(f));
}

// What a child saw of one delivery.
struct report {
  int signo = 0;
  int code = 0;
  pid_t pid = 0;
  uid_t uid = 0;
  int value = 0;
};

// A forked child that runs `body(write_fd)` and _exits with its result. The parent reaps it
// with a deadline and SIGKILLs it if it overstays.
class child {
 public:
  explicit child(const std::function<int(int)>& body) {
    static_cast<void>(::fflush(nullptr));
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::close(pipe_.read_end);
      int rc = 99;
      try {
        rc = body(pipe_.write_end);
      } catch (...) {
        rc = 97;
      }
      ::_exit(rc);
    }
    ::close(pipe_.write_end);
    pipe_.write_end = -1;
  }
  ~child() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      static_cast<void>(wait());
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  // The wait status; SIGKILLs the child after `timeout`.
  int wait(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (r < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() > deadline) ::kill(pid_, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reaped_ = true;
    return status;
  }

  // Reads what the child wrote (after wait()).
  std::vector<report> reports() const {
    std::vector<report> out;
    report r;
    while (::read(pipe_.read_end, &r, sizeof r) == static_cast<ssize_t>(sizeof r)) out.push_back(r);
    return out;
  }

  // Blocks until the child writes one byte (a "ready" signal), up to 10 s.
  bool await_byte() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      char c = 0;
      if (::read(pipe_.read_end, &c, 1) == 1) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

 private:
  sigkit_test::pipe_pair pipe_{true};
  pid_t pid_ = -1;
  bool reaped_ = false;
};

void write_report(int fd, const sigkit::siginfo& info) {
  report r;
  r.signo = info.signo;
  r.code = info.code;
  r.pid = info.pid;
  r.uid = info.uid;
  r.value = info.value.sival_int;
  if (::write(fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) ::_exit(96);
}

// The child body for delivery tests: waits up to 10 s for `signo` (blocked since before the
// fork) and reports what it saw.
std::function<int(int)> receive_one(int signo) {
  return [signo](int fd) {
    const auto info = sigkit::sigtimedwait({signo}, seconds_d(10));
    if (!info) return 2;
    write_report(fd, *info);
    return 0;
  };
}

// ---- raise_signal ----------------------------------------------------------------------

TEST(RaiseSignalTest, HandlerRunsBeforeReturning) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int s) {
    EXPECT_EQ(s, SIGUSR1);
    ++calls;
  });
  sigkit::raise_signal(SIGUSR1);
  EXPECT_EQ(calls, 1);
}

TEST(RaiseSignalTest, HandlerExceptionPropagates) {
  sigkit::signal(SIGUSR2, [](int) { throw handler_error(); });
  EXPECT_THROW(sigkit::raise_signal(SIGUSR2), handler_error);
}

TEST(RaiseSignalTest, ZeroOnlyChecks) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  EXPECT_NO_THROW(sigkit::raise_signal(0));
  sigkit::check_signals();
  EXPECT_EQ(calls, 0);
}

TEST(RaiseSignalTest, ZeroIsStillACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR1), 0);  // recorded, not yet handled
  EXPECT_EQ(calls, 0);
  sigkit::raise_signal(0);
  EXPECT_EQ(calls, 1);
}

TEST(RaiseSignalTest, InvalidNumberIsEinval) {
  for (const int n : {-1, NSIG, 1000}) {
    EXPECT_EQ(system_errno([n] { sigkit::raise_signal(n); }), EINVAL) << n;
  }
}

TEST(RaiseSignalTest, BlockedSignalStaysPending) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  sigkit::raise_signal(SIGUSR1);
  EXPECT_TRUE(sigkit::sigpending().contains(SIGUSR1));
}

TEST(RaiseSignalTest, IgnoredSignalDoesNothing) {
  sigkit::signal(SIGUSR1, SIG_IGN);
  EXPECT_NO_THROW(sigkit::raise_signal(SIGUSR1));
  EXPECT_FALSE(sigkit::sigpending().contains(SIGUSR1));
}

TEST(RaiseSignalTest, FromAnotherThreadTheHandlerRunsOnTheMainThread) {
  std::atomic<int> calls{0};
  std::atomic<bool> on_main{false};
  const std::thread::id main_id = std::this_thread::get_id();
  sigkit::signal(SIGUSR1, [&](int) {
    ++calls;
    on_main = std::this_thread::get_id() == main_id;
  });
  std::thread t([] { sigkit::raise_signal(SIGUSR1); });
  t.join();
  EXPECT_EQ(calls, 0) << "no checkpoint has run on the main thread yet";
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(on_main);
}

TEST(RaiseSignalDeathTest, DefaultActionKills) {
  EXPECT_EXIT(sigkit::raise_signal(SIGUSR1), testing::KilledBySignal(SIGUSR1), "");
}

// ---- pthread_kill ----------------------------------------------------------------------

TEST(PthreadKillTest, MainThreadHandlerRunsBeforeReturning) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  sigkit::pthread_kill(::pthread_self(), SIGUSR1);
  EXPECT_EQ(calls, 1);
}

TEST(PthreadKillTest, HandlerExceptionPropagates) {
  sigkit::signal(SIGUSR1, [](int) { throw handler_error(); });
  EXPECT_THROW(sigkit::pthread_kill(::pthread_self(), SIGUSR1), handler_error);
}

TEST(PthreadKillTest, ZeroOnlyChecks) {
  EXPECT_NO_THROW(sigkit::pthread_kill(::pthread_self(), 0));
}

TEST(PthreadKillTest, ZeroIsStillACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_EQ(calls, 0);
  sigkit::pthread_kill(::pthread_self(), 0);
  EXPECT_EQ(calls, 1);
}

TEST(PthreadKillTest, ZeroThreadIdIsInvalid) {
  EXPECT_THROW(sigkit::pthread_kill(pthread_t{}, SIGUSR1), std::invalid_argument);
  EXPECT_THROW(sigkit::pthread_kill(pthread_t{}, 0), std::invalid_argument);
  // Argument checks come before the OS's: not EINVAL from the bad number.
  EXPECT_THROW(sigkit::pthread_kill(pthread_t{}, -1), std::invalid_argument);
}

TEST(PthreadKillTest, InvalidNumberIsEinval) {
  for (const int n : {-1, NSIG, 1000}) {
    EXPECT_EQ(system_errno([n] { sigkit::pthread_kill(::pthread_self(), n); }), EINVAL) << n;
  }
}

TEST(PthreadKillTest, ReachesTheTargetThread) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR2});  // the thread inherits the mask
  std::atomic<int> got{0};
  std::atomic<pid_t> sender{0};
  std::atomic<bool> ready{false};
  std::thread t([&] {
    ready = true;
    const auto info = sigkit::sigtimedwait({SIGUSR2}, seconds_d(10));
    if (info) {
      got = info->signo;
      sender = info->pid;
    }
  });
  while (!ready) std::this_thread::yield();
  sigkit::pthread_kill(t.native_handle(), SIGUSR2);
  t.join();
  EXPECT_EQ(got, SIGUSR2);
  EXPECT_EQ(sender, ::getpid());
  EXPECT_FALSE(sigkit::sigpending().contains(SIGUSR2)) << "not delivered to the main thread";
}

TEST(PthreadKillTest, FromAnotherThreadToTheMainThread) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const pthread_t main_thread = ::pthread_self();
  std::thread t([main_thread] { sigkit::pthread_kill(main_thread, SIGUSR1); });
  t.join();
  EXPECT_TRUE(sigkit_test::checkpoint_until([&] { return calls.load() > 0; }));
  EXPECT_EQ(calls, 1);
}

// ---- pidfd_open ------------------------------------------------------------------------

TEST(PidfdOpenTest, OpensACloseOnExecFd) {
  const int fd = sigkit::pidfd_open(::getpid());
  ASSERT_GE(fd, 0);
  const int flags = ::fcntl(fd, F_GETFD);
  EXPECT_NE(flags & FD_CLOEXEC, 0);
  ::close(fd);
}

TEST(PidfdOpenTest, InvalidPidIsEinval) {
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::pidfd_open(0)); }), EINVAL);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::pidfd_open(-1)); }), EINVAL);
}

TEST(PidfdOpenTest, MissingProcessIsEsrch) {
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::pidfd_open(kNoSuchPid)); }), ESRCH);
}

// ---- pidfd_send_signal -----------------------------------------------------------------

TEST(PidfdSendSignalTest, SendsToItself) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  const int fd = sigkit::pidfd_open(::getpid());
  sigkit::pidfd_send_signal(fd, SIGUSR1);
  ::close(fd);
  const auto info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(5));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR1);
  EXPECT_EQ(info->code, SI_USER);
  EXPECT_EQ(info->pid, ::getpid());
  EXPECT_EQ(info->uid, ::getuid());
}

TEST(PidfdSendSignalTest, IsNotACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&](int) { ++calls; });
  const int fd = sigkit::pidfd_open(::getpid());
  sigkit::pidfd_send_signal(fd, SIGUSR1, 0);
  ::close(fd);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(PidfdSendSignalTest, ZeroOnlyChecks) {
  const int fd = sigkit::pidfd_open(::getpid());
  EXPECT_NO_THROW(sigkit::pidfd_send_signal(fd, 0));
  ::close(fd);
}

TEST(PidfdSendSignalTest, BadFdIsEbadf) {
  EXPECT_EQ(system_errno([] { sigkit::pidfd_send_signal(-1, SIGUSR1); }), EBADF);
  const sigkit_test::pipe_pair p;
  EXPECT_EQ(system_errno([&] { sigkit::pidfd_send_signal(p.read_end, 0); }), EBADF);
  const int fd = sigkit::pidfd_open(::getpid());
  ::close(fd);
  EXPECT_EQ(system_errno([fd] { sigkit::pidfd_send_signal(fd, 0); }), EBADF);
}

TEST(PidfdSendSignalTest, InvalidNumberIsEinval) {
  const int fd = sigkit::pidfd_open(::getpid());
  for (const int n : {-1, NSIG, 1000}) {
    EXPECT_EQ(system_errno([fd, n] { sigkit::pidfd_send_signal(fd, n); }), EINVAL) << n;
  }
  ::close(fd);
}

TEST(PidfdSendSignalTest, InvalidFlagsAreEinval) {
  const int fd = sigkit::pidfd_open(::getpid());
  EXPECT_EQ(system_errno([fd] { sigkit::pidfd_send_signal(fd, 0, 1 << 30); }), EINVAL);
  ::close(fd);
}

TEST(PidfdSendSignalTest, ReapedProcessIsEsrch) {
  child c([](int) { return 0; });
  const int fd = sigkit::pidfd_open(c.pid());
  const int status = c.wait();
  EXPECT_TRUE(WIFEXITED(status)) << sigkit_test::describe_status(status);
  EXPECT_EQ(system_errno([fd] { sigkit::pidfd_send_signal(fd, 0); }), ESRCH);
  ::close(fd);
}

TEST(PidfdSendSignalTest, DefaultActionKillsTheChild) {
  child c([](int) {
    for (int i = 0; i < 200; ++i) ::usleep(50000);  // up to 10 s
    return 3;
  });
  const int fd = sigkit::pidfd_open(c.pid());
  sigkit::pidfd_send_signal(fd, SIGUSR2);
  ::close(fd);
  const int status = c.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2)
      << sigkit_test::describe_status(status);
}

// ---- sigqueue --------------------------------------------------------------------------

TEST(SigqueueTest, QueuesToItselfWithAValue) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGRTMIN});
  sigkit::sigqueue(::getpid(), SIGRTMIN, 31337);
  sigkit::sigqueue(::getpid(), SIGRTMIN, -1);
  const auto first = sigkit::sigtimedwait({SIGRTMIN}, seconds_d(5));
  const auto second = sigkit::sigtimedwait({SIGRTMIN}, seconds_d(5));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->code, SI_QUEUE);
  EXPECT_EQ(first->pid, ::getpid());
  EXPECT_EQ(first->uid, ::getuid());
  EXPECT_EQ(first->value.sival_int, 31337);
  EXPECT_EQ(second->value.sival_int, -1);
}

TEST(SigqueueTest, IsNotACheckpoint) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR2, [&](int) { ++calls; });
  sigkit::sigqueue(::getpid(), SIGUSR2, 1);
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
}

TEST(SigqueueTest, ZeroOnlyChecks) { EXPECT_NO_THROW(sigkit::sigqueue(::getpid(), 0, 0)); }

TEST(SigqueueTest, InvalidNumberIsEinval) {
  for (const int n : {-1, NSIG, 1000}) {
    EXPECT_EQ(system_errno([n] { sigkit::sigqueue(::getpid(), n, 0); }), EINVAL) << n;
  }
}

TEST(SigqueueTest, MissingProcessIsEsrch) {
  EXPECT_EQ(system_errno([] { sigkit::sigqueue(kNoSuchPid, SIGUSR1, 0); }), ESRCH);
}

TEST(SigqueueTest, FullQueueIsEagain) {
  const int status = sigkit_test::run_in_child([] {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_SIGPENDING, &none) != 0) return 10;
    sigkit::pthread_sigmask(SIG_BLOCK, {SIGRTMIN + 1});
    try {
      for (int i = 0; i < 100000; ++i) sigkit::sigqueue(::getpid(), SIGRTMIN + 1, i);
    } catch (const std::system_error& e) {
      return e.code().value() == EAGAIN ? 0 : 11;
    }
    return 12;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
}

TEST(SendTest, UnprivilegedSenderGetsEperm) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges";
  const int status = sigkit_test::run_in_child([] {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 10;
    if (::kill(1, 0) == 0 || errno != EPERM) return 20;  // pid 1 is not ours: skip
    int errs[2] = {0, 0};
    try {
      sigkit::sigqueue(1, 0, 0);
    } catch (const std::system_error& e) {
      errs[0] = e.code().value();
    }
    try {
      const int fd = sigkit::pidfd_open(1);
      sigkit::pidfd_send_signal(fd, 0);
    } catch (const std::system_error& e) {
      errs[1] = e.code().value();
    }
    return (errs[0] == EPERM ? 0 : 1) | (errs[1] == EPERM ? 0 : 2);
  });
  ASSERT_TRUE(WIFEXITED(status)) << sigkit_test::describe_status(status);
  if (WEXITSTATUS(status) == 20) GTEST_SKIP() << "pid 1 accepts signals from nobody";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: sigqueue, 2: pidfd_send_signal did not give EPERM";
}

// ---- real delivery to another process ---------------------------------------------------

class DeliveryTest : public testing::Test {
 protected:
  // Blocks the test signals before the fork so the child cannot miss them; the parent
  // restores its own mask at once.
  static std::unique_ptr<child> spawn(const std::function<int(int)>& body) {
    const signal_set old = sigkit::block({SIGUSR1, SIGUSR2, SIGRTMIN, SIGRTMIN + 1});
    auto c = std::make_unique<child>(body);
    sigkit::pthread_sigmask(SIG_SETMASK, old);
    return c;
  }
};

TEST_F(DeliveryTest, KillIsSeenWithSenderPidAndUid) {
  auto c = spawn(receive_one(SIGUSR1));
  ASSERT_EQ(::kill(c->pid(), SIGUSR1), 0);
  const int status = c->wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  const auto got = c->reports();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signo, SIGUSR1);
  EXPECT_EQ(got[0].code, SI_USER);
  EXPECT_EQ(got[0].pid, ::getpid());
  EXPECT_EQ(got[0].uid, ::getuid());
}

TEST_F(DeliveryTest, SigqueueIsSeenWithItsValue) {
  auto c = spawn(receive_one(SIGUSR2));
  sigkit::sigqueue(c->pid(), SIGUSR2, 424242);
  const int status = c->wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  const auto got = c->reports();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signo, SIGUSR2);
  EXPECT_EQ(got[0].code, SI_QUEUE);
  EXPECT_EQ(got[0].pid, ::getpid());
  EXPECT_EQ(got[0].uid, ::getuid());
  EXPECT_EQ(got[0].value, 424242);
}

TEST_F(DeliveryTest, PidfdSendSignalIsSeenWithSenderPid) {
  auto c = spawn(receive_one(SIGRTMIN));
  const int fd = sigkit::pidfd_open(c->pid());
  sigkit::pidfd_send_signal(fd, SIGRTMIN);
  ::close(fd);
  const int status = c->wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  const auto got = c->reports();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].signo, SIGRTMIN);
  EXPECT_EQ(got[0].code, SI_USER);
  EXPECT_EQ(got[0].pid, ::getpid());
  EXPECT_EQ(got[0].uid, ::getuid());
}

TEST_F(DeliveryTest, SiginfoHandlerSeesEveryQueuedValueInOrder) {
  // The child installs a (const siginfo&) handler; the parent queues three real-time signals
  // with values; the handler must see each, in order, with the parent as sender.
  if (kThreadSanitizer) GTEST_SKIP() << "TSan coalesces and loses signals (see kThreadSanitizer)";
  auto c = spawn([](int fd) {
    std::vector<sigkit::siginfo> seen;
    sigkit::signal(SIGRTMIN + 1, [&seen](const sigkit::siginfo& info) { seen.push_back(info); });
    const char ready = 'r';
    if (::write(fd, &ready, 1) != 1) return 3;
    sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGRTMIN + 1});  // a checkpoint
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.size() < 3 && std::chrono::steady_clock::now() < deadline) {
      sigkit::sleep(seconds_d(0.01));
    }
    for (const auto& info : seen) write_report(fd, info);
    return seen.size() == 3 ? 0 : 2;
  });
  ASSERT_TRUE(c->await_byte());
  for (const int v : {7, 8, 9}) sigkit::sigqueue(c->pid(), SIGRTMIN + 1, v);
  const int status = c->wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << sigkit_test::describe_status(status);
  const auto got = c->reports();
  ASSERT_EQ(got.size(), 3U);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].signo, SIGRTMIN + 1);
    EXPECT_EQ(got[i].code, SI_QUEUE);
    EXPECT_EQ(got[i].pid, ::getpid());
    EXPECT_EQ(got[i].uid, ::getuid());
    EXPECT_EQ(got[i].value, static_cast<int>(7 + i));
  }
}

}  // namespace
