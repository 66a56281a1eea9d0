// fuzz/parse_signal_list_fuzzer.cpp - sigkit::cli::parse_signal_list (`run --forward`).
//
// Invariants:
// - "" and "none" are the empty list; otherwise the text is accepted exactly when every
//   comma-separated item is a signal parse_signal accepts, and a rejected text throws
//   cli_error and nothing else;
// - the list holds each item's signal once, in the order of first appearance (valid signals,
//   no duplicates);
// - the list round-trips: its names joined by commas parse to the same list.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<std::vector<int>> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_signal_list(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<std::vector<int>>& list) {
  if (!list) {
    return "rejected";
  }
  std::string text = "[";
  for (const int s : *list) {
    text += (text.size() > 1 ? "," : "") + std::to_string(s);
  }
  return text + "]";
}

// What the list should be, item by item: nullopt if an item is not a signal.
std::optional<std::vector<int>> expected(std::string_view text) {
  std::vector<int> signals;
  if (text.empty() || text == "none") {
    return signals;
  }
  for (const std::string_view item : sigkit_fuzz::split(text, ',')) {
    int s = 0;
    try {
      s = sigkit::cli::parse_signal(item).number();
    } catch (const sigkit::cli::cli_error&) {
      return std::nullopt;
    }
    if (std::find(signals.begin(), signals.end(), s) == signals.end()) {
      signals.push_back(s);
    }
  }
  return signals;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto list = parse(text);
  const auto items = expected(text);
  SIGKIT_FUZZ_CHECK(list == items, text,
                    "parse_signal_list: " + describe(list) + ", item by item: " + describe(items));
  if (!list) {
    return 0;
  }
  std::string names;
  for (const int s : *list) {
    SIGKIT_FUZZ_CHECK(s >= 1 && s < NSIG, text, describe(list));
    names += (names.empty() ? "" : ",") + sigkit::signum(s).name();
  }
  const auto again = parse(names.empty() ? "none" : names);
  SIGKIT_FUZZ_CHECK(again == list, text, names + " parses to " + describe(again));
  return 0;
}
