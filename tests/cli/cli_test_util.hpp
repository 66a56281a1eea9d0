// tests/cli/cli_test_util.hpp - processes for the CLI tests: forks with watchdogs, pipes
// read with deadlines, and a "subject" process whose signal state the tests know.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sigkit_cli_test {

using std::chrono::milliseconds;

/// A forked process whose stdout and stderr are pipes (non-blocking read ends).
struct child_process {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  std::string out;  ///< what has been read from out_fd so far
  std::string err;  ///< what has been read from err_fd so far

  child_process() = default;
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&&) = delete;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// SIGKILLs and reaps the process if it is still running; closes the pipes.
  ~child_process();

  /// Reads both pipes until `needle` appears in `err` (or `out` if from_out), or the deadline.
  bool wait_for_text(std::string_view needle, milliseconds timeout, bool from_out = false);
  /// Reads both pipes to EOF and reaps the process; SIGKILLs it after `timeout`.
  /// Returns the raw wait status, or -1 if it had to be killed.
  int finish(milliseconds timeout = milliseconds(20000));
};

/// Forks; the child gets an alarm(watchdog_s) watchdog, its stdout/stderr go to pipes, and
/// it _exits with body()'s value (99 if body throws).
child_process spawn(const std::function<int()>& body, unsigned watchdog_s = 30);

/// Forks and execs argv (stdout/stderr to pipes).
child_process spawn_exec(const std::vector<std::string>& argv);

/// As spawn_exec(), running `before_exec` in the child first (to set up the signal state or
/// the file descriptors the program starts with). No watchdog: an alarm() would survive exec.
child_process spawn_exec_with(const std::vector<std::string>& argv,
                              const std::function<void()>& before_exec);

/// Forks, runs body in the child under an alarm() watchdog, waits; returns the wait status.
/// Unlike sigkit_test::run_in_child there is no watchdog thread, so signals sent to the
/// child cannot land in another thread.
int run_forked(const std::function<int()>& body, unsigned watchdog_s = 30);

/// A process with a known signal state, for `status`: SIGINT ignored; SIGUSR1 caught (sigkit
/// handler) but blocked in both threads; SIGUSR2 at SIG_DFL and blocked in the main thread but
/// not in the worker thread. Returns once it is set up. The destructor of child_process kills
/// it. (Under a sanitizer the process has more threads: the runtime's, which block everything.)
child_process start_status_subject();

/// True if `pid` is a zombie or gone.
bool is_zombie_or_gone(pid_t pid);

/// The number of zombie children of the calling process.
int count_zombie_children();

}  // namespace sigkit_cli_test
