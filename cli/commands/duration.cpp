// cli/commands/duration.cpp - durations as GNU timeout(1) reads them, to the nanosecond.
//
// timeout's DURATION is a floating point number (strtod in the user's locale or in C: leading
// space, a sign, exponents, hexadecimal, "inf") followed by at most one of s, m, h, d. Out of
// range values mean "no limit"; a value too small to represent is rounded up, never to zero
// (0 means "no timeout"). sigkit reads decimal numbers exactly (digits and a power of ten,
// integer arithmetic) so that "1.5", "1500ms", "0.025m" and "15e-1" are the same number of
// nanoseconds; hexadecimal floats, which are exact in binary, go through strtod.
#include <langinfo.h>
#include <locale.h>

#include <fmt/format.h>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

constexpr std::int64_t kMaxNs = INT64_MAX;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != prefix[i]) {
      return false;
    }
  }
  return true;
}

// The decimal point of the user's locale (LC_ALL, LC_NUMERIC, LANG), if it is not '.': timeout
// accepts a number written in either the current or the C locale. sigkit never calls
// setlocale(), so this asks for the locale without making it current.
char locale_radix() {
  const locale_t loc = ::newlocale(LC_NUMERIC_MASK, "", static_cast<locale_t>(nullptr));
  if (loc == static_cast<locale_t>(nullptr)) {
    return '.';
  }
  const char* radix = ::nl_langinfo_l(RADIXCHAR, loc);
  const char c = radix != nullptr && radix[0] != '\0' && radix[1] == '\0' ? radix[0] : '.';
  ::freelocale(loc);
  return c;
}

// A unit is small * 10^exponent nanoseconds: the products stay exact in 128 bits.
struct unit {
  std::string_view suffix;
  unsigned small;
  int exponent;
};
constexpr unit kTimeoutUnits[] = {
    {"", 1, 9}, {"s", 1, 9}, {"m", 6, 10}, {"h", 36, 11}, {"d", 864, 11}};
constexpr unit kSigkitUnits[] = {{"ms", 1, 6}, {"us", 1, 3}};

// What was scanned: a decimal number as its significant digits times a power of ten (every
// digit kept, so that the nanoseconds are exact however many there are), a hexadecimal float
// already converted by strtod, or infinity.
struct number {
  bool infinite = false;
  bool is_hex = false;
  double hex_value = 0;
  std::string digits;      // without leading zeros; empty for zero
  long long exponent = 0;  // value = digits * 10^exponent
};

// `digits` times `factor`, exactly (decimal digits, most significant first).
std::string multiply(const std::string& digits, unsigned factor) {
  std::string product(digits.size(), '0');
  unsigned carry = 0;
  for (std::size_t i = digits.size(); i-- > 0;) {
    const unsigned value = static_cast<unsigned>(digits[i] - '0') * factor + carry;
    product[i] = static_cast<char>('0' + value % 10);
    carry = value / 10;
  }
  std::string high;
  for (; carry != 0; carry /= 10) {
    high.insert(high.begin(), static_cast<char>('0' + carry % 10));
  }
  return high + product;
}

// Scans the number at the start of `text` as strtod would; returns the characters used, 0 if
// there is no number.
std::size_t scan_number(std::string_view text, char radix, number& n) {
  std::size_t i = 0;
  const auto at = [&](std::size_t k) { return k < text.size() ? text[k] : '\0'; };
  // infinity / nan
  if (starts_with_nocase(text, "inf")) {
    n.infinite = true;
    return starts_with_nocase(text, "infinity") ? 8 : 3;
  }
  if (starts_with_nocase(text, "nan")) {
    return 0;  // a NaN is never a duration: treat as "no number", an error either way
  }
  // hexadecimal: 0x, then hex digits with an optional point, then an optional p exponent
  if (at(0) == '0' && (at(1) == 'x' || at(1) == 'X') &&
      (is_hex_digit(at(2)) || ((at(2) == '.' || at(2) == radix) && is_hex_digit(at(3))))) {
    std::string c_text("0x");
    i = 2;
    while (is_hex_digit(at(i))) {
      c_text += at(i++);
    }
    if (at(i) == '.' || at(i) == radix) {
      c_text += '.';
      ++i;
      while (is_hex_digit(at(i))) {
        c_text += at(i++);
      }
    }
    if ((at(i) == 'p' || at(i) == 'P')) {
      std::size_t j = i + 1;
      std::string exp("p");
      if (at(j) == '+' || at(j) == '-') {
        exp += at(j++);
      }
      if (is_digit(at(j))) {
        while (is_digit(at(j))) {
          exp += at(j++);
        }
        c_text += exp;
        i = j;
      }
    }
    errno = 0;
    n.is_hex = true;
    n.hex_value = std::strtod(c_text.c_str(), nullptr);  // sigkit runs in the C locale
    if (errno == ERANGE && n.hex_value == 0) {
      n.hex_value = 1e-300;  // underflow: positive but tiny, rounds up to 1 ns
    }
    return i;
  }
  // decimal: digits, an optional point and digits (at least one digit in all), an optional
  // exponent that counts only if it has a digit
  bool any_digit = false;
  long long exponent = 0;
  const auto take = [&](char c, bool after_point) {
    any_digit = true;
    if (!n.digits.empty() || c != '0') {
      n.digits += c;
    }
    if (after_point) {
      --exponent;  // a zero after the point still scales
    }
  };
  while (is_digit(at(i))) {
    take(at(i++), false);
  }
  if (at(i) == '.' || at(i) == radix) {
    ++i;
    while (is_digit(at(i))) {
      take(at(i++), true);
    }
  }
  if (!any_digit) {
    return 0;
  }
  if (at(i) == 'e' || at(i) == 'E') {
    std::size_t j = i + 1;
    bool negative_exp = false;
    if (at(j) == '+' || at(j) == '-') {
      negative_exp = at(j) == '-';
      ++j;
    }
    if (is_digit(at(j))) {
      long long e = 0;
      while (is_digit(at(j))) {
        if (e < 1'000'000'000) {  // beyond this the value is 0 or infinite anyway
          e = e * 10 + (at(j) - '0');
        }
        ++j;
      }
      exponent += negative_exp ? -e : e;
      i = j;
    }
  }
  n.exponent = exponent;
  return i;
}

// The number of nanoseconds in n units, rounded up; nullopt if it exceeds kMaxNs.
std::optional<std::int64_t> to_ns(const number& n, const unit& u) {
  if (n.is_hex) {
    double ns = n.hex_value * u.small;
    for (int k = 0; k < u.exponent; ++k) {
      ns *= 10;
    }
    if (!(ns < 9.2e18)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(std::ceil(ns));  // a positive value gives at least 1
  }
  if (n.digits.empty()) {
    return 0;  // zero, however it was written
  }
  // n units are product * 10^exponent ns; product has no leading zero.
  const std::string product = multiply(n.digits, u.small);
  const long long exponent = n.exponent + u.exponent;
  const auto size = static_cast<long long>(product.size());
  // The integer part's digits, and whether a nonzero digit is left after the point.
  std::string integer;
  bool fraction = false;
  if (exponent >= 0) {
    if (size + exponent > 19) {
      return std::nullopt;  // at least 10^19 ns
    }
    integer = product + std::string(static_cast<std::size_t>(exponent), '0');
  } else if (-exponent >= size) {
    fraction = true;  // below a nanosecond (product is not zero): round up to the smallest
  } else {
    const auto split = static_cast<std::size_t>(size + exponent);
    integer = product.substr(0, split);
    fraction = product.find_first_not_of('0', split) != std::string::npos;
  }
  if (integer.size() > 19) {
    return std::nullopt;  // at least 10^19 ns
  }
  std::uint64_t value = 0;  // below 10^19: fits
  for (const char c : integer) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  value += fraction ? 1 : 0;  // rounded up, never to zero
  if (value > static_cast<std::uint64_t>(kMaxNs)) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(value);
}

[[noreturn]] void invalid(std::string_view text, duration_syntax syntax) {
  if (syntax == duration_syntax::timeout) {
    throw cli_error(fmt::format("invalid time interval {}", quote(text)), exit_usage);
  }
  throw cli_error(
      fmt::format("invalid duration {} (expected e.g. 1.5, 500ms, 2s, 1m, 1h, 1d)", quote(text)),
      exit_usage);
}

}  // namespace

std::chrono::duration<double> duration_value::seconds() const noexcept {
  if (forever) {
    return std::chrono::duration<double>(HUGE_VAL);
  }
  return std::chrono::duration<double>(static_cast<double>(ns.count()) / 1e9);
}

duration_value parse_duration(std::string_view text, duration_syntax syntax) {
  std::size_t i = 0;
  bool negative = false;
  const bool gnu = syntax != duration_syntax::sigkit;
  if (gnu) {
    while (i < text.size() && is_space(text[i])) {
      ++i;
    }
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      negative = text[i] == '-';
      ++i;
    }
  }
  number n;
  const char radix = gnu ? locale_radix() : '.';
  const std::size_t used = scan_number(text.substr(i), radix, n);
  if (used == 0) {
    invalid(text, syntax);
  }
  const std::string_view suffix = text.substr(i + used);
  const unit* chosen = nullptr;
  for (const unit& u : kTimeoutUnits) {
    if (suffix == u.suffix) {
      chosen = &u;
    }
  }
  if (syntax != duration_syntax::timeout) {
    for (const unit& u : kSigkitUnits) {
      if (suffix == u.suffix) {
        chosen = &u;
      }
    }
  }
  if (chosen == nullptr) {
    invalid(text, syntax);
  }
  duration_value result;
  if (n.infinite) {
    if (negative) {
      invalid(text, syntax);
    }
    result.forever = true;
    return result;
  }
  const auto ns = to_ns(n, *chosen);
  if (negative && (!ns || *ns != 0)) {
    invalid(text, syntax);  // a negative duration; "-0" is zero, as in timeout
  }
  if (!ns) {
    result.forever = true;  // too large to represent: no limit (timeout clamps likewise)
    return result;
  }
  result.ns = std::chrono::nanoseconds(*ns);
  return result;
}

}  // namespace sigkit::cli
