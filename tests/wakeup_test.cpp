// Tests of sigkit/wakeup.hpp (API.md behaviour point 6 and "Details that are fixed: Wakeup
// fd"): validation, the byte values written to pipes and sockets, eventfd counters, and the
// stderr reports of failed writes.
#include "sigkit/wakeup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

std::atomic<int> g_calls{0};
void count_handler(int /*signo*/) { g_calls.fetch_add(1); }

std::vector<int> read_bytes(int fd) {
  std::vector<int> out;
  for (const char c : sigkit_test::drain_fd(fd)) out.push_back(static_cast<unsigned char>(c));
  return out;
}

std::string report_line(int fd, int err) {
  return "sigkit: cannot write to the signal wakeup fd " + std::to_string(fd) + ": " +
         std::strerror(err) + "\n";
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

void fill_pipe(int write_end) {
  const std::vector<char> chunk(65536, 'x');
  while (::write(write_end, chunk.data(), chunk.size()) > 0) {
  }
  const char byte = 'x';
  while (::write(write_end, &byte, 1) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
}

int error_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

// ---- validation ------------------------------------------------------------------------------

TEST(WakeupFdTest, ReturnsTheOldFd) {
  const sigkit_test::pipe_pair a;
  const sigkit_test::pipe_pair b;
  EXPECT_EQ(sigkit::get_wakeup_fd(), -1);
  EXPECT_EQ(sigkit::set_wakeup_fd(a.write_end), -1);
  EXPECT_EQ(sigkit::get_wakeup_fd(), a.write_end);
  EXPECT_EQ(sigkit::set_wakeup_fd(b.write_end), a.write_end);
  EXPECT_EQ(sigkit::set_wakeup_fd(-1), b.write_end);
  EXPECT_EQ(sigkit::set_wakeup_fd(-1), -1);
  EXPECT_EQ(sigkit::get_wakeup_fd(), -1);
}

TEST(WakeupFdTest, BlockingFdThrowsInvalidArgument) {
  const sigkit_test::pipe_pair blocking(false);
  const sigkit_test::pipe_pair ok;
  sigkit::set_wakeup_fd(ok.write_end);
  EXPECT_THROW(sigkit::set_wakeup_fd(blocking.write_end), std::invalid_argument);
  EXPECT_EQ(sigkit::get_wakeup_fd(), ok.write_end) << "a rejected fd replaced the old one";
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, ClosedFdThrowsSystemErrorEbadf) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(error_code_of([&] { sigkit::set_wakeup_fd(fds[1]); }), EBADF);
  EXPECT_EQ(error_code_of([] { sigkit::set_wakeup_fd(999999); }), EBADF);
  EXPECT_EQ(sigkit::get_wakeup_fd(), -1);
}

TEST(WakeupFdTest, NegativeOtherThanMinusOneThrowsInvalidArgument) {
  EXPECT_THROW(sigkit::set_wakeup_fd(-2), std::invalid_argument);
  EXPECT_THROW(sigkit::set_wakeup_fd(-100), std::invalid_argument);
  EXPECT_THROW(sigkit::set_wakeup_fd(std::numeric_limits<int>::min()), std::invalid_argument);
}

TEST(WakeupFdTest, FromAnotherThreadThrowsInvalidArgument) {
  const sigkit_test::pipe_pair p;
  int threw = 0;
  std::thread([&] {
    try {
      sigkit::set_wakeup_fd(p.write_end);
    } catch (const std::invalid_argument&) {
      ++threw;
    }
    try {
      sigkit::set_wakeup_fd(-1);
    } catch (const std::invalid_argument&) {
      ++threw;
    }
  }).join();
  EXPECT_EQ(threw, 2);
  EXPECT_EQ(sigkit::get_wakeup_fd(), -1);
}

TEST(WakeupFdTest, ThreadRuleComesBeforeOsErrors) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  bool invalid = false;
  std::thread([&] {
    try {
      sigkit::set_wakeup_fd(fds[1]);  // closed: EBADF from the OS, but the thread rule wins
    } catch (const std::invalid_argument&) {
      invalid = true;
    } catch (const std::system_error&) {
    }
  }).join();
  EXPECT_TRUE(invalid);
}

TEST(WakeupFdTest, GetWakeupFdWorksFromAnotherThread) {
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  int seen = -2;
  std::thread([&] { seen = sigkit::get_wakeup_fd(); }).join();
  EXPECT_EQ(seen, p.write_end);
  sigkit::set_wakeup_fd(-1);
}

// ---- what gets written ---------------------------------------------------------------------

TEST(WakeupFdTest, PipeGetsOneByteWithTheSignalNumberPerDelivery) {
  const int rt = SIGRTMIN + 1;
  for (const int s : {SIGUSR1, SIGUSR2, SIGALRM, rt}) sigkit::signal(s, &count_handler);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  for (const int s : {SIGUSR1, SIGUSR2, SIGALRM, rt, SIGUSR1, SIGUSR1, SIGUSR1}) {
    ASSERT_EQ(::raise(s), 0);
  }
  // Written by the OS-level handler at delivery, before any checkpoint.
  EXPECT_EQ(read_bytes(p.read_end),
            (std::vector<int>{SIGUSR1, SIGUSR2, SIGALRM, rt, SIGUSR1, SIGUSR1, SIGUSR1}));
  EXPECT_EQ(g_calls.load(), 0);
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 4);  // USR1 coalesced
  EXPECT_TRUE(read_bytes(p.read_end).empty()) << "the checkpoint wrote to the wakeup fd";
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, HighestRealTimeSignalFitsInItsByte) {
  sigkit::signal(SIGRTMAX, [](const sigkit::siginfo&) {});
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  ASSERT_EQ(::raise(SIGRTMAX), 0);
  EXPECT_EQ(read_bytes(p.read_end), std::vector<int>{SIGRTMAX});
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, SocketpairGetsTheSignalNumberBytes) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::signal(SIGUSR2, &count_handler);
  for (const int type : {SOCK_STREAM, SOCK_DGRAM}) {
    SCOPED_TRACE(type == SOCK_STREAM ? "stream" : "datagram");
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    sigkit::set_wakeup_fd(sv[1]);
    ASSERT_EQ(::raise(SIGUSR2), 0);
    ASSERT_EQ(::raise(SIGUSR1), 0);
    EXPECT_EQ(read_bytes(sv[0]), (std::vector<int>{SIGUSR2, SIGUSR1}));
    sigkit::set_wakeup_fd(-1);
    ::close(sv[0]);
    ::close(sv[1]);
  }
  sigkit::check_signals();
}

TEST(WakeupFdTest, EventfdCounterIsIncrementedPerDelivery) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::signal(SIGRTMIN, [](const sigkit::siginfo&) {});
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  sigkit::set_wakeup_fd(efd);
  sigkit_test::stderr_capture capture;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGRTMIN), 0);
  std::uint64_t counter = 0;
  ASSERT_EQ(::read(efd, &counter, sizeof counter), static_cast<ssize_t>(sizeof counter));
  EXPECT_EQ(counter, 4U);
  sigkit::check_signals();
  EXPECT_EQ(capture.text().find("signal wakeup fd"), std::string::npos)
      << "an eventfd write was reported as an error";
  sigkit::set_wakeup_fd(-1);
  ::close(efd);
}

TEST(WakeupFdTest, DeliveryToAnotherThreadWritesTheByte) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  std::thread([] { ::raise(SIGUSR1); }).join();
  EXPECT_EQ(read_bytes(p.read_end), std::vector<int>{SIGUSR1});
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, NothingIsWrittenForSignalsWithoutASigkitHandlerOrWhenDisabled) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::signal(SIGUSR2, SIG_IGN);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_TRUE(read_bytes(p.read_end).empty());
  sigkit::set_wakeup_fd(-1);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_TRUE(read_bytes(p.read_end).empty());
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(WakeupFdTest, PollLoopWakesForASignalFromAnotherProcess) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  const pid_t parent = ::getpid();
  std::thread sender_waiter([parent] {
    // No threads in the child: TSan forbids them after a multi-threaded fork.
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child == 0) {
      ::usleep(100000);
      ::_exit(::kill(parent, SIGUSR1) == 0 ? 0 : 1);
    }
    int status = -1;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    EXPECT_EQ(status, 0) << sigkit_test::describe_status(status);
  });
  pollfd pfd{p.read_end, POLLIN, 0};
  int n = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    n = ::poll(&pfd, 1, 100);
  } while ((n == 0 || (n < 0 && errno == EINTR)) && std::chrono::steady_clock::now() < deadline);
  sender_waiter.join();
  ASSERT_EQ(n, 1);
  EXPECT_EQ(read_bytes(p.read_end), std::vector<int>{SIGUSR1});
  sigkit::check_signals();
  EXPECT_EQ(g_calls.load(), 1);
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, ForkedChildInheritsTheWakeupFd) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  const int status = sigkit_test::run_in_child([] {
    sigkit::raise_signal(SIGUSR1);
    return g_calls.load() == 1 ? 0 : 1;
  });
  EXPECT_EQ(status, 0) << sigkit_test::describe_status(status);
  EXPECT_EQ(read_bytes(p.read_end), std::vector<int>{SIGUSR1});
  sigkit::set_wakeup_fd(-1);
}

TEST(WakeupFdTest, ForkedChildCanDetachFromTheInheritedWakeupFd) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  sigkit::set_wakeup_fd(p.write_end);
  const int status = sigkit_test::run_in_child([&p] {
    if (sigkit::set_wakeup_fd(-1) != p.write_end) return 2;
    sigkit::raise_signal(SIGUSR1);
    return g_calls.load() == 1 ? 0 : 1;
  });
  EXPECT_EQ(status, 0) << sigkit_test::describe_status(status);
  EXPECT_TRUE(read_bytes(p.read_end).empty()) << "the child wrote to the parent's wakeup fd";
  EXPECT_EQ(sigkit::get_wakeup_fd(), p.write_end);
  sigkit::set_wakeup_fd(-1);
}

// ---- write errors, reported on stderr at the next checkpoint ------------------------------

TEST(WakeupFdReportTest, BadFdIsReportedAtTheNextCheckpoint) {
  sigkit::signal(SIGUSR1, &count_handler);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  sigkit::set_wakeup_fd(fds[1], false);  // other errors are reported even without warnings
  std::string before;
  {
    sigkit_test::stderr_capture capture;  // created before the close: no fd reuse
    ::close(fds[1]);
    ASSERT_EQ(::raise(SIGUSR1), 0);
    before = capture.text();
  }
  sigkit_test::stderr_capture capture;
  sigkit::check_signals();
  const std::string after = capture.text();
  ::close(fds[0]);
  sigkit::set_wakeup_fd(-1);
  EXPECT_EQ(before, "") << "reported in signal context instead of at the checkpoint";
  EXPECT_EQ(count_occurrences(after, report_line(fds[1], EBADF)), 1U) << "stderr: " << after;
  EXPECT_EQ(g_calls.load(), 1) << "the handler must still run";
}

TEST(WakeupFdReportTest, EachFailedWriteGetsItsOwnLine) {
  sigkit::signal(SIGUSR1, &count_handler);
  sigkit::signal(SIGUSR2, &count_handler);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  sigkit::set_wakeup_fd(fds[1]);
  sigkit_test::stderr_capture capture;  // created before the close: no fd reuse
  ::close(fds[1]);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  const std::string text = capture.text();
  ::close(fds[0]);
  sigkit::set_wakeup_fd(-1);
  EXPECT_EQ(count_occurrences(text, report_line(fds[1], EBADF)), 3U) << "stderr: " << text;
  EXPECT_EQ(g_calls.load(), 2);
}

TEST(WakeupFdReportTest, OtherWriteErrorsAreReportedEvenWithoutWarnings) {
  sigkit::signal(SIGUSR1, &count_handler);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ign, nullptr), 0);
  sigkit_test::pipe_pair p;
  ::close(p.read_end);
  p.read_end = -1;
  sigkit::set_wakeup_fd(p.write_end, false);
  sigkit_test::stderr_capture capture;
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  const std::string text = capture.text();
  sigkit::set_wakeup_fd(-1);
  EXPECT_EQ(count_occurrences(text, report_line(p.write_end, EPIPE)), 1U) << "stderr: " << text;
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(WakeupFdReportTest, FullBufferIsReportedWithWarnings) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  fill_pipe(p.write_end);
  sigkit::set_wakeup_fd(p.write_end);
  sigkit_test::stderr_capture capture;
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  const std::string text = capture.text();
  sigkit::set_wakeup_fd(-1);
  EXPECT_EQ(count_occurrences(text, report_line(p.write_end, EAGAIN)), 1U) << "stderr: " << text;
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(WakeupFdReportTest, FullBufferIsSilentWithoutWarnings) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  fill_pipe(p.write_end);
  sigkit::set_wakeup_fd(p.write_end, false);
  sigkit_test::stderr_capture capture;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  const std::string text = capture.text();
  sigkit::set_wakeup_fd(-1);
  EXPECT_EQ(text.find("signal wakeup fd"), std::string::npos) << "stderr: " << text;
  EXPECT_EQ(g_calls.load(), 1);
}

TEST(WakeupFdReportTest, WarnFlagDoesNotPersistAcrossCalls) {
  sigkit::signal(SIGUSR1, &count_handler);
  const sigkit_test::pipe_pair p;
  fill_pipe(p.write_end);
  sigkit::set_wakeup_fd(p.write_end, false);
  sigkit::set_wakeup_fd(p.write_end);  // the default is true again
  sigkit_test::stderr_capture capture;
  ASSERT_EQ(::raise(SIGUSR1), 0);
  sigkit::check_signals();
  const std::string text = capture.text();
  sigkit::set_wakeup_fd(-1);
  EXPECT_NE(text.find(report_line(p.write_end, EAGAIN)), std::string::npos) << "stderr: " << text;
}

}  // namespace
