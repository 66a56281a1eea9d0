// cli/commands/run_detail.hpp - private helpers of `sigkit run` (run.cpp) for process groups,
// the controlling terminal and `--init` (init.cpp). Not installed.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace sigkit::cli::detail {

/// The state letter and the process group from the text of /proc/PID/stat; false if it is
/// malformed. The name field (in parentheses) may hold anything, so the fields are read after
/// the last ')'. Thread safety: safe. Signal safety: not async-signal-safe.
bool parse_proc_stat(std::string_view text, char& state, pid_t& pgrp);

/// The controlling terminal (/dev/tty), if the process has one.
/// Thread safety: one object per thread. Signal safety: not async-signal-safe.
class terminal {
 public:
  terminal() noexcept;
  ~terminal();
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;

  /// The terminal's fd (close-on-exec), or -1 when there is none.
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// The terminal's foreground process group, or -1.
  [[nodiscard]] pid_t foreground_group() const noexcept;
  /// True if the calling process's group is the terminal's foreground group.
  [[nodiscard]] bool is_foreground() const noexcept;
  /// Makes `pgrp` the foreground group with SIGTTOU blocked, so that a caller in the
  /// background is not stopped by it (as shells do). Errors: ignored (false).
  bool give_to(pid_t pgrp) const noexcept;

 private:
  int fd_ = -1;
};

/// True if the calling process's process group is orphaned (POSIX: no member has a parent in
/// another group of the same session): the kernel then discards SIGTSTP, SIGTTIN and SIGTTOU
/// whose action is the default, and nobody can resume a stopped member but an explicit
/// SIGCONT. Checks the caller's parent, the one member whose parent can be outside the group.
/// Thread safety: safe. Signal safety: not async-signal-safe.
bool own_group_orphaned() noexcept;

/// True if `signo` would stop `pid` by its default action: neither caught nor ignored there
/// (read from /proc/PID/status). False if that cannot be read.
bool stops_by_default(pid_t pid, int signo) noexcept;

/// The name of process `pid` (/proc/PID/comm, readable for a zombie too), made printable;
/// "?" if it is gone.
std::string process_name(pid_t pid);

/// Makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned
/// descendants are reparented to it instead of to init. Errors: cli_error (exit_failure).
void become_subreaper();

/// Sends `signo` to every live member of process group `pgrp` except `self`, each through a
/// pidfd opened after the member was found (no pid reuse race). With SIGKILL it looks again
/// until no live member is left (bounded): a member that forks meanwhile cannot escape.
/// Used for the signals that would stop or kill sigkit itself, which a kill(0, ...) reaches.
/// Returns the number of members signalled. Thread safety: safe.
int signal_group_except(pid_t pgrp, int signo, pid_t self) noexcept;

}  // namespace sigkit::cli::detail
