// cli/commands/app.cpp - the command line: CLI11 wiring, exit statuses, one-line errors.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "sigkit/errors.hpp"
#include "sigkit/version.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/generate.hpp"

namespace sigkit::cli {
namespace {

// `sigkit run`'s usage line names the command that follows the options.
class run_formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    const auto end = usage.find_last_not_of('\n');
    usage.insert(end == std::string::npos ? usage.size() : end + 1, " [--] COMMAND [ARG...]");
    return usage;
  }
};

// Where `sigkit run`'s own options end: GNU getopt's rule with "+" (options first; the first
// argument that is not an option, or "--", starts COMMAND), using run's CLI11 definitions to
// know which options take a value. Returns the index in `args` of COMMAND's first word (or
// args.size()); `dashes` tells whether a "--" ended the options (it is not part of COMMAND).
// An unknown option also ends the scan there: CLI11 then reports it.
std::size_t end_of_run_options(CLI::App* run_cmd, const std::vector<std::string>& args,
                               std::size_t first, bool& dashes) {
  dashes = false;
  const auto find_long = [&](std::string_view name) -> const CLI::Option* {
    for (const CLI::Option* opt : run_cmd->get_options()) {
      for (const auto& l : opt->get_lnames()) {
        if (l == name) {
          return opt;
        }
      }
    }
    return nullptr;
  };
  const auto find_short = [&](char c) -> const CLI::Option* {
    for (const CLI::Option* opt : run_cmd->get_options()) {
      for (const auto& sn : opt->get_snames()) {
        if (sn.size() == 1 && sn[0] == c) {
          return opt;
        }
      }
    }
    return nullptr;
  };
  std::size_t i = first;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg == "--") {
      dashes = true;
      return i;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return i;
    }
    if (arg[1] == '-') {
      const auto eq = arg.find('=');
      const CLI::Option* opt = find_long(std::string_view(arg).substr(2, eq - 2));
      if (opt == nullptr) {
        return i + 1;  // unknown: CLI11 says so
      }
      i += opt->get_items_expected_max() > 0 && eq == std::string::npos ? 2U : 1U;
      continue;
    }
    std::size_t next = i + 1;
    for (std::size_t k = 1; k < arg.size(); ++k) {
      const CLI::Option* opt = find_short(arg[k]);
      if (opt == nullptr) {
        return i + 1;
      }
      if (opt->get_items_expected_max() > 0) {
        if (k + 1 == arg.size()) {
          next = i + 2;  // "-k 5": the value is the next argument
        }
        break;  // "-k5": the rest of this one
      }
    }
    i = next;
  }
  return std::min(i, args.size());
}

// `sigkit trace`'s usage line shows both ways to name the targets.
class trace_formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    const auto end = usage.find_last_not_of('\n');
    usage.insert(end == std::string::npos ? usage.size() : end + 1, " [-- COMMAND [ARG...]]");
    return usage;
  }
};

bool is_supervisor(std::string_view command) { return command == "run" || command == "timeout"; }

// Checks that everything written to `out` reached it (`sigkit list >/dev/full`).
bool output_ok(std::ostream& out, std::ostream& err) {
  out.flush();  // errno then holds the error of the write that failed (here or earlier)
  if (!out.fail()) {
    return true;
  }
  const int error = errno;
  print_error(err, error != 0 ? fmt::format("write error: {}", std::strerror(error))
                              : std::string("write error"));
  return false;
}

}  // namespace

int run_app(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"sigkit: inspect, send, wait for and supervise Unix signals", "sigkit"};
  app.set_version_flag("--version", std::string("sigkit ") + SIGKIT_VERSION_STRING);
  app.require_subcommand(1);

  list_options list;
  auto* list_cmd = app.add_subcommand("list",
                                      "List signals: number, name, default action, "
                                      "description");
  list_cmd->add_option("SIGNAL", list.signals, "Only these signals (default: every signal)")
      ->type_name("");
  list_cmd->add_flag("--json", list.json, "Print a JSON array");

  status_options status;
  auto* status_cmd = app.add_subcommand(
      "status", "Decode a process's signal state from /proc/PID/status and diagnose it");
  status_cmd
      ->add_option("PID", status.pids, "Processes to inspect (default: the parent, i.e. the shell)")
      ->type_name("");
  status_cmd->add_flag("--threads", status.threads, "Show the blocked set of every thread");
  status_cmd->add_flag("--json", status.json, "Print a JSON array, one object per process");
  status_cmd
      ->add_option("--sample", status.sample,
                   "If signals are pending, look again after this long to tell how long "
                   "they stay pending (0: look once)")
      ->type_name("DURATION")
      ->capture_default_str();

  decode_options decode;
  auto* decode_cmd =
      app.add_subcommand("decode", "Decode a raw hexadecimal signal mask (as in /proc/PID/status)");
  decode_cmd->add_option("MASK", decode.mask, "The mask, e.g. 0000000000004002 or 0x4002")
      ->type_name("")
      ->required();
  decode_cmd->add_flag("--json", decode.json, "Print a JSON array");

  send_options send;
  std::string value;
  auto* send_cmd = app.add_subcommand(
      "send", "Send a signal race-free through a pidfd (or queue it with --value)");
  send_cmd
      ->add_option("SIGNAL", send.signal,
                   "The signal: TERM, SIGTERM, term, 15, RTMIN+2; 0 only checks the process")
      ->type_name("")
      ->required();
  send_cmd->add_option("PID", send.pids, "The processes")->type_name("")->required();
  auto* value_opt = send_cmd
                        ->add_option("--value", value,
                                     "Queue the signal with this integer payload "
                                     "(sigqueue)")
                        ->type_name("N");
  send_cmd->add_flag("--json", send.json, "Print a JSON array, one object per process");

  wait_options wait;
  std::string wait_timeout;
  std::string wait_count = "1";
  auto* wait_cmd = app.add_subcommand(
      "wait", "Block the signals, print 'ready pid=PID' on stderr, then print each one received");
  wait_cmd
      ->add_option("SIGNAL", wait.signals,
                   "The signals to wait for: TERM, SIGTERM, term, 15, "
                   "RTMIN+2")
      ->type_name("")
      ->required();
  auto* wait_timeout_opt =
      wait_cmd
          ->add_option("--timeout", wait_timeout,
                       "Give up after this long (exit 124): 1.5, 500ms, 2s, 1m")
          ->type_name("DURATION");
  wait_cmd->add_option("--count", wait_count, "Exit after this many signals")
      ->type_name("N")
      ->capture_default_str();
  wait_cmd->add_flag("--json", wait.json, "Print one JSON object per line");

  run_options run;
  std::string run_timeout;
  std::string run_forward;
  auto* run_cmd = app.add_subcommand(
      "run",
      "Run COMMAND as a child (GNU timeout's options too): signal its process group on a "
      "timeout, forward signals, exit as it did; --init: a container's PID 1");
  auto* run_timeout_opt =
      run_cmd
          ->add_option("--timeout", run_timeout,
                       "Send --signal after this long (1.5, 500ms, 2s, 1m, 1e-3, 2d), then "
                       "exit 124; 0: never")
          ->type_name("DURATION");
  run_cmd->add_option("-s,--signal", run.signal, "The signal sent when the timeout fires")
      ->type_name("SIGNAL")
      ->capture_default_str();
  run_cmd
      ->add_option("-k,--kill-after,--grace", run.grace,
                   "Send KILL this long after --signal if COMMAND still runs (0: never); "
                   "a second INT/TERM meanwhile kills at once")
      ->type_name("DURATION")
      ->capture_default_str();
  run_cmd->add_flag("-p,--preserve-status", run.preserve_status,
                    "Exit with COMMAND's status even when the timeout fired");
  run_cmd->add_flag("-f,--foreground", run.foreground,
                    "Signal COMMAND only, not its process group, so that it can use the "
                    "terminal (its children are not timed out)");
  run_cmd->add_flag("-v,--verbose", run.verbose,
                    "Report each signal sent (and with --init each orphan reaped) on stderr");
  auto* run_forward_opt =
      run_cmd
          ->add_option("--forward", run_forward,
                       "Comma-separated signals to forward (default: every signal that ends a "
                       "process, and WINCH; 'none' for none)")
          ->type_name("SIGNALS");
  run_cmd->add_flag("--json", run.json,
                    "Print one JSON record on stdout at the end: exit code or signal, core "
                    "dumped, timed out, killed, duration");
  run_cmd->add_flag("--init", run.init,
                    "Be a container's PID 1 (or a child subreaper): reap every zombie, forward "
                    "every signal, job control on a terminal");
  run_cmd->add_flag("-g,--group", run.group,
                    "With --init: run COMMAND in a process group of its own and signal that "
                    "group");
  // COMMAND [ARG...] is everything after the options (or after --), cut off before CLI11
  // sees the arguments, so the command's own options (and its own --) are never parsed.
  run_cmd->formatter(std::make_shared<run_formatter>());
  run_cmd->footer(
      "Exit status: COMMAND's; if it died by a signal, sigkit dies by the same one; 124 if\n"
      "the timeout fired (137 if KILL was needed); 125 if sigkit failed or was misused; 126\n"
      "if COMMAND is not executable; 127 if not found.");

  // Parsed by timeout_command() with GNU timeout's own grammar; declared here for --help.
  auto* timeout_cmd = app.add_subcommand(
      "timeout",
      "GNU timeout, exactly: sigkit timeout [-fpv] [-k DURATION] [-s SIGNAL] DURATION "
      "COMMAND [ARG...]");
  timeout_cmd->prefix_command();

  std::vector<std::string> faulthandler_command_line;  // what follows `faulthandler ... --`
  const subcommand_hook faulthandler_hook =
      add_faulthandler_command(app, faulthandler_command_line);
  const subcommand_hook symbolize_hook = add_symbolize_command(app);

  trace_options trace;
  std::string trace_signals;
  std::string trace_output;
  auto* trace_cmd = app.add_subcommand(
      "trace", "Show each signal a process receives: who sent it, and what it did (ptrace)");
  trace_cmd->add_option("PID", trace.pids, "Processes to trace, every thread of each")
      ->type_name("");
  trace_cmd->add_flag("-f,--follow", trace.follow,
                      "Also trace the children they start (fork, vfork, clone)");
  auto* trace_signal_opt =
      trace_cmd
          ->add_option("--signal", trace_signals,
                       "Only these signals (INT,TERM), or all but these (!CHLD,WINCH)")
          ->type_name("SIGNALS");
  trace_cmd->add_flag("--json", trace.json, "Print one JSON object per line");
  auto* trace_output_opt =
      trace_cmd->add_option("-o,--output", trace_output, "Write the records to FILE")
          ->type_name("FILE");
  trace_cmd->formatter(std::make_shared<trace_formatter>());
  trace_cmd->footer(
      "One line per signal: time, receiving pid[/tid] (name), signal, si_code, the sender\n"
      "(pid, command line and parent as they are at that moment, uid), value or fault\n"
      "address, and the outcome: handled, ignored, stopped, continued, terminated (core), or\n"
      "pending while blocked. PIDs: Ctrl-C detaches and leaves them running. COMMAND: runs\n"
      "traced, and sigkit exits as it did.\n"
      "Examples:\n"
      "  sigkit trace 4242\n"
      "  sigkit trace --signal '!CHLD' -f -- make -j4\n"
      "  sigkit trace --json -o trace.jsonl 4242");

  app.footer("Run 'sigkit COMMAND --help' for the options of a command.");

  // Hidden (empty group): `sigkit __generate KIND [FILE]` writes sigkit(1) or a completion
  // script from this very app, so that they list what --help lists (cli/CMakeLists.txt).
  std::string generate_kind;
  std::string generate_file;
  auto* generate_cmd =
      app.add_subcommand("__generate", "Write the man page or a shell completion script");
  generate_cmd->group("");
  generate_cmd->add_option("KIND", generate_kind, "man, bash, zsh or fish")->required();
  generate_cmd->add_option("FILE", generate_file, "Write it there instead of standard output");

  const std::string_view command = argc > 1 ? std::string_view(argv[1]) : std::string_view();
  const bool supervisor = is_supervisor(command);
  // Usage errors: 125 for run/timeout (as timeout(1)), 2 for the others.
  const int usage_code = supervisor ? exit_failure : exit_usage;
  const int runtime_code = supervisor ? exit_failure : exit_error;

  std::vector<std::string> words(argv + std::min(argc, 1), argv + argc);
  if (command == "timeout") {
    try {
      const int rc =
          timeout_command(std::vector<std::string>(words.begin() + 1, words.end()), out, err);
      return output_ok(out, err) ? rc : exit_failure;
    } catch (const cli_error& e) {
      print_error(err, e.what());
      return exit_failure;
    } catch (const std::exception& e) {
      print_error(err, e.what());
      return exit_failure;
    }
  }
  std::vector<std::string> options_part = words;
  if (command == "run") {
    bool dashes = false;
    const std::size_t start = end_of_run_options(run_cmd, words, 1, dashes);
    options_part.assign(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(start));
    run.command.assign(words.begin() + static_cast<std::ptrdiff_t>(start + (dashes ? 1 : 0)),
                       words.end());
  }
  if (command == "faulthandler") {  // everything after the first -- is COMMAND, untouched
    const auto dashes = std::find(words.begin() + 1, words.end(), std::string("--"));
    if (dashes != words.end()) {
      faulthandler_command_line.assign(dashes + 1, words.end());
      options_part.assign(words.begin(), dashes);
    }
  }
  // `trace ... -- COMMAND ARG...`: everything after the first -- is the command, untouched.
  bool trace_dashes = false;
  if (command == "trace") {
    const auto dashes = std::find(words.begin() + 1, words.end(), "--");
    if (dashes != words.end()) {
      trace_dashes = true;
      trace.command.assign(dashes + 1, words.end());
      options_part.assign(words.begin(), dashes);
    }
  }
  std::vector<std::string> args(options_part.rbegin(), options_part.rend());  // CLI11's order

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    const int rc = app.exit(e, out, err);
    return output_ok(out, err) ? rc : runtime_code;
  } catch (const CLI::CallForAllHelp& e) {
    const int rc = app.exit(e, out, err);
    return output_ok(out, err) ? rc : runtime_code;
  } catch (const CLI::CallForVersion& e) {
    const int rc = app.exit(e, out, err);
    return output_ok(out, err) ? rc : runtime_code;
  } catch (const CLI::ParseError& e) {
    // One line, "sigkit: " first, as every other message (CLI11 would print two).
    const bool known = command == "list" || command == "status" || command == "decode" ||
                       command == "send" || command == "wait" || command == "run" ||
                       command == "faulthandler" || command == "symbolize" || command == "trace";
    const std::string where = known ? std::string(command) : std::string();
    print_error(err,
                fmt::format("{}{}{} (see 'sigkit{}{} --help')", where, where.empty() ? "" : ": ",
                            e.what(), where.empty() ? "" : " ", where));
    return usage_code;
  }

  try {
    int rc = exit_usage;
    if (*list_cmd) {
      rc = list_command(list, out);
    } else if (*status_cmd) {
      rc = status_command(status, out, err);
    } else if (*decode_cmd) {
      rc = decode_command(decode, out);
    } else if (*send_cmd) {
      if (*value_opt) {
        send.value = static_cast<int>(parse_integer(value, INT_MIN, INT_MAX, "value"));
      }
      rc = send_command(send, out, err);
    } else if (*wait_cmd) {
      if (*wait_timeout_opt) {
        wait.timeout = wait_timeout;
      }
      wait.count = static_cast<int>(parse_integer(wait_count, 1, INT_MAX, "count"));
      rc = wait_command(wait, out, err);
    } else if (*run_cmd) {
      if (*run_timeout_opt) {
        run.timeout = run_timeout;
      }
      if (*run_forward_opt) {
        run.forward = run_forward;
      }
      if (run.command.empty()) {
        throw cli_error("run: no COMMAND given (see 'sigkit run --help')", exit_usage);
      }
      rc = run_command(run, out, err);
    } else if (*trace_cmd) {
      if (trace_dashes && trace.command.empty()) {
        throw cli_error("trace: no COMMAND after -- (see 'sigkit trace --help')", exit_usage);
      }
      if (*trace_signal_opt) {
        trace.signals = trace_signals;
      }
      if (*trace_output_opt) {
        trace.output = trace_output;
      }
      rc = trace_command(trace, out, err);
    } else if (*generate_cmd) {
      if (generate_file.empty()) {
        generate_docs(app, generate_kind, out);
      } else {
        std::ofstream file(generate_file, std::ios::out | std::ios::trunc);
        generate_docs(app, generate_kind, file);
        file.close();
        if (!file) {
          throw cli_error("cannot write " + generate_file);
        }
      }
      rc = exit_ok;
    }
    if (*faulthandler_hook.command) rc = faulthandler_hook.run(out, err);
    if (*symbolize_hook.command) rc = symbolize_hook.run(out, err);
    return output_ok(out, err) ? rc : runtime_code;
  } catch (const cli_error& e) {
    print_error(err, e.what());
    return supervisor ? exit_failure : e.code();
  } catch (const std::exception& e) {
    print_error(err, e.what());
    return runtime_code;
  } catch (const keyboard_interrupt&) {
    print_error(err, "interrupted");
    return 130;
  }
}

}  // namespace sigkit::cli
