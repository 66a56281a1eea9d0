// fuzz/parse_duration_fuzzer.cpp - sigkit::cli::parse_duration (--timeout, --grace, --sample).
//
// Written against the function's contract, not today's grammar, so that it holds for any
// grammar that accepts decimal numbers with an optional unit (s, ms, us, m, h, d):
// - an accepted text gives a finite duration that is not negative; a rejected one throws
//   cli_error and nothing else;
// - spellings of the same value agree. For a plain decimal number N ("1.5", "007", ".25") that
//   parses: "Ns" is the same duration; so are N with the point moved three places right plus
//   "ms" ("1500ms") and six places plus "us"; and "Nm", "Nh", "Nd" equal N multiplied by 60,
//   3600 and 86400 written out in seconds. Below 10^6 seconds every spelling must parse; above,
//   where a grammar may reject or clamp huge values, the spellings that parse must agree.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<double> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_duration(text).count();
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<double>& seconds) {
  return seconds ? std::to_string(*seconds) + "s" : std::string("rejected");
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

// Two spellings of the same duration agree (see the invariants above).
void check_same(std::string_view input, double seconds, const std::string& other) {
  const auto value = parse(other);
  if (!value) {
    SIGKIT_FUZZ_CHECK(seconds >= 1e6, input,
                      "the same duration spelt \"" + other + "\" is rejected; the text gives " +
                          describe(seconds));
    return;
  }
  SIGKIT_FUZZ_CHECK(
      sigkit_fuzz::nearly_equal(*value, seconds), input,
      "the text gives " + describe(seconds) + ", \"" + other + "\" gives " + describe(value));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto seconds = parse(text);
  if (!seconds) {
    return 0;
  }
  SIGKIT_FUZZ_CHECK(std::isfinite(*seconds) && *seconds >= 0, text, describe(seconds));
  if (!plain_decimal(text) || text.size() > 256) {
    return 0;
  }
  check_same(text, *seconds, std::string(text) + "s");
  check_same(text, *seconds, shift_point(text, 3) + "ms");
  check_same(text, *seconds, shift_point(text, 6) + "us");
  // The text read as minutes, hours and days, against the product written out in seconds.
  struct scaled_unit {
    const char* unit;
    unsigned factor;
  };
  for (const auto& [unit, factor] :
       {scaled_unit{"m", 60U}, scaled_unit{"h", 3600U}, scaled_unit{"d", 86400U}}) {
    const std::string scaled = multiply(text, factor);
    const auto in_seconds = parse(scaled);
    const auto in_unit = parse(std::string(text) + unit);
    if (in_seconds && in_unit) {
      SIGKIT_FUZZ_CHECK(sigkit_fuzz::nearly_equal(*in_seconds, *in_unit), text,
                        std::string(text) + unit + " gives " + describe(in_unit) + ", " + scaled +
                            " gives " + describe(in_seconds));
    } else {
      SIGKIT_FUZZ_CHECK(*seconds * factor >= 1e6, text,
                        std::string(text) + unit + " gives " + describe(in_unit) + ", " + scaled +
                            " gives " + describe(in_seconds));
    }
  }
  return 0;
}
