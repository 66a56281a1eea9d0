// fuzz/parse_duration_fuzzer.cpp - sigkit::cli::parse_duration in its three syntaxes (sigkit:
// wait and status; run: GNU timeout's spelling plus ms and us; timeout: exactly GNU timeout's).
//
// Written against the contract in sigkit_cli/commands.hpp (exact nanoseconds rounded up, or
// "forever"), not against one grammar. Invariants:
// - an accepted text gives "forever" or a duration of at least 0 ns; a rejected one throws
//   cli_error and nothing else;
// - what the sigkit syntax or the timeout syntax accepts, the run syntax accepts with the
//   same result;
// - for a plain decimal number N ("1.5", "007", ".25"): every syntax accepts it; the result is
//   0 ns exactly when N is zero, "forever" exactly when N seconds exceed what int64
//   nanoseconds hold (about 292 years; checked away from the boundary); and spellings of the
//   same value give the same result to the nanosecond: N, "Ns", N with the point moved for
//   "ms" and "us" ("1.5" = "1500ms"), "Nm"/"Nh"/"Nd" against N times 60/3600/86400 written
//   out in seconds; " N" and "+N" are N in the GNU syntaxes, and "-N" is rejected there unless
//   N is zero ("-0" is 0).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

using sigkit::cli::duration_syntax;
using sigkit::cli::duration_value;

constexpr std::array kSyntaxes{duration_syntax::sigkit, duration_syntax::run,
                               duration_syntax::timeout};
constexpr std::array kSyntaxNames{"sigkit", "run", "timeout"};

std::optional<duration_value> parse(std::string_view text, duration_syntax syntax) {
  try {
    return sigkit::cli::parse_duration(text, syntax);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<duration_value>& d) {
  if (!d) {
    return "rejected";
  }
  return d->forever ? std::string("forever") : std::to_string(d->ns.count()) + " ns";
}

// True for "1", "1.5", "1.", ".5", "007.250": digits with at most one point, at least one digit.
bool plain_decimal(std::string_view text) {
  bool digit = false;
  bool point = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digit;
}

// A plain decimal number as its digits and the position of the point among them.
struct decimal {
  std::string digits;     // without the point
  std::size_t point = 0;  // digits before the point
};

decimal split_point(std::string_view text) {
  decimal d;
  const std::size_t at = text.find('.');
  d.point = at == std::string_view::npos ? text.size() : at;
  for (const char c : text) {
    if (c != '.') {
      d.digits += c;
    }
  }
  return d;
}

std::string join_point(const decimal& d) {
  if (d.point >= d.digits.size()) {
    return d.digits + std::string(d.point - d.digits.size(), '0');
  }
  return (d.point == 0 ? "0" : d.digits.substr(0, d.point)) + "." + d.digits.substr(d.point);
}

// The same number times 10^places, written as a plain decimal ("1.5", 3 -> "1500").
std::string shift_point(std::string_view text, std::size_t places) {
  decimal d = split_point(text);
  d.point += places;
  return join_point(d);
}

// The same number times a small factor, exactly, written as a plain decimal.
std::string multiply(std::string_view text, unsigned factor) {
  const decimal d = split_point(text);
  std::string product;  // least significant digit first
  unsigned carry = 0;
  for (std::size_t i = d.digits.size(); i-- > 0;) {
    const unsigned value = static_cast<unsigned>(d.digits[i] - '0') * factor + carry;
    product += static_cast<char>('0' + value % 10);
    carry = value / 10;
  }
  std::size_t extra = 0;
  for (; carry != 0; carry /= 10, ++extra) {
    product += static_cast<char>('0' + carry % 10);
  }
  std::reverse(product.begin(), product.end());
  return join_point(decimal{product, d.point + extra});
}

// `other` spells the same value as `input` (a plain decimal that gave `expected`).
void check_same(std::string_view input, const duration_value& expected, const std::string& other,
                duration_syntax syntax) {
  const auto value = parse(other, syntax);
  SIGKIT_FUZZ_CHECK(value == expected, input,
                    "the text gives " + describe(expected) + ", \"" + other + "\" gives " +
                        describe(value) + " (" + kSyntaxNames.at(static_cast<std::size_t>(syntax)) +
                        " syntax)");
}

void check_plain_decimal(std::string_view text, duration_syntax syntax) {
  const std::string syntax_name = kSyntaxNames.at(static_cast<std::size_t>(syntax));
  const auto value = parse(text, syntax);
  SIGKIT_FUZZ_CHECK(value.has_value(), text, "a plain decimal is rejected (" + syntax_name + ")");
  const bool zero =
      std::all_of(text.begin(), text.end(), [](char c) { return c == '0' || c == '.'; });
  SIGKIT_FUZZ_CHECK(zero == (!value->forever && value->ns.count() == 0), text,
                    describe(value) + " (" + syntax_name + ")");
  const double seconds = std::strtod(std::string(text).c_str(), nullptr);
  if (seconds < 9.0e9) {
    SIGKIT_FUZZ_CHECK(!value->forever, text, "forever for a value below 292 years");
  } else if (seconds > 9.3e9) {
    SIGKIT_FUZZ_CHECK(value->forever, text, describe(value) + " for more than 292 years");
  }

  const std::string plain(text);
  check_same(text, *value, plain + "s", syntax);
  if (syntax != duration_syntax::timeout) {
    check_same(text, *value, shift_point(text, 3) + "ms", syntax);
    check_same(text, *value, shift_point(text, 6) + "us", syntax);
  }
  struct scaled_unit {
    const char* unit;
    unsigned factor;
  };
  for (const auto& [unit, factor] :
       {scaled_unit{"m", 60U}, scaled_unit{"h", 3600U}, scaled_unit{"d", 86400U}}) {
    const auto in_unit = parse(plain + unit, syntax);
    SIGKIT_FUZZ_CHECK(in_unit.has_value(), text,
                      plain + unit + " is rejected (" + syntax_name + ")");
    check_same(text, *in_unit, multiply(text, factor), syntax);
  }
  if (syntax != duration_syntax::sigkit) {
    check_same(text, *value, " " + plain, syntax);
    check_same(text, *value, "+" + plain, syntax);
    const auto negative = parse("-" + plain, syntax);
    if (zero) {
      SIGKIT_FUZZ_CHECK(negative == value, text, "-N gives " + describe(negative));
    } else {
      SIGKIT_FUZZ_CHECK(!negative, text, "a negative duration gives " + describe(negative));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  std::array<std::optional<duration_value>, kSyntaxes.size()> results;
  for (std::size_t i = 0; i < kSyntaxes.size(); ++i) {
    results.at(i) = parse(text, kSyntaxes.at(i));
    SIGKIT_FUZZ_CHECK(!results.at(i) || results.at(i)->forever || results.at(i)->ns.count() >= 0,
                      text, describe(results.at(i)));
  }
  const auto& [sigkit_syntax, run_syntax, timeout_syntax] = results;
  SIGKIT_FUZZ_CHECK(!sigkit_syntax || run_syntax == sigkit_syntax, text,
                    "sigkit syntax: " + describe(sigkit_syntax) + ", run: " + describe(run_syntax));
  SIGKIT_FUZZ_CHECK(
      !timeout_syntax || run_syntax == timeout_syntax, text,
      "timeout syntax: " + describe(timeout_syntax) + ", run: " + describe(run_syntax));
  if (plain_decimal(text) && text.size() <= 256) {
    for (const auto syntax : kSyntaxes) {
      check_plain_decimal(text, syntax);
    }
  }
  return 0;
}
