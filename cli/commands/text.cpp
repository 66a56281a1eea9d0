// cli/commands/text.cpp - text from outside (arguments, /proc) made safe to print: one line,
// no terminal control sequences, no bytes a JSON encoder would reject.
#include <fmt/format.h>

#include <ostream>
#include <string>

#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length and code point, or 0 if the bytes
// there are not a valid, shortest-form sequence of a Unicode scalar value.
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1fU;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0fU;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07U;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xc0U) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3fU);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return len;
}

// Code points that change how a terminal shows what follows: C1 controls, bidirectional
// overrides and isolates ("Trojan Source"), line and paragraph separators.
bool is_invisible_control(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x061c;
}

std::string escape(std::string_view text, bool quoting) {
  std::string out;
  out.reserve(text.size() + 2);
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp < 0x20 || cp == 0x7f) {
      switch (cp) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += fmt::format("\\x{:02x}", static_cast<unsigned>(cp));
      }
    } else if (is_invisible_control(cp)) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<unsigned>(cp));
    } else if (quoting && (cp == '\\' || cp == '\'')) {
      out += '\\';
      out += static_cast<char>(cp);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

std::string quote(std::string_view text) {
  // Appended rather than "'" + escape(...) + "'": g++ 12 at -O2 warns falsely (-Wrestrict)
  // about that form, which stops the -Werror release build.
  std::string quoted = "'";
  quoted += escape(text, true);
  quoted += '\'';
  return quoted;
}

std::string printable(std::string_view text) { return escape(text, false); }

void print_error(std::ostream& err, std::string_view message) {
  err << "sigkit: " << printable(message) << '\n';
  err.flush();
}

}  // namespace sigkit::cli
