// sigkit_cli/commands.hpp - the commands of the `sigkit` tool as testable functions.
//
// main.cpp is a thin shell over run_app(); every command is a plain function that takes its
// parsed options and the streams to write to, and returns the process exit status, so the
// tests can call it in-process. Errors the user should see are thrown as cli_error and
// reported by run_app() as one line on stderr.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sigkit/signum.hpp"
#include "sigkit_cli/crash_commands.hpp"  // faulthandler, symbolize

namespace sigkit::cli {

/// Exit statuses of the tool. `run` and `timeout` follow timeout(1): 125 for their own errors,
/// usage errors included; the other commands exit 2 for a command line they cannot use (an
/// unknown option, a value that does not parse) and 1 for an error at run time.
inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;         ///< a runtime error (no such process, write error)
inline constexpr int exit_usage = 2;         ///< the command line could not be used
inline constexpr int exit_timed_out = 124;   ///< wait/run: the timeout fired
inline constexpr int exit_failure = 125;     ///< run/timeout: sigkit itself failed or was misused
inline constexpr int exit_cannot_run = 126;  ///< run: COMMAND found but not executable
inline constexpr int exit_not_found = 127;   ///< run: COMMAND not found

/// An error for the user: run_app() prints "sigkit: <what>" on stderr and exits with code().
class cli_error : public std::runtime_error {
 public:
  explicit cli_error(const std::string& what, int code = exit_error)
      : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

// ---- text from outside ------------------------------------------------------------------

/// `text` in single quotes for an error message, with control characters, bytes that are not
/// UTF-8, C1 and bidirectional controls, quotes and backslashes escaped (\n, \x1b, \u{202e},
/// \', \\): it stays on one line and cannot forge a second message or drive the terminal.
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string quote(std::string_view text);

/// `text` with the same escapes as quote() but no quotes and backslashes kept: for names the
/// system gives (a process name from /proc, which the kernel already escapes with
/// backslashes), printed as text or put in JSON (every result is valid UTF-8).
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::string printable(std::string_view text);

/// Writes "sigkit: <message>" on `err` as one line (control characters escaped) and flushes.
/// Thread safety: as the stream. Signal safety: not async-signal-safe.
void print_error(std::ostream& err, std::string_view message);

// ---- parsing helpers ------------------------------------------------------------------------
// Every helper throws cli_error with code exit_usage for text it cannot use.

/// Which spelling of a duration is accepted: all share the numbers (decimal with an optional
/// exponent, hexadecimal floats, "inf") and the units s, m, h, d.
enum class duration_syntax {
  sigkit,   ///< wait, status: also ms and us; no sign, no leading space
  run,      ///< run: timeout's spelling (leading space, a sign, the locale's decimal point;
            ///< "-0" is 0) plus ms and us
  timeout,  ///< `sigkit timeout`: exactly what GNU timeout accepts
};

/// A parsed duration: exact nanoseconds (rounded up, so a positive value is never 0), or
/// "forever" for a value too large to represent (above about 292 years, or inf).
struct duration_value {
  std::chrono::nanoseconds ns{0};
  bool forever = false;
  /// True for a zero duration (timeout(1): no timeout).
  [[nodiscard]] bool zero() const noexcept { return !forever && ns.count() == 0; }
  /// In seconds; +inf for forever.
  [[nodiscard]] std::chrono::duration<double> seconds() const noexcept;
  friend bool operator==(const duration_value&, const duration_value&) = default;
};

/// "1.5" (seconds), "500ms", "2s", "1m", "1h", "1d", "250us", "1e-3", "2.34e+5d", "0x1p3".
/// Errors: cli_error (exit_usage) for anything else, a negative value or NaN.
/// Thread safety: safe. Signal safety: not async-signal-safe.
duration_value parse_duration(std::string_view text,
                              duration_syntax syntax = duration_syntax::sigkit);

/// A decimal integer in [min, max], with an optional sign; leading zeros are allowed ("007" is
/// 7, never octal). `what` names it in the error ("invalid count 'x' ...").
long long parse_integer(std::string_view text, long long min, long long max, std::string_view what);

/// "TERM", "SIGTERM", "term", "15", "RTMIN+2". Leading zeros are allowed in every number
/// ("0000000002", "SIG032", "RTMIN+02"). Errors: cli_error for an unknown signal.
signum parse_signal(std::string_view text);

/// As parse_signal(), and "0" (any number of zeros) for signal 0, which sends nothing.
int parse_signal_or_zero(std::string_view text);

/// A signal as GNU timeout's -s reads it (coreutils operand2sig): a name in any case with or
/// without SIG, RTMIN+n / RTMAX-n, EXIT or 0 for signal 0, or a number; a number above 128 is
/// read as a shell exit status (137 is KILL). Returns 0..NSIG-1.
int parse_timeout_signal(std::string_view text);

/// A comma-separated list of signals ("INT,TERM,USR1"); "" or "none" is the empty list.
std::vector<int> parse_signal_list(std::string_view text);

/// A process id > 0 (leading zeros allowed). Errors: cli_error.
pid_t parse_pid(std::string_view text);

/// A hexadecimal signal mask as in /proc/PID/status ("0000000000004002", "0x4002").
/// Bit n-1 stands for signal n. Errors: cli_error.
std::uint64_t parse_mask(std::string_view text);

/// The signal numbers in `mask`, ascending.
std::vector<int> mask_signals(std::uint64_t mask);

/// The canonical names in `mask` separated by spaces ("SIGINT SIGTERM"), or "-" when empty.
std::string mask_names(std::uint64_t mask);

/// The canonical name of a signal number ("SIGINT", "SIGRTMIN+2", "SIG32").
std::string signal_name(int signo);

// ---- list -----------------------------------------------------------------------------------

struct list_options {
  std::vector<std::string> signals;  ///< empty: every valid signal
  bool json = false;
};
/// Prints number, name, default action and description of each signal. JSON: an array of
/// {"number", "name", "action", "description"} objects.
int list_command(const list_options& options, std::ostream& out);

// ---- status / decode ------------------------------------------------------------------------

/// One thread's view, from /proc/PID/task/TID/status.
struct thread_status {
  pid_t tid = 0;
  std::string name;
  std::uint64_t pending = 0;  ///< SigPnd: pending for this thread only
  std::uint64_t blocked = 0;  ///< SigBlk
};

/// What /proc/PID/status says about signals.
struct process_status {
  pid_t pid = 0;
  std::string name;
  std::uint64_t pending = 0;           ///< SigPnd (of the thread the file describes)
  std::uint64_t shared_pending = 0;    ///< ShdPnd: pending for the whole process
  std::uint64_t blocked = 0;           ///< SigBlk (of the thread the file describes)
  std::uint64_t ignored = 0;           ///< SigIgn
  std::uint64_t caught = 0;            ///< SigCgt
  std::vector<thread_status> threads;  ///< every thread (read_process_status fills it)
};

/// The whole text of a /proc (or any small) file, or nullopt (errno set) if it cannot be read.
/// Thread safety: safe. Signal safety: not async-signal-safe. Errors: none (nullopt).
std::optional<std::string> read_proc_file(const std::string& path);

/// Parses the text of a /proc/PID/status file (fields it lacks stay 0). Errors: cli_error
/// for a malformed signal mask.
process_status parse_proc_status(std::string_view text);

/// Reads /proc/PID/status and the status of every thread in /proc/PID/task.
/// Errors: cli_error ("no such process: 123", "cannot read ...: Permission denied").
process_status read_process_status(pid_t pid);

/// One finding of `sigkit status`, in plain words.
struct diagnosis {
  std::string kind;  ///< "caught-but-blocked", "blocked-in-some-threads", "ignored", "pending",
                     ///< "pending-long"
  int signo = 0;
  std::string message;
};

/// What a person debugging would want to know about `now`. `earlier`, if given, is a sample
/// taken a little before: a signal pending in both has been pending all that while.
std::vector<diagnosis> diagnose(const process_status& now, const process_status* earlier = nullptr,
                                std::chrono::duration<double> interval = {});

/// The JSON object that `sigkit status --json` prints for one process (one element of its
/// array): pid, name, thread_count, the names in each mask, "masks" (each in hex as in /proc),
/// "threads" (only if `with_threads`) and "diagnoses".
std::string status_json_text(const process_status& status, const std::vector<diagnosis>& findings,
                             bool with_threads);

struct status_options {
  std::vector<std::string> pids;  ///< empty: the parent process (the shell)
  bool threads = false;
  bool json = false;
  std::string sample = "0.2s";  ///< the interval between the two samples; "0" samples once
};
/// Decodes the signal state of each process and prints the diagnoses. JSON: an array with
/// one object per process. A process that cannot be read is reported on `err` (exit 1).
int status_command(const status_options& options, std::ostream& out, std::ostream& err);

struct decode_options {
  std::string mask;
  bool json = false;
};
/// Prints the signals in a raw hexadecimal mask, one "NUMBER NAME" per line.
int decode_command(const decode_options& options, std::ostream& out);

// ---- send -----------------------------------------------------------------------------------

struct send_options {
  std::string signal;
  std::vector<std::string> pids;
  std::optional<int> value;  ///< queue with this payload (sigqueue) instead of a pidfd send
  bool json = false;         ///< print a JSON array: one object per pid, failures included
};
/// Sends the signal to every pid through a pidfd (or sigqueue with a value). Signal "0" only
/// checks that each process exists and may be signalled. Reports each failure on `err` and
/// returns 1 if any failed. JSON: an array of {"pid", "signal", "number", "value", "method",
/// "ok", "error"} objects, in the order of the pids ("signal" is null for signal 0).
int send_command(const send_options& options, std::ostream& out, std::ostream& err);

// ---- wait -----------------------------------------------------------------------------------

struct wait_options {
  std::vector<std::string> signals;
  std::optional<std::string> timeout;  ///< none: wait forever
  int count = 1;
  bool json = false;
};
/// Blocks the signals in the calling thread (call it before any thread exists), prints
/// "ready pid=<pid>" on `err`, then one line per received signal on `out`. Returns 0 after
/// `count` signals, 124 if the timeout expires first.
int wait_command(const wait_options& options, std::ostream& out, std::ostream& err);

// ---- run / timeout ----------------------------------------------------------------------

struct run_options {
  std::optional<std::string> timeout;  ///< none or "0": no timeout
  std::string signal = "TERM";         ///< -s: sent when the timeout fires; "0" sends nothing
  std::string grace = "5s";            ///< -k/--kill-after/--grace: then KILL; "0": never
  std::optional<std::string> forward;  ///< comma-separated; none: the default set
  bool preserve_status = false;        ///< -p: the command's status even after a timeout
  bool foreground = false;             ///< -f: no process group; signal the command only
  bool verbose = false;                ///< -v: report every signal sent (and orphans reaped)
  bool json = false;                   ///< print one final JSON record on stdout
  bool init = false;                   ///< --init: a container's PID 1 (reap, forward all)
  bool group = false;                  ///< -g with --init: the command in its own group
  /// `sigkit timeout`: timeout(1)'s exact rules where `run` deliberately differs (durations
  /// and -s as timeout reads them; any forwarded signal starts the KILL countdown and is
  /// followed by CONT).
  bool gnu_timeout = false;
  std::vector<std::string> command;  ///< COMMAND ARG...
};

/// How the supervised command ended, and how sigkit should end.
struct run_outcome {
  pid_t pid = 0;                            ///< the command's process id
  std::optional<int> child_exit;            ///< its exit code, if it exited
  int child_signal = 0;                     ///< the signal that ended it, if one did
  bool core_dumped = false;                 ///< it dumped core
  bool timed_out = false;                   ///< the timeout fired
  bool killed = false;                      ///< sigkit sent SIGKILL
  std::chrono::duration<double> elapsed{};  ///< from start to reaping
  int exit_code = 0;                        ///< what sigkit exits with (timeout(1)'s rules)
  int die_signal = 0;  ///< nonzero: sigkit should end by this signal instead (the command died
                       ///< by it and the timeout did not fire); exit_code is then 128 + it
};

/// The signals `run` forwards by default: every signal whose default action ends a process
/// (HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE TERM STKFLT XCPU XFSZ VTALRM PROF
/// IO PWR SYS and the real-time signals, as timeout(1)), and WINCH. SIGALRM is not in it:
/// sent to sigkit it fires the timeout at once, as with timeout(1). With --init: every signal
/// but KILL, STOP, CHLD, TTIN, TTOU and the C library's reserved ones.
std::vector<int> default_forwarded_signals(bool init = false);

/// Runs the command as a child, forwards signals, enforces the timeout, reaps every child,
/// restores the dispositions and mask it changed, and reports how the child ended. Main
/// thread only. Errors: cli_error (exit_usage for bad options, exit_failure if it cannot
/// start the child).
run_outcome run_child(const run_options& options, std::ostream& err);

/// run_child(), then the JSON record if asked, then ends the way the child did: returns the
/// exit status, or dies by the child's signal (exits 128 + N where that cannot work: PID 1).
int run_command(const run_options& options, std::ostream& out, std::ostream& err);

/// The command line of `sigkit timeout` (`args` follows "timeout") as the options run_command()
/// takes, with GNU timeout's exact grammar (getopt_long "+fk:ps:v"); nullopt after printing
/// --help or --version on `out`. Starts nothing. Thread safety: safe. Signal safety: not
/// async-signal-safe. Errors: cli_error for a usage error (run_app exits 125 for it, as
/// timeout(1) does).
std::optional<run_options> parse_timeout_args(const std::vector<std::string>& args,
                                              std::ostream& out);

/// `sigkit timeout [OPTION]... DURATION COMMAND [ARG]...` with GNU timeout's exact grammar
/// (getopt_long "+fk:ps:v", --help, --version); `args` follows "timeout". Returns the exit
/// status (125 for a usage error) or dies as run_command() does.
int timeout_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// ---- trace ----------------------------------------------------------------------------------

struct trace_options {
  std::vector<std::string> pids;       ///< processes to attach to (every thread of each)
  std::vector<std::string> command;    ///< or COMMAND ARG... to start under trace
  bool follow = false;                 ///< -f: also children (fork, vfork, clone)
  bool json = false;                   ///< one JSON object per line
  std::optional<std::string> signals;  ///< --signal LIST: only these (or "!LIST": all but)
  std::optional<std::string> output;   ///< -o FILE: the records go there instead of `out`
};

/// How `trace -- COMMAND` ended (for PIDs: exit_code 0, signal 0).
struct trace_outcome {
  int exit_code = 0;  ///< the status sigkit should exit with (when signal == 0)
  int signal = 0;     ///< the command died by this signal
};

/// Attaches with PTRACE_SEIZE to every thread of each PID (or starts COMMAND traced), prints
/// one record per signal delivered (text or JSON lines) until the targets end or sigkit gets
/// INT/TERM/HUP/QUIT (PIDs: detach, leaving them running; COMMAND: these and USR1, USR2 and
/// WINCH are passed on to it), then detaches. Main thread only; the calling process must have
/// no other children.
/// Errors: cli_error (no such process, ptrace refused, with the reason and what to do).
trace_outcome trace_session(const trace_options& options, std::ostream& out, std::ostream& err);

/// trace_session(), then ends the way the command did (exit code, or death by its signal).
int trace_command(const trace_options& options, std::ostream& out, std::ostream& err);

// ---- the whole tool -------------------------------------------------------------------------

/// Parses argv and runs the command; returns the exit status (never throws).
int run_app(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace sigkit::cli
