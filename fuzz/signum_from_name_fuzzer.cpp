// fuzz/signum_from_name_fuzzer.cpp - sigkit::signum::from_name (the library's signal names).
//
// Invariants, for every text that parses:
// - the number is in 1..NSIG-1, and name() is "SIG..." and parses back to the same signal
//   (from_name(name()) == s, and name() of that is name() again);
// - the name without "SIG" and the decimal number parse to the same signal;
// - parsing is case-insensitive (upper- and lower-cased text give the same signal);
// - "SIG" in front of a non-numeric name that lacks it changes nothing.
// Anything that does not parse throws std::invalid_argument and nothing else (another
// exception escapes and libFuzzer reports it).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit/signum.hpp"

namespace {

std::optional<sigkit::signum> parse(std::string_view text) {
  try {
    return sigkit::signum::from_name(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<sigkit::signum>& s) {
  return s ? std::to_string(s->number()) + " (" + s->name() + ")" : std::string("rejected");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sigkit_fuzz::escaped;
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto parsed = parse(text);
  if (!parsed) {
    return 0;
  }
  const sigkit::signum s = *parsed;
  SIGKIT_FUZZ_CHECK(s.number() >= 1 && s.number() < NSIG, text, describe(parsed));

  const std::string name = s.name();
  SIGKIT_FUZZ_CHECK(name.size() > 3 && name.starts_with("SIG"), text, name);
  const auto again = parse(name);
  SIGKIT_FUZZ_CHECK(again == s, text, "name() " + name + " parses to " + describe(again));
  SIGKIT_FUZZ_CHECK(again->name() == name, text, name + " then " + again->name());

  const auto bare = parse(std::string_view(name).substr(3));
  SIGKIT_FUZZ_CHECK(bare == s, text, name + " without SIG parses to " + describe(bare));
  const auto number = parse(std::to_string(s.number()));
  SIGKIT_FUZZ_CHECK(number == s, text, "the number parses to " + describe(number));

  const auto upper = parse(sigkit_fuzz::ascii_case(text, true));
  const auto lower = parse(sigkit_fuzz::ascii_case(text, false));
  SIGKIT_FUZZ_CHECK(upper == s && lower == s, text,
                    "upper case: " + describe(upper) + ", lower case: " + describe(lower));

  if (!sigkit_fuzz::starts_with_nocase(text, "SIG") && !sigkit_fuzz::all_digits(text)) {
    const auto prefixed = parse("SIG" + std::string(text));
    SIGKIT_FUZZ_CHECK(prefixed == s, text, "with SIG: " + describe(prefixed));
  }
  return 0;
}
