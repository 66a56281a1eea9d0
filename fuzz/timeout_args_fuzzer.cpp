// fuzz/timeout_args_fuzzer.cpp - sigkit::cli::parse_timeout_args: the command line of
// `sigkit timeout`, GNU timeout's getopt_long grammar ("+fk:ps:v", abbreviated long options,
// clustered short ones). The input is the arguments after "timeout", separated by NUL bytes.
// Nothing is started: parse_timeout_args only parses.
//
// Invariants:
// - it returns options, or nullopt after printing --help or --version, or throws cli_error
//   (run_app exits 125 for any, timeout's EXIT_CANCELED) and nothing else;
// - parsed options have a COMMAND, a DURATION and a --kill-after that timeout's duration syntax
//   accepts, and a signal that is TERM (no -s) or a number in 0..NSIG-1;
// - the options round-trip: written back in canonical form ("-f -p -v -s N -k GRACE --
//   DURATION COMMAND...", -s only if given) they parse to the same options.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

using sigkit::cli::run_options;

std::string describe(const run_options& o) {
  std::string text = "timeout " + (o.timeout ? sigkit_fuzz::escaped(*o.timeout) : "-") +
                     " signal " + sigkit_fuzz::escaped(o.signal) + " grace " +
                     sigkit_fuzz::escaped(o.grace) + (o.foreground ? " -f" : "") +
                     (o.preserve_status ? " -p" : "") + (o.verbose ? " -v" : "") + " command";
  for (const auto& a : o.command) {
    text += " \"" + sigkit_fuzz::escaped(a) + "\"";
  }
  return text;
}

bool same(const run_options& a, const run_options& b) {
  return a.timeout == b.timeout && a.signal == b.signal && a.grace == b.grace &&
         a.foreground == b.foreground && a.preserve_status == b.preserve_status &&
         a.verbose == b.verbose && a.gnu_timeout == b.gnu_timeout && a.command == b.command;
}

bool duration_ok(const std::string& text) {
  try {
    static_cast<void>(sigkit::cli::parse_duration(text, sigkit::cli::duration_syntax::timeout));
    return true;
  } catch (const sigkit::cli::cli_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  std::vector<std::string> args;
  if (!input.empty()) {
    for (const auto piece : sigkit_fuzz::split(input, '\0')) {
      args.emplace_back(piece);
    }
  }
  if (args.size() > 64) {
    return 0;
  }
  std::ostringstream out;
  std::optional<run_options> options;
  try {
    options = sigkit::cli::parse_timeout_args(args, out);
  } catch (const sigkit::cli::cli_error&) {
    return 0;
  }
  if (!options) {
    SIGKIT_FUZZ_CHECK(!out.str().empty(), input, "nullopt without --help or --version");
    return 0;
  }
  const run_options& o = *options;
  SIGKIT_FUZZ_CHECK(o.gnu_timeout && !o.command.empty() && o.timeout && duration_ok(*o.timeout) &&
                        duration_ok(o.grace),
                    input, describe(o));
  const bool default_signal = o.signal == run_options{}.signal;  // no -s given
  SIGKIT_FUZZ_CHECK(default_signal || (sigkit_fuzz::all_digits(o.signal) && o.signal.size() <= 2 &&
                                       std::stoi(o.signal) < NSIG),
                    input, describe(o));

  std::vector<std::string> canonical;
  for (const auto& [set, flag] : {std::pair{o.foreground, "-f"}, std::pair{o.preserve_status, "-p"},
                                  std::pair{o.verbose, "-v"}}) {
    if (set) {
      canonical.emplace_back(flag);
    }
  }
  if (!default_signal) {
    canonical.insert(canonical.end(), {"-s", o.signal});
  }
  canonical.insert(canonical.end(), {"-k", o.grace, "--", *o.timeout});
  canonical.insert(canonical.end(), o.command.begin(), o.command.end());
  std::ostringstream ignored;
  std::optional<run_options> again;
  try {
    again = sigkit::cli::parse_timeout_args(canonical, ignored);
  } catch (const sigkit::cli::cli_error& e) {
    SIGKIT_FUZZ_CHECK(false, input, describe(o) + " written back is rejected: " + e.what());
  }
  SIGKIT_FUZZ_CHECK(again && same(*again, o), input,
                    describe(o) + "; written back: " + (again ? describe(*again) : "nothing"));
  return 0;
}
