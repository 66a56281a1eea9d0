#include "support/test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sigkit/dispatch.hpp>

#include <cerrno>
#include <stdexcept>
#include <thread>

namespace sigkit_test {

int run_in_child(const std::function<int()>& body, std::chrono::seconds timeout) {
  static_cast<void>(fflush(nullptr));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
      rc = 99;
    }
    static_cast<void>(fflush(nullptr));
    _exit(rc);
  }
  // The watchdog lives in the parent: a child of a multi-threaded process must not start
  // threads (TSan forbids it), and the child may be using SIGALRM itself.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(pid, SIGKILL);  // the child hung: it shows up as "killed by SIGKILL"
        break;
      }
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) break;
      if (r < 0 && errno != EINTR) break;
    }
    ::close(pidfd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  return status;
}

bool checkpoint_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    sigkit::check_signals();
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (abbrev ? abbrev : std::to_string(WTERMSIG(status)));
  }
  return "status " + std::to_string(status);
}

pipe_pair::pipe_pair(bool nonblocking) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  read_end = fds[0];
  write_end = fds[1];
}

pipe_pair::~pipe_pair() {
  if (read_end >= 0) ::close(read_end);
  if (write_end >= 0) ::close(write_end);
}

std::string drain_fd(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  return out;
}

stderr_capture::stderr_capture() {
  static_cast<void>(fflush(stderr));
  char name[] = "/tmp/sigkit-stderr-XXXXXX";
  file_ = ::mkstemp(name);
  if (file_ < 0) throw std::runtime_error("mkstemp failed");
  ::unlink(name);
  saved_ = ::dup(2);
  ::dup2(file_, 2);
}

stderr_capture::~stderr_capture() {
  if (!done_) static_cast<void>(text());
  if (file_ >= 0) ::close(file_);
  if (saved_ >= 0) ::close(saved_);
}

std::string stderr_capture::text() {
  if (done_) return text_;
  static_cast<void>(fflush(stderr));
  ::dup2(saved_, 2);
  done_ = true;
  ::lseek(file_, 0, SEEK_SET);
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(file_, buf, sizeof buf);
    if (n <= 0) break;
    text_.append(buf, static_cast<std::size_t>(n));
  }
  return text_;
}

}  // namespace sigkit_test
