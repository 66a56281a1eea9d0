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

std::chrono::duration<double> parse_duration(std::string_view text) {
  double value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value, std::chars_format::fixed);
  if (text.empty() || ec != std::errc{} || !std::isfinite(value) || value < 0) {
    throw cli_error(fmt::format("invalid duration '{}' (expected e.g. 1.5, 500ms, 2s, 1m)", text));
  }
  const std::string_view unit(end, static_cast<std::size_t>(last - end));
  double scale = 1;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "ms") {
    scale = 1e-3;
  } else if (unit == "us") {
    scale = 1e-6;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  } else {
    throw cli_error(
        fmt::format("invalid duration '{}' (unknown unit '{}'; use ms, s, m, h or d)", text, unit));
  }
  const double seconds = value * scale;
  if (!std::isfinite(seconds) || seconds > 1e9) {
    throw cli_error(fmt::format("invalid duration '{}' (too large)", text));
  }
  return std::chrono::duration<double>(seconds);
}

signum parse_signal(std::string_view text) {
  try {
    return signum::from_name(text);
  } catch (const std::invalid_argument&) {
    throw cli_error(fmt::format("unknown signal '{}' (see 'sigkit list')", text));
  }
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
    throw cli_error(fmt::format("invalid process id '{}'", text));
  }
  return static_cast<pid_t>(value);
}

std::uint64_t parse_mask(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    throw cli_error(fmt::format(
        "invalid signal mask '{}' (expected hexadecimal, e.g. 0000000000004002)", text));
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
