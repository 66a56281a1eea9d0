// cli/commands/generate.cpp - sigkit(1) and the bash, zsh and fish completions, written from
// the CLI11 app that parses the command line, so that every command and option in `--help`
// is in them and nothing else is.
//
// What a completion offers for an argument follows from its name in the definitions:
// SIGNAL/SIGNALS -> signal names, PID -> process ids, FILE -> files; a command whose usage has
// "[-- COMMAND" (trace) completes a command after "--", one whose usage has COMMAND otherwise
// (run) takes its first operand as the command. A command that CLI11 hands over unparsed
// (prefix_command: `timeout`, which has GNU timeout's own grammar) is described by the
// synopsis in its description ("sigkit timeout [-fpv] [-k DURATION] [-s SIGNAL] DURATION
// COMMAND [ARG...]"): its options and the operands before COMMAND are read from there.
#include "sigkit_cli/generate.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit/version.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

// ---- what the app defines -------------------------------------------------------------------

enum class arg_kind { none, signal, pid, file, command };

const char* kind_name(arg_kind k) {
  switch (k) {
    case arg_kind::signal:
      return "signal";
    case arg_kind::pid:
      return "pid";
    case arg_kind::file:
      return "file";
    case arg_kind::command:
      return "command";
    case arg_kind::none:
      break;
  }
  return "none";
}

arg_kind kind_of(std::string_view name) {
  if (name == "SIGNAL" || name == "SIGNALS") {
    return arg_kind::signal;
  }
  if (name == "PID") {
    return arg_kind::pid;
  }
  if (name == "FILE" || name == "PATH" || name == "DIR") {
    return arg_kind::file;
  }
  if (name == "COMMAND") {
    return arg_kind::command;
  }
  return arg_kind::none;
}

struct option_doc {
  std::vector<std::string> names;  // "-f", "--follow"
  std::string value;               // the value's name (DURATION); empty for a flag
  std::string description;
  std::string default_value;
  arg_kind kind = arg_kind::none;
};

struct positional_doc {
  std::string name;  // SIGNAL
  std::string description;
  bool repeats = false;
  bool required = false;
  arg_kind kind = arg_kind::none;
};

// How a command takes a command line of its own.
enum class command_mode {
  none,
  first,   // COMMAND follows the options and the operands before it: run, timeout
  dashes,  // COMMAND [ARG...] after "--" (trace)
};

struct command_doc {
  std::string name;
  std::string description;
  std::string usage;  // "sigkit send [OPTIONS] SIGNAL PID..." as --help prints it
  std::string footer;
  std::vector<option_doc> options;
  std::vector<positional_doc> positionals;
  command_mode mode = command_mode::none;
  std::vector<option_doc> synopsis_options;       // from the synopsis: completions only
  std::vector<positional_doc> synopsis_operands;  // the operands before COMMAND, likewise
};

// A prefix_command's synopsis, "sigkit NAME [-fpv] [-k DURATION] [-s SIGNAL] DURATION COMMAND
// [ARG...]" in its description: "-x" flags, "-k VALUE" options, operands before COMMAND.
void read_synopsis(command_doc& c) {
  const std::string head = "sigkit " + c.name + " ";
  const std::size_t at = c.description.find(head);
  if (at == std::string::npos) {
    return;
  }
  // The synopsis is the usage line (without a final period).
  c.usage = c.description.substr(at);
  while (!c.usage.empty() && (c.usage.back() == '.' || c.usage.back() == ' ')) {
    c.usage.pop_back();
  }
  std::istringstream words(c.description.substr(at + head.size()));
  for (std::string w; words >> w;) {
    if (w == "COMMAND") {
      return;
    }
    if (w.size() > 3 && w.front() == '[' && w[1] == '-' && w.back() == ']') {
      for (std::size_t i = 2; i + 1 < w.size(); ++i) {  // [-fpv]: flags
        c.synopsis_options.push_back(option_doc{{std::string("-") + w[i]}, "", "", "", {}});
      }
    } else if (w.size() == 3 && w.front() == '[' && w[1] == '-') {  // [-k VALUE]
      std::string value;
      words >> value;
      if (!value.empty() && value.back() == ']') {
        value.pop_back();
      }
      c.synopsis_options.push_back(
          option_doc{{std::string("-") + w[2]}, value, "", "", kind_of(value)});
    } else if (w.front() != '[') {
      c.synopsis_operands.push_back(positional_doc{w, "", false, true, kind_of(w)});
    }
  }
}

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string usage_of(const CLI::App* app, const std::string& name) {
  std::string usage;
  if (const auto f = std::dynamic_pointer_cast<CLI::Formatter>(app->get_formatter())) {
    usage = f->make_usage(app, name);
  } else {
    usage = CLI::Formatter().make_usage(app, name);
  }
  usage = strip(usage);
  const std::string label = "Usage: ";
  if (usage.rfind(label, 0) == 0) {
    usage.erase(0, label.size());
  }
  return usage;
}

command_doc describe_command(const CLI::App* sub) {
  command_doc c;
  c.name = sub->get_name();
  c.description = sub->get_description();
  c.usage = usage_of(sub, "sigkit " + c.name);
  c.footer = strip(sub->get_footer());
  for (const CLI::Option* opt : sub->get_options()) {
    if (opt == sub->get_help_ptr() || opt == sub->get_help_all_ptr()) {
      continue;
    }
    if (opt->get_positional() && !opt->nonpositional()) {
      positional_doc p;
      p.name = opt->get_name();
      p.description = opt->get_description();
      p.repeats = opt->get_items_expected_max() > 1;
      p.required = opt->get_required();
      p.kind = kind_of(p.name);
      c.positionals.push_back(p);
      continue;
    }
    option_doc o;
    for (const auto& s : opt->get_snames()) {
      o.names.push_back("-" + s);
    }
    for (const auto& l : opt->get_lnames()) {
      o.names.push_back("--" + l);
    }
    if (opt->get_expected_max() != 0) {
      o.value = opt->get_type_name();
      if (o.value.empty()) {
        o.value = "VALUE";
      }
      o.default_value = opt->get_default_str();
      o.kind = kind_of(o.value);
    }
    o.description = opt->get_description();
    c.options.push_back(o);
  }
  if (c.usage.find("[-- COMMAND") != std::string::npos) {
    c.mode = command_mode::dashes;
  } else if (sub->get_prefix_command()) {
    c.mode = command_mode::first;
    read_synopsis(c);
  } else if (c.usage.find("COMMAND") != std::string::npos) {
    c.mode = command_mode::first;
  }
  return c;
}

// The visible subcommands, in the order they were defined (the order of --help).
std::vector<command_doc> describe_app(const CLI::App& app) {
  std::vector<command_doc> commands;
  for (const CLI::App* sub : app.get_subcommands(
           [](const CLI::App* s) { return !s->get_group().empty() && !s->get_disabled(); })) {
    commands.push_back(describe_command(sub));
  }
  return commands;
}

std::string app_summary(const CLI::App& app) {
  std::string d = app.get_description();
  const std::string prefix = app.get_name() + ": ";
  if (d.rfind(prefix, 0) == 0) {
    d.erase(0, prefix.size());
  }
  return d;
}

// Signal names without "SIG", in number order: HUP INT ... RTMIN RTMIN+1 ... RTMAX.
std::vector<std::string> signal_words() {
  std::vector<std::string> words;
  for (const signum s : valid_signals()) {
    std::string name = s.name();
    if (name.rfind("SIG", 0) == 0) {
      name.erase(0, 3);
    }
    words.push_back(name);
  }
  return words;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = " ") {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) {
      text += sep;
    }
    text += item;
  }
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// ---- sigkit(1) --------------------------------------------------------------------------------

// Text for roff: backslashes and minus signs escaped, no line starting with a control character.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

// "sigkit send [OPTIONS] SIGNAL PID..." with the command words in bold.
std::string roff_usage(const std::string& usage, const std::string& command) {
  const std::string head = "sigkit " + command;
  if (usage.rfind(head, 0) != 0) {
    return roff(usage);
  }
  return "\\fB" + roff(head) + "\\fR" + roff(usage.substr(head.size()));
}

// A footer as paragraphs: lines that start with two spaces are examples (kept as they are),
// a line like "Examples:" is a heading, the other lines are joined into filled paragraphs.
void roff_footer(const std::string& footer, std::ostream& out) {
  std::string paragraph;
  std::vector<std::string> verbatim;
  const auto flush = [&] {
    if (!paragraph.empty()) {
      out << ".PP\n" << roff(paragraph) << '\n';
      paragraph.clear();
    }
    if (!verbatim.empty()) {
      out << ".RS 4\n.nf\n";
      for (const auto& v : verbatim) {
        out << roff(v) << '\n';
      }
      out << ".fi\n.RE\n";
      verbatim.clear();
    }
  };
  for (const auto& line : lines_of(footer)) {
    if (line.rfind("  ", 0) == 0) {
      if (!paragraph.empty()) {
        flush();
      }
      verbatim.push_back(line.substr(2));
      continue;
    }
    if (!verbatim.empty()) {
      flush();
    }
    const bool heading = !line.empty() && line.back() == ':' && line.find(' ') == std::string::npos;
    if (heading) {
      flush();
      out << ".PP\n" << roff(line) << '\n';
      continue;
    }
    if (line.empty()) {
      flush();
      continue;
    }
    paragraph += paragraph.empty() ? line : " " + line;
  }
  flush();
}

struct exit_status_doc {
  int code;
  const char* meaning;
};

void write_man(const CLI::App& app, std::ostream& out) {
  const auto commands = describe_app(app);
  std::string date;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr) {
    const auto t = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    date = fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  }
  out << ".\\\" sigkit(1): generated by 'sigkit __generate man' from the tool's own command\n"
         ".\\\" line definitions (the ones --help prints); do not edit.\n";
  out << fmt::format(".TH SIGKIT 1 \"{}\" \"sigkit {}\" \"User Commands\"\n", date,
                     SIGKIT_VERSION_STRING);
  out << ".SH NAME\nsigkit \\- " << roff(app_summary(app)) << '\n';
  out << ".SH SYNOPSIS\n";
  for (const auto& c : commands) {
    out << roff_usage(c.usage, c.name) << "\n.br\n";
  }
  out << "\\fBsigkit\\fR [\\fICOMMAND\\fR] \\fB\\-\\-help\\fR\n.br\n"
         "\\fBsigkit \\-\\-version\\fR\n";
  out << ".SH DESCRIPTION\n\\fBsigkit\\fR is the command-line tool of the sigkit library: it "
         "shows which signals exist and what a process does with them, sends and waits for "
         "signals, supervises a command, and traces the signals a process receives. "
         "The commands:\n";
  for (const auto& c : commands) {
    out << ".TP\n.B " << roff(c.name) << '\n' << roff(c.description) << '\n';
  }
  out << ".PP\nSignals are named as \\fBTERM\\fR, \\fBSIGTERM\\fR, \\fBterm\\fR, \\fB15\\fR or "
         "\\fBRTMIN+2\\fR; durations as a number of seconds (\\fB1.5\\fR) or with a unit: "
         "\\fBus\\fR, \\fBms\\fR, \\fBs\\fR, \\fBm\\fR, \\fBh\\fR, \\fBd\\fR (\\fB500ms\\fR).\n";

  out << ".SH COMMANDS\n";
  for (const auto& c : commands) {
    out << ".SS " << roff(c.name) << '\n';
    out << roff_usage(c.usage, c.name) << "\n.PP\n" << roff(c.description) << ".\n";
    for (const auto& p : c.positionals) {
      out << ".TP\n\\fI" << roff(p.name) << "\\fR" << (p.repeats ? "..." : "") << '\n'
          << roff(p.description) << '\n';
    }
    for (const auto& o : c.options) {
      out << ".TP\n";
      for (std::size_t i = 0; i < o.names.size(); ++i) {
        out << (i == 0 ? "" : ", ") << "\\fB" << roff(o.names[i]) << "\\fR";
      }
      if (!o.value.empty()) {
        out << " \\fI" << roff(o.value) << "\\fR";
      }
      out << '\n' << roff(o.description);
      if (!o.default_value.empty()) {
        out << " (default: " << roff(o.default_value) << ')';
      }
      out << '\n';
    }
    roff_footer(c.footer, out);
  }

  // Every exit_* constant of commands.hpp (the tests check that none is missing).
  constexpr exit_status_doc statuses[] = {
      {exit_ok, "Success."},
      {exit_error,
       "An error at run time: no such process, permission denied, a process that cannot be "
       "traced, a write error on standard output. Every message is one line on standard "
       "error, starting with \"sigkit: \"."},
      {exit_usage,
       "The command line could not be used: an unknown option, a missing argument, a value "
       "that does not parse (a signal, a duration, a pid, a mask). run and timeout exit 125 "
       "instead, as timeout(1) does."},
      {exit_timed_out,
       "wait, run, timeout: the timeout expired (run, timeout: 137 if KILL was needed)."},
      {exit_failure,
       "run, timeout: sigkit itself failed or was misused (usage errors included); trace: it "
       "could not start or trace COMMAND."},
      {exit_cannot_run, "run, timeout, trace: COMMAND was found but could not be executed."},
      {exit_not_found, "run, timeout, trace: COMMAND was not found."},
  };
  out << ".SH \"EXIT STATUS\"\n";
  for (const auto& s : statuses) {
    out << ".TP\n.B " << s.code << '\n' << roff(s.meaning) << '\n';
  }
  out << ".TP\n.B 128+N\n"
      << roff(
             "run, timeout, trace: COMMAND died by signal N; sigkit ends by the same signal, so "
             "that a shell sees 128+N (and WIFSIGNALED holds), without a core file of its own. "
             "Otherwise they exit with COMMAND's exit status.")
      << '\n';
  out << ".SH \"SEE ALSO\"\n.BR kill (1),\n.BR timeout (1),\n.BR strace (1),\n.BR ptrace (2),\n"
         ".BR sigaction (2),\n.BR proc (5),\n.BR signal (7)\n";
}

// ---- bash -----------------------------------------------------------------------------------

std::string shell_word(const std::string& s) {
  std::string quoted = "'";
  for (const char c : s) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

// The options a completion knows: those defined, and those of a prefix_command's synopsis.
std::vector<option_doc> completion_options(const command_doc& c) {
  std::vector<option_doc> all = c.options;
  all.insert(all.end(), c.synopsis_options.begin(), c.synopsis_options.end());
  return all;
}

std::vector<std::string> option_names(const command_doc& c) {
  std::vector<std::string> names{"--help"};
  for (const auto& o : completion_options(c)) {
    names.insert(names.end(), o.names.begin(), o.names.end());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The operands a completion knows: those defined, or a prefix_command's before COMMAND.
std::vector<positional_doc> completion_operands(const command_doc& c) {
  std::vector<positional_doc> all = c.positionals;
  all.insert(all.end(), c.synopsis_operands.begin(), c.synopsis_operands.end());
  return all;
}

std::vector<std::string> positional_kinds(const command_doc& c) {
  std::vector<std::string> kinds;
  for (const auto& p : completion_operands(c)) {
    kinds.emplace_back(kind_name(p.kind));
  }
  return kinds;
}

bool last_repeats(const command_doc& c) {
  const auto operands = completion_operands(c);
  return !operands.empty() && operands.back().repeats;
}

const char* mode_name(command_mode m) {
  switch (m) {
    case command_mode::first:
      return "first";
    case command_mode::dashes:
      return "dashes";
    case command_mode::none:
      break;
  }
  return "none";
}

void write_bash(const CLI::App& app, std::ostream& out) {
  const auto commands = describe_app(app);
  std::vector<std::string> names;
  names.reserve(commands.size());
  for (const auto& c : commands) {
    names.push_back(c.name);
  }
  out << "# bash completion for sigkit(1): generated by 'sigkit __generate bash' from the tool's\n"
         "# own command line definitions (the ones --help prints); do not edit.\n\n";
  out << "_sigkit_signals=" << shell_word(join(signal_words())) << "\n\n";
  out << R"(# _sigkit_value_kind COMMAND:OPTION: the kind of value OPTION takes; fails for a flag.
_sigkit_value_kind() {
  case $1 in
)";
  for (const auto& c : commands) {
    for (const auto& o : completion_options(c)) {
      if (o.value.empty()) {
        continue;
      }
      std::vector<std::string> patterns;
      for (const auto& n : o.names) {
        patterns.push_back(c.name + ":" + n);
      }
      out << "    " << join(patterns, "|") << ") echo " << kind_name(o.kind) << " ;;\n";
    }
  }
  out << R"(    *) return 1 ;;
  esac
}

# _sigkit_reply KIND: COMPREPLY for the word being completed ($cur).
_sigkit_reply() {
  local word=$cur lead=
  case $1 in
    signal)
      # One name of a comma-separated list, which may start with ! or ^ (trace --signal).
      if [[ $word == *,* ]]; then lead=${word%,*},; word=${word##*,}; fi
      if [[ -z $lead && ( $word == '!'* || $word == '^'* ) ]]; then lead=${word:0:1}; word=${word:1}; fi
      local names=$_sigkit_signals n
      if [[ ${word^^} == SIG* ]]; then names=; for n in $_sigkit_signals; do names+=" SIG$n"; done; fi
      mapfile -t COMPREPLY < <(compgen -W "$names" -- "${word^^}")
      [[ -n $lead ]] && COMPREPLY=("${COMPREPLY[@]/#/$lead}")
      ;;
    pid)
      local pids
      pids=$(cd /proc 2>/dev/null && printf '%s ' [0-9]*)
      mapfile -t COMPREPLY < <(compgen -W "$pids" -- "$word")
      ;;
    file) mapfile -t COMPREPLY < <(compgen -f -- "$word") ;;
    command) mapfile -t COMPREPLY < <(compgen -c -- "$word") ;;
    *) COMPREPLY=() ;;
  esac
}

_sigkit() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cword=$COMP_CWORD
  local -a words=("${COMP_WORDS[@]}")
  COMPREPLY=()
  local i cmd= at=0
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *) cmd=${words[i]}; at=$i; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
)";
  out << "    mapfile -t COMPREPLY < <(compgen -W " << shell_word(join(names) + " --help --version")
      << " -- \"$cur\")\n    return\n  fi\n";
  out << "  local options= mode=none repeat=0\n  local -a kinds=()\n  case $cmd in\n";
  for (const auto& c : commands) {
    out << "    " << c.name << ") options=" << shell_word(join(option_names(c))) << "; kinds=("
        << join(positional_kinds(c)) << "); repeat=" << (last_repeats(c) ? 1 : 0)
        << "; mode=" << mode_name(c.mode) << " ;;\n";
  }
  out << R"(    *) return ;;
  esac
  # --option=value splits into "--option" "=" "value".
  if [[ $prev == = ]] && ((cword >= 2)); then prev=${words[cword-2]}; fi
  local kind
  if kind=$(_sigkit_value_kind "$cmd:$prev"); then _sigkit_reply "$kind"; return; fi
  # After "--", or after run's options: a command, then its arguments.
  local n=0 first=0
  for ((i = at + 1; i < cword; i++)); do
    case ${words[i]} in
      --) if [[ $mode != none ]]; then first=$((i + 1)); break; fi ;;
      -*) _sigkit_value_kind "$cmd:${words[i]}" >/dev/null && ((i++)) ;;
      =) ;;
      *)
        if [[ $mode == first ]] && ((n >= ${#kinds[@]})); then first=$i; break; fi
        ((n++)) ;;
    esac
  done
  if ((first > 0)); then
    if ((first == cword)); then _sigkit_reply command
    elif declare -F _command_offset >/dev/null; then _command_offset "$first"
    else _sigkit_reply file; fi
    return
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    return
  fi
  if [[ $mode == first ]] && ((n >= ${#kinds[@]})); then _sigkit_reply command; return; fi
  kind=${kinds[n]:-}
  if [[ -z $kind ]] && ((repeat && ${#kinds[@]} > 0)); then kind=${kinds[-1]}; fi
  _sigkit_reply "$kind"
}
complete -F _sigkit sigkit
)";
}

// ---- zsh ------------------------------------------------------------------------------------

// A description inside the [...] of an _arguments spec, itself inside single quotes.
std::string zsh_text(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '[' || c == ']' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string zsh_action(arg_kind k) {
  switch (k) {
    case arg_kind::signal:
      return "_sigkit_signal_list";
    case arg_kind::pid:
      return "_sigkit_pids";
    case arg_kind::file:
      return "_files";
    case arg_kind::command:
      return " _command_names -e";
    case arg_kind::none:
      break;
  }
  return " ";
}

std::vector<std::string> zsh_specs(const command_doc& c) {
  std::vector<std::string> specs{"'(- *)'{-h,--help}'[Print this help message and exit]'"};
  for (const auto& o : completion_options(c)) {
    const std::string exclusion = o.names.size() > 1 ? "(" + join(o.names) + ")" : "";
    for (const auto& n : o.names) {
      std::string spec = "'";
      spec += exclusion;
      spec += n;
      if (!o.value.empty()) {
        spec += n.rfind("--", 0) == 0 ? "=" : "+";
      }
      const std::string about = o.description.empty() ? o.value : o.description;
      if (!about.empty()) {
        spec += "[" + zsh_text(about) + "]";
      }
      if (!o.value.empty()) {
        spec += ":" + zsh_text(o.value) + ":" + zsh_action(o.kind);
      }
      specs.push_back(spec + "'");
    }
  }
  if (c.mode == command_mode::first) {
    // The operands before COMMAND, then COMMAND, then its own arguments.
    const auto operands = completion_operands(c);
    for (std::size_t i = 0; i < operands.size(); ++i) {
      specs.push_back("'" + std::to_string(i + 1) + ":" + zsh_text(operands[i].name) + ":" +
                      zsh_action(operands[i].kind) + "'");
    }
    specs.push_back("'(-)" + std::to_string(operands.size() + 1) + ":command: _command_names -e'");
    specs.emplace_back("'*::argument: _normal'");
    return specs;
  }
  for (std::size_t i = 0; i < c.positionals.size(); ++i) {
    const auto& p = c.positionals[i];
    const bool last = i + 1 == c.positionals.size();
    std::string label = p.name;
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const std::string position = p.repeats && last ? "*" : std::to_string(i + 1);
    specs.push_back("'" + position + ":" + zsh_text(label) + ":" + zsh_action(p.kind) + "'");
  }
  return specs;
}

void write_zsh(const CLI::App& app, std::ostream& out) {
  const auto commands = describe_app(app);
  out << "#compdef sigkit\n"
         "# zsh completion for sigkit(1): generated by 'sigkit __generate zsh' from the tool's\n"
         "# own command line definitions (the ones --help prints); do not edit.\n\n";
  out << "_sigkit_signals() {\n  local -a names expl\n  names=(" << join(signal_words())
      << ")\n"
         "  if [[ ${(U)PREFIX} == SIG* ]]; then names=(SIG${^names}); fi\n"
         "  _wanted signals expl 'signal' compadd -M 'm:{a-z}={A-Z}' -a names\n}\n\n"
         "# One name of a comma-separated list that may start with ! or ^ (trace --signal).\n"
         "_sigkit_signal_list() {\n  compset -P '*,' || compset -P '[\\!\\^]'\n  _sigkit_signals\n}"
         "\n\n"
         "_sigkit_pids() {\n  local -a pids expl\n  pids=(/proc/<->(N:t))\n"
         "  _wanted pids expl 'process id' compadd -a pids\n}\n\n";
  out << "_sigkit() {\n  local curcontext=$curcontext state line ret=1\n  local -a subcommands\n"
         "  subcommands=(\n";
  for (const auto& c : commands) {
    out << "    '" << c.name << ":" << zsh_text(c.description) << "'\n";
  }
  out << "  )\n"
         "  _arguments -C \\\n"
         "    '(- *)--version[Print version information and exit]' \\\n"
         "    '(- *)'{-h,--help}'[Print this help message and exit]' \\\n"
         "    '1:command:->command' \\\n"
         "    '*::argument:->argument' && ret=0\n"
         "  case $state in\n"
         "    command) _describe -t commands 'sigkit command' subcommands && ret=0 ;;\n"
         "    argument)\n"
         "      curcontext=${curcontext%:*:*}:sigkit-$words[1]:\n"
         "      case $words[1] in\n";
  for (const auto& c : commands) {
    out << "        " << c.name << ")\n";
    std::string indent = "          ";
    if (c.mode == command_mode::dashes) {
      // After "--": the command and its arguments, completed as on their own.
      out << "          local dashes=${words[(i)--]}\n"
             "          if (( dashes < CURRENT )); then\n"
             "            shift $dashes words\n"
             "            (( CURRENT -= dashes ))\n"
             "            _normal && ret=0\n"
             "          else\n";
      indent += "  ";
    }
    out << indent << "_arguments -S \\\n";
    const auto specs = zsh_specs(c);
    for (const auto& spec : specs) {
      out << indent << "  " << spec << " \\\n";
    }
    out << indent << "  && ret=0\n";
    if (c.mode == command_mode::dashes) {
      out << "          fi\n";
    }
    out << "          ;;\n";
  }
  out << "      esac\n      ;;\n  esac\n  return ret\n}\n\n_sigkit \"$@\"\n";
}

// ---- fish -----------------------------------------------------------------------------------

void write_fish(const CLI::App& app, std::ostream& out) {
  const auto commands = describe_app(app);
  out << "# fish completion for sigkit(1): generated by 'sigkit __generate fish' from the tool's\n"
         "# own command line definitions (the ones --help prints); do not edit.\n\n";
  out << "function __sigkit_signals\n    printf '%s\\n' " << join(signal_words()) << "\nend\n\n";
  out << "function __sigkit_pids\n    string replace /proc/ '' /proc/* | string match -r "
         "'^[0-9]+$'\n"
         "end\n\n";
  out << "# The kind of positional argument the word being completed is: signal, pid, file,\n"
         "# command or none.\nfunction __sigkit_positional\n"
         "    set -l words (commandline -opc)\n"
         "    set -e words[1]\n"
         "    set -l cmd\n    set -l n 0\n    set -l after -1\n    set -l skip 0\n"
         "    set -l kinds\n    set -l repeat 0\n    set -l mode none\n"
         "    for w in $words\n"
         "        if test -z \"$cmd\"\n"
         "            if not string match -q -- '-*' $w\n                set cmd $w\n"
         "                switch $cmd\n";
  for (const auto& c : commands) {
    out << "                    case " << c.name << "\n                        set kinds "
        << join(positional_kinds(c)) << "\n                        set repeat "
        << (last_repeats(c) ? 1 : 0) << "\n                        set mode " << mode_name(c.mode)
        << '\n';
  }
  out << "                end\n            end\n            continue\n        end\n"
         "        if test $after -ge 0\n            set after (math $after + 1)\n"
         "            continue\n        end\n"
         "        if test $skip = 1\n            set skip 0\n            continue\n        end\n"
         "        switch \"$cmd:$w\"\n";
  std::vector<std::string> valued;
  for (const auto& c : commands) {
    for (const auto& o : completion_options(c)) {
      if (!o.value.empty()) {
        for (const auto& n : o.names) {
          valued.push_back("'" + c.name + ":" + n + "'");
        }
      }
    }
  }
  if (!valued.empty()) {
    out << "            case " << join(valued) << "\n                set skip 1\n";
  }
  out << "            case '*:--'\n"
         "                test $mode != none; and set after 0\n"
         "            case '*:-*'\n"
         "            case '*'\n"
         "                if test $mode = first; and test $n -ge (count $kinds)\n"
         "                    set after 1\n"
         "                else\n                    set n (math $n + 1)\n                end\n"
         "        end\n    end\n"
         "    if test -z \"$cmd\"; or test $skip = 1\n        echo none\n        return\n    end\n"
         "    if test $after -ge 0\n"
         "        if test $after = 0\n            echo command\n        else\n"
         "            echo file\n        end\n        return\n    end\n"
         "    if test $mode = first; and test $n -ge (count $kinds)\n        echo command\n"
         "        return\n    end\n"
         "    set -l i (math $n + 1)\n"
         "    if test $i -le (count $kinds)\n        echo $kinds[$i]\n"
         "    else if test $repeat = 1; and test (count $kinds) -gt 0\n"
         "        echo $kinds[-1]\n    else\n        echo none\n    end\nend\n\n";
  out << "complete -c sigkit -f\n"
         "complete -c sigkit -n __fish_use_subcommand -s h -l help -d 'Print this help message "
         "and exit'\n"
         "complete -c sigkit -n __fish_use_subcommand -l version -d 'Print version information "
         "and exit'\n";
  const auto fish_text = [](const std::string& s) { return shell_word(s); };
  for (const auto& c : commands) {
    out << "complete -c sigkit -n __fish_use_subcommand -a " << c.name << " -d "
        << fish_text(c.description) << '\n';
  }
  for (const auto& c : commands) {
    const std::string when = "-n '__fish_seen_subcommand_from " + c.name + "'";
    out << "complete -c sigkit " << when << " -s h -l help -d 'Print this help message and exit'\n";
    for (const auto& o : completion_options(c)) {
      out << "complete -c sigkit " << when;
      for (const auto& n : o.names) {
        out << (n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1));
      }
      if (!o.value.empty()) {
        switch (o.kind) {
          case arg_kind::signal:
            out << " -x -a '(__sigkit_signals)'";
            break;
          case arg_kind::pid:
            out << " -x -a '(__sigkit_pids)'";
            break;
          case arg_kind::file:
            out << " -r -F";
            break;
          default:
            out << " -x";
            break;
        }
      }
      out << " -d " << fish_text(o.description.empty() ? o.value : o.description) << '\n';
    }
  }
  out << "complete -c sigkit -n 'test (__sigkit_positional) = signal' -a '(__sigkit_signals)'\n"
         "complete -c sigkit -n 'test (__sigkit_positional) = pid' -a '(__sigkit_pids)'\n"
         "complete -c sigkit -n 'test (__sigkit_positional) = command' -a "
         "'(__fish_complete_command)'\n"
         "complete -c sigkit -n 'test (__sigkit_positional) = file' -F\n";
}

}  // namespace

std::vector<std::string> doc_kinds() { return {"man", "bash", "zsh", "fish"}; }

void generate_docs(const CLI::App& app, const std::string& kind, std::ostream& out) {
  if (kind == "man") {
    write_man(app, out);
  } else if (kind == "bash") {
    write_bash(app, out);
  } else if (kind == "zsh") {
    write_zsh(app, out);
  } else if (kind == "fish") {
    write_fish(app, out);
  } else {
    throw cli_error(fmt::format("unknown kind '{}' (man, bash, zsh or fish)", kind), exit_usage);
  }
  out.flush();
}

}  // namespace sigkit::cli
