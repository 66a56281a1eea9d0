// cli/commands/run.cpp - `sigkit run` (and `sigkit timeout`, `sigkit run --init`): supervise a
// command with a deadline, forward signals, reap, and end the way the command ended.
//
// Design: sigkit handlers for the forwarded signals only record deliveries; the wakeup fd (a
// non-blocking pipe) makes poll() return when one arrives, and the loop runs the handlers with
// check_signals(), forwards, reaps and enforces the deadlines. SIGCHLD is not handled: it is
// blocked and read from a signalfd, and the command's pidfd is watched too, so no child's exit
// can be missed; each wakeup runs a waitid() loop until nothing is left to reap. Deadlines are
// CLOCK_BOOTTIME timerfd expirations (nanosecond resolution, time in suspend counts, as with
// timeout's CLOCK_REALTIME timer).
//
// Process groups (as timeout(1)): by default sigkit makes itself a process group leader and the
// command inherits the group, so a signal sent to the group reaches the command and
// everything it started. kill(0, ...) reaches sigkit too: its own deliveries are recognised by
// the sender's pid and dropped, and a signal that would stop or kill sigkit (KILL, STOP) is
// sent to each other member through a pidfd instead. --foreground signals the command only.
// --init keeps the command in sigkit's group (or with -g in a new group that gets the
// terminal) and forwards every signal.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "run_detail.hpp"
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

using steady = std::chrono::steady_clock;

// An fd closed on destruction.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Both ends of a pipe.
struct pipe_fds {
  explicit pipe_fds(int flags) {
    int fds[2];
    if (::pipe2(fds, flags) != 0) {
      throw cli_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)), exit_failure);
    }
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  unique_fd read_end;
  unique_fd write_end;
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
  explicit scoped_mask(const sigset_t& previous) : previous_(previous) {}
  ~scoped_mask() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  scoped_mask(const scoped_mask&) = delete;
  scoped_mask& operator=(const scoped_mask&) = delete;

 private:
  sigset_t previous_;
};

std::int64_t boottime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// now + d, or nullopt for "never" (forever, or beyond the clock's range).
std::optional<std::int64_t> deadline_after(std::int64_t now, const duration_value& d) noexcept {
  if (d.forever || d.ns.count() > INT64_MAX - now) {
    return std::nullopt;
  }
  return now + d.ns.count();
}

// "TERM", "RTMIN+2", "32", "0": the names timeout(1) prints.
std::string short_name(int signo) {
  if (signo == 0) {
    return "0";
  }
  std::string name = signal_name(signo);
  return name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
}

bool catchable(int signo) {
  return signo != SIGKILL && signo != SIGSTOP && valid_signals().contains(signo);
}

// The signals the terminal sends to its whole foreground process group.
bool from_terminal(int signo) {
  return signo == SIGINT || signo == SIGQUIT || signo == SIGTSTP || signo == SIGWINCH ||
         signo == SIGHUP || signo == SIGCONT;
}

// What the child needs between fork and exec, prepared before the fork.
struct child_setup {
  char** argv = nullptr;
  sigset_t ignored{};  // SIG_IGN when sigkit started: stays ignored in the command
  sigset_t mask{};     // sigkit's mask when it started: the command's mask
  int pdeath_signal = 0;
  pid_t parent = 0;
  bool own_group = false;  // --init -g: a new process group ...
  int terminal_fd = -1;    // ... that gets the terminal when this is >= 0
  int error_fd = -1;
};

// In the child between fork and exec: only async-signal-safe calls; every signal is blocked
// on entry. An exec failure is reported through `error_fd`.
[[noreturn]] void exec_child(const child_setup& s) noexcept {
  if (s.own_group) {
    ::setpgid(0, 0);
    if (s.terminal_fd >= 0) {
      ::tcsetpgrp(s.terminal_fd, ::getpid());  // SIGTTOU is blocked: no stop
    }
  }
  if (s.pdeath_signal > 0) {
    ::prctl(PR_SET_PDEATHSIG, s.pdeath_signal, 0, 0, 0);
    if (::getppid() != s.parent) {
      ::_exit(exit_failure);  // sigkit died before the prctl: do not run unsupervised
    }
  }
  for (int signo = 1; signo < NSIG; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP) {
      continue;
    }
    struct sigaction action {};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access)
    action.sa_handler = sigismember(&s.ignored, signo) == 1 ? SIG_IGN : SIG_DFL;
    sigemptyset(&action.sa_mask);
    ::sigaction(signo, &action, nullptr);  // fails harmlessly for the reserved numbers
  }
  ::sigprocmask(SIG_SETMASK, &s.mask, nullptr);
  ::execvp(s.argv[0], s.argv);
  const int error = errno;
  ssize_t written = 0;
  do {
    written = ::write(s.error_fd, &error, sizeof error);
  } while (written < 0 && errno == EINTR);
  ::_exit(error == ENOENT ? exit_not_found : exit_cannot_run);
}

class supervisor {
 public:
  supervisor(const run_options& options, std::ostream& err) : options_(options), err_(err) {}
  run_outcome run();

 private:
  void resolve_options();
  void record_entry_state();
  void install(std::vector<std::unique_ptr<scoped_handler>>& handlers);
  void start_child();
  void reap();
  void on_child_state(const siginfo_t& info);
  void on_delivery(const siginfo& info);
  void on_job_stop(const siginfo& info);
  void fire_timeout();
  void kill_now();
  void signal_command(int signo, bool announce);
  void send_to_child(int signo);
  void send_to_own_group(int signo);
  void arm_timer();
  void wait_for_the_group(int wakeup_fd, int sigchld_fd);
  void say(const std::string& message) { print_error(err_, message); }
  [[nodiscard]] bool child_in_our_group() const { return ::getpgid(child_) == ::getpgrp(); }

  const run_options& options_;
  std::ostream& err_;

  // the resolved options
  duration_value timeout_;
  duration_value grace_;
  int kill_signal_ = SIGTERM;
  std::vector<int> forward_;
  bool group_model_ = false;  // run/timeout without -f: signal sigkit's whole group

  // the state sigkit started with
  sigset_t entry_mask_{};
  sigset_t entry_ignored_{};
  std::vector<int> handled_;  // signals with sigkit's recording handler

  // while running
  std::vector<siginfo> deliveries_;
  detail::terminal terminal_;
  pid_t self_ = 0;
  pid_t child_ = -1;
  pid_t child_group_ = -1;  // --init -g
  unique_fd pidfd_;
  unique_fd timerfd_;
  std::optional<int> status_;  // the command's wait status, once reaped
  std::optional<std::int64_t> timeout_at_;
  std::optional<std::int64_t> kill_at_;
  std::optional<std::int64_t> grace_window_until_;  // run: a second INT/TERM kills at once
  bool escalated_ = false;          // sigkit timeout: a signal was forwarded with -k: KILL next
  bool emulated_stop_ = false;      // --init: sigkit stopped the command for the terminal
  bool group_told_to_end_ = false;  // --init -g: a signal that ends processes went to the group
  run_outcome outcome_;
};

void supervisor::resolve_options() {
  if (options_.command.empty()) {
    throw cli_error("no command given", exit_usage);
  }
  const duration_syntax syntax =
      options_.gnu_timeout ? duration_syntax::timeout : duration_syntax::run;
  if (options_.timeout) {
    timeout_ = parse_duration(*options_.timeout, syntax);
  }
  grace_ = parse_duration(options_.grace, syntax);
  kill_signal_ = options_.gnu_timeout ? parse_timeout_signal(options_.signal)
                                      : parse_signal_or_zero(options_.signal);
  if (options_.group && !options_.init) {
    throw cli_error("-g/--group needs --init (without it the process group is the default)",
                    exit_usage);
  }
  if (options_.init && options_.foreground) {
    throw cli_error("--foreground does not go with --init (the command gets the terminal)",
                    exit_usage);
  }
  forward_ = options_.forward ? parse_signal_list(*options_.forward)
                              : default_forwarded_signals(options_.init);
  for (const int s : forward_) {
    if (!catchable(s) || s == SIGCHLD || s == SIGTTIN || s == SIGTTOU) {
      throw cli_error(fmt::format("cannot forward {}", signal_name(s)), exit_usage);
    }
  }
  group_model_ = !options_.foreground && !options_.init;
}

void supervisor::record_entry_state() {
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_BLOCK, &none, &entry_mask_);
  sigemptyset(&entry_ignored_);
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction action {};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access)
    if (::sigaction(s, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) {
      sigaddset(&entry_ignored_, s);
    }
  }
}

void supervisor::install(std::vector<std::unique_ptr<scoped_handler>>& handlers) {
  // Forwarded signals ignored on entry stay ignored, for sigkit and the command (nohup, a
  // background job's INT and QUIT), as timeout(1) does; ALRM and the timeout signal are
  // always handled (they are how sigkit times out and what it sends).
  std::vector<int> wanted;
  for (const int s : forward_) {
    if (sigismember(&entry_ignored_, s) != 1) {
      wanted.push_back(s);
    }
  }
  if (!options_.init && std::find(forward_.begin(), forward_.end(), SIGALRM) == forward_.end()) {
    wanted.push_back(SIGALRM);  // sent to sigkit, it fires the timeout at once
  }
  if (catchable(kill_signal_) && kill_signal_ != SIGCHLD && kill_signal_ != SIGTTIN &&
      kill_signal_ != SIGTTOU) {
    wanted.push_back(kill_signal_);
  }
  const bool user_list = options_.forward.has_value();
  for (const int s : wanted) {
    if (std::find(handled_.begin(), handled_.end(), s) != handled_.end()) {
      continue;
    }
    try {
      handlers.push_back(std::make_unique<scoped_handler>(
          s, handler([this](const siginfo& info) { deliveries_.push_back(info); })));
      handled_.push_back(s);
    } catch (const std::system_error& e) {
      if (user_list) {
        throw cli_error(fmt::format("cannot handle {}: {}", signal_name(s), e.what()),
                        exit_failure);
      }
    }
  }
  // Never stopped by the terminal for reading or writing in the background (timeout(1),
  // tini); the command gets the dispositions sigkit started with.
  handlers.push_back(std::make_unique<scoped_handler>(SIGTTIN, handler(SIG_IGN)));
  handlers.push_back(std::make_unique<scoped_handler>(SIGTTOU, handler(SIG_IGN)));
  // SIGCHLD at SIG_DFL (an inherited SIG_IGN would make the kernel reap the command before
  // sigkit can see its status), blocked, and read from a signalfd.
  handlers.push_back(std::make_unique<scoped_handler>(SIGCHLD, handler(SIG_DFL)));
}

void supervisor::start_child() {
  std::vector<std::string> args = options_.command;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  pipe_fds exec_error(O_CLOEXEC);
  child_setup setup;
  setup.argv = argv.data();
  setup.ignored = entry_ignored_;
  setup.mask = entry_mask_;
  setup.pdeath_signal = options_.gnu_timeout ? kill_signal_
                        : kill_signal_ != 0  ? kill_signal_
                                             : SIGTERM;
  setup.parent = ::getpid();
  setup.own_group = options_.init && options_.group;
  setup.terminal_fd = setup.own_group && terminal_.is_foreground() ? terminal_.fd() : -1;
  setup.error_fd = exec_error.write_end.get();

  {
    // Everything blocked across fork, so the child never runs sigkit's OS-level handler
    // before it has reset the dispositions.
    sigset_t all;
    sigset_t before;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before);
    static_cast<void>(std::fflush(nullptr));
    child_ = ::fork();
    if (child_ == 0) {
      exec_child(setup);
    }
    const int fork_error = errno;
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    if (child_ < 0) {
      throw cli_error(fmt::format("fork system call failed: {}", std::strerror(fork_error)),
                      exit_failure);
    }
  }
  if (setup.own_group) {
    ::setpgid(child_, child_);  // as the child does: whichever runs first
    child_group_ = child_;
  }
  exec_error.write_end.reset();

  // Did exec succeed? EOF: yes (close-on-exec); an errno: no.
  int exec_errno = 0;
  for (;;) {
    const ssize_t n = ::read(exec_error.read_end.get(), &exec_errno, sizeof exec_errno);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n != static_cast<ssize_t>(sizeof exec_errno)) {
      exec_errno = 0;
    }
    break;
  }
  outcome_.pid = child_;
  if (exec_errno != 0) {
    while (!status_) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(child_), &info, WEXITED) == 0) {
        status_ = W_EXITCODE(info.si_status, 0);
      } else if (errno != EINTR) {
        break;
      }
    }
    if (setup.terminal_fd >= 0 && terminal_.foreground_group() == child_group_) {
      terminal_.give_to(::getpgrp());  // the child took it before its exec failed
    }
    say(fmt::format("failed to run command {}: {}", quote(options_.command.front()),
                    std::strerror(exec_errno)));
    outcome_.child_exit = exec_errno == ENOENT ? exit_not_found : exit_cannot_run;
    outcome_.exit_code = *outcome_.child_exit;
    return;
  }
  try {
    pidfd_.reset(sigkit::pidfd_open(child_));  // race-free: the pid stays ours until reaped
  } catch (const std::system_error&) {
    pidfd_.reset();  // an old kernel: kill() is still safe, the child is not reaped yet
  }
}

void supervisor::send_to_child(int signo) {
  if (status_ || signo == 0) {
    return;
  }
  try {
    if (pidfd_.get() >= 0) {
      sigkit::pidfd_send_signal(pidfd_.get(), signo);
    } else if (::kill(child_, signo) != 0) {
      throw std::system_error(errno, std::system_category());
    }
  } catch (const std::system_error& e) {
    if (e.code().value() != ESRCH) {  // ESRCH: it has just exited
      say(fmt::format("cannot send {} to process {}: {}", signal_name(signo), child_,
                      e.code().message()));
    }
  }
}

void supervisor::send_to_own_group(int signo) {
  if (signo == 0) {
    return;
  }
  // kill(0, ...) reaches sigkit too: fine when sigkit catches or ignores the signal (its own
  // delivery is dropped), not when it would stop or kill sigkit.
  bool harmless = std::find(handled_.begin(), handled_.end(), signo) != handled_.end() ||
                  signo == SIGTTIN || signo == SIGTTOU || sigismember(&entry_ignored_, signo) == 1;
  if (!harmless && catchable(signo)) {
    const default_action action = default_action_of(signum(signo));
    harmless = action == default_action::ignore || action == default_action::cont;
  }
  if (harmless) {
    ::kill(0, signo);
  } else {
    detail::signal_group_except(::getpgrp(), signo, self_);
  }
}

void supervisor::signal_command(int signo, bool announce) {
  if (status_) {
    return;
  }
  if (announce && options_.verbose) {
    say(fmt::format("sending signal {} to command {}", short_name(signo),
                    quote(options_.command.front())));
  }
  if (signo == SIGKILL) {
    outcome_.killed = true;
  }
  if (options_.init) {
    if (options_.group) {
      if (::getpgid(child_) != child_group_) {
        send_to_child(signo);  // it left the group: it still gets the signal
      }
      if (signo != 0) {
        ::kill(-child_group_, signo);
        const default_action action =
            signo == SIGKILL ? default_action::terminate : default_action_of(signum(signo));
        if (action == default_action::terminate || action == default_action::core) {
          group_told_to_end_ = true;
        }
      }
    } else {
      send_to_child(signo);
    }
    return;
  }
  if (!group_model_) {
    send_to_child(signo);
    return;
  }
  if (!child_in_our_group()) {
    send_to_child(signo);  // it made a group of its own: it still gets the signal
  }
  send_to_own_group(signo);
  // A stopped process acts on the signal only once continued (timeout(1) does the same; sigkit
  // run only after signals that end a process).
  bool follow_with_cont =
      (signo != 0 || options_.gnu_timeout) && signo != SIGKILL && signo != SIGCONT;
  if (follow_with_cont && !options_.gnu_timeout) {
    const default_action action = default_action_of(signum(signo));
    follow_with_cont = action == default_action::terminate || action == default_action::core;
  }
  if (follow_with_cont) {
    if (!child_in_our_group()) {
      send_to_child(SIGCONT);
    }
    send_to_own_group(SIGCONT);
  }
}

void supervisor::kill_now() {
  kill_at_.reset();
  grace_window_until_.reset();
  signal_command(SIGKILL, true);
}

void supervisor::fire_timeout() {
  if (outcome_.timed_out) {
    return;
  }
  outcome_.timed_out = true;
  timeout_at_.reset();
  const std::int64_t now = boottime_ns();
  // sigkit timeout: after a forwarded signal with -k, timeout(1) sends KILL at the next expiry.
  const int signo = escalated_ ? SIGKILL : kill_signal_;
  signal_command(signo, true);
  if (signo != SIGKILL && !grace_.zero() && !kill_at_) {
    kill_at_ = deadline_after(now, grace_);
    if (!options_.gnu_timeout) {
      grace_window_until_ = kill_at_ ? *kill_at_ : INT64_MAX;
    }
  }
}

void supervisor::on_delivery(const siginfo& info) {
  const int s = info.signo;
  // Our own kill(0, ...), and a SIGPIPE from writing to a closed stderr, are not news.
  if (info.pid == self_ &&
      (info.code == SI_USER || info.code == SI_QUEUE || info.code == SI_TKILL)) {
    return;
  }
  if (s == SIGALRM && !options_.init &&
      std::find(forward_.begin(), forward_.end(), SIGALRM) == forward_.end()) {
    fire_timeout();  // as timeout(1): ALRM is its timer
    return;
  }
  // A signal the terminal sent to the whole foreground group has reached the command already.
  const bool child_has_it = info.code == SI_KERNEL && from_terminal(s) && child_in_our_group();
  if (options_.init && s == SIGTSTP) {
    on_job_stop(info);
    return;
  }
  if (options_.init && s == SIGCONT) {
    if (!child_has_it) {
      signal_command(SIGCONT, true);
    }
    if (options_.group && terminal_.is_foreground()) {
      terminal_.give_to(child_group_);  // resumed in the foreground (`fg`): hand it back
    }
    return;
  }
  const std::int64_t now = boottime_ns();
  const bool terminating = s == SIGINT || s == SIGTERM;
  if (!options_.gnu_timeout && terminating && grace_window_until_ && now < *grace_window_until_ &&
      !outcome_.killed) {
    kill_now();  // a second INT/TERM during the grace period: KILL at once
    return;
  }
  if (!child_has_it) {
    signal_command(s, true);
  } else if (options_.verbose) {
    say(fmt::format("{} from the terminal reached command {} directly", short_name(s),
                    quote(options_.command.front())));
  }
  if (options_.gnu_timeout) {
    // timeout(1): the first signal it relays starts the -k countdown, and from then on the
    // timeout sends KILL.
    if (!grace_.zero() && !kill_at_ && !escalated_) {
      escalated_ = true;
      kill_at_ = deadline_after(now, grace_);
    }
  } else if (terminating && !grace_window_until_ && !grace_.zero()) {
    const auto until = deadline_after(now, grace_);
    grace_window_until_ = until ? *until : INT64_MAX;
  }
}

void supervisor::on_job_stop(const siginfo& info) {
  if (options_.group) {
    signal_command(SIGTSTP, true);  // the command's group is not orphaned: it stops
    return;
  }
  // The command shares sigkit's group. If that group is orphaned (sigkit leads the session,
  // as PID 1 of a container with a terminal does), the kernel discards a TSTP whose action
  // is the default: stop the command as that default would.
  const bool child_has_it = info.code == SI_KERNEL && child_in_our_group();
  if (detail::own_group_orphaned() && detail::stops_by_default(child_, SIGTSTP)) {
    emulated_stop_ = true;
    signal_command(SIGSTOP, true);
  } else if (!child_has_it) {
    signal_command(SIGTSTP, true);
  }
}

void supervisor::on_child_state(const siginfo_t& info) {
  if (info.si_code != CLD_STOPPED) {
    return;
  }
  const int stop_signal = info.si_status;
  const bool job_control = stop_signal == SIGTSTP || stop_signal == SIGTTIN ||
                           stop_signal == SIGTTOU || (stop_signal == SIGSTOP && emulated_stop_);
  emulated_stop_ = false;
  if (options_.verbose) {
    say(fmt::format("command {} stopped by {}", quote(options_.command.front()),
                    short_name(stop_signal)));
  }
  // Stop with it, so that a job-control shell above sees the job stopped and its `fg` (a
  // SIGCONT to sigkit, which relays it) resumes both. Not as PID 1 (it cannot be stopped),
  // nor in an orphaned group, where nothing but an explicit SIGCONT could resume sigkit.
  if (job_control && self_ != 1 && !detail::own_group_orphaned()) {
    static_cast<void>(::raise(SIGSTOP));
  }
}

void supervisor::reap() {
  if (options_.init && !status_) {
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(child_), &info, WSTOPPED | WCONTINUED | WNOHANG) != 0) {
        if (errno == EINTR) {
          continue;
        }
        break;
      }
      if (info.si_pid != child_) {
        break;
      }
      on_child_state(info);
    }
  }
  // Every child, not only the command: a program exec'ed into sigkit may have left some, and
  // with --init orphans are reparented to sigkit.
  for (;;) {
    siginfo_t info{};
    const int peek = options_.verbose ? WNOWAIT : 0;
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | peek) != 0) {
      if (errno == EINTR) {
        continue;
      }
      break;  // ECHILD: none left
    }
    const pid_t pid = info.si_pid;
    if (pid == 0) {
      break;
    }
    std::string name;
    if (options_.verbose) {
      name = detail::process_name(pid);  // still readable while it is a zombie
      siginfo_t reaped{};
      while (::waitid(P_PID, static_cast<id_t>(pid), &reaped, WEXITED | WNOHANG) != 0 &&
             errno == EINTR) {
      }
    }
    const bool exited = info.si_code == CLD_EXITED;
    const int wait_status = exited ? W_EXITCODE(info.si_status, 0)
                                   : (info.si_status | (info.si_code == CLD_DUMPED ? 0x80 : 0));
    if (pid == child_) {
      status_ = wait_status;
    } else if (options_.verbose) {
      say(fmt::format("reaped orphan {} ({}): {}", pid, name,
                      exited ? fmt::format("exited with status {}", info.si_status)
                             : fmt::format("killed by signal {}{}", short_name(info.si_status),
                                           info.si_code == CLD_DUMPED ? " (core dumped)" : "")));
    }
  }
}

void supervisor::arm_timer() {
  std::optional<std::int64_t> next;
  for (const auto& d : {timeout_at_, kill_at_}) {
    if (d && (!next || *d < *next)) {
      next = d;
    }
  }
  itimerspec spec{};
  if (next) {
    const std::int64_t at = std::max<std::int64_t>(*next, 1);
    spec.it_value.tv_sec = static_cast<time_t>(at / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(at % 1'000'000'000);
  }
  ::timerfd_settime(timerfd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

// --init -g, after the command has exited: if the group was told to end (a relayed TERM, the
// timeout), let the rest of it finish for up to --grace, then KILL it. As PID 1 sigkit's exit
// would SIGKILL them all at once (tini exits at once: krallin/tini#180).
void supervisor::wait_for_the_group(int wakeup_fd, int sigchld_fd) {
  if (!options_.init || !options_.group || !group_told_to_end_ || ::kill(-child_group_, 0) != 0) {
    return;
  }
  if (options_.verbose) {
    say("waiting for the rest of the command's process group");
  }
  timeout_at_.reset();
  kill_at_ = grace_.zero() ? std::optional<std::int64_t>(boottime_ns())
                           : deadline_after(boottime_ns(), grace_);
  bool killed = false;
  const std::int64_t give_up = boottime_ns() + 2'000'000'000;  // after the KILL
  while (::kill(-child_group_, 0) == 0) {
    try {
      sigkit::check_signals();
    } catch (...) {  // NOLINT(bugprone-empty-catch): our handlers do not throw
    }
    bool again = false;
    for (const auto& info : deliveries_) {
      again = again || ((info.signo == SIGINT || info.signo == SIGTERM) && info.pid != self_);
    }
    deliveries_.clear();
    const std::int64_t now = boottime_ns();
    if (!killed && (again || (kill_at_ && now >= *kill_at_))) {
      if (options_.verbose) {
        say("sending signal KILL to the rest of the command's process group");
      }
      ::kill(-child_group_, SIGKILL);
      killed = true;
      kill_at_ = give_up;
    } else if (killed && now >= give_up) {
      break;  // a process stuck in the kernel: sigkit cannot wait for ever
    }
    reap();
    arm_timer();
    std::array<pollfd, 3> fds{pollfd{wakeup_fd, POLLIN, 0}, pollfd{sigchld_fd, POLLIN, 0},
                              pollfd{timerfd_.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), 100) > 0) {
      char buffer[256];
      for (const pollfd& p : fds) {
        while ((p.revents & POLLIN) != 0 && ::read(p.fd, buffer, sizeof buffer) > 0) {
        }
      }
    }
  }
  reap();
}

run_outcome supervisor::run() {
  resolve_options();
  record_entry_state();
  self_ = ::getpid();

  // Before the child exists, in the order timeout(1) uses: the group, then the handlers.
  if (group_model_) {
    ::setpgid(0, 0);
    if (::getpgrp() != self_) {
      group_model_ = false;  // cannot lead a group: signal the command only
    }
  }
  if (options_.init && self_ != 1) {
    detail::become_subreaper();
  }
  pipe_fds wakeup(O_CLOEXEC | O_NONBLOCK);
  std::vector<std::unique_ptr<scoped_handler>> handlers;
  install(handlers);
  const scoped_wakeup_fd wakeup_guard(wakeup.write_end.get());
  const scoped_mask mask_guard(entry_mask_);
  {
    sigset_t unblock;
    sigemptyset(&unblock);
    for (const int s : handled_) {
      sigaddset(&unblock, s);
    }
    ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  const unique_fd sigchld_fd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  timerfd_.reset(::timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK));
  if (sigchld_fd.get() < 0 || timerfd_.get() < 0) {
    throw cli_error(fmt::format("cannot create a signalfd or timerfd: {}", std::strerror(errno)),
                    exit_failure);
  }

  const auto started = steady::now();
  start_child();
  if (status_) {
    return outcome_;  // exec failed, reported
  }

  if (!timeout_.zero()) {
    timeout_at_ = deadline_after(boottime_ns(), timeout_);
  }
  for (;;) {
    try {
      sigkit::check_signals();
    } catch (...) {  // NOLINT(bugprone-empty-catch): our handlers do not throw
    }
    reap();
    if (status_) {
      break;
    }
    std::vector<siginfo> deliveries;
    deliveries.swap(deliveries_);
    for (const auto& info : deliveries) {
      on_delivery(info);
      if (status_) {
        break;
      }
    }
    const std::int64_t now = boottime_ns();
    if (timeout_at_ && now >= *timeout_at_) {
      fire_timeout();
    }
    if (kill_at_ && now >= *kill_at_ && !outcome_.killed) {
      outcome_.timed_out = true;  // as timeout(1): the KILL countdown is a timeout too
      kill_now();
    }
    if (grace_window_until_ && now >= *grace_window_until_ && !kill_at_) {
      grace_window_until_.reset();  // a forwarded INT/TERM's grace period is over
    }
    if (!deliveries_.empty()) {
      continue;  // more arrived while these were handled
    }
    arm_timer();
    std::array<pollfd, 4> fds{pollfd{wakeup.read_end.get(), POLLIN, 0},
                              pollfd{sigchld_fd.get(), POLLIN, 0},
                              pollfd{timerfd_.get(), POLLIN, 0}, pollfd{pidfd_.get(), POLLIN, 0}};
    const nfds_t count = pidfd_.get() >= 0 ? 4 : 3;
    if (::poll(fds.data(), count, -1) > 0) {
      char buffer[256];
      while (::read(wakeup.read_end.get(), buffer, sizeof buffer) > 0) {
      }
      while (::read(sigchld_fd.get(), buffer, sizeof buffer) > 0) {
      }
      while (::read(timerfd_.get(), buffer, sizeof buffer) > 0) {
      }
    }
  }
  wait_for_the_group(wakeup.read_end.get(), sigchld_fd.get());
  outcome_.elapsed = steady::now() - started;
  if (options_.init && options_.group && terminal_.foreground_group() == child_group_) {
    terminal_.give_to(::getpgrp());  // the terminal back to the group it came from
  }

  const int st = *status_;
  if (WIFEXITED(st)) {
    outcome_.child_exit = WEXITSTATUS(st);
    outcome_.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    const int sig = WTERMSIG(st);
    outcome_.child_signal = sig;
    outcome_.core_dumped = WCOREDUMP(st);
    outcome_.exit_code = 128 + sig;
    if (outcome_.core_dumped) {
      say("the monitored command dumped core");
    }
    if (!outcome_.timed_out) {
      outcome_.die_signal = sig;
    }
  }
  // timeout(1): 124 after a timeout, unless -p; but a command that needed KILL is 137.
  const bool preserve = options_.preserve_status || outcome_.child_signal == SIGKILL;
  if (outcome_.timed_out && !preserve) {
    outcome_.exit_code = exit_timed_out;
  }
  return outcome_;
}

}  // namespace

std::vector<int> default_forwarded_signals(bool init) {
  std::vector<int> signals;
  if (init) {
    for (const signum s : valid_signals()) {
      const int n = s.number();
      if (catchable(n) && n != SIGCHLD && n != SIGTTIN && n != SIGTTOU) {
        signals.push_back(n);
      }
    }
    return signals;
  }
  // timeout(1)'s list of the signals that end a process, in its order, then the real-time
  // signals, then WINCH (a window size change matters to the command, not to sigkit).
  signals = {SIGINT,  SIGQUIT, SIGHUP,    SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2,
             SIGILL,  SIGTRAP, SIGABRT,   SIGBUS,  SIGFPE,  SIGSEGV, SIGXCPU,
             SIGXFSZ, SIGSYS,  SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSTKFLT};
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) {
    signals.push_back(s);
  }
  signals.push_back(SIGWINCH);
  return signals;
}

run_outcome run_child(const run_options& options, std::ostream& err) {
  supervisor s(options, err);
  return s.run();
}

int run_command(const run_options& options, std::ostream& out, std::ostream& err) {
  const run_outcome outcome = run_child(options, err);
  if (options.json) {
    nlohmann::ordered_json record;
    record["pid"] = outcome.pid;
    record["exit_code"] = outcome.child_exit ? nlohmann::ordered_json(*outcome.child_exit)
                                             : nlohmann::ordered_json(nullptr);
    record["signal"] = outcome.child_signal != 0
                           ? nlohmann::ordered_json(signal_name(outcome.child_signal))
                           : nlohmann::ordered_json(nullptr);
    record["signal_number"] = outcome.child_signal != 0
                                  ? nlohmann::ordered_json(outcome.child_signal)
                                  : nlohmann::ordered_json(nullptr);
    record["core_dumped"] = outcome.core_dumped;
    record["timed_out"] = outcome.timed_out;
    record["killed"] = outcome.killed;
    record["duration"] = outcome.elapsed.count();
    record["status"] = outcome.exit_code;
    out << record.dump() << '\n';
    out.flush();
    if (!out) {
      throw cli_error("cannot write the JSON record to standard output", exit_failure);
    }
  }
  if (outcome.die_signal != 0 && ::getpid() != 1) {
    std::cout.flush();
    err.flush();
    // Like timeout(1): no core file (nor a core_pattern pipe) for a relayed death.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sigkit::die_by_signal(outcome.die_signal);
  }
  return outcome.exit_code;
}

}  // namespace sigkit::cli
