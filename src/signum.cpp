// signum: names, parsing, descriptions and default actions.
#include "sigkit/signum.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "detail/util.hpp"

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

const named_signal* find_number(int n) noexcept {
  for (const auto& s : kSignals) {
    if (s.number == n) return &s;
  }
  return nullptr;
}

[[noreturn]] void bad_name(std::string_view text) {
  throw std::invalid_argument("unknown signal name: \"" + std::string(text) + "\"");
}

// Parses a non-empty run of decimal digits (no sign, no space); false on anything else.
bool parse_decimal(std::string_view digits, int& out) noexcept {
  if (digits.empty() || digits.size() > 9) return false;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace

signum::signum(int n) : n_(n) {
  if (n < 1 || n >= NSIG) {
    throw std::invalid_argument("signal number " + std::to_string(n) + " out of range [1; " +
                                std::to_string(NSIG - 1) + "]");
  }
}

std::string signum::name() const {
  if (const named_signal* s = find_number(n_)) return std::string("SIG") + s->name;
  const int lo = SIGRTMIN;
  const int hi = SIGRTMAX;
  if (n_ >= lo && n_ <= hi) {
    // As `kill -l` prints them: the lower half counts up from SIGRTMIN, the rest down from
    // SIGRTMAX.
    if (n_ == lo) return "SIGRTMIN";
    if (n_ == hi) return "SIGRTMAX";
    if (n_ - lo <= (hi - lo) / 2) return "SIGRTMIN+" + std::to_string(n_ - lo);
    return "SIGRTMAX-" + std::to_string(hi - n_);
  }
  return "SIG" + std::to_string(n_);
}

signum signum::from_name(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  std::string_view rest = upper;
  int number = 0;
  if (parse_decimal(rest, number)) {
    if (number < 1 || number >= NSIG) bad_name(text);
    return signum(number);
  }
  if (rest.substr(0, 3) == "SIG") rest.remove_prefix(3);
  for (const auto& s : kSignals) {
    if (rest == s.name) return signum(s.number);
  }
  for (const auto& s : kAliases) {
    if (rest == s.name) return signum(s.number);
  }
  const int lo = SIGRTMIN;
  const int hi = SIGRTMAX;
  if (rest.substr(0, 5) == "RTMIN" || rest.substr(0, 5) == "RTMAX") {
    const bool from_min = rest[4] == 'N';
    std::string_view offset = rest.substr(5);
    int k = 0;
    if (offset.empty()) return signum(from_min ? lo : hi);
    if (offset.front() != (from_min ? '+' : '-') || !parse_decimal(offset.substr(1), k) ||
        k > hi - lo) {
      bad_name(text);
    }
    return signum(from_min ? lo + k : hi - k);
  }
  // "SIG32": the names that name() gives the numbers without a name of their own.
  if (upper.substr(0, 3) == "SIG" && parse_decimal(rest, number) && number >= 1 && number < NSIG &&
      rest.front() != '0' && !find_number(number) && !(number >= lo && number <= hi)) {
    return signum(number);
  }
  bad_name(text);
}

std::optional<std::string> strsignal(int signalnum) {
  detail::check_signal_range(signalnum);
  const int saved = errno;
  errno = 0;
  const char* text = ::strsignal(signalnum);
  const int err = errno;
  errno = saved;
  if (err != 0 || text == nullptr || std::strstr(text, "Unknown signal") != nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

default_action default_action_of(signum s) noexcept {
  if (const named_signal* n = find_number(s.number())) return n->action;
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
