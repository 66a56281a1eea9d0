// sigkit_cli/trace.hpp - the pieces of `sigkit trace` that are not the ptrace loop: what
// /proc says about a process, what one delivery was and did (a record), how it is printed,
// and why ptrace was refused.
//
// The parsers take the text of /proc files (outside input) and never throw on malformed
// text: they return nullopt or skip what they cannot read. They are fuzzed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sigkit::cli::tracing {

// ---- /proc, parsed ---------------------------------------------------------------------------

/// The fields of /proc/PID/stat that `trace` uses.
struct proc_stat {
  pid_t pid = 0;
  std::string comm;  ///< between the first '(' and the last ')': may hold spaces and ')'
  char state = '?';  ///< R, S, D, T, t, Z, X, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

/// Parses the text of /proc/PID/stat. nullopt if it is not in that format.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none (nullopt).
std::optional<proc_stat> parse_proc_stat(std::string_view text);

/// Splits the text of /proc/PID/cmdline (NUL-terminated arguments) into the arguments. A
/// process that rewrote its argv may leave no final NUL; the tail is then one more argument.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none.
std::vector<std::string> split_cmdline(std::string_view raw);

/// The first number after "KEY:" in the text of /proc/PID/status ("Tgid", "TracerPid",
/// "Uid"), nullopt if the key is absent or not followed by a number.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none (nullopt).
std::optional<long long> parse_status_number(std::string_view status_text, std::string_view key);

/// The hexadecimal mask after "KEY:" in /proc/PID/status ("SigCgt", "CapEff"), nullopt if
/// absent or malformed.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none (nullopt).
std::optional<std::uint64_t> parse_status_mask(std::string_view status_text, std::string_view key);

/// `--signal LIST`: "INT,TERM,USR1" keeps those; "!CHLD,WINCH" (or "^...") keeps every other
/// signal; "all" keeps every signal. Bit n-1 stands for signal n.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: cli_error (exit_usage) for an unknown signal or an empty list.
std::uint64_t parse_signal_filter(std::string_view text);

/// Quotes one argument for display as a shell would need it: as it is if it has only safe
/// characters, in single quotes ('it'\''s') if every character shows as itself (printable()),
/// else in bash's $'...' with \\ and \', \xHH for control characters and bytes that are not
/// UTF-8, \uHHHH for invisible controls such as U+202E ($'a\x0ab').
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none.
std::string quote_argument(std::string_view arg);

/// The arguments quoted and joined by spaces, cut after about `limit` bytes ("...").
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none.
std::string format_cmdline(const std::vector<std::string>& args, std::size_t limit = 160);

// ---- /proc, read -----------------------------------------------------------------------------

/// (`read_proc_file()` is in commands.hpp, shared with `status` and `run --init`.)

/// A process as /proc shows it at one moment.
struct process_info {
  pid_t pid = 0;
  std::string comm;
  char state = '?';
  pid_t ppid = 0;
  std::vector<std::string> cmdline;  ///< empty for a zombie or a kernel thread
};

/// Reads /proc/PID/stat and (with_cmdline) /proc/PID/cmdline; nullopt if the process is gone.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none (nullopt).
std::optional<process_info> read_process_info(pid_t pid, bool with_cmdline = true);

// ---- one delivery, and what it did -----------------------------------------------------------

/// Who sent a signal, as far as the siginfo tells.
enum class origin {
  process,            ///< si_pid names another process
  self,               ///< si_pid is the receiving process itself
  child,              ///< SIGCHLD: si_pid is the child whose state changed
  kernel,             ///< SI_KERNEL, a fault, a timer, I/O readiness: no sending process
  outside_namespace,  ///< SI_USER-like with si_pid 0: a process outside the pid namespace
  unknown,            ///< not known (a signal seen pending, SIGKILL)
};

/// What the delivery did, or what became of a signal that was not delivered.
enum class outcome {
  handled,             ///< a handler ran
  ignored,             ///< SIG_IGN: discarded at delivery
  ignored_by_default,  ///< SIG_DFL with a default action of ignore (CHLD, URG, WINCH, CONT)
  stopped,             ///< default action stop: the process stopped
  continued,           ///< SIGCONT resumed the stopped process
  terminated,          ///< default action term or core: the process ended by it
  pending,             ///< blocked in every thread that could take it, or the process is stopped
  accepted,            ///< taken from the pending set without a delivery: sigwaitinfo, signalfd
  discarded,           ///< vanished from the pending set: its disposition became SIG_IGN
  unknown,             ///< sigkit detached before it could tell
};

/// "handled", "ignored", "ignored-by-default", "stopped", "continued", "terminated",
/// "pending", "accepted", "discarded", "unknown" (the JSON values).
/// Thread safety: safe. Signal safety: async-signal-safe.
const char* to_string(outcome o) noexcept;

/// "process", "self", "child", "kernel", "outside-namespace", "unknown".
/// Thread safety: safe. Signal safety: async-signal-safe.
const char* to_string(origin o) noexcept;

/// One signal and what it did.
struct signal_record {
  std::int64_t time_ns = 0;  ///< CLOCK_REALTIME when sigkit saw it
  pid_t pid = 0;             ///< the receiving process
  pid_t tid = 0;             ///< the receiving thread (0: the process as a whole)
  std::string comm;          ///< the receiving thread's name
  int signo = 0;
  std::optional<int> code;  ///< si_code (none for a signal only seen pending)
  origin from = origin::unknown;
  std::optional<pid_t> sender_pid;            ///< si_pid where it names a process
  std::optional<uid_t> sender_uid;            ///< si_uid where it is meaningful
  std::optional<process_info> sender;         ///< read when the signal was seen; none: exited
  std::optional<process_info> sender_parent;  ///< the sender's parent, read at the same moment
  std::optional<int> value;                   ///< si_value (SI_QUEUE, SI_TIMER, SI_MESGQ)
  std::optional<std::uint64_t> address;  ///< si_addr (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP)
  std::optional<int> child_status;       ///< si_status (SIGCHLD)
  std::optional<int> fd;                 ///< si_fd (SIGIO/SIGPOLL with a POLL_* code)
  std::string hint;  ///< a few words on the likely cause ("a write to a broken pipe")
  outcome result = outcome::unknown;
  bool core = false;          ///< terminated: a core was dumped
  bool also_handled = false;  ///< continued: and a SIGCONT handler ran
  std::string detail;         ///< a few words on the outcome ("the process is stopped")
};

/// How a traced process ended (printed for the processes named on the command line and the
/// COMMAND, and for any followed process killed by a signal).
struct exit_record {
  std::int64_t time_ns = 0;
  pid_t pid = 0;
  std::string comm;
  std::optional<int> exit_code;
  int signo = 0;  ///< killed by this signal (0: exited)
  bool core = false;
};

/// The si_code's name: sigkit::code_name, plus the codes it leaves as numbers (TRAP_*, ILL_*,
/// FPE_*, SEGV_*, BUS_*, POLL_*, SYS_SECCOMP).
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string describe_code(int signo, int code);

/// True if the siginfo of (signo, code) carries a sending process in si_pid/si_uid.
/// Thread safety: safe. Signal safety: async-signal-safe.
bool code_names_sender(int signo, int code) noexcept;

/// True if si_addr is meaningful for (signo, code): a fault raised by the kernel.
/// Thread safety: safe. Signal safety: async-signal-safe.
bool code_has_address(int signo, int code) noexcept;

/// True if si_value is meaningful for this code (SI_QUEUE, SI_TIMER, SI_MESGQ).
/// Thread safety: safe. Signal safety: async-signal-safe.
bool code_has_value(int code) noexcept;

/// One line of text, without the newline:
/// `14:03:07.412905 4242 (server) SIGTERM SI_USER from 4250 (kill -TERM 4242) uid=0, child
/// of 4100 (bash) -> handled by a handler`.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string format_text(const signal_record& r);

/// `14:03:07.600012 4242 (server) killed by SIGTERM` / `exited with status 0`.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string format_text(const exit_record& r);

/// One JSON object on one line (no newline) with the same fields as the text; names and
/// command lines escaped as printable() does (as `status --json`), so always valid UTF-8.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string format_json(const signal_record& r);

/// The exit record as one JSON object on one line.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string format_json(const exit_record& r);

// ---- why ptrace was refused ------------------------------------------------------------------

/// What is known about a refused PTRACE_SEIZE.
struct ptrace_refusal {
  pid_t pid = 0;
  int error = 0;                     ///< errno of PTRACE_SEIZE
  bool launched = false;             ///< the process is sigkit's own child (trace -- COMMAND)
  std::optional<int> yama_scope;     ///< /proc/sys/kernel/yama/ptrace_scope
  std::optional<uid_t> target_uid;   ///< the target's real uid
  uid_t own_uid = 0;                 ///< sigkit's effective uid
  bool have_cap_sys_ptrace = false;  ///< sigkit's effective capabilities include it
  std::optional<pid_t> tracer_pid;   ///< the target's TracerPid, if not 0
  std::string tracer_comm;           ///< and its name
};

/// One line (no "sigkit: " prefix, no newline) saying why the process cannot be traced and
/// what to do about it.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string explain(const ptrace_refusal& r);

/// Fills a ptrace_refusal for `pid` and `error` from /proc.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none.
ptrace_refusal inspect_refusal(pid_t pid, int error, bool launched);

}  // namespace sigkit::cli::tracing
