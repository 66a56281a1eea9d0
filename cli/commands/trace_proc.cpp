// cli/commands/trace_proc.cpp - `sigkit trace`: what /proc says (stat, cmdline, status), the
// --signal filter, and why ptrace was refused.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace sigkit::cli::tracing {
namespace {

std::string_view skip_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

// The next space-separated field of `s`, removed from it.
std::string_view next_field(std::string_view& s) {
  s = skip_blanks(s);
  const std::size_t end = s.find(' ');
  const std::string_view field = s.substr(0, end);
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  return field;
}

template <class T>
std::optional<T> to_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The value after "KEY:" on its own line of a /proc status file.
std::optional<std::string_view> status_value(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      return skip_blanks(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

bool is_utf8_continuation(unsigned char c) { return (c & 0xC0U) == 0x80U; }

// The length of the valid UTF-8 sequence at the start of `s`, 0 if none; its code point in
// `code_point`.
std::size_t utf8_length(std::string_view s, char32_t* code_point = nullptr) {
  const auto c = static_cast<unsigned char>(s[0]);
  std::size_t n = 0;
  unsigned min = 0;
  if (c < 0x80U) {
    if (code_point != nullptr) {
      *code_point = c;
    }
    return 1;
  }
  if ((c & 0xE0U) == 0xC0U) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0U) == 0xE0U) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8U) == 0xF0U) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) {
    return 0;
  }
  unsigned code = c & (0x7FU >> n);
  for (std::size_t i = 1; i < n; ++i) {
    const auto cc = static_cast<unsigned char>(s[i]);
    if (!is_utf8_continuation(cc)) {
      return 0;
    }
    code = (code << 6U) | (cc & 0x3FU);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0;
  }
  if (code_point != nullptr) {
    *code_point = code;
  }
  return n;
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  // "PID (COMM) STATE PPID PGRP ..." where COMM may hold anything, ')' included.
  const std::size_t open = text.find(" (");
  const std::size_t close = text.rfind(") ");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open + 1) {
    return std::nullopt;
  }
  proc_stat st;
  const auto pid = to_number<pid_t>(text.substr(0, open));
  if (!pid) {
    return std::nullopt;
  }
  st.pid = *pid;
  st.comm = std::string(text.substr(open + 2, close - open - 2));
  std::string_view rest = text.substr(close + 2);
  const std::string_view state = next_field(rest);
  if (state.size() != 1) {
    return std::nullopt;
  }
  st.state = state[0];
  const auto ppid = to_number<pid_t>(next_field(rest));
  const auto pgrp = to_number<pid_t>(next_field(rest));
  if (!ppid || !pgrp) {
    return std::nullopt;
  }
  st.ppid = *ppid;
  st.pgrp = *pgrp;
  return st;
}

std::vector<std::string> split_cmdline(std::string_view raw) {
  std::vector<std::string> args;
  while (!raw.empty()) {
    const std::size_t nul = raw.find('\0');
    args.emplace_back(raw.substr(0, nul));
    raw.remove_prefix(nul == std::string_view::npos ? raw.size() : nul + 1);
  }
  return args;
}

std::optional<long long> parse_status_number(std::string_view status_text, std::string_view key) {
  auto value = status_value(status_text, key);
  if (!value) {
    return std::nullopt;
  }
  std::string_view rest = *value;
  // Fields such as Uid hold several numbers separated by tabs: take the first.
  const std::size_t end = rest.find_first_of(" \t");
  return to_number<long long>(rest.substr(0, end));
}

std::optional<std::uint64_t> parse_status_mask(std::string_view status_text, std::string_view key) {
  auto value = status_value(status_text, key);
  if (!value) {
    return std::nullopt;
  }
  std::string_view digits = *value;
  while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t')) {
    digits.remove_suffix(1);
  }
  std::uint64_t mask = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mask, 16);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return mask;
}

std::uint64_t parse_signal_filter(std::string_view text) {
  constexpr std::uint64_t every = ~std::uint64_t{0};
  if (text == "all") {
    return every;
  }
  bool exclude = false;
  std::string_view list = text;
  if (!list.empty() && (list.front() == '!' || list.front() == '^')) {
    exclude = true;
    list.remove_prefix(1);
  }
  if (list.empty() || list == "none") {
    throw cli_error(
        fmt::format("invalid --signal {} (expected a list such as INT,TERM or !CHLD,WINCH)",
                    quote(text)),
        exit_usage);
  }
  std::uint64_t mask = 0;
  for (const int s : parse_signal_list(list)) {
    if (s >= 1 && s <= 64) {
      mask |= std::uint64_t{1} << (s - 1);
    }
  }
  return exclude ? (every & ~mask) : mask;
}

// The length of the character at the start of `s` if it shows as itself (valid UTF-8, not a
// control character, not one that changes how a terminal shows what follows: the same rule as
// printable()), else 0.
std::size_t visible_length(std::string_view s, char32_t* code_point = nullptr) {
  const std::size_t n = utf8_length(s, code_point);
  return n > 0 && printable(s.substr(0, n)) == s.substr(0, n) ? n : 0;
}

std::string quote_argument(std::string_view arg) {
  bool plain = !arg.empty();
  bool visible = true;
  for (std::size_t i = 0; i < arg.size();) {
    const auto u = static_cast<unsigned char>(arg[i]);
    plain = plain && (std::isalnum(u) != 0 || std::strchr("-_./=:,+@%", arg[i]) != nullptr);
    const std::size_t n = visible_length(arg.substr(i));
    visible = visible && n > 0;
    i += std::max<std::size_t>(n, 1);
  }
  if (plain) {
    return std::string(arg);
  }
  if (visible) {
    // POSIX single quotes: everything literal, a quote as '\''.
    std::string quoted = "'";
    for (const char c : arg) {
      quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
  }
  // Bash's $'...': \\ and \' for themselves, \xHH for a control character or a byte that is
  // not UTF-8, \uHHHH (\UHHHHHHHH above the BMP) for an invisible control (C1, bidirectional).
  // Unambiguous, and pasted
  // into bash it gives the argument back.
  std::string quoted = "$'";
  for (std::size_t i = 0; i < arg.size();) {
    char32_t cp = 0;
    const std::size_t n = visible_length(arg.substr(i), &cp);
    const std::size_t any = utf8_length(arg.substr(i), &cp);
    if (arg[i] == '\\' || arg[i] == '\'') {
      quoted += '\\';
      quoted += arg[i];
    } else if (n > 0) {
      quoted.append(arg.substr(i, n));
    } else if (any > 1) {
      // bash reads at most 4 hex digits after \u, 8 after \U.
      quoted += cp > 0xFFFF ? fmt::format("\\U{:08x}", static_cast<unsigned>(cp))
                            : fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
      i += any;
      continue;
    } else {
      quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(arg[i]));
    }
    i += std::max<std::size_t>(n, 1);
  }
  return quoted + "'";
}

std::string format_cmdline(const std::vector<std::string>& args, std::size_t limit) {
  std::string text;
  for (const auto& arg : args) {
    if (!text.empty()) {
      text += ' ';
    }
    text += quote_argument(arg);
    if (text.size() > limit) {
      // Cut at a character boundary: never inside a UTF-8 sequence.
      std::size_t cut = limit;
      while (cut > 0 && is_utf8_continuation(static_cast<unsigned char>(text[cut]))) {
        --cut;
      }
      text.resize(cut);
      text += "...";
      break;
    }
  }
  return text;
}

std::optional<process_info> read_process_info(pid_t pid, bool with_cmdline) {
  if (pid <= 0) {
    return std::nullopt;
  }
  const auto stat_text = read_proc_file(fmt::format("/proc/{}/stat", pid));
  if (!stat_text) {
    return std::nullopt;
  }
  const auto st = parse_proc_stat(*stat_text);
  if (!st) {
    return std::nullopt;
  }
  process_info info;
  info.pid = pid;
  info.comm = st->comm;
  info.state = st->state;
  info.ppid = st->ppid;
  if (with_cmdline) {
    if (const auto raw = read_proc_file(fmt::format("/proc/{}/cmdline", pid))) {
      info.cmdline = split_cmdline(*raw);
    }
  }
  return info;
}

// ---- why ptrace was refused ------------------------------------------------------------------

std::string explain(const ptrace_refusal& r) {
  const std::string what = r.launched ? fmt::format("cannot trace the command (process {})", r.pid)
                                      : fmt::format("cannot trace process {}", r.pid);
  if (r.error == ESRCH) {
    return fmt::format("no such process: {}", r.pid);
  }
  if (r.error != EPERM) {
    return fmt::format("{}: {}", what, std::strerror(r.error));
  }
  if (r.tracer_pid) {
    return fmt::format(
        "{}: it is already traced by process {}{}; a process has one tracer at a time "
        "(detach strace or gdb first)",
        what, *r.tracer_pid, r.tracer_comm.empty() ? "" : fmt::format(" ({})", r.tracer_comm));
  }
  if (r.yama_scope && *r.yama_scope >= 3) {
    return fmt::format(
        "{}: ptrace is disabled on this system (kernel.yama.ptrace_scope = 3, which only a "
        "reboot resets)",
        what);
  }
  if (r.yama_scope && *r.yama_scope == 2 && !r.have_cap_sys_ptrace) {
    return fmt::format(
        "{}: kernel.yama.ptrace_scope = 2 allows ptrace only with CAP_SYS_PTRACE: run sigkit "
        "as root",
        what);
  }
  if (!r.have_cap_sys_ptrace && r.target_uid && *r.target_uid != r.own_uid) {
    return fmt::format(
        "{}: it belongs to uid {} and sigkit runs as uid {} without CAP_SYS_PTRACE: run "
        "sigkit as that user or as root",
        what, *r.target_uid, r.own_uid);
  }
  if (r.yama_scope && *r.yama_scope == 1 && !r.have_cap_sys_ptrace && !r.launched) {
    return fmt::format(
        "{}: kernel.yama.ptrace_scope = 1 lets a process trace only its own descendants: run "
        "sigkit as root, start the program with 'sigkit trace -- COMMAND', or allow it with "
        "'sysctl kernel.yama.ptrace_scope=0'",
        what);
  }
  return fmt::format(
      "{}: ptrace is not permitted (the program may be setuid or not dumpable, or a seccomp "
      "policy or container forbids ptrace: run with CAP_SYS_PTRACE, e.g. docker run "
      "--cap-add=SYS_PTRACE)",
      what);
}

ptrace_refusal inspect_refusal(pid_t pid, int error, bool launched) {
  ptrace_refusal r;
  r.pid = pid;
  r.error = error;
  r.launched = launched;
  r.own_uid = ::geteuid();
  if (const auto scope = read_proc_file("/proc/sys/kernel/yama/ptrace_scope")) {
    r.yama_scope = to_number<int>(std::string_view(*scope).substr(0, scope->find('\n')));
  }
  if (const auto self = read_proc_file("/proc/self/status")) {
    constexpr int cap_sys_ptrace = 19;
    const auto caps = parse_status_mask(*self, "CapEff");
    r.have_cap_sys_ptrace = caps && ((*caps >> cap_sys_ptrace) & 1U) != 0;
  }
  if (const auto status = read_proc_file(fmt::format("/proc/{}/status", pid))) {
    if (const auto uid = parse_status_number(*status, "Uid"); uid && *uid >= 0) {
      r.target_uid = static_cast<uid_t>(*uid);
    }
    if (const auto tracer = parse_status_number(*status, "TracerPid"); tracer && *tracer > 0) {
      r.tracer_pid = static_cast<pid_t>(*tracer);
      if (const auto info = read_process_info(*r.tracer_pid)) {
        r.tracer_comm = info->comm;
      }
    }
  }
  return r;
}

}  // namespace sigkit::cli::tracing
