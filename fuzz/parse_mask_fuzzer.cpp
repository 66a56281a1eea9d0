// fuzz/parse_mask_fuzzer.cpp - sigkit::cli::parse_mask, mask_signals, mask_names and
// `sigkit decode` (text and --json).
//
// Invariants, for every mask that parses (and for the first 8 input bytes read as a raw mask):
// - the mask round-trips: its 16-digit hex form, and "0x" with upper-case digits, parse back
//   to it;
// - mask_signals lists only valid signals (1..NSIG-1, at most 64), strictly ascending, and
//   exactly the bits of the mask that stand for valid signals;
// - mask_names is "-" for no signal, else one name per signal, each parsing back to it;
// - `decode` prints one "NUMBER  NAME" line per signal, and its JSON parses back to the same
//   numbers and names.
// A rejected text throws cli_error and nothing else.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

std::optional<std::uint64_t> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_mask(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string describe(const std::optional<std::uint64_t>& mask) {
  return mask ? fmt::format("{:#x}", *mask) : std::string("rejected");
}

// `mask` was decoded from `input`; `decode` is given `mask_text` (the input, or the mask in hex).
void check_decoded(std::string_view input, std::uint64_t mask, const std::string& mask_text) {
  const std::string hex = fmt::format("{:016x}", mask);
  const auto again = parse(hex);
  const auto upper = parse(fmt::format("0x{:X}", mask));
  SIGKIT_FUZZ_CHECK(again == mask && upper == mask, input,
                    hex + " parses to " + describe(again) + ", upper case to " + describe(upper));

  const std::vector<int> signals = sigkit::cli::mask_signals(mask);
  std::uint64_t listed = 0;
  int previous = 0;
  for (const int s : signals) {
    SIGKIT_FUZZ_CHECK(s > previous && s >= 1 && s < NSIG && s <= 64, input,
                      fmt::format("mask {} lists {} after {}", hex, s, previous));
    listed |= std::uint64_t{1} << (s - 1);
    previous = s;
  }
  std::uint64_t valid = 0;
  for (int s = 1; s < NSIG && s <= 64; ++s) {
    valid |= std::uint64_t{1} << (s - 1);
  }
  SIGKIT_FUZZ_CHECK(listed == (mask & valid), input,
                    fmt::format("mask {} lists the signals of {:016x}", hex, listed));

  const std::string names = sigkit::cli::mask_names(mask);
  const auto words = sigkit_fuzz::split(names, ' ');
  if (signals.empty()) {
    SIGKIT_FUZZ_CHECK(names == "-", input, names);
  } else {
    SIGKIT_FUZZ_CHECK(words.size() == signals.size(), input, names);
    for (std::size_t i = 0; i < words.size(); ++i) {
      SIGKIT_FUZZ_CHECK(sigkit::signum::from_name(words[i]) == signals[i], input, names);
    }
  }

  std::ostringstream text;
  SIGKIT_FUZZ_CHECK(sigkit::cli::decode_command({mask_text, false}, text) == 0, input, hex);
  const std::string printed = text.str();
  const auto lines = sigkit_fuzz::split(printed, '\n');
  SIGKIT_FUZZ_CHECK(lines.size() == signals.size() + 1 && lines.back().empty(), input, printed);
  for (std::size_t i = 0; i < signals.size(); ++i) {
    SIGKIT_FUZZ_CHECK(lines[i] == fmt::format("{:>3}  {}", signals[i], words[i]), input,
                      std::string(lines[i]));
  }

  std::ostringstream json_text;
  SIGKIT_FUZZ_CHECK(sigkit::cli::decode_command({mask_text, true}, json_text) == 0, input, hex);
  const auto json = nlohmann::json::parse(json_text.str(), nullptr, false);
  SIGKIT_FUZZ_CHECK(json.is_array() && json.size() == signals.size(), input, json_text.str());
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const auto& entry = json[i];
    SIGKIT_FUZZ_CHECK(entry.is_object() && entry.size() == 2 &&
                          entry.value("number", 0) == signals[i] &&
                          entry.value("name", "") == words[i],
                      input, entry.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  if (const auto mask = parse(text)) {
    check_decoded(text, *mask, std::string(text));
  }
  if (size >= sizeof(std::uint64_t)) {
    std::uint64_t raw = 0;
    std::memcpy(&raw, data, sizeof raw);
    check_decoded(text, raw, fmt::format("{:016x}", raw));
  }
  return 0;
}
