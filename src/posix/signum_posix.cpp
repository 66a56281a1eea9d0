// signum_posix: the POSIX port's signal catalogue (glibc's names and numbers, the real-time
// range, strsignal(3)) and the default actions, which only the POSIX port has.
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "detail/platform.hpp"
#include "sigkit/signum.hpp"

namespace sigkit {
namespace {

struct named_signal {
  int number;
  const char* name;  // without "SIG"
  default_action action;
};

// Canonical names first; aliases (IOT, CLD, POLL) only parse.
constexpr std::array kSignals{
    named_signal{SIGHUP, "HUP", default_action::terminate},
    named_signal{SIGINT, "INT", default_action::terminate},
    named_signal{SIGQUIT, "QUIT", default_action::core},
    named_signal{SIGILL, "ILL", default_action::core},
    named_signal{SIGTRAP, "TRAP", default_action::core},
    named_signal{SIGABRT, "ABRT", default_action::core},
    named_signal{SIGBUS, "BUS", default_action::core},
    named_signal{SIGFPE, "FPE", default_action::core},
    named_signal{SIGKILL, "KILL", default_action::terminate},
    named_signal{SIGUSR1, "USR1", default_action::terminate},
    named_signal{SIGSEGV, "SEGV", default_action::core},
    named_signal{SIGUSR2, "USR2", default_action::terminate},
    named_signal{SIGPIPE, "PIPE", default_action::terminate},
    named_signal{SIGALRM, "ALRM", default_action::terminate},
    named_signal{SIGTERM, "TERM", default_action::terminate},
#ifdef SIGSTKFLT
    named_signal{SIGSTKFLT, "STKFLT", default_action::terminate},
#endif
    named_signal{SIGCHLD, "CHLD", default_action::ignore},
    named_signal{SIGCONT, "CONT", default_action::cont},
    named_signal{SIGSTOP, "STOP", default_action::stop},
    named_signal{SIGTSTP, "TSTP", default_action::stop},
    named_signal{SIGTTIN, "TTIN", default_action::stop},
    named_signal{SIGTTOU, "TTOU", default_action::stop},
    named_signal{SIGURG, "URG", default_action::ignore},
    named_signal{SIGXCPU, "XCPU", default_action::core},
    named_signal{SIGXFSZ, "XFSZ", default_action::core},
    named_signal{SIGVTALRM, "VTALRM", default_action::terminate},
    named_signal{SIGPROF, "PROF", default_action::terminate},
    named_signal{SIGWINCH, "WINCH", default_action::ignore},
    named_signal{SIGIO, "IO", default_action::terminate},
#ifdef SIGPWR
    named_signal{SIGPWR, "PWR", default_action::terminate},
#endif
    named_signal{SIGSYS, "SYS", default_action::core},
};

constexpr std::array kAliases{
    named_signal{SIGABRT, "IOT", default_action::core},
    named_signal{SIGCHLD, "CLD", default_action::ignore},
    named_signal{SIGIO, "POLL", default_action::terminate},
};

// The catalogue as detail/platform.hpp hands it to signum.cpp (names without actions).
template <std::size_t N>
constexpr std::array<detail::signal_name, N> names_of(const std::array<named_signal, N>& table) {
  std::array<detail::signal_name, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = {table[i].number, table[i].name};
  return names;
}
constexpr auto kSignalNames = names_of(kSignals);
constexpr auto kAliasNames = names_of(kAliases);

}  // namespace

namespace detail {

std::span<const signal_name> canonical_signal_names() noexcept { return kSignalNames; }

std::span<const signal_name> signal_name_aliases() noexcept { return kAliasNames; }

bool realtime_range(int& lo, int& hi) noexcept {
  lo = SIGRTMIN;
  hi = SIGRTMAX;
  return true;
}

std::optional<std::string> signal_description(int signo) {
  const int saved = errno;
  errno = 0;
  const char* text = ::strsignal(signo);
  const int err = errno;
  errno = saved;
  if (err != 0 || text == nullptr || std::strstr(text, "Unknown signal") != nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

bool can_be_caught(int signo) noexcept { return signo != SIGKILL && signo != SIGSTOP; }

bool is_reserved_number(int signo) noexcept { return signo > SIGSYS && signo < SIGRTMIN; }

}  // namespace detail

default_action default_action_of(signum s) noexcept {
  for (const auto& n : kSignals) {
    if (n.number == s.number()) return n.action;
  }
  return default_action::terminate;  // real-time and reserved signals terminate
}

const char* to_string(default_action a) noexcept {
  switch (a) {
    case default_action::terminate:
      return "term";
    case default_action::core:
      return "core";
    case default_action::stop:
      return "stop";
    case default_action::cont:
      return "cont";
    case default_action::ignore:
      return "ignore";
  }
  return "term";
}

}  // namespace sigkit
