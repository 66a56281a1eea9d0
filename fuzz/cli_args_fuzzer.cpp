// fuzz/cli_args_fuzzer.cpp - the command line of the `sigkit` tool (sigkit::cli::run_app,
// CLI11 and the commands' own option parsing), for the commands without side effects.
//
// The input is argv[1..], the arguments separated by NUL bytes. Inputs that name a command
// with side effects (run, timeout, send, wait, status, trace, faulthandler: processes,
// signals, blocking; symbolize: files and standard input; __generate: files) are skipped.
// Invariants:
// - run_app never throws and exits 0 (success), 1 (an error) or 2 (a usage error);
// - it writes to stderr exactly when it fails;
// - `list --json` and `decode --json` print JSON that parses back (an array).
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

bool has(const std::vector<std::string>& arguments, std::string_view token) {
  for (const auto& argument : arguments) {
    if (argument == token) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  std::vector<std::string> arguments{"sigkit"};
  if (!input.empty()) {
    for (const auto piece : sigkit_fuzz::split(input, '\0')) {
      arguments.emplace_back(piece);
    }
  }
  if (arguments.size() > 64) {
    return 0;
  }
  for (const char* command : {"run", "send", "wait", "status", "timeout", "trace", "faulthandler",
                              "symbolize", "__generate"}) {
    if (has(arguments, command)) {
      return 0;  // side effects: never from a fuzzer
    }
  }
  std::vector<char*> argv;
  for (auto& argument : arguments) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);

  std::ostringstream out;
  std::ostringstream err;
  const int status =
      sigkit::cli::run_app(static_cast<int>(arguments.size()), argv.data(), out, err);
  const std::string detail = "exit status " + std::to_string(status) + ", stdout \"" +
                             sigkit_fuzz::escaped(out.str().substr(0, 300)) + "\", stderr \"" +
                             sigkit_fuzz::escaped(err.str().substr(0, 300)) + "\"";
  SIGKIT_FUZZ_CHECK(status == sigkit::cli::exit_ok || status == sigkit::cli::exit_error ||
                        status == sigkit::cli::exit_usage,
                    input, detail);
  SIGKIT_FUZZ_CHECK((status == sigkit::cli::exit_ok) == err.str().empty(), input, detail);

  // -h, --help, --help-all and --version print text instead (CLI11 also reads "-hXYZ" as -h
  // followed by more short flags).
  bool help = false;
  for (const auto& argument : arguments) {
    help = help || argument.starts_with("-h") || argument.starts_with("--help") ||
           argument.starts_with("--version");
  }
  if (status == sigkit::cli::exit_ok && has(arguments, "--json") && !help) {
    const auto json = nlohmann::json::parse(out.str(), nullptr, false);
    SIGKIT_FUZZ_CHECK(json.is_array(), input, detail);
  }
  return 0;
}
