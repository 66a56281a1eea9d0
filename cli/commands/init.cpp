// cli/commands/init.cpp - what `sigkit run --init` and the process-group model need beyond
// forwarding: the controlling terminal, orphaned process groups, a child subreaper, and
// signalling a process group without signalling sigkit itself.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "run_detail.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli::detail {

bool parse_proc_stat(std::string_view text, char& state, pid_t& pgrp) {
  const auto paren = text.rfind(')');
  if (paren == std::string_view::npos || paren + 2 >= text.size()) {
    return false;
  }
  std::string_view rest = text.substr(paren + 2);  // "S ppid pgrp ..."
  const char letter = rest.front();
  long fields[2] = {0, 0};
  for (long& field : fields) {
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) {
      return false;
    }
    rest.remove_prefix(space + 1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), field);
    if (ec != std::errc{}) {
      return false;
    }
  }
  if (fields[1] < 0 || fields[1] > INT_MAX) {
    return false;  // no process group: it was truncated to a pid_t (fuzz/proc_stat_fuzzer.cpp)
  }
  state = letter;
  pgrp = static_cast<pid_t>(fields[1]);
  return true;
}

namespace {

// From /proc/PID/stat: the state letter and the process group; false if unreadable.
bool read_state_and_group(pid_t pid, char& state, pid_t& pgrp) {
  const auto text = read_proc_file(fmt::format("/proc/{}/stat", pid));
  return text && parse_proc_stat(*text, state, pgrp);
}

int open_pidfd(pid_t pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

terminal::terminal() noexcept
    : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)) {}

terminal::~terminal() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

pid_t terminal::foreground_group() const noexcept { return fd_ >= 0 ? ::tcgetpgrp(fd_) : -1; }

bool terminal::is_foreground() const noexcept {
  return fd_ >= 0 && ::tcgetpgrp(fd_) == ::getpgrp();
}

bool terminal::give_to(pid_t pgrp) const noexcept {
  if (fd_ < 0) {
    return false;
  }
  sigset_t ttou;
  sigset_t old;
  ::sigemptyset(&ttou);
  ::sigaddset(&ttou, SIGTTOU);
  ::pthread_sigmask(SIG_BLOCK, &ttou, &old);
  int rc = 0;
  do {
    rc = ::tcsetpgrp(fd_, pgrp);
  } while (rc != 0 && errno == EINTR);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return rc == 0;
}

bool own_group_orphaned() noexcept {
  const pid_t parent = ::getppid();
  if (parent <= 0) {
    return true;  // PID 1 of a namespace: the parent is outside it
  }
  const pid_t parent_session = ::getsid(parent);
  const pid_t parent_group = ::getpgid(parent);
  if (parent_session < 0 || parent_group < 0) {
    return true;
  }
  return parent_session != ::getsid(0) || parent_group == ::getpgrp();
}

bool stops_by_default(pid_t pid, int signo) noexcept {
  try {
    const auto text = read_proc_file(fmt::format("/proc/{}/status", pid));
    if (!text) {
      return false;
    }
    const process_status status = parse_proc_status(*text);
    const std::uint64_t bit = std::uint64_t{1} << (signo - 1);
    return (status.caught & bit) == 0 && (status.ignored & bit) == 0;
  } catch (...) {
    return false;
  }
}

std::string process_name(pid_t pid) {
  auto text = read_proc_file(fmt::format("/proc/{}/comm", pid));
  if (!text) {
    return "?";
  }
  if (!text->empty() && text->back() == '\n') {
    text->pop_back();
  }
  return printable(*text);
}

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    throw cli_error(fmt::format("cannot become a child subreaper: {}", std::strerror(errno)),
                    exit_failure);
  }
}

int signal_group_except(pid_t pgrp, int signo, pid_t self) noexcept {
  int signalled = 0;
  const int passes = signo == SIGKILL ? 50 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    int found = 0;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), &::closedir);
    if (!dir) {
      return signalled;
    }
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string_view name(entry->d_name);
      long value = 0;
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
      if (ec != std::errc{} || end != name.data() + name.size() || value <= 0) {
        continue;
      }
      const auto pid = static_cast<pid_t>(value);
      char state = 0;
      pid_t group = 0;
      if (pid == self || !read_state_and_group(pid, state, group) || group != pgrp ||
          state == 'Z' || state == 'X') {
        continue;
      }
      // Pin the process, then check again that it is still the member we found.
      const int pidfd = open_pidfd(pid);
      if (pidfd < 0) {
        continue;
      }
      if (read_state_and_group(pid, state, group) && group == pgrp && state != 'Z' &&
          ::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0) == 0) {
        ++found;
        ++signalled;
      }
      ::close(pidfd);
    }
    if (found == 0) {
      break;
    }
    if (pass + 1 < passes) {
      ::usleep(1000);  // let the killed ones die before looking again
    }
  }
  return signalled;
}

}  // namespace sigkit::cli::detail
