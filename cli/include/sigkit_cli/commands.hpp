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

namespace sigkit::cli {

/// Exit statuses of the tool (the conventions of timeout(1) and env(1)).
inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;         ///< a reported error (no such process, bad value)
inline constexpr int exit_usage = 2;         ///< the command line could not be parsed
inline constexpr int exit_timed_out = 124;   ///< wait/run: the timeout fired
inline constexpr int exit_failure = 125;     ///< run: sigkit itself failed
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

// ---- parsing helpers ------------------------------------------------------------------------

/// "1.5" (seconds), "500ms", "2s", "1m", "1h", "1d", "250us". Errors: cli_error for anything
/// else, a negative, NaN or infinite value.
std::chrono::duration<double> parse_duration(std::string_view text);

/// "TERM", "SIGTERM", "term", "15", "RTMIN+2". Errors: cli_error for an unknown signal.
signum parse_signal(std::string_view text);

/// A comma-separated list of signals ("INT,TERM,USR1"); "" or "none" is the empty list.
std::vector<int> parse_signal_list(std::string_view text);

/// A process id > 0. Errors: cli_error.
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
};
/// Sends the signal to every pid through a pidfd (or sigqueue with a value). Signal "0" only
/// checks that each process exists and may be signalled. Reports each failure on `err` and
/// returns 1 if any failed.
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

// ---- run ------------------------------------------------------------------------------------

struct run_options {
  std::optional<std::string> timeout;  ///< none or "0": no timeout
  std::string signal = "TERM";         ///< sent when the timeout fires
  std::string grace = "5s";            ///< then SIGKILL after this long
  std::optional<std::string> forward;  ///< comma-separated; none: the default set
  std::vector<std::string> command;    ///< COMMAND ARG...
};

/// How the supervised child ended.
struct run_outcome {
  int exit_code = 0;       ///< the status sigkit should exit with (when signal == 0)
  int signal = 0;          ///< the child died by this signal (and the timeout did not fire)
  bool timed_out = false;  ///< the timeout fired (exit_code is then 124)
  bool killed = false;     ///< SIGKILL was sent (after the grace period or a second INT/TERM)
};

/// The signals `run` forwards by default: INT, TERM, HUP, QUIT, USR1, USR2, WINCH.
std::vector<int> default_forwarded_signals();

/// Runs the command as a child, forwards signals, enforces the timeout, reaps every child,
/// restores the dispositions it changed, and reports how the child ended. Main thread only.
run_outcome run_child(const run_options& options, std::ostream& err);

/// run_child(), then ends the way the child did: exits with its code, or dies by its signal.
int run_command(const run_options& options, std::ostream& err);

// ---- the whole tool -------------------------------------------------------------------------

/// Parses argv and runs the command; returns the exit status (never throws).
int run_app(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace sigkit::cli
