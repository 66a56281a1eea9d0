// fuzz/trace_proc_fuzzer.cpp - the /proc parsers of `sigkit trace` (cli/commands/trace_proc.cpp):
// parse_proc_stat, split_cmdline, parse_status_number, parse_status_mask, and the quoting of
// what they return (quote_argument, format_cmdline). The input is one file's text.
//
// Invariants:
// - parse_proc_stat: the comm is exactly the text between the first " (" and the last ") ";
//   the fields re-serialised as "PID (COMM) S PPID PGRP" parse back to the same fields;
// - split_cmdline: the arguments joined by NUL give the text back (plus a final NUL if the
//   text ended with one);
// - parse_status_number/parse_status_mask: a value found re-serialised alone ("Key:\tN",
//   "Key:\t%016x") parses back to itself;
// - quote_argument: an argument of only safe characters is itself; otherwise it is quoted, valid
//   UTF-8, free of control characters, and unquoting it (POSIX or bash $'...') gives it back;
// - format_cmdline: valid UTF-8, no longer than the limit plus "...".
// Nothing throws.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit_cli/trace.hpp"

namespace {

using namespace sigkit::cli::tracing;  // NOLINT(google-build-using-namespace)

bool valid_utf8(const std::string& text) {
  try {
    static_cast<void>(nlohmann::json(text).dump());  // strict: throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string utf8(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// The inverse of quote_argument's quoted forms: '...' with '\'' inside, and $'...' with \\,
// \', \xHH, \uHHHH and \UHHHHHHHH inside.
std::string unquote(std::string_view q) {
  std::string out;
  if (q.size() >= 3 && q.substr(0, 2) == "$'" && q.back() == '\'') {
    q = q.substr(2, q.size() - 3);
    for (std::size_t i = 0; i < q.size(); ++i) {
      if (q[i] != '\\' || i + 1 >= q.size()) {
        out += q[i];
      } else if (q[i + 1] == 'x' && i + 3 < q.size() && hex_digit(q[i + 2]) >= 0 &&
                 hex_digit(q[i + 3]) >= 0) {
        out += static_cast<char>(hex_digit(q[i + 2]) * 16 + hex_digit(q[i + 3]));
        i += 3;
      } else if ((q[i + 1] == 'u' || q[i + 1] == 'U') &&
                 i + 1 + (q[i + 1] == 'u' ? 4U : 8U) < q.size()) {
        // bash: \u takes up to 4 hex digits, \U up to 8; quote_argument writes all of them.
        const std::size_t digits = q[i + 1] == 'u' ? 4 : 8;
        std::uint32_t cp = 0;
        for (std::size_t k = 0; k < digits; ++k) {
          cp = cp * 16 + static_cast<std::uint32_t>(std::max(0, hex_digit(q[i + 2 + k])));
        }
        out += utf8(cp);
        i += 1 + digits;
      } else {
        out += q[i + 1];
        ++i;
      }
    }
    return out;
  }
  if (q.size() < 2 || q.front() != '\'' || q.back() != '\'') return "<not quoted>";
  q = q.substr(1, q.size() - 2);
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q.substr(i, 4) == "'\\''") {
      out += '\'';
      i += 3;
    } else {
      out += q[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);

  if (const auto st = parse_proc_stat(text)) {
    const std::size_t open = text.find(" (");
    const std::size_t close = text.rfind(") ");
    SIGKIT_FUZZ_CHECK(st->comm == text.substr(open + 2, close - open - 2), text, st->comm);
    const std::string again = std::to_string(st->pid) + " (" + st->comm + ") " + st->state + " " +
                              std::to_string(st->ppid) + " " + std::to_string(st->pgrp);
    const auto st2 = parse_proc_stat(again);
    SIGKIT_FUZZ_CHECK(st2 && st2->pid == st->pid && st2->comm == st->comm &&
                          st2->state == st->state && st2->ppid == st->ppid && st2->pgrp == st->pgrp,
                      text, again);
  }

  const std::vector<std::string> args = split_cmdline(text);
  std::string joined;
  for (std::size_t i = 0; i < args.size(); ++i) {
    joined += (i == 0 ? "" : std::string(1, '\0')) + args[i];
  }
  if (!text.empty() && text.back() == '\0') joined += '\0';
  SIGKIT_FUZZ_CHECK(joined == text, text, std::to_string(args.size()) + " arguments");

  for (const char* key : {"Tgid", "Uid", "TracerPid"}) {
    if (const auto n = parse_status_number(text, key)) {
      const std::string alone = std::string(key) + ":\t" + std::to_string(*n) + "\n";
      SIGKIT_FUZZ_CHECK(parse_status_number(alone, key) == n, text, alone);
    }
  }
  for (const char* key : {"SigCgt", "SigIgn", "ShdPnd", "CapEff"}) {
    if (const auto m = parse_status_mask(text, key)) {
      char hex[32];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*m));
      const std::string alone = std::string(key) + ":\t" + hex + "\n";
      SIGKIT_FUZZ_CHECK(parse_status_mask(alone, key) == m, text, alone);
    }
  }

  for (const std::string& arg : args) {
    const std::string q = quote_argument(arg);
    bool safe = !arg.empty();
    for (const char c : arg) {
      const auto u = static_cast<unsigned char>(c);
      safe = safe && ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                      std::string_view("-_./=:,+@%").find(c) != std::string_view::npos);
    }
    if (safe) {
      SIGKIT_FUZZ_CHECK(q == arg, text, q);
      continue;
    }
    SIGKIT_FUZZ_CHECK(valid_utf8(q), text, sigkit_fuzz::escaped(q));
    for (const char c : q) {
      const auto u = static_cast<unsigned char>(c);
      SIGKIT_FUZZ_CHECK(u >= 0x20 && u != 0x7f, text, sigkit_fuzz::escaped(q));
    }
    SIGKIT_FUZZ_CHECK(unquote(q) == arg, text, sigkit_fuzz::escaped(q));
  }
  const std::string line = format_cmdline(args, 40);
  SIGKIT_FUZZ_CHECK(valid_utf8(line), text, sigkit_fuzz::escaped(line));
  SIGKIT_FUZZ_CHECK(line.size() <= 43, text, sigkit_fuzz::escaped(line));
  return 0;
}
