// cli/commands/list.cpp - `sigkit list`: the signal catalogue.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {

int list_command(const list_options& options, std::ostream& out) {
  std::vector<signum> signals;
  if (options.signals.empty()) {
    for (const signum s : valid_signals()) {
      signals.push_back(s);
    }
  } else {
    for (const auto& text : options.signals) {
      signals.push_back(parse_signal(text));
    }
  }

  if (options.json) {
    auto array = nlohmann::ordered_json::array();
    for (const signum s : signals) {
      nlohmann::ordered_json entry;
      entry["number"] = s.number();
      entry["name"] = s.name();
      entry["action"] = to_string(default_action_of(s));
      const auto description = strsignal(s);
      entry["description"] = description ? nlohmann::ordered_json(*description) : nullptr;
      array.push_back(std::move(entry));
    }
    out << array.dump(2) << '\n';
    return exit_ok;
  }

  out << fmt::format("{:>3}  {:<13} {:<7} {}\n", "NUM", "NAME", "ACTION", "DESCRIPTION");
  for (const signum s : signals) {
    out << fmt::format("{:>3}  {:<13} {:<7} {}\n", s.number(), s.name(),
                       to_string(default_action_of(s)), strsignal(s).value_or("-"));
  }
  out.flush();
  return exit_ok;
}

}  // namespace sigkit::cli
