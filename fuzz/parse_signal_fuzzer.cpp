// fuzz/parse_signal_fuzzer.cpp - sigkit::cli::parse_signal (SIGNAL arguments of the tool).
//
// Invariants:
// - parse_signal accepts exactly what signum::from_name accepts, with the same result; a
//   rejected text throws cli_error and nothing else;
// - an accepted signal round-trips: parse_signal(name()) and parse_signal of the number give it
//   back, and signal_name() (the CLI's name for any number) is name().
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<sigkit::signum> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_signal(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::optional<sigkit::signum> parse_library(std::string_view text) {
  try {
    return sigkit::signum::from_name(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<sigkit::signum>& s) {
  return s ? std::to_string(s->number()) : std::string("rejected");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto parsed = parse(text);
  const auto library = parse_library(text);
  SIGKIT_FUZZ_CHECK(parsed == library, text,
                    "parse_signal: " + describe(parsed) + ", from_name: " + describe(library));
  if (!parsed) {
    return 0;
  }
  const std::string name = parsed->name();
  SIGKIT_FUZZ_CHECK(sigkit::cli::signal_name(parsed->number()) == name, text,
                    sigkit::cli::signal_name(parsed->number()) + " vs " + name);
  const auto by_name = parse(name);
  const auto by_number = parse(std::to_string(parsed->number()));
  SIGKIT_FUZZ_CHECK(
      by_name == parsed && by_number == parsed, text,
      name + " parses to " + describe(by_name) + ", the number to " + describe(by_number));
  return 0;
}
