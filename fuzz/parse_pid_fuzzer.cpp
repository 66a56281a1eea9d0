// fuzz/parse_pid_fuzzer.cpp - sigkit::cli::parse_pid (PID arguments, the Pid: line of /proc).
//
// Invariants:
// - an accepted pid is in 1..INT_MAX and was written as decimal digits only (no sign, no
//   space); with its leading zeros removed the text is exactly std::to_string(pid);
// - std::to_string(pid) parses back to the same pid;
// - a rejected text throws cli_error and nothing else.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<pid_t> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_pid(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto pid = parse(text);
  if (!pid) {
    return 0;
  }
  const std::string canonical = std::to_string(*pid);
  SIGKIT_FUZZ_CHECK(*pid >= 1 && *pid <= INT_MAX, text, canonical);
  SIGKIT_FUZZ_CHECK(sigkit_fuzz::all_digits(text), text, "accepted as " + canonical);
  std::string_view significant = text;
  while (significant.size() > 1 && significant.front() == '0') {
    significant.remove_prefix(1);
  }
  SIGKIT_FUZZ_CHECK(significant == canonical, text, "accepted as " + canonical);
  const auto again = parse(canonical);
  SIGKIT_FUZZ_CHECK(again == pid, text, canonical + " does not parse back");
  return 0;
}
