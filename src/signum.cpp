// signum: names, parsing and descriptions, over the port's signal catalogue
// (detail/platform.hpp: posix/signum_posix.cpp, windows/signum_windows.cpp).
#include "sigkit/signum.hpp"

#include <stdexcept>
#include <string>

#include "detail/platform.hpp"
#include "detail/util.hpp"

namespace sigkit {
namespace {

const detail::signal_name* find_number(int n) noexcept {
  for (const auto& s : detail::canonical_signal_names()) {
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
  if (const detail::signal_name* s = find_number(n_)) return std::string("SIG") + s->name;
  int lo = 0;
  int hi = -1;
  if (detail::realtime_range(lo, hi) && n_ >= lo && n_ <= hi) {
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
  for (const auto& s : detail::canonical_signal_names()) {
    if (rest == s.name) return signum(s.number);
  }
  for (const auto& s : detail::signal_name_aliases()) {
    if (rest == s.name) return signum(s.number);
  }
  int lo = 0;
  int hi = -1;
  const bool realtime = detail::realtime_range(lo, hi);
  if (realtime && (rest.substr(0, 5) == "RTMIN" || rest.substr(0, 5) == "RTMAX")) {
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
  return detail::signal_description(signalnum);
}

}  // namespace sigkit
