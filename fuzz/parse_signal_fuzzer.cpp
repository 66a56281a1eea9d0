// fuzz/parse_signal_fuzzer.cpp - the CLI's signal arguments: sigkit::cli::parse_signal,
// parse_signal_or_zero (send, run -s) and parse_timeout_signal (timeout -s, coreutils'
// operand2sig).
//
// Invariants:
// - parse_signal accepts everything signum::from_name accepts, with the same result, and
//   leading zeros are one rule: a zero put in front of the number of a parsed text (all of
//   it, after "SIG", after RTMIN+ / RTMAX-) changes nothing ("2", "02"; "SIG32", "SIG032";
//   "RTMIN+2", "RTMIN+02");
// - an accepted signal round-trips: parse_signal(name()) and parse_signal of the number give it
//   back, and signal_name() is name();
// - parse_signal_or_zero is 0 for a run of zeros and parse_signal otherwise;
// - parse_timeout_signal gives 0..NSIG-1, agrees with parse_signal wherever that accepts, reads
//   128+N as signal N (a shell's exit status), and "0" / "EXIT" (any case) as 0;
// - every rejection is a cli_error and nothing else.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

template <class F>
auto accepted(F&& parse) -> std::optional<decltype(parse())> {
  try {
    return parse();
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::optional<int> parse(std::string_view text) {
  return accepted([&] { return sigkit::cli::parse_signal(text).number(); });
}

std::optional<int> parse_library(std::string_view text) {
  try {
    return sigkit::signum::from_name(text).number();
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<int>& s) {
  return s ? std::to_string(*s) : std::string("rejected");
}

// The position where the trailing run of digits starts (text.size() if there is none).
std::size_t trailing_digits(std::string_view text) {
  std::size_t at = text.size();
  while (at > 0 && text[at - 1] >= '0' && text[at - 1] <= '9') {
    --at;
  }
  return at;
}

void check_timeout_signal(std::string_view text, const std::optional<int>& parsed) {
  const auto timeout = accepted([&] { return sigkit::cli::parse_timeout_signal(text); });
  SIGKIT_FUZZ_CHECK(!timeout || (*timeout >= 0 && *timeout < NSIG), text, describe(timeout));
  if (parsed) {
    SIGKIT_FUZZ_CHECK(timeout == parsed, text,
                      "parse_signal: " + describe(parsed) + ", timeout's -s: " + describe(timeout));
  }
  const std::string upper = sigkit_fuzz::ascii_case(text, true);
  if (upper == "0" || upper == "EXIT" || upper == "SIGEXIT") {
    SIGKIT_FUZZ_CHECK(timeout == 0, text, describe(timeout));
  }
  if (sigkit_fuzz::all_digits(text) && text.size() <= 18) {
    const long long n = std::stoll(std::string(text));
    if (n > 128 && n < 128 + NSIG) {
      SIGKIT_FUZZ_CHECK(timeout == n - 128, text, "an exit status gives " + describe(timeout));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto parsed = parse(text);
  const auto library = parse_library(text);
  SIGKIT_FUZZ_CHECK(!library || parsed == library, text,
                    "parse_signal: " + describe(parsed) + ", from_name: " + describe(library));

  const bool zeros = !text.empty() && text.find_first_not_of('0') == std::string_view::npos;
  const auto or_zero = accepted([&] { return sigkit::cli::parse_signal_or_zero(text); });
  SIGKIT_FUZZ_CHECK(or_zero == (zeros ? std::optional<int>(0) : parsed), text,
                    "parse_signal_or_zero: " + describe(or_zero));
  check_timeout_signal(text, parsed);
  if (!parsed) {
    return 0;
  }

  const std::string name = sigkit::signum(*parsed).name();
  SIGKIT_FUZZ_CHECK(sigkit::cli::signal_name(*parsed) == name, text,
                    sigkit::cli::signal_name(*parsed) + " vs " + name);
  const auto by_name = parse(name);
  const auto by_number = parse(std::to_string(*parsed));
  SIGKIT_FUZZ_CHECK(
      by_name == parsed && by_number == parsed, text,
      name + " parses to " + describe(by_name) + ", the number to " + describe(by_number));
  // A number: the whole text, after "SIG", or after RTMIN+ / RTMAX- (not the 2 of "USR2").
  const std::size_t digits = trailing_digits(text);
  const std::string_view before = text.substr(0, digits);
  const bool number = before.empty() || sigkit_fuzz::ascii_case(before, true) == "SIG" ||
                      before.back() == '+' || before.back() == '-';
  if (number && digits < text.size() && text.size() < 64) {
    const std::string padded =
        std::string(text.substr(0, digits)) + "0" + std::string(text.substr(digits));
    const auto again = parse(padded);
    SIGKIT_FUZZ_CHECK(again == parsed, text, padded + " parses to " + describe(again));
  }
  return 0;
}
