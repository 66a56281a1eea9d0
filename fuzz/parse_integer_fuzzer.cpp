// fuzz/parse_integer_fuzzer.cpp - sigkit::cli::parse_integer (send --value, wait --count).
//
// Invariants, with the whole range of long long and narrower ones:
// - accepted text is an optional sign and decimal digits; with its sign and leading zeros
//   normalised it is std::to_string of the value, which parses back to it;
// - the range decides, and nothing else: a value accepted in [min, max] is accepted in
//   [v, v], rejected in [v + 1, max] and [min, v - 1]; a text rejected in the whole range
//   is rejected in every range;
// - every rejection is a cli_error and nothing else.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<long long> parse(std::string_view text, long long min, long long max) {
  try {
    return sigkit::cli::parse_integer(text, min, max, "number");
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<long long>& v) {
  return v ? std::to_string(*v) : std::string("rejected");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto value = parse(text, LLONG_MIN, LLONG_MAX);
  if (!value) {
    for (const auto& [min, max] : {std::pair{0LL, 10LL}, std::pair{1LL, LLONG_MAX},
                                   std::pair{LLONG_MIN, 0LL}, std::pair{-1LL, 1LL}}) {
      const auto narrow = parse(text, min, max);
      SIGKIT_FUZZ_CHECK(!narrow, text,
                        "rejected in the whole range, " + describe(narrow) + " in [" +
                            std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return 0;
  }
  const long long v = *value;
  std::string_view digits = text;
  std::string sign;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    sign = digits.front() == '-' ? "-" : "";
    digits.remove_prefix(1);
  }
  SIGKIT_FUZZ_CHECK(sigkit_fuzz::all_digits(digits), text, "accepted as " + std::to_string(v));
  while (digits.size() > 1 && digits.front() == '0') {
    digits.remove_prefix(1);
  }
  const std::string canonical = std::to_string(v);
  SIGKIT_FUZZ_CHECK((digits == "0" ? std::string("0") : sign + std::string(digits)) == canonical,
                    text, "accepted as " + canonical);
  SIGKIT_FUZZ_CHECK(parse(canonical, LLONG_MIN, LLONG_MAX) == v, text, canonical);
  SIGKIT_FUZZ_CHECK(parse(text, v, v) == v, text, "rejected in [v, v]");
  if (v < LLONG_MAX) {
    SIGKIT_FUZZ_CHECK(!parse(text, v + 1, LLONG_MAX), text, "accepted above its value");
  }
  if (v > LLONG_MIN) {
    SIGKIT_FUZZ_CHECK(!parse(text, LLONG_MIN, v - 1), text, "accepted below its value");
  }
  return 0;
}
