// fuzz/text_escape_fuzzer.cpp - sigkit::cli::quote and printable: outside text (arguments,
// process names from /proc) made safe to print in one line and to put in JSON.
//
// Invariants:
// - the output of both is valid UTF-8 and holds no control character (C0, DEL, C1), no
//   bidirectional control and no line or paragraph separator: it stays on one line and cannot
//   drive a terminal;
// - quote() is '...' and loses nothing: undoing its escapes (\n \t \r \xNN \u{...} \\ \')
//   gives the input back, byte for byte;
// - printable() changes nothing in text that is already safe.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

// The code point of the UTF-8 sequence at text[i] and its length, or nullopt if the bytes
// there are not a valid shortest-form sequence of a Unicode scalar value.
std::optional<std::pair<char32_t, std::size_t>> decode(std::string_view text, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned lead = b(i);
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    return std::pair{static_cast<char32_t>(lead), std::size_t{1}};
  }
  if (lead >= 0xc0 && lead < 0xe0) {
    length = 2, cp = lead & 0x1fU, min = 0x80;
  } else if (lead >= 0xe0 && lead < 0xf0) {
    length = 3, cp = lead & 0x0fU, min = 0x800;
  } else if (lead >= 0xf0 && lead < 0xf8) {
    length = 4, cp = lead & 0x07U, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + length > text.size()) {
    return std::nullopt;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((b(i + k) & 0xc0U) != 0x80) {
      return std::nullopt;
    }
    cp = (cp << 6U) | (b(i + k) & 0x3fU);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return std::nullopt;
  }
  return std::pair{cp, length};
}

bool unsafe(char32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
         cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x2028 || cp == 0x2029;
}

// True if `text` is valid UTF-8 without an unsafe code point.
bool safe(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto d = decode(text, i);
    if (!d || unsafe(d->first)) {
      return false;
    }
    i += d->second;
  }
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0U | (cp >> 6U));
    out += static_cast<char>(0x80U | (cp & 0x3fU));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0U | (cp >> 12U));
    out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU));
    out += static_cast<char>(0x80U | (cp & 0x3fU));
  } else {
    out += static_cast<char>(0xf0U | (cp >> 18U));
    out += static_cast<char>(0x80U | ((cp >> 12U) & 0x3fU));
    out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU));
    out += static_cast<char>(0x80U | (cp & 0x3fU));
  }
}

bool hex(std::string_view digits) {
  return !digits.empty() &&
         digits.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// quote()'s output without the quotes and with its escapes undone; nullopt if it is not
// something quote() could have written.
std::optional<std::string> unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'') {
    return std::nullopt;
  }
  quoted = quoted.substr(1, quoted.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    const char c = quoted[i];
    if (c == '\'') {
      return std::nullopt;  // an unescaped quote inside
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= quoted.size()) {
      return std::nullopt;
    }
    const char e = quoted[i];
    if (e == 'n' || e == 't' || e == 'r') {
      out += e == 'n' ? '\n' : e == 't' ? '\t' : '\r';
    } else if (e == '\\' || e == '\'') {
      out += e;
    } else if (e == 'x' && i + 2 < quoted.size() && hex(quoted.substr(i + 1, 2))) {
      out += static_cast<char>(std::stoul(std::string(quoted.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (e == 'u' && i + 1 < quoted.size() && quoted[i + 1] == '{') {
      const std::size_t close = quoted.find('}', i);
      if (close == std::string_view::npos || close - i - 2 > 6 ||
          !hex(quoted.substr(i + 2, close - i - 2))) {
        return std::nullopt;
      }
      append_utf8(out, static_cast<char32_t>(std::stoul(
                           std::string(quoted.substr(i + 2, close - i - 2)), nullptr, 16)));
      i = close;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const std::string quoted = sigkit::cli::quote(text);
  const std::string printed = sigkit::cli::printable(text);
  SIGKIT_FUZZ_CHECK(safe(quoted), text, "quote() wrote \"" + sigkit_fuzz::escaped(quoted) + "\"");
  SIGKIT_FUZZ_CHECK(safe(printed), text,
                    "printable() wrote \"" + sigkit_fuzz::escaped(printed) + "\"");
  const auto back = unquote(quoted);
  SIGKIT_FUZZ_CHECK(
      back == std::string(text), text,
      "quote() wrote \"" + sigkit_fuzz::escaped(quoted) + "\", which reads back as " +
          (back ? "\"" + sigkit_fuzz::escaped(*back) + "\"" : std::string("garbage")));
  if (safe(text)) {
    SIGKIT_FUZZ_CHECK(printed == text, text,
                      "printable() changed safe text to \"" + sigkit_fuzz::escaped(printed) + "\"");
  }
  return 0;
}
