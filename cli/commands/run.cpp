// cli/commands/run.cpp - `sigkit run`: supervise a child with a deadline, forward signals,
// and end the way the child ended.
//
// Design: sigkit handlers for the forwarded signals and SIGCHLD only record deliveries; the
// wakeup fd (a non-blocking pipe) makes poll() return when one arrives, and the loop runs the
// handlers with check_signals(), forwards, reaps and enforces the deadlines. No lost wakeups:
// a delivery after check_signals() writes a byte that poll() sees. poll() also watches the
// child's pidfd, so its exit is seen even if the SIGCHLD is lost.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "sigkit/defaults.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/wakeup.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

using clock = std::chrono::steady_clock;

// Both ends of a pipe, closed on destruction.
struct pipe_fds {
  explicit pipe_fds(int flags) {
    int fds[2];
    if (::pipe2(fds, flags) != 0) {
      throw cli_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)), exit_failure);
    }
    read_end = fds[0];
    write_end = fds[1];
  }
  ~pipe_fds() {
    close_read();
    close_write();
  }
  pipe_fds(const pipe_fds&) = delete;
  pipe_fds& operator=(const pipe_fds&) = delete;
  void close_read() noexcept {
    if (read_end >= 0) {
      ::close(read_end);
      read_end = -1;
    }
  }
  void close_write() noexcept {
    if (write_end >= 0) {
      ::close(write_end);
      write_end = -1;
    }
  }
  int read_end = -1;
  int write_end = -1;
};

// Installs the wakeup fd and puts the previous one back on destruction.
class scoped_wakeup_fd {
 public:
  // A full pipe only means wakeups are already pending: no warning for it.
  explicit scoped_wakeup_fd(int fd) : previous_(sigkit::set_wakeup_fd(fd, false)) {}
  ~scoped_wakeup_fd() {
    try {
      sigkit::set_wakeup_fd(previous_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the previous fd may be gone; nothing to do
    }
  }
  scoped_wakeup_fd(const scoped_wakeup_fd&) = delete;
  scoped_wakeup_fd& operator=(const scoped_wakeup_fd&) = delete;

 private:
  int previous_;
};

// Restores the calling thread's mask on destruction.
class scoped_mask {
 public:
  explicit scoped_mask(const signal_set& previous) : previous_(previous) {}
  ~scoped_mask() {
    try {
      static_cast<void>(sigkit::pthread_sigmask(SIG_SETMASK, previous_));
    } catch (...) {  // NOLINT(bugprone-empty-catch): a handler threw while we clean up
    }
  }
  scoped_mask(const scoped_mask&) = delete;
  scoped_mask& operator=(const scoped_mask&) = delete;

 private:
  signal_set previous_;
};

bool is_ignored_now(int s) { return sigkit::getsignal(s).is_ignore(); }

// In the child between fork and exec: only async-signal-safe calls. Every disposition goes
// back to SIG_DFL except the forwarded ones the parent inherited as ignored (nohup, background
// jobs), every signal is unblocked, and an exec failure is reported through `error_fd`.
[[noreturn]] void exec_child(char** argv, const sigset_t& keep_ignored, int error_fd) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;  // NOLINT(cppcoreguidelines-pro-type-union-access)
  sigemptyset(&dfl.sa_mask);
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP && sigismember(&keep_ignored, s) != 1) {
      ::sigaction(s, &dfl, nullptr);  // fails harmlessly for the reserved numbers
    }
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execvp(argv[0], argv);
  const int error = errno;
  ssize_t written = 0;
  do {
    written = ::write(error_fd, &error, sizeof error);
  } while (written < 0 && errno == EINTR);
  ::_exit(error == ENOENT ? exit_not_found : exit_cannot_run);
}

int poll_timeout_ms(clock::time_point now, std::optional<clock::time_point> a,
                    std::optional<clock::time_point> b) {
  std::optional<clock::time_point> next;
  for (const auto& d : {a, b}) {
    if (d && (!next || *d < *next)) {
      next = d;
    }
  }
  if (!next) {
    return -1;
  }
  if (*next <= now) {
    return 0;
  }
  const std::chrono::duration<double, std::milli> left = *next - now;
  return static_cast<int>(std::min(std::ceil(left.count()), 1e9));
}

clock::duration to_clock(std::chrono::duration<double> d) {
  return std::chrono::duration_cast<clock::duration>(d);
}

}  // namespace

std::vector<int> default_forwarded_signals() {
  return {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
}

run_outcome run_child(const run_options& options, std::ostream& err) {
  // ---- options ----
  if (options.command.empty()) {
    throw cli_error("no command to run", exit_usage);
  }
  // Zero means no timeout (as timeout(1): 0 disables it).
  const std::chrono::duration<double> timeout =
      options.timeout ? parse_duration(*options.timeout) : std::chrono::duration<double>{0};
  const signum kill_signal = parse_signal(options.signal);
  const auto grace = parse_duration(options.grace);
  std::vector<int> forward =
      options.forward ? parse_signal_list(*options.forward) : default_forwarded_signals();
  for (const int s : forward) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || !valid_signals().contains(s)) {
      throw cli_error(fmt::format("cannot forward {}", signal_name(s)));
    }
  }
  // A signal ignored on entry stays ignored, for us and the child (as shells do): forwarding
  // it would undo nohup or a background job's ignored SIGINT.
  sigset_t keep_ignored;
  sigemptyset(&keep_ignored);
  std::erase_if(forward, [&](int s) {
    if (is_ignored_now(s)) {
      sigaddset(&keep_ignored, s);
      return true;
    }
    return false;
  });

  std::vector<std::string> args = options.command;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  // ---- handlers, wakeup fd, mask ----
  struct {
    std::vector<siginfo> deliveries;
  } state;
  pipe_fds wakeup(O_CLOEXEC | O_NONBLOCK);
  std::vector<std::unique_ptr<scoped_handler>> handlers;
  handlers.reserve(forward.size() + 1);
  for (const int s : forward) {
    handlers.push_back(std::make_unique<scoped_handler>(
        s, handler([&state](const siginfo& info) { state.deliveries.push_back(info); })));
  }
  handlers.push_back(std::make_unique<scoped_handler>(SIGCHLD, handler([](int) {})));
  const scoped_wakeup_fd wakeup_guard(wakeup.write_end);
  signal_set ours;
  ours.insert(SIGCHLD);
  for (const int s : forward) {
    ours.insert(s);
  }
  const scoped_mask mask_guard(sigkit::pthread_sigmask(SIG_UNBLOCK, ours));

  // ---- fork and exec ----
  pipe_fds exec_error(O_CLOEXEC);
  pid_t child = -1;
  {
    // Everything blocked across fork, so the child never runs sigkit's OS-level handler
    // before it has reset the dispositions.
    const signal_set before = sigkit::block(signal_set::filled());
    child = ::fork();
    if (child == 0) {
      exec_child(argv.data(), keep_ignored, exec_error.write_end);
    }
    const int fork_error = errno;
    static_cast<void>(sigkit::pthread_sigmask(SIG_SETMASK, before));
    if (child < 0) {
      throw cli_error(fmt::format("cannot fork: {}", std::strerror(fork_error)), exit_failure);
    }
  }
  exec_error.close_write();

  run_outcome outcome;
  std::optional<int> status;
  auto reap = [&] {
    // Every child, not only ours: a program exec'ed by us may have left some.
    for (;;) {
      int st = 0;
      const pid_t pid = ::waitpid(-1, &st, WNOHANG);
      if (pid == child) {
        status = st;
      }
      if (pid > 0) {
        continue;
      }
      if (pid < 0 && errno == EINTR) {
        continue;
      }
      break;
    }
  };

  // Did exec succeed? EOF: yes (close-on-exec); an errno: no.
  int exec_errno = 0;
  for (;;) {
    const ssize_t n = ::read(exec_error.read_end, &exec_errno, sizeof exec_errno);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n != static_cast<ssize_t>(sizeof exec_errno)) {
      exec_errno = 0;
    }
    break;
  }
  if (exec_errno != 0) {
    while (!status) {
      int st = 0;
      const pid_t pid = ::waitpid(child, &st, 0);
      if (pid == child) {
        status = st;
      } else if (pid < 0 && errno != EINTR) {
        break;
      }
    }
    reap();
    err << fmt::format("sigkit: cannot run '{}': {}\n", options.command.front(),
                       std::strerror(exec_errno));
    err.flush();
    outcome.exit_code = exec_errno == ENOENT ? exit_not_found : exit_cannot_run;
    return outcome;
  }

  // ---- supervise ----
  int pidfd = -1;
  try {
    pidfd = sigkit::pidfd_open(child);  // race-free: the pid stays ours until we reap it
  } catch (const std::system_error&) {
    pidfd = -1;  // an old kernel: kill() is still safe, the child is not reaped yet
  }
  auto send = [&](int s) {
    if (status) {
      return;
    }
    try {
      if (pidfd >= 0) {
        sigkit::pidfd_send_signal(pidfd, s);
      } else if (::kill(child, s) != 0) {
        throw std::system_error(errno, std::system_category());
      }
    } catch (const std::system_error& e) {
      if (e.code().value() != ESRCH) {  // ESRCH: it has just exited
        err << fmt::format("sigkit: cannot send {} to process {}: {}\n", signal_name(s), child,
                           e.code().message());
      }
    }
    if (s == SIGKILL) {
      outcome.killed = true;
    }
  };

  const auto start = clock::now();
  std::optional<clock::time_point> timeout_at;
  if (timeout.count() > 0) {
    timeout_at = start + to_clock(timeout);
  }
  std::optional<clock::time_point> kill_at;  // SIGKILL after the grace period
  constexpr clock::time_point kNever = clock::time_point::max();
  clock::time_point grace_ends = kNever;  // a second INT/TERM before this kills
  const bool same_group = ::getpgid(child) == ::getpgrp();

  for (;;) {
    try {
      sigkit::check_signals();
    } catch (...) {  // NOLINT(bugprone-empty-catch): our handlers do not throw
    }
    reap();
    if (status) {
      break;
    }
    auto now = clock::now();
    std::vector<siginfo> deliveries;
    deliveries.swap(state.deliveries);
    for (const auto& info : deliveries) {
      const int s = info.signo;
      const bool terminating = s == SIGINT || s == SIGTERM;
      if (terminating && grace_ends != kNever && now < grace_ends && !outcome.killed) {
        send(SIGKILL);
        continue;
      }
      // The terminal sends INT, QUIT, HUP, WINCH to its whole foreground group: the child,
      // in our group, has it already.
      const bool child_has_it = info.code == SI_KERNEL && same_group;
      if (!child_has_it) {
        send(s);
      }
      if (terminating && grace_ends == kNever) {
        grace_ends = now + to_clock(grace);
      }
    }
    if (timeout_at && now >= *timeout_at && !outcome.timed_out) {
      outcome.timed_out = true;
      send(kill_signal);
      if (kill_signal != SIGKILL && kill_signal != SIGCONT) {
        send(SIGCONT);  // a stopped child would not act on it otherwise (as timeout(1))
      }
      if (kill_signal != SIGKILL) {
        kill_at = now + to_clock(grace);
        grace_ends = *kill_at;
      }
    }
    if (kill_at && now >= *kill_at && !outcome.killed) {
      send(SIGKILL);
    }
    if (grace_ends != kNever && now >= grace_ends && !kill_at) {
      grace_ends = kNever;  // a forwarded INT/TERM's grace period is over
    }

    now = clock::now();
    const int ms = poll_timeout_ms(now, outcome.timed_out ? std::nullopt : timeout_at,
                                   outcome.killed ? std::nullopt : kill_at);
    // The pidfd becomes readable when the child exits: the loop reaps it even if the SIGCHLD
    // never reached us (TSan, for one, was seen to lose it).
    std::array<pollfd, 2> pfds{pollfd{wakeup.read_end, POLLIN, 0}, pollfd{pidfd, POLLIN, 0}};
    if (::poll(pfds.data(), pidfd >= 0 ? 2 : 1, ms) > 0 && (pfds[0].revents & POLLIN) != 0) {
      char buffer[64];
      while (::read(wakeup.read_end, buffer, sizeof buffer) > 0) {
      }
    }
  }
  if (pidfd >= 0) {
    ::close(pidfd);
  }
  try {
    sigkit::check_signals();  // consume the last SIGCHLD before the handlers go
  } catch (...) {             // NOLINT(bugprone-empty-catch): our handlers do not throw
  }

  if (outcome.timed_out) {
    outcome.exit_code = exit_timed_out;
  } else if (WIFEXITED(*status)) {
    outcome.exit_code = WEXITSTATUS(*status);
  } else if (WIFSIGNALED(*status)) {
    outcome.signal = WTERMSIG(*status);
    outcome.exit_code = 128 + outcome.signal;
  }
  return outcome;
}

int run_command(const run_options& options, std::ostream& err) {
  const run_outcome outcome = run_child(options, err);
  if (outcome.signal != 0) {
    std::cout.flush();
    err.flush();
    sigkit::die_by_signal(outcome.signal);  // as the child did; no core file of our own
  }
  return outcome.exit_code;
}

}  // namespace sigkit::cli
