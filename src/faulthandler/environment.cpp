// environment.cpp - SIGKIT_FAULTHANDLER (Python's PYTHONFAULTHANDLER) and
// SIGKIT_FAULTHANDLER_FILE: crash reports without a code change.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "faulthandler/detail/engine.hpp"
#include "sigkit/faulthandler.hpp"

namespace sigkit::detail::fh {

sigkit::faulthandler::options parse_environment_value(std::string_view value,
                                                      std::vector<std::string>* unknown) {
  sigkit::faulthandler::options settings;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view word = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!word.empty() && (word.front() == ' ' || word.front() == '\t')) word.remove_prefix(1);
    while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.remove_suffix(1);
    if (word.empty() || word == "1" || word == "on" || word == "yes" || word == "true") continue;
    if (word == "json") {
      settings.format = sigkit::faulthandler::report_format::json;
    } else if (word == "text") {
      settings.format = sigkit::faulthandler::report_format::text;
    } else if (word == "all-threads") {
      settings.all_threads = true;
    } else if (word == "current-thread") {
      settings.all_threads = false;
    } else if (unknown != nullptr) {
      unknown->emplace_back(word);
    }
  }
  return settings;
}

}  // namespace sigkit::detail::fh

namespace sigkit::faulthandler {

options options_from_environment_value(std::string_view value) {
  return detail::fh::parse_environment_value(value, nullptr);
}

bool enable_from_environment() {
  const char* value = std::getenv("SIGKIT_FAULTHANDLER");  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr || *value == '\0') return false;
  std::vector<std::string> unknown;
  options settings = detail::fh::parse_environment_value(value, &unknown);
  for (const auto& word : unknown) {
    std::cerr << "sigkit: SIGKIT_FAULTHANDLER: unknown word '" << word
              << "' ignored (known: json, text, all-threads, current-thread)\n";
  }
  const char* file = std::getenv("SIGKIT_FAULTHANDLER_FILE");  // NOLINT(concurrency-mt-unsafe)
  if (file != nullptr && *file != '\0') settings.path = file;
  enable(settings);
  return true;
}

}  // namespace sigkit::faulthandler
