// fuzz/list_json_fuzzer.cpp - `sigkit list [SIGNAL...]` (sigkit::cli::list_command), text and
// --json. The input is the SIGNAL arguments, one a line (no line: every signal).
//
// Invariants:
// - the command succeeds exactly when parse_signal accepts every argument, else it throws
//   cli_error (and nothing else);
// - the JSON parses back: one object per argument, in order, with the number parse_signal
//   gives, its name(), a known default action and a description that is a string or null;
// - the table has a header and one line per argument, each starting with the number and name.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

// The signals of the arguments, or nullopt if one is not a signal.
std::optional<std::vector<sigkit::signum>> expected(const std::vector<std::string>& arguments) {
  std::vector<sigkit::signum> signals;
  if (arguments.empty()) {
    for (const sigkit::signum s : sigkit::valid_signals()) {
      signals.push_back(s);
    }
  }
  for (const auto& argument : arguments) {
    try {
      signals.push_back(sigkit::cli::parse_signal(argument));
    } catch (const sigkit::cli::cli_error&) {
      return std::nullopt;
    }
  }
  return signals;
}

// Runs `list` with the arguments; nullopt if it throws cli_error.
std::optional<std::string> list(const std::vector<std::string>& arguments, bool json) {
  std::ostringstream out;
  try {
    if (sigkit::cli::list_command({arguments, json}, out) != 0) {
      return std::nullopt;
    }
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
  return out.str();
}

bool known_action(const std::string& action) {
  return action == "term" || action == "core" || action == "stop" || action == "cont" ||
         action == "ignore";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  std::vector<std::string> arguments;
  if (!input.empty()) {
    for (const auto line : sigkit_fuzz::split(input, '\n')) {
      arguments.emplace_back(line);
    }
  }
  if (arguments.size() > 128) {
    return 0;
  }
  const auto signals = expected(arguments);
  const auto json_text = list(arguments, true);
  const auto table = list(arguments, false);
  SIGKIT_FUZZ_CHECK(
      signals.has_value() == json_text.has_value() && signals.has_value() == table.has_value(),
      input,
      fmt::format("every argument a signal: {}, list --json: {}, list: {}", signals.has_value(),
                  json_text.has_value(), table.has_value()));
  if (!signals) {
    return 0;
  }

  const auto json = nlohmann::json::parse(*json_text, nullptr, false);
  SIGKIT_FUZZ_CHECK(json.is_array() && json.size() == signals->size(), input, *json_text);
  for (std::size_t i = 0; i < signals->size(); ++i) {
    const sigkit::signum s = (*signals)[i];
    const auto& entry = json[i];
    SIGKIT_FUZZ_CHECK(
        entry.is_object() && entry.size() == 4 && entry.value("number", 0) == s.number() &&
            entry.value("name", "") == s.name() && known_action(entry.value("action", "")) &&
            (entry["description"].is_string() || entry["description"].is_null()),
        input, entry.dump());
  }

  const auto lines = sigkit_fuzz::split(*table, '\n');
  SIGKIT_FUZZ_CHECK(lines.size() == signals->size() + 2 && lines.front().starts_with("NUM") &&
                        lines.back().empty(),
                    input, *table);
  for (std::size_t i = 0; i < signals->size(); ++i) {
    const sigkit::signum s = (*signals)[i];
    SIGKIT_FUZZ_CHECK(lines[i + 1].starts_with(fmt::format("{:>3}  {} ", s.number(), s.name())),
                      input, std::string(lines[i + 1]));
  }
  return 0;
}
