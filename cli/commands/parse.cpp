// cli/commands/parse.cpp - durations, signals, pids and masks as the user types them.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// One rule for numbers in signal names: leading zeros are allowed, any number of them, in a
// bare number ("0000000002"), after "SIG" ("SIG032") and after RTMIN+ / RTMAX- ("RTMIN+02").
// sigkit::signum::from_name takes at most nine digits and no leading zero after "SIG"; this
// strips the zeros first so that the rule holds whatever the length.
std::string strip_leading_zeros(std::string_view text) {
  std::size_t digits = text.size();
  while (digits > 0 && is_digit(text[digits - 1])) {
    --digits;
  }
  if (digits == text.size()) {
    return std::string(text);
  }
  const std::string_view prefix = text.substr(0, digits);
  const bool after_sig = prefix.size() == 3 && upper(prefix[0]) == 'S' && upper(prefix[1]) == 'I' &&
                         upper(prefix[2]) == 'G';
  if (!prefix.empty() && prefix.back() != '+' && prefix.back() != '-' && !after_sig) {
    return std::string(text);  // "USR01" is no signal
  }
  std::size_t first = digits;
  while (first + 1 < text.size() && text[first] == '0') {
    ++first;
  }
  return std::string(prefix) + std::string(text.substr(first));
}

[[noreturn]] void unknown_signal(std::string_view text) {
  throw cli_error(fmt::format("unknown signal {} (see 'sigkit list')", quote(text)), exit_usage);
}

// strtol(3) on what follows RTMIN/RTMAX in gnulib's str2sig: optional space, optional sign,
// digits; false if it does not use the whole rest ("" counts as 0, as there).
bool strtol_rest(std::string_view rest, long& value) {
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || (rest[i] >= '\t' && rest[i] <= '\r'))) {
    ++i;
  }
  bool negative = false;
  if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) {
    negative = rest[i] == '-';
    ++i;
  }
  const std::size_t first_digit = i;
  long v = 0;
  while (i < rest.size() && is_digit(rest[i])) {
    if (v < 100000) {
      v = v * 10 + (rest[i] - '0');
    }
    ++i;
  }
  if (i == first_digit) {
    value = 0;
    return rest.empty();  // no digits: strtol ends where it started
  }
  value = negative ? -v : v;
  return i == rest.size();
}

}  // namespace

signum parse_signal(std::string_view text) {
  try {
    return signum::from_name(strip_leading_zeros(text));
  } catch (const std::invalid_argument&) {
    unknown_signal(text);
  }
}

int parse_signal_or_zero(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; })) {
    return 0;
  }
  return parse_signal(text).number();
}

int parse_timeout_signal(std::string_view text) {
  // coreutils' operand2sig: a number (an exit status above 128 or 255 names its signal, as
  // `kill -l 137` does), else a name with or without SIG in any case; 0 and EXIT are signal 0.
  constexpr long kBound = NSIG - 1;
  long signo = -1;
  if (!text.empty() && is_digit(text.front())) {
    long v = 0;
    bool overflow = false;
    std::size_t i = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (v > (LONG_MAX - 9) / 10) {
        overflow = true;
      } else {
        v = v * 10 + (text[i] - '0');
      }
      ++i;
    }
    if (i == text.size() && !overflow && v <= INT_MAX) {
      signo = v & (v >= 0xff ? 0xff : 0x7f);
    }
  } else {
    std::string name(text);
    for (char& c : name) {
      c = upper(c);
    }
    const auto str2sig = [&](std::string_view s) -> long {
      if (s.empty()) {
        return -1;
      }
      if (is_digit(s.front())) {
        long v = 0;
        return strtol_rest(s, v) && v >= 0 && v <= kBound ? v : -1;
      }
      if (s == "EXIT") {
        return 0;
      }
      if (s.substr(0, 5) == "RTMIN" || s.substr(0, 5) == "RTMAX") {
        long k = 0;
        if (!strtol_rest(s.substr(5), k)) {
          return -1;
        }
        if (s[4] == 'N') {
          return k >= 0 && k <= SIGRTMAX - SIGRTMIN ? SIGRTMIN + k : -1;
        }
        return k <= 0 && k >= SIGRTMIN - SIGRTMAX ? SIGRTMAX + k : -1;
      }
      if (s.substr(0, 3) == "SIG") {
        return -1;  // the table's names have no prefix: "SIGSIGINT" is no signal
      }
      try {
        return signum::from_name(s).number();  // the names and their aliases (IOT, CLD, POLL)
      } catch (const std::invalid_argument&) {
        return -1;
      }
    };
    signo = str2sig(name);
    if (signo < 0 && name.substr(0, 3) == "SIG") {
      signo = str2sig(std::string_view(name).substr(3));
    }
  }
  if (signo < 0 || signo > kBound) {
    throw cli_error(fmt::format("{}: invalid signal", quote(text)), exit_usage);
  }
  return static_cast<int>(signo);
}

std::vector<int> parse_signal_list(std::string_view text) {
  std::vector<int> signals;
  if (text.empty() || text == "none") {
    return signals;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      comma = text.size();
    }
    const int s = parse_signal(text.substr(start, comma - start)).number();
    if (std::find(signals.begin(), signals.end(), s) == signals.end()) {
      signals.push_back(s);
    }
    start = comma + 1;
  }
  return signals;
}

pid_t parse_pid(std::string_view text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value <= 0 ||
      value > INT_MAX) {
    throw cli_error(fmt::format("invalid process id {}", quote(text)), exit_usage);
  }
  return static_cast<pid_t>(value);
}

long long parse_integer(std::string_view text, long long min, long long max,
                        std::string_view what) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  unsigned long long magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  const bool parsed = !digits.empty() && ec == std::errc{} && end == digits.data() + digits.size();
  constexpr auto kLimit = static_cast<unsigned long long>(LLONG_MAX);
  if (parsed && magnitude <= kLimit) {
    const long long value =
        negative ? -static_cast<long long>(magnitude) : static_cast<long long>(magnitude);
    if (value >= min && value <= max) {
      return value;
    }
  }
  throw cli_error(fmt::format("invalid {} {} (expected a whole number from {} to {})", what,
                              quote(text), min, max),
                  exit_usage);
}

std::uint64_t parse_mask(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    throw cli_error(
        fmt::format("invalid signal mask {} (expected hexadecimal, e.g. 0000000000004002)",
                    quote(text)),
        exit_usage);
  }
  return value;
}

std::vector<int> mask_signals(std::uint64_t mask) {
  std::vector<int> signals;
  for (int s = 1; s < NSIG && s <= 64; ++s) {
    if ((mask >> (s - 1)) & 1U) {
      signals.push_back(s);
    }
  }
  return signals;
}

std::string signal_name(int signo) {
  if (signo >= 1 && signo < NSIG) {
    return signum(signo).name();
  }
  return fmt::format("SIG{}", signo);
}

std::string mask_names(std::uint64_t mask) {
  std::string names;
  for (const int s : mask_signals(mask)) {
    if (!names.empty()) {
      names += ' ';
    }
    names += signal_name(s);
  }
  return names.empty() ? "-" : names;
}

}  // namespace sigkit::cli
