// signum_windows: the Windows port's signal catalogue: the C runtime's seven signals, no
// aliases, no real-time signals, and Python's fixed strsignal() table (Windows has no
// strsignal(3)).
#include <array>
#include <csignal>
#include <optional>
#include <span>
#include <string>

#include "detail/platform.hpp"

namespace sigkit::detail {
namespace {

constexpr std::array kSignalNames{
    signal_name{SIGINT, "INT"},   signal_name{SIGILL, "ILL"},   signal_name{SIGFPE, "FPE"},
    signal_name{SIGSEGV, "SEGV"}, signal_name{SIGTERM, "TERM"}, signal_name{SIGBREAK, "BREAK"},
    signal_name{SIGABRT, "ABRT"},
};

}  // namespace

std::span<const signal_name> canonical_signal_names() noexcept { return kSignalNames; }

std::span<const signal_name> signal_name_aliases() noexcept { return {}; }

bool realtime_range(int& lo, int& hi) noexcept {
  lo = 0;
  hi = -1;
  return false;
}

std::optional<std::string> signal_description(int signo) {
  // CPython's table for platforms without strsignal(3), its Windows rows (SIGBREAK has none).
  switch (signo) {
    case SIGINT:
      return "Interrupt";
    case SIGILL:
      return "Illegal instruction";
    case SIGABRT:
      return "Aborted";
    case SIGFPE:
      return "Floating-point exception";
    case SIGSEGV:
      return "Segmentation fault";
    case SIGTERM:
      return "Terminated";
    default:
      return std::nullopt;
  }
}

bool can_be_caught(int /*signo*/) noexcept { return true; }

bool is_reserved_number(int /*signo*/) noexcept { return false; }

}  // namespace sigkit::detail
