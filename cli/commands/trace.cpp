// cli/commands/trace.cpp - `sigkit trace`: who sent each signal, and what it did.
//
// Design: PTRACE_SEIZE (no stop at attach, group-stops as PTRACE_EVENT_STOP) on every thread
// of each process, with PTRACE_O_TRACECLONE so that new threads are traced from their first
// instruction (and, with -f, TRACEFORK/TRACEVFORK for children). The tracer blocks SIGCHLD,
// INT, TERM, HUP and QUIT and accepts them with sigtimedwait in a loop that drains every
// waitpid event; the 50 ms timeout also paces the sampling of /proc for blocked signals.
//
// Each signal-delivery-stop is one record: the siginfo (PTRACE_GETSIGINFO), the sender read
// from /proc at that moment, and the outcome from the receiver's dispositions in
// /proc/PID/task/TID/status (SigCgt, SigIgn) and the signal's default action. The signal is
// then re-injected unchanged (PTRACE_CONT with it), so the kernel delivers the very siginfo.
// A stop or a fatal default action is held until the thread's next event confirms it (the
// group-stop, the thread's death with or without core), since the kernel may still decline
// (an orphaned process group does not stop on TSTP; a pid namespace's init does not die).
// Group-stops are resumed with PTRACE_LISTEN so that a stopped process stays stopped, and a
// SIGCONT shows up as the end of the listen (an EVENT_STOP with SIGTRAP).
//
// Signals that are never delivered are invisible to ptrace: those blocked (pending) and
// those taken by sigwaitinfo/signalfd. The loop samples SigPnd/ShdPnd/SigBlk of every traced
// thread and reports a signal that stays pending while blocked (or while the process is
// stopped; then the queued siginfo is read with PTRACE_PEEKSIGINFO, the process being
// stopped anyway), and one that vanishes without a delivery (accepted or discarded).
#include <dirent.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elf.h>
#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sigkit/defaults.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit/wait.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace sigkit::cli {
namespace {

using namespace tracing;  // NOLINT(google-build-using-namespace): this file is its user
using clock = std::chrono::steady_clock;

constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kStopConfirmation = std::chrono::seconds(1);
constexpr auto kDetachDeadline = std::chrono::seconds(3);

std::uint64_t bit(int signo) { return std::uint64_t{1} << (signo - 1); }

bool is_stop_signal(int s) { return s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU; }

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

long ptrace_request(int request, pid_t pid, void* addr = nullptr, void* data = nullptr) {
  return ::ptrace(static_cast<__ptrace_request>(request), pid, addr, data);
}

// PTRACE_SEIZE takes its options, PTRACE_CONT and friends the signal to inject, in the data
// argument, as an integer.
void* as_data(unsigned long value) {
  return reinterpret_cast<void*>(value);  // NOLINT(performance-no-int-to-ptr): ptrace's ABI
}

// PTRACE_CONT and friends take the signal to inject in the data argument.
long ptrace_with_signal(int request, pid_t pid, int signo) {
  return ::ptrace(static_cast<__ptrace_request>(request), pid, nullptr,
                  as_data(static_cast<unsigned long>(signo)));
}

std::string read_comm(pid_t pid, pid_t tid) {
  auto text = read_proc_file(fmt::format("/proc/{}/task/{}/comm", pid, tid));
  if (!text) {
    return {};
  }
  while (!text->empty() && text->back() == '\n') {
    text->pop_back();
  }
  return *text;
}

std::vector<pid_t> list_threads(pid_t pid) {
  std::vector<pid_t> tids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(fmt::format("/proc/{}/task", pid).c_str()),
                                          &::closedir);
  if (!dir) {
    return tids;
  }
  while (const dirent* entry = ::readdir(dir.get())) {
    char* end = nullptr;
    const long tid = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && tid > 0) {
      tids.push_back(static_cast<pid_t>(tid));
    }
  }
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::optional<ino_t> pid_namespace_of(const std::string& proc_dir) {
  struct stat st {};
  if (::stat((proc_dir + "/ns/pid").c_str(), &st) != 0) {
    return std::nullopt;
  }
  return st.st_ino;
}

// The return value of the system call the thread is leaving (at a signal-delivery-stop that
// follows a system call), from its registers.
std::optional<long> syscall_return_value(pid_t tid) {
#if defined(__x86_64__) || defined(__aarch64__)
  user_regs_struct regs{};
  iovec io{&regs, sizeof regs};
  if (ptrace_request(PTRACE_GETREGSET, tid, as_data(NT_PRSTATUS), &io) != 0) {
    return std::nullopt;
  }
#if defined(__x86_64__)
  return static_cast<long>(regs.rax);
#else
  return static_cast<long>(regs.regs[0]);
#endif
#else
  static_cast<void>(tid);
  return std::nullopt;
#endif
}

const char* kernel_hint(int signo) {
  switch (signo) {
    case SIGINT:
      return "the terminal: Ctrl-C";
    case SIGQUIT:
      return "the terminal: Ctrl-\\";
    case SIGTSTP:
      return "the terminal: Ctrl-Z";
    case SIGWINCH:
      return "the terminal was resized";
    case SIGHUP:
      return "the terminal hung up, or its session leader exited";
    case SIGTTIN:
    case SIGTTOU:
      return "a background job used the terminal";
    case SIGALRM:
      return "a timer: alarm() or setitimer(ITIMER_REAL)";
    case SIGVTALRM:
    case SIGPROF:
      return "an interval timer (setitimer)";
    case SIGXCPU:
      return "the CPU time limit (RLIMIT_CPU)";
    case SIGIO:
      return "I/O is possible on a descriptor (O_ASYNC)";
    default:
      return "";
  }
}

// The signals queued for the thread (or, shared, for its process) and not yet delivered. The
// thread must be in a ptrace-stop.
std::vector<siginfo_t> peek_queue(pid_t tid, bool shared) {
  std::vector<siginfo_t> queue(64);
  __ptrace_peeksiginfo_args args{};
  args.off = 0;
  args.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0;
  args.nr = static_cast<std::int32_t>(queue.size());
  const long n = ptrace_request(PTRACE_PEEKSIGINFO, tid, &args, queue.data());
  queue.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return queue;
}

// ---- the state of the traced threads and processes ------------------------------------------

// A delivery whose outcome the thread's next event tells (stop, or death).
struct held_delivery {
  signal_record record;
  bool fatal = false;  // else a stop
  clock::time_point deadline;
};

struct thread_state {
  pid_t tid = 0;
  pid_t tgid = 0;
  bool detach_at_stop = false;  // a child process we do not follow (no -f)
  bool peek_requested = false;  // PTRACE_INTERRUPT sent to read the queued siginfo
  bool in_stop = false;         // detaching: it reported a stop, detach it now
  std::optional<held_delivery> held;
};

struct process_state {
  pid_t pid = 0;
  bool target = false;             // named on the command line, or the COMMAND
  bool stopped = false;            // in a group-stop
  bool continued = false;          // a SIGCONT ended the stop; its delivery is still to come
  bool continue_reported = false;  // and it was reported then, read from the queue
  bool fatal_reported = false;
  bool same_pid_namespace = true;
  std::string comm;
  std::uint64_t reported_pending = 0;  // reported as pending, not yet seen delivered or gone
  std::uint64_t seen_pending = 0;      // pending (and blocked) at the last sample
  std::uint64_t vanished = 0;          // reported pending, gone at the last sample
  std::uint64_t peek_wanted = 0;       // pending signals whose siginfo a peek should report
  std::string pending_detail;          // why they are pending, for the peek's records
  std::optional<std::vector<signal_record>> exit_queue;  // the shared queue at an exit stop
};

class tracer {
 public:
  tracer(const trace_options& options, std::ostream& out, std::ostream& err)
      : options_(options), out_(&out), err_(err) {}

  trace_outcome run();

 private:
  // setting up
  void open_output();
  void attach(pid_t pid);
  void launch();
  process_state& add_process(pid_t pid, bool target);
  thread_state& add_thread(pid_t tid, pid_t tgid);

  // the loop
  void drain_events();
  void handle(pid_t tid, int status);
  void on_delivery(thread_state& t, int signo);
  void on_event_stop(thread_state& t, int signo);
  void on_new_tracee(thread_state& parent);
  void on_exec(thread_state& t);
  void on_thread_gone(pid_t tid, int status);
  void on_request(const siginfo& info);
  void resolve_held(thread_state& t, int event, int signo);
  void expire_held();
  void sample_pending();
  void peek_pending(const thread_state& t, process_state& p);
  void report_continue(const thread_state& t, process_state& p);
  void on_exit_stop(thread_state& t);
  void report_undelivered(process_state& p);
  void detach_all();
  void restart(pid_t tid, int request, int signo);

  // records
  enum class hold { none, stop, fatal };
  signal_record make_record(const thread_state& t, const siginfo_t& si);
  void fill_record(signal_record& r, pid_t tgid, pid_t tid, const siginfo_t& si,
                   std::optional<long> syscall_result);
  hold decide_outcome(const thread_state& t, process_state& p, signal_record& r);
  bool wanted(int signo) const { return signo >= 1 && signo <= 64 && (filter_ & bit(signo)) != 0; }
  void emit(const signal_record& r);
  void emit(const exit_record& r);
  void note(const std::string& line);

  const trace_options& options_;
  std::ostream* out_;
  std::ostream& err_;
  std::unique_ptr<std::ofstream> file_;
  std::uint64_t filter_ = ~std::uint64_t{0};
  std::map<pid_t, thread_state> threads_;
  std::map<pid_t, process_state> processes_;
  std::optional<ino_t> own_pid_namespace_;
  signal_set waited_;
  signal_set original_mask_;
  struct sigaction original_chld_ {};
  struct sigaction original_pipe_ {};
  unsigned long options_bits_ = 0;

  // trace -- COMMAND
  pid_t command_pid_ = 0;
  int exec_error_fd_ = -1;
  std::optional<int> command_status_;
  int exec_errno_ = 0;

  bool detaching_ = false;
  bool output_broken_ = false;
  clock::time_point next_sample_{};
};

// ---- setting up -----------------------------------------------------------------------------

void tracer::open_output() {
  if (!options_.output) {
    return;
  }
  file_ = std::make_unique<std::ofstream>(*options_.output, std::ios::out | std::ios::trunc);
  if (!*file_) {
    throw cli_error(fmt::format("cannot open {}: {}", *options_.output, std::strerror(errno)));
  }
  out_ = file_.get();
}

process_state& tracer::add_process(pid_t pid, bool target) {
  process_state& p = processes_[pid];
  p.pid = pid;
  p.target = p.target || target;
  p.comm = read_comm(pid, pid);
  const auto ns = pid_namespace_of(fmt::format("/proc/{}", pid));
  p.same_pid_namespace = !own_pid_namespace_ || !ns || *ns == *own_pid_namespace_;
  return p;
}

thread_state& tracer::add_thread(pid_t tid, pid_t tgid) {
  thread_state& t = threads_[tid];
  t.tid = tid;
  t.tgid = tgid;
  return t;
}

void tracer::attach(pid_t pid) {
  if (pid == ::getpid()) {
    throw cli_error("cannot trace sigkit itself");
  }
  const auto status = read_proc_file(fmt::format("/proc/{}/status", pid));
  if (!status) {
    throw cli_error(fmt::format("no such process: {}", pid));
  }
  // A thread id stands for its process: signals sent to the process reach any thread.
  const pid_t tgid = static_cast<pid_t>(parse_status_number(*status, "Tgid").value_or(pid));
  if (processes_.count(tgid) != 0) {
    return;
  }
  std::vector<pid_t> attached;
  // Threads may start while we attach: list again until no new one appears (those started by
  // an attached thread are traced by PTRACE_O_TRACECLONE from their first instruction).
  for (bool added = true; added;) {
    added = false;
    for (const pid_t tid : list_threads(tgid)) {
      if (std::find(attached.begin(), attached.end(), tid) != attached.end()) {
        continue;
      }
      if (ptrace_request(PTRACE_SEIZE, tid, nullptr, as_data(options_bits_)) == 0) {
        if (attached.empty()) {
          add_process(tgid, true);
        }
        add_thread(tid, tgid);
        attached.push_back(tid);
        added = true;
        continue;
      }
      const int error = errno;
      if (error == ESRCH) {
        continue;  // the thread ended meanwhile
      }
      if (attached.empty()) {
        throw cli_error(explain(inspect_refusal(tgid, error, false)));
      }
      note(
          fmt::format("cannot trace thread {} of process {}: {}", tid, tgid, std::strerror(error)));
    }
  }
  if (attached.empty()) {
    throw cli_error(fmt::format("no such process: {}", pid));
  }
}

// In the child between fork and exec: only async-signal-safe calls. It waits until the parent
// has seized it, puts back the mask and dispositions sigkit inherited, and execs.
[[noreturn]] void exec_traced_child(char** argv, int go_fd, int error_fd, const sigset_t& mask,
                                    const struct sigaction& chld,
                                    const struct sigaction& pipe) noexcept {
  char byte = 0;
  while (::read(go_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGCHLD, &chld, nullptr);
  ::sigaction(SIGPIPE, &pipe, nullptr);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  ::execvp(argv[0], argv);
  const int error = errno;
  ssize_t written = 0;
  do {
    written = ::write(error_fd, &error, sizeof error);
  } while (written < 0 && errno == EINTR);
  ::_exit(error == ENOENT ? exit_not_found : exit_cannot_run);
}

void tracer::launch() {
  std::vector<std::string> args = options_.command;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  int go[2];
  int error_pipe[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw cli_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)), exit_failure);
  }
  out_->flush();
  err_.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw cli_error(fmt::format("cannot fork: {}", std::strerror(errno)), exit_failure);
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(error_pipe[0]);
    exec_traced_child(argv.data(), go[0], error_pipe[1], original_mask_.native(), original_chld_,
                      original_pipe_);
  }
  ::close(go[0]);
  ::close(error_pipe[1]);
  exec_error_fd_ = error_pipe[0];
  command_pid_ = pid;
  if (ptrace_request(PTRACE_SEIZE, pid, nullptr, as_data(options_bits_)) != 0) {
    const int error = errno;
    ::close(go[1]);
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    command_pid_ = 0;
    throw cli_error(explain(inspect_refusal(pid, error, true)), exit_failure);
  }
  add_process(pid, true);
  add_thread(pid, pid);
  ::close(go[1]);  // the child reads EOF and execs, traced
}

// ---- records --------------------------------------------------------------------------------

void tracer::note(const std::string& line) { err_ << "sigkit: " << line << std::endl; }

void tracer::emit(const signal_record& r) {
  if (output_broken_ || !wanted(r.signo)) {
    return;
  }
  *out_ << (options_.json ? format_json(r) : format_text(r)) << '\n';
  out_->flush();
  output_broken_ = out_->fail();
}

void tracer::emit(const exit_record& r) {
  if (output_broken_) {
    return;
  }
  *out_ << (options_.json ? format_json(r) : format_text(r)) << '\n';
  out_->flush();
  output_broken_ = out_->fail();
}

signal_record tracer::make_record(const thread_state& t, const siginfo_t& si) {
  signal_record r;
  r.time_ns = realtime_ns();
  fill_record(r, t.tgid, t.tid, si, std::nullopt);
  r.comm = read_comm(t.tgid, t.tid);
  return r;
}

// Everything but the time, the receiver's name and the outcome. The sender is read first
// thing: a short-lived one (kill(1) in a script) may be gone a few microseconds later.
void tracer::fill_record(signal_record& r, pid_t tgid, pid_t tid, const siginfo_t& si,
                         std::optional<long> syscall_result) {
  r.pid = tgid;
  r.tid = tid;
  r.signo = si.si_signo;
  r.code = si.si_code;
  const process_state& p = processes_[tgid];
  if (code_names_sender(si.si_signo, si.si_code)) {
    r.sender_pid = si.si_pid;
    r.sender_uid = si.si_uid;
    if (si.si_signo == SIGCHLD && si.si_code > 0) {
      r.from = origin::child;
      r.child_status = si.si_status;
    } else if (si.si_pid == 0) {
      r.from = origin::outside_namespace;
      r.sender_pid.reset();
    } else if (si.si_pid == tgid) {
      r.from = origin::self;
    } else {
      r.from = origin::process;
    }
    if (r.sender_pid) {
      if (p.same_pid_namespace) {
        r.sender = read_process_info(si.si_pid);
        if (r.sender && r.sender->ppid > 0) {
          r.sender_parent = read_process_info(r.sender->ppid, false);
        }
      } else {
        r.hint = "the pid is in the traced process's pid namespace";
      }
    }
  } else {
    r.from = origin::kernel;
  }
  if (code_has_value(si.si_code)) {
    r.value = si.si_value.sival_int;
  }
  if (code_has_address(si.si_signo, si.si_code)) {
    r.address = reinterpret_cast<std::uintptr_t>(si.si_addr);
  }
  if ((si.si_signo == SIGIO || si.si_signo == SIGPOLL) && si.si_code > 0 &&
      si.si_code != SI_KERNEL) {
    r.fd = si.si_fd;
  }
  // The kernel raises SIGPIPE and SIGXFSZ for a failing write as if the writer had sent them
  // to itself (SI_USER from its own pid); the system call's return value tells them apart.
  if (r.from == origin::self && si.si_code == SI_USER &&
      (si.si_signo == SIGPIPE || si.si_signo == SIGXFSZ)) {
    const long expected = si.si_signo == SIGPIPE ? -EPIPE : -EFBIG;
    if (syscall_result == expected) {
      r.from = origin::kernel;
      r.hint = si.si_signo == SIGPIPE ? "a write to a pipe or socket with no reader"
                                      : "a write beyond the file size limit (RLIMIT_FSIZE)";
    }
  } else if (r.from == origin::self && si.si_code == SI_TKILL && si.si_signo == SIGABRT) {
    r.hint = "abort(), or raise";
  } else if (si.si_code == SI_KERNEL) {
    r.hint = kernel_hint(si.si_signo);
  } else if (si.si_code == SI_TIMER) {
    r.hint = "a POSIX timer (timer_create)";
  } else if (si.si_code == SI_MESGQ) {
    r.hint = "a message arrived on a POSIX message queue (mq_notify)";
  } else if (si.si_code == SI_ASYNCIO) {
    r.hint = "asynchronous I/O completed";
  }
}

// What the delivery will do, from the dispositions as they are now, while the thread is stopped
// (a handler with SA_RESETHAND is gone once it runs). A stop or a death is confirmed by the
// thread's next event: `hold` says which.
tracer::hold tracer::decide_outcome(const thread_state& t, process_state& p, signal_record& r) {
  std::uint64_t caught = 0;
  std::uint64_t ignored = 0;
  if (const auto status = read_proc_file(fmt::format("/proc/{}/task/{}/status", t.tgid, t.tid))) {
    caught = parse_status_mask(*status, "SigCgt").value_or(0);
    ignored = parse_status_mask(*status, "SigIgn").value_or(0);
  }
  const int s = r.signo;
  const bool is_caught = (caught & bit(s)) != 0;
  if (s == SIGCONT && p.continued) {
    p.continued = false;
    r.result = outcome::continued;
    r.also_handled = is_caught;
    if (p.continue_reported) {
      // "continued the process" was said when it happened; the delivery only adds a handler.
      p.continue_reported = false;
      r.result = is_caught ? outcome::handled : outcome::unknown;
      r.also_handled = false;
      r.detail = is_caught ? "after it continued the process" : "";
    }
    return hold::none;
  }
  if (is_caught) {
    r.result = outcome::handled;
    return hold::none;
  }
  if ((ignored & bit(s)) != 0) {
    r.result = outcome::ignored;
    return hold::none;
  }
  switch (default_action_of(signum(s))) {
    case default_action::ignore:
    case default_action::cont:
      r.result = outcome::ignored_by_default;
      return hold::none;
    case default_action::stop:
      r.result = outcome::stopped;
      return hold::stop;
    case default_action::terminate:
    case default_action::core:
      r.result = outcome::terminated;
      return hold::fatal;
  }
  return hold::none;
}

// ---- the loop -------------------------------------------------------------------------------

void tracer::restart(pid_t tid, int request, int signo) {
  // ESRCH: the thread died meanwhile (SIGKILL); its exit is reported by waitpid.
  static_cast<void>(ptrace_with_signal(request, tid, signo));
}

void tracer::on_delivery(thread_state& t, int signo) {
  siginfo_t si{};
  if (ptrace_request(PTRACE_GETSIGINFO, t.tid, nullptr, &si) != 0) {
    restart(t.tid, PTRACE_CONT, signo);
    return;
  }
  const pid_t tid = t.tid;
  const pid_t tgid = t.tgid;
  if (t.detach_at_stop) {
    static_cast<void>(ptrace_with_signal(PTRACE_DETACH, tid, signo));
    threads_.erase(tid);
    return;
  }
  process_state& p = processes_[tgid];
  if (signo >= 1 && signo <= 64) {
    p.reported_pending &= ~bit(signo);  // delivered: no longer pending
    p.vanished &= ~bit(signo);
  }
  if (!wanted(signo)) {
    if (signo == SIGCONT) {
      p.continued = false;
    }
    restart(tid, detaching_ ? PTRACE_DETACH : PTRACE_CONT, signo);
    if (detaching_) {
      threads_.erase(tid);
    }
    return;
  }
  // While the thread is stopped: who sent it (before the sender can exit), what the delivery
  // does, and for SIGPIPE/SIGXFSZ the system call it is leaving. The receiver's name and the
  // printing come once it runs again.
  signal_record r;
  r.time_ns = realtime_ns();
  std::optional<long> syscall_result;
  if ((signo == SIGPIPE || signo == SIGXFSZ) && si.si_code == SI_USER && si.si_pid == tgid) {
    syscall_result = syscall_return_value(tid);
  }
  fill_record(r, tgid, tid, si, syscall_result);
  const hold kind = decide_outcome(t, p, r);
  // Re-injected as it came: the kernel delivers the siginfo it queued.
  restart(tid, detaching_ ? PTRACE_DETACH : PTRACE_CONT, signo);
  r.comm = read_comm(tgid, tid);
  if (tid == tgid && !r.comm.empty()) {
    p.comm = r.comm;
  }
  if (detaching_) {
    threads_.erase(tid);
    if (kind != hold::none) {
      r.detail = "predicted; sigkit detached";
    }
  } else if (kind != hold::none) {
    t.held = held_delivery{
        r, kind == hold::fatal,
        kind == hold::fatal ? clock::time_point::max() : clock::now() + kStopConfirmation};
    return;
  }
  if (r.result != outcome::unknown) {
    emit(r);
  }
}

void tracer::on_event_stop(thread_state& t, int signo) {
  process_state& p = processes_[t.tgid];
  if (t.detach_at_stop || detaching_) {
    static_cast<void>(ptrace_request(PTRACE_DETACH, t.tid));  // stays stopped if group-stopped
    threads_.erase(t.tid);
    return;
  }
  if (is_stop_signal(signo)) {
    // A group-stop (or a stop reported again: a new tracee, our interrupt while stopped).
    p.stopped = true;
    p.continued = false;
    if (t.peek_requested) {
      t.peek_requested = false;
      peek_pending(t, p);
    }
    // Ends the ptrace-stop, not the group-stop: the process stays stopped as it would untraced.
    restart(t.tid, PTRACE_LISTEN, 0);
    return;
  }
  // SIGTRAP: the initial stop of a new tracee, our interrupt, or the end of a listen because a
  // SIGCONT ended the group-stop.
  if (p.stopped) {
    p.stopped = false;
    p.continued = true;
    report_continue(t, p);
  }
  if (t.peek_requested) {
    t.peek_requested = false;
    peek_pending(t, p);
  }
  restart(t.tid, PTRACE_CONT, 0);
}

void tracer::on_new_tracee(thread_state& parent) {
  unsigned long message = 0;
  if (ptrace_request(PTRACE_GETEVENTMSG, parent.tid, nullptr, &message) != 0 || message == 0) {
    return;
  }
  const auto tid = static_cast<pid_t>(message);
  if (threads_.count(tid) != 0) {
    return;  // its first stop came first
  }
  const auto status = read_proc_file(fmt::format("/proc/{}/status", tid));
  const pid_t tgid =
      status ? static_cast<pid_t>(parse_status_number(*status, "Tgid").value_or(tid)) : tid;
  thread_state& t = add_thread(tid, tgid);
  if (processes_.count(tgid) == 0) {
    if (options_.follow) {
      add_process(tgid, false);
    } else {
      t.detach_at_stop = true;  // a clone() that is not a thread: not followed without -f
    }
  }
}

void tracer::on_exec(thread_state& t) {
  unsigned long message = 0;
  if (ptrace_request(PTRACE_GETEVENTMSG, t.tid, nullptr, &message) == 0 && message != 0 &&
      static_cast<pid_t>(message) != t.tid) {
    // A thread other than the leader called execve: it now has the leader's tid.
    threads_.erase(static_cast<pid_t>(message));
  }
  process_state& p = processes_[t.tgid];
  p.comm = read_comm(t.tgid, t.tid);
  if (t.tid == command_pid_ && exec_error_fd_ >= 0) {
    ::close(exec_error_fd_);  // the command runs: no exec error to read
    exec_error_fd_ = -1;
  }
}

void tracer::resolve_held(thread_state& t, int event, int signo) {
  if (!t.held) {
    return;
  }
  held_delivery held = std::move(*t.held);
  t.held.reset();
  if (held.fatal) {
    held.record.result = outcome::ignored;
    held.record.detail = "its default action was not taken: the process is a pid namespace's init";
  } else if (event != PTRACE_EVENT_STOP || !is_stop_signal(signo)) {
    held.record.result = outcome::ignored;
    held.record.detail = "the process group is orphaned: the kernel discards TSTP, TTIN, TTOU";
  }
  emit(held.record);
}

void tracer::expire_held() {
  const auto now = clock::now();
  for (auto& [tid, t] : threads_) {
    if (t.held && !t.held->fatal && now >= t.held->deadline) {
      resolve_held(t, 0, 0);
    }
  }
}

void tracer::on_thread_gone(pid_t tid, int status) {
  pid_t tgid = tid;
  if (auto it = threads_.find(tid); it != threads_.end()) {
    tgid = it->second.tgid;
    if (it->second.held) {
      held_delivery held = std::move(*it->second.held);
      if (WIFSIGNALED(status)) {
        held.record.result = outcome::terminated;
        held.record.core = WCOREDUMP(status);
        processes_[tgid].fatal_reported = true;
      } else if (held.fatal) {
        held.record.result = outcome::unknown;
        held.record.detail = "the process exited first";
      }
      emit(held.record);
    }
    threads_.erase(it);
  }
  if (tid == command_pid_) {
    command_status_ = status;
  }
  if (tid != tgid) {
    return;
  }
  // The leader's death is reported after every other thread's: the process is gone.
  auto pit = processes_.find(tgid);
  if (pit == processes_.end()) {
    return;
  }
  process_state& p = pit->second;
  const bool exec_failed = tid == command_pid_ && exec_error_fd_ >= 0 && [&] {
    int error = 0;
    const ssize_t n = ::read(exec_error_fd_, &error, sizeof error);
    ::close(exec_error_fd_);
    exec_error_fd_ = -1;
    exec_errno_ = n == static_cast<ssize_t>(sizeof error) ? error : 0;
    return exec_errno_ != 0;
  }();
  if (!exec_failed) {
    report_undelivered(p);
    const auto now = realtime_ns();
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !p.fatal_reported) {
      signal_record r;
      r.time_ns = now;
      r.pid = tgid;
      r.tid = tgid;
      r.comm = p.comm;
      r.signo = SIGKILL;
      r.from = origin::unknown;
      r.hint = "SIGKILL acts before a tracer can see it or its sender";
      r.result = outcome::terminated;
      emit(r);
    }
    if (p.target || WIFSIGNALED(status)) {
      exit_record e;
      e.time_ns = now;
      e.pid = tgid;
      e.comm = p.comm;
      if (WIFSIGNALED(status)) {
        e.signo = WTERMSIG(status);
        e.core = WCOREDUMP(status);
      } else {
        e.exit_code = WEXITSTATUS(status);
      }
      emit(e);
    }
  }
  processes_.erase(pit);
}

void tracer::handle(pid_t tid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    on_thread_gone(tid, status);
    return;
  }
  if (!WIFSTOPPED(status)) {
    return;
  }
  const int signo = WSTOPSIG(status);
  const int event = (status >> 16) & 0xff;
  auto it = threads_.find(tid);
  if (it == threads_.end()) {
    // A new tracee whose first stop came before its creator's clone event.
    const auto text = read_proc_file(fmt::format("/proc/{}/status", tid));
    const pid_t tgid =
        text ? static_cast<pid_t>(parse_status_number(*text, "Tgid").value_or(tid)) : tid;
    thread_state& t = add_thread(tid, tgid);
    if (processes_.count(tgid) == 0) {
      if (options_.follow && !detaching_) {
        add_process(tgid, false);
      } else {
        t.detach_at_stop = true;
      }
    }
    it = threads_.find(tid);
  }
  thread_state& t = it->second;
  if (t.held && event != PTRACE_EVENT_EXIT) {
    resolve_held(t, event, signo);
  }
  switch (event) {
    case 0:
      on_delivery(t, signo);
      return;
    case PTRACE_EVENT_STOP:
      on_event_stop(t, signo);
      return;
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
      on_new_tracee(t);
      break;
    case PTRACE_EVENT_EXEC:
      on_exec(t);
      break;
    case PTRACE_EVENT_EXIT:
      on_exit_stop(t);
      break;
    default:
      break;
  }
  if (detaching_) {
    static_cast<void>(ptrace_request(PTRACE_DETACH, tid));
    threads_.erase(tid);
    return;
  }
  restart(tid, PTRACE_CONT, 0);
}

void tracer::drain_events() {
  for (;;) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid <= 0) {
      if (tid < 0 && errno == EINTR) {
        continue;
      }
      return;
    }
    handle(tid, status);
  }
}

void tracer::peek_pending(const thread_state& t, process_state& p) {
  const std::uint64_t wanted_bits = p.peek_wanted;
  p.peek_wanted = 0;
  std::uint64_t reported = 0;
  for (const bool shared : {true, false}) {
    for (const siginfo_t& si : peek_queue(t.tid, shared)) {
      if (si.si_signo < 1 || si.si_signo > 64 || (wanted_bits & bit(si.si_signo)) == 0) {
        continue;
      }
      signal_record r = make_record(t, si);
      r.tid = shared ? 0 : t.tid;
      r.result = outcome::pending;
      r.detail = p.pending_detail;
      emit(r);
      reported |= bit(si.si_signo);
    }
  }
  // Seen pending but gone from the queue by now (or not readable): say what is known.
  for (const int s : mask_signals(wanted_bits & ~reported)) {
    signal_record r;
    r.time_ns = realtime_ns();
    r.pid = p.pid;
    r.comm = p.comm;
    r.signo = s;
    r.result = outcome::pending;
    r.detail = p.pending_detail;
    emit(r);
  }
}

// The SIGCONT that just ended a group-stop is still queued: report it now, when it acted (a
// signal of lower number may be delivered first, and may even end the process).
void tracer::report_continue(const thread_state& t, process_state& p) {
  if (!wanted(SIGCONT)) {
    return;
  }
  for (const bool shared : {true, false}) {
    for (const siginfo_t& si : peek_queue(t.tid, shared)) {
      if (si.si_signo == SIGCONT) {
        signal_record r = make_record(t, si);
        r.tid = shared ? 0 : t.tid;
        r.result = outcome::continued;
        emit(r);
        p.continue_reported = true;
        return;
      }
    }
  }
}

// A thread is about to exit: what is queued for it alone is lost with it, and what is queued
// for the process is lost too if the process is ending (known when the leader's death is
// reported; the queue is kept until then).
void tracer::on_exit_stop(thread_state& t) {
  process_state& p = processes_[t.tgid];
  unsigned long message = 0;
  if (ptrace_request(PTRACE_GETEVENTMSG, t.tid, nullptr, &message) == 0 && t.held &&
      t.held->fatal) {
    const int status = static_cast<int>(message);
    held_delivery held = std::move(*t.held);
    t.held.reset();
    if (WIFSIGNALED(status)) {
      held.record.result = outcome::terminated;
      held.record.core = WCOREDUMP(status);
      p.fatal_reported = true;
    } else {
      held.record.result = outcome::unknown;
      held.record.detail = "the process exited first";
    }
    emit(held.record);
  }
  for (const siginfo_t& si : peek_queue(t.tid, false)) {
    if (wanted(si.si_signo)) {
      signal_record r = make_record(t, si);
      r.result = outcome::discarded;
      r.detail = "pending for the thread when it exited: never delivered";
      emit(r);
      p.reported_pending &= ~bit(si.si_signo);
    }
  }
  std::vector<signal_record> queued;
  for (const siginfo_t& si : peek_queue(t.tid, true)) {
    if (wanted(si.si_signo)) {
      queued.push_back(make_record(t, si));
      queued.back().tid = 0;
    }
  }
  p.exit_queue = std::move(queued);
}

// The process ended: what became of the signals reported pending, and of those still queued.
void tracer::report_undelivered(process_state& p) {
  std::uint64_t queued = 0;
  if (p.exit_queue) {
    for (signal_record& r : *p.exit_queue) {
      queued |= bit(r.signo);
      if (r.signo == SIGCONT && p.continue_reported) {
        continue;  // it acted when it was sent: reported as "continued the process"
      }
      r.result = outcome::discarded;
      r.detail = "pending when the process exited: never delivered";
      emit(r);
    }
  }
  for (const int s : mask_signals(p.reported_pending & ~queued)) {
    signal_record r;
    r.time_ns = realtime_ns();
    r.pid = p.pid;
    r.comm = p.comm;
    r.signo = s;
    const bool gone = p.exit_queue || (p.vanished & bit(s)) != 0;
    r.result = gone ? outcome::accepted : outcome::discarded;
    r.detail = gone ? "" : "pending when the process exited: never delivered";
    emit(r);
  }
  p.reported_pending = 0;
}

void tracer::sample_pending() {
  for (auto& [pid, p] : processes_) {
    std::uint64_t shared = 0;
    std::uint64_t blocked_everywhere = ~std::uint64_t{0};
    std::uint64_t candidates = 0;
    std::uint64_t any_pending = 0;
    std::vector<std::pair<pid_t, std::uint64_t>> thread_blocked;
    bool read_any = false;
    for (const auto& [tid, t] : threads_) {
      if (t.tgid != pid) {
        continue;
      }
      const auto text = read_proc_file(fmt::format("/proc/{}/task/{}/status", pid, tid));
      if (!text) {
        continue;
      }
      read_any = true;
      const std::uint64_t own = parse_status_mask(*text, "SigPnd").value_or(0);
      const std::uint64_t blocked = parse_status_mask(*text, "SigBlk").value_or(0);
      shared = parse_status_mask(*text, "ShdPnd").value_or(0);
      blocked_everywhere &= blocked;
      candidates |= p.stopped ? own : (own & blocked);
      any_pending |= own;
    }
    if (!read_any) {
      continue;
    }
    candidates |= p.stopped ? shared : (shared & blocked_everywhere);
    any_pending |= shared;
    candidates &= filter_ & ~bit(SIGKILL) & ~bit(SIGSTOP);

    // A signal must be pending at two samples in a row: a thread may unblock it any moment.
    const std::uint64_t confirmed = candidates & p.seen_pending & ~p.reported_pending;
    p.seen_pending = candidates;
    if (confirmed != 0) {
      p.reported_pending |= confirmed;
      p.pending_detail = p.stopped ? "the process is stopped; delivered after a SIGCONT"
                                   : "blocked in every thread that could take it";
      if (p.stopped) {
        // Stopped anyway: reading its queue with PTRACE_PEEKSIGINFO costs it nothing.
        p.peek_wanted |= confirmed;
        for (auto& [tid, t] : threads_) {
          if (t.tgid == pid) {
            t.peek_requested = true;
            static_cast<void>(ptrace_request(PTRACE_INTERRUPT, tid));
            break;
          }
        }
      } else {
        for (const int s : mask_signals(confirmed)) {
          signal_record r;
          r.time_ns = realtime_ns();
          r.pid = pid;
          r.comm = p.comm;
          r.signo = s;
          r.result = outcome::pending;
          r.detail = p.pending_detail;
          emit(r);
        }
      }
    }

    // Reported pending, then gone without a delivery: accepted, or discarded.
    const std::uint64_t gone = p.reported_pending & ~any_pending;
    const std::uint64_t gone_twice = gone & p.vanished;
    p.vanished = gone & ~gone_twice;
    if (gone_twice != 0) {
      p.reported_pending &= ~gone_twice;
      std::uint64_t ignored = 0;
      if (const auto text = read_proc_file(fmt::format("/proc/{}/status", pid))) {
        ignored = parse_status_mask(*text, "SigIgn").value_or(0);
      }
      for (const int s : mask_signals(gone_twice)) {
        signal_record r;
        r.time_ns = realtime_ns();
        r.pid = pid;
        r.comm = p.comm;
        r.signo = s;
        r.result = (ignored & bit(s)) != 0 ? outcome::discarded : outcome::accepted;
        emit(r);
      }
    }
  }
}

void tracer::detach_all() {
  detaching_ = true;
  for (auto& [tid, t] : threads_) {
    // A running tracee must stop before PTRACE_DETACH; a listening one reports its group-stop
    // again and stays stopped after the detach.
    static_cast<void>(ptrace_request(PTRACE_INTERRUPT, tid));
  }
  const auto deadline = clock::now() + kDetachDeadline;
  while (!threads_.empty() && clock::now() < deadline) {
    int status = 0;
    const pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid > 0) {
      handle(tid, status);
      continue;
    }
    if (tid < 0 && errno == ECHILD) {
      break;
    }
    static_cast<void>(sigkit::sigtimedwait(signal_set{SIGCHLD}, std::chrono::milliseconds(10)));
  }
  for (auto& [tid, t] : threads_) {
    if (t.held) {
      t.held->record.detail = "predicted; sigkit detached";
      emit(t.held->record);
    }
  }
  // Those still running (stuck in an uninterruptible sleep) are detached by the kernel when
  // sigkit exits.
  for (const auto& [pid, p] : processes_) {
    if (p.target) {
      note(fmt::format("detached from process {} ({})", pid, p.comm));
    }
  }
}

void tracer::on_request(const siginfo& info) {
  if (command_pid_ == 0) {
    detach_all();
    return;
  }
  // trace -- COMMAND: the command decides. A signal from the terminal (SI_KERNEL: Ctrl-C, a
  // resize) reached the command as well, being in our process group; any other is passed on.
  if (info.code != SI_KERNEL && !command_status_) {
    static_cast<void>(::kill(command_pid_, info.signo));
  }
}

trace_outcome tracer::run() {
  if (options_.pids.empty() == options_.command.empty()) {
    throw cli_error("trace needs PID... or -- COMMAND [ARG...], not both", exit_usage);
  }
  std::vector<pid_t> pids;
  for (const auto& text : options_.pids) {
    pids.push_back(parse_pid(text));
  }
  if (options_.signals) {
    filter_ = parse_signal_filter(*options_.signals);
  }
  options_bits_ = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
  if (options_.follow) {
    options_bits_ |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
  }
  own_pid_namespace_ = pid_namespace_of("/proc/self");
  open_output();

  // SIGCHLD at SIG_DFL (an inherited SIG_IGN would reap the command behind our back) and
  // SIGPIPE ignored (a closed output ends the trace cleanly); the command gets both back.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;  // NOLINT(cppcoreguidelines-pro-type-union-access)
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGCHLD, &dfl, &original_chld_);
  struct sigaction ign = dfl;
  ign.sa_handler = SIG_IGN;  // NOLINT(cppcoreguidelines-pro-type-union-access)
  ::sigaction(SIGPIPE, &ign, &original_pipe_);
  // INT, TERM, HUP and QUIT detach from PIDs; with a COMMAND they, USR1, USR2 and WINCH are
  // passed on to it (as `sigkit run` does), so that sigkit can stand in for the command.
  waited_ = signal_set{SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  if (!options_.command.empty()) {
    waited_ |= signal_set{SIGUSR1, SIGUSR2, SIGWINCH};
  }
  original_mask_ = sigkit::block(waited_);
  struct restore {
    tracer& self;
    ~restore() {
      static_cast<void>(::sigaction(SIGCHLD, &self.original_chld_, nullptr));
      static_cast<void>(::sigaction(SIGPIPE, &self.original_pipe_, nullptr));
      try {
        static_cast<void>(sigkit::pthread_sigmask(SIG_SETMASK, self.original_mask_));
      } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to do
      }
      if (self.exec_error_fd_ >= 0) {
        ::close(self.exec_error_fd_);
      }
    }
  } restore_on_exit{*this};

  if (options_.command.empty()) {
    try {
      for (const pid_t pid : pids) {
        attach(pid);
      }
    } catch (...) {
      detach_all();
      throw;
    }
    for (const auto& [pid, p] : processes_) {
      std::size_t count = 0;
      for (const auto& [tid, t] : threads_) {
        count += t.tgid == pid ? 1 : 0;
      }
      note(fmt::format("tracing process {} ({}), {} thread{}; Ctrl-C detaches", pid, p.comm, count,
                       count == 1 ? "" : "s"));
    }
  } else {
    launch();
  }

  next_sample_ = clock::now() + kTick;
  while (true) {
    drain_events();
    if (output_broken_ && !detaching_) {
      detach_all();  // reported once, at the end
    }
    if (detaching_ || (threads_.empty() && (command_pid_ == 0 || command_status_))) {
      break;
    }
    expire_held();
    if (clock::now() >= next_sample_) {
      sample_pending();
      // Each thread's status is read at each sample: space them out for many threads (a
      // thousand threads: four samples a second).
      next_sample_ = clock::now() + std::max<clock::duration>(
                                        kTick, threads_.size() * std::chrono::microseconds(250));
    }
    const auto info = sigkit::sigtimedwait(waited_, kTick);
    if (info && info->signo != SIGCHLD) {
      on_request(*info);
    }
  }

  trace_outcome result;
  if (command_pid_ != 0) {
    if (!command_status_) {
      // Detached from the command (the output broke): it runs on; wait for it as its parent.
      int status = 0;
      while (::waitpid(command_pid_, &status, 0) < 0 && errno == EINTR) {
      }
      command_status_ = status;
    }
    if (exec_errno_ != 0) {
      throw cli_error(
          fmt::format("cannot run '{}': {}", options_.command.front(), std::strerror(exec_errno_)),
          exec_errno_ == ENOENT ? exit_not_found : exit_cannot_run);
    }
    if (WIFEXITED(*command_status_)) {
      result.exit_code = WEXITSTATUS(*command_status_);
    } else if (WIFSIGNALED(*command_status_)) {
      result.signal = WTERMSIG(*command_status_);
      result.exit_code = 128 + result.signal;
    }
  }
  if (output_broken_) {
    throw cli_error(options_.output ? fmt::format("cannot write to {}", *options_.output)
                                    : std::string("cannot write the trace to standard output"));
  }
  return result;
}

}  // namespace

trace_outcome trace_session(const trace_options& options, std::ostream& out, std::ostream& err) {
  tracer t(options, out, err);
  return t.run();
}

int trace_command(const trace_options& options, std::ostream& out, std::ostream& err) {
  const trace_outcome outcome = trace_session(options, out, err);
  if (outcome.signal != 0) {
    out.flush();
    err.flush();
    sigkit::die_by_signal(outcome.signal);  // as the command did; no core file of our own
  }
  return outcome.exit_code;
}

}  // namespace sigkit::cli
