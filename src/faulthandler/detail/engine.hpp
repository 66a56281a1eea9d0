// src/faulthandler/detail/engine.hpp - the crash reporter's normal-context machinery, shared
// by faulthandler.cpp, threads.cpp, later.cpp, terminate.cpp and environment.cpp.
#pragma once

#include <signal.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sigkit/faulthandler.hpp"

namespace sigkit::detail::fh {

/// Guards faulthandler's configuration (enable, disable, register_signal, ...).
std::mutex& config_mutex();

/// Holds the registry's hand-over lock (detail/action_keeper.hpp) while faulthandler takes
/// a signal's OS action or gives it back, so that no sigaction of the registry's is lost.
class os_action_guard {
 public:
  os_action_guard() noexcept;
  ~os_action_guard();
  os_action_guard(const os_action_guard&) = delete;
  os_action_guard& operator=(const os_action_guard&) = delete;
};

/// One-time set-up: signal names, the executable's path, the alternate-stack size, the
/// unwinder's warm-up, the internal signal's handler, the fork hook. Idempotent.
/// Errors: std::system_error if the internal signal's handler cannot be installed.
void ensure_engine();

/// std::system_error (EBADF) unless `fd` is an open file descriptor.
void check_fd(int fd, const char* function);

/// Publishes `action` as the action beneath faulthandler's own for `signo` (the handlers
/// read it without locks; see beneath_action).
void set_beneath(int signo, const struct sigaction& action) noexcept;

/// True if `action` is `handler` installed with SA_SIGINFO.
bool installs(const struct sigaction& action, void (*handler)(int, siginfo_t*, void*)) noexcept;

/// Sends every other existing thread an arm request and waits (bounded) for their answers.
void arm_existing_threads();

/// The thread ids of the process, from /proc/self/task.
std::vector<int> list_threads();

/// std::terminate hook: records the exception's type and what(), then the previous handler.
void install_terminate_hook();
void remove_terminate_hook();

/// The dump_traceback_later watchdog after fork (the child has no such thread).
void forget_watchdog_after_fork() noexcept;

/// SIGKIT_FAULTHANDLER's words; unknown ones (other than 1/on/yes/true) are collected.
sigkit::faulthandler::options parse_environment_value(std::string_view value,
                                                      std::vector<std::string>* unknown);

}  // namespace sigkit::detail::fh
