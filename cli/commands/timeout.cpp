// cli/commands/timeout.cpp - `sigkit timeout`: GNU timeout(1)'s command line, exactly, so that
// `alias timeout='sigkit timeout'` changes nothing a script can see but the implementation.
//
// The grammar is getopt_long's with "+fk:ps:v": options before the operands only (the first
// operand ends them, as does "--"), short options clustered ("-fv", "-k5", "-sKILL"), long
// options abbreviated to any unambiguous prefix ("--sig=KILL", "--fore"), "--opt=value" or
// "--opt value". Every error exits 125 (EXIT_CANCELED), as timeout's do.
#include <fmt/format.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sigkit/version.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

struct long_option {
  std::string_view name;
  bool takes_value;
  char id;  // the short option it stands for; 'H' help, 'V' version
};

constexpr long_option kLongOptions[] = {
    {"foreground", false, 'f'}, {"kill-after", true, 'k'}, {"preserve-status", false, 'p'},
    {"signal", true, 's'},      {"verbose", false, 'v'},   {"help", false, 'H'},
    {"version", false, 'V'},
};

// getopt's messages, prefixed and on one line with the hint timeout prints on a second one.
[[noreturn]] void usage_error(const std::string& message) {
  throw cli_error(fmt::format("timeout: {} (try 'sigkit timeout --help')", message), exit_failure);
}

void print_help(std::ostream& out) {
  out << "Usage: sigkit timeout [OPTION]... DURATION COMMAND [ARG]...\n"
         "Start COMMAND, and kill it if still running after DURATION.\n"
         "GNU timeout's options, grammar and exit statuses (sigkit run has more).\n"
         "\n"
         "  -f, --foreground\n"
         "         when not running timeout directly from a shell prompt,\n"
         "         allow COMMAND to read from the TTY and get TTY signals;\n"
         "         in this mode, children of COMMAND will not be timed out\n"
         "  -k, --kill-after=DURATION\n"
         "         also send a KILL signal if COMMAND is still running\n"
         "         this long after the initial signal was sent\n"
         "  -p, --preserve-status\n"
         "         exit with the same status as COMMAND,\n"
         "         even when the command times out\n"
         "  -s, --signal=SIGNAL\n"
         "         specify the signal to be sent on timeout;\n"
         "         SIGNAL may be a name like 'HUP' or a number\n"
         "  -v, --verbose\n"
         "         diagnose to standard error any signal sent upon timeout\n"
         "      --help        display this help and exit\n"
         "      --version     output version information and exit\n"
         "\n"
         "DURATION is a floating point number with an optional suffix:\n"
         "'s' for seconds (the default), 'm' for minutes, 'h' for hours or 'd' for days.\n"
         "A duration of 0 disables the associated timeout.\n"
         "\n"
         "Upon timeout, send the TERM signal to COMMAND, if no other SIGNAL specified.\n"
         "\n"
         "Exit status:\n"
         "  124  if COMMAND times out, and --preserve-status is not specified\n"
         "  125  if the timeout command itself fails\n"
         "  126  if COMMAND is found but cannot be invoked\n"
         "  127  if COMMAND cannot be found\n"
         "  137  if COMMAND (or timeout itself) is sent the KILL (9) signal (128+9)\n"
         "  -    the exit status of COMMAND otherwise\n";
}

}  // namespace

std::optional<run_options> parse_timeout_args(const std::vector<std::string>& args,
                                              std::ostream& out) {
  run_options options;
  options.gnu_timeout = true;
  options.grace = "0";  // timeout(1) sends no KILL unless -k says so
  std::size_t i = 0;

  const auto apply = [&](char id, const std::string& value) -> bool {
    switch (id) {
      case 'f':
        options.foreground = true;
        break;
      case 'k':
        static_cast<void>(parse_duration(value, duration_syntax::timeout));  // fails here
        options.grace = value;
        break;
      case 'p':
        options.preserve_status = true;
        break;
      case 's':
        options.signal = std::to_string(parse_timeout_signal(value));
        break;
      case 'v':
        options.verbose = true;
        break;
      case 'H':
        print_help(out);
        return true;
      case 'V':
        out << "timeout (sigkit) " SIGKIT_VERSION_STRING "\n";
        return true;
      default:
        break;
    }
    return false;
  };

  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      break;  // the first operand: DURATION
    }
    if (arg[1] == '-') {
      const std::string_view body = std::string_view(arg).substr(2);
      const auto eq = body.find('=');
      const std::string_view name = body.substr(0, eq);
      const long_option* match = nullptr;
      std::vector<std::string_view> candidates;
      for (const long_option& o : kLongOptions) {
        if (o.name == name) {
          match = &o;
          candidates.clear();
          break;
        }
        if (o.name.substr(0, name.size()) == name) {
          candidates.push_back(o.name);
          match = &o;
        }
      }
      if (candidates.size() > 1) {
        std::string list;
        for (const auto c : candidates) {
          list += fmt::format(" '--{}'", c);
        }
        usage_error(fmt::format("option {} is ambiguous; possibilities:{}",
                                quote(std::string("--").append(name)), list));
      }
      if (match == nullptr) {
        usage_error(fmt::format("unrecognized option {}", quote(arg)));
      }
      std::string value;
      if (match->takes_value) {
        if (eq != std::string_view::npos) {
          value = std::string(body.substr(eq + 1));
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          usage_error(fmt::format("option '--{}' requires an argument", match->name));
        }
      } else if (eq != std::string_view::npos) {
        usage_error(fmt::format("option '--{}' doesn't allow an argument", match->name));
      }
      if (apply(match->id, value)) {
        return std::nullopt;
      }
      continue;
    }
    // a cluster of short options
    for (std::size_t k = 1; k < arg.size(); ++k) {
      const char c = arg[k];
      if (c == 'k' || c == 's') {
        std::string value;
        if (k + 1 < arg.size()) {
          value = arg.substr(k + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          usage_error(fmt::format("option requires an argument -- {}", quote(std::string(1, c))));
        }
        apply(c, value);
        break;
      }
      if (c == 'f' || c == 'p' || c == 'v') {
        apply(c, "");
        continue;
      }
      usage_error(fmt::format("invalid option -- {}", quote(std::string(1, c))));
    }
  }
  if (args.size() - i < 2) {
    usage_error(args.size() == i ? "missing operand"
                                 : fmt::format("missing operand after {}", quote(args[i])));
  }
  static_cast<void>(parse_duration(args[i], duration_syntax::timeout));
  options.timeout = args[i];
  options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  return options;
}

int timeout_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const auto options = parse_timeout_args(args, out);
  return options ? run_command(*options, out, err) : exit_ok;
}

}  // namespace sigkit::cli
