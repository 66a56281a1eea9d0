// cli/commands/app.cpp - the command line: CLI11 wiring, exit statuses, one-line errors.
#include <CLI/CLI.hpp>
#include <exception>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sigkit/errors.hpp"
#include "sigkit/version.hpp"
#include "sigkit_cli/commands.hpp"

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
  int value = 0;
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

  wait_options wait;
  std::string wait_timeout;
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
  wait_cmd->add_option("--count", wait.count, "Exit after this many signals")
      ->type_name("N")
      ->capture_default_str();
  wait_cmd->add_flag("--json", wait.json, "Print one JSON object per line");

  run_options run;
  std::string run_timeout;
  std::string run_forward;
  auto* run_cmd = app.add_subcommand(
      "run", "Run COMMAND as a child: forward signals, enforce a timeout, exit as the child did");
  auto* run_timeout_opt =
      run_cmd
          ->add_option("--timeout", run_timeout,
                       "Send --signal after this long (1.5, 500ms, 2s, 1m), then exit 124; "
                       "0: never")
          ->type_name("DURATION");
  run_cmd->add_option("--signal", run.signal, "The signal sent when the timeout fires")
      ->type_name("SIGNAL")
      ->capture_default_str();
  run_cmd
      ->add_option("--grace", run.grace,
                   "Send KILL this long after --signal if the child is still running; a "
                   "second INT/TERM meanwhile kills at once")
      ->type_name("DURATION")
      ->capture_default_str();
  auto* run_forward_opt =
      run_cmd
          ->add_option(
              "--forward", run_forward,
              "Comma-separated signals to forward (default INT,TERM,HUP,QUIT,USR1,USR2,WINCH; "
              "'none' for none)")
          ->type_name("SIGNALS");
  // COMMAND [ARG...] is everything after the options (or after --): CLI11 hands it over
  // untouched as the remaining arguments, so the command's own options are never parsed.
  run_cmd->prefix_command();
  run_cmd->formatter(std::make_shared<run_formatter>());
  run_cmd->footer(
      "Exit status: the child's; if it died by a signal, sigkit dies by the same one; 124 if\n"
      "the timeout fired; 125 if sigkit failed; 126 if COMMAND is not executable; 127 if not "
      "found.");

  app.footer("Run 'sigkit COMMAND --help' for the options of a command.");

  // `run ... -- COMMAND ARG...`: everything after the first -- is the command, untouched.
  // (CLI11 would hand it to the parent app, which has no positionals.)
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) {
    args.emplace_back(argv[i]);  // CLI11 takes the arguments in reverse order
  }
  if (argc > 1 && std::string_view(argv[1]) == "run") {
    for (int i = 2; i < argc; ++i) {
      if (std::string_view(argv[i]) == "--") {
        run.command.assign(argv + i + 1, argv + argc);
        args.erase(args.begin(), args.begin() + (argc - i));
        break;
      }
    }
  }

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    static_cast<void>(app.exit(e, out, err));
    return exit_usage;
  }

  try {
    if (*list_cmd) {
      return list_command(list, out);
    }
    if (*status_cmd) {
      return status_command(status, out, err);
    }
    if (*decode_cmd) {
      return decode_command(decode, out);
    }
    if (*send_cmd) {
      if (*value_opt) {
        send.value = value;
      }
      return send_command(send, out, err);
    }
    if (*wait_cmd) {
      if (*wait_timeout_opt) {
        wait.timeout = wait_timeout;
      }
      return wait_command(wait, out, err);
    }
    if (*run_cmd) {
      if (*run_timeout_opt) {
        run.timeout = run_timeout;
      }
      if (*run_forward_opt) {
        run.forward = run_forward;
      }
      const auto before_dashes = run_cmd->remaining();
      if (run.command.empty()) {
        if (!before_dashes.empty() && before_dashes.front().size() > 1 &&
            before_dashes.front().front() == '-') {
          err << "sigkit: run: unknown option '" << before_dashes.front()
              << "' (put -- before a COMMAND that starts with -)\n"
                 "Run with --help for more information.\n";
          return exit_usage;
        }
        run.command = before_dashes;
      } else if (!before_dashes.empty()) {
        err << "sigkit: run: unexpected argument '" << before_dashes.front()
            << "' before --\nRun with --help for more information.\n";
        return exit_usage;
      }
      if (run.command.empty()) {
        err << "sigkit: run: no COMMAND given\nRun with --help for more information.\n";
        return exit_usage;
      }
      return run_command(run, err);
    }
  } catch (const cli_error& e) {
    err << "sigkit: " << e.what() << std::endl;
    return e.code();
  } catch (const std::system_error& e) {
    err << "sigkit: " << e.what() << std::endl;
    return exit_error;
  } catch (const std::exception& e) {
    err << "sigkit: " << e.what() << std::endl;
    return exit_error;
  } catch (const keyboard_interrupt&) {
    err << "KeyboardInterrupt" << std::endl;
    return 130;
  }
  return exit_usage;
}

}  // namespace sigkit::cli
