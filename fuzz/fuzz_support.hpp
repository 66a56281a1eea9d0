// fuzz/fuzz_support.hpp - what the libFuzzer targets share: the input as text, invariant checks
// that abort with a readable message (libFuzzer then saves the input as the reproducer), and a
// few string helpers. Every target is one LLVMFuzzerTestOneInput that checks what its parser
// promises, not only that it does not crash.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace sigkit_fuzz {

/// The fuzz input as the text the parser receives.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars
  return {reinterpret_cast<const char*>(data), size};
}

/// `text` with every byte outside printable ASCII (and `"`, `\`) written as a C escape.
inline std::string escaped(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += digits[byte >> 4U];
      out += digits[byte & 0xfU];
    }
  }
  return out;
}

/// Prints which invariant failed, for which input, and aborts (libFuzzer reports a crash and
/// writes the input to crash-<sha1>; scripts/fuzz.sh prints it).
[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line,
                                          std::string_view input, const std::string& detail) {
  std::fprintf(stderr,
               "\n%s:%d: invariant violated: %s\n  input (%zu bytes): \"%s\"\n  detail: %s\n\n",
               file, line, condition, input.size(), escaped(input).c_str(), detail.c_str());
  std::abort();
}

/// Case-insensitive ASCII prefix test.
inline bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(text[i]) != lower(prefix[i])) {
      return false;
    }
  }
  return true;
}

/// `text` with ASCII letters in upper (`upper` true) or lower case; other bytes unchanged.
inline std::string ascii_case(std::string_view text, bool upper) {
  std::string out(text);
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    } else if (!upper && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

/// True if `text` is a non-empty run of decimal digits.
inline bool all_digits(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

/// `text` split at every `separator` (an empty text gives one empty piece).
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  for (;;) {
    const std::size_t at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) {
      return pieces;
    }
    text.remove_prefix(at + 1);
  }
}

/// True if a and b agree to about nine significant digits (or are both within 1 ns of zero).
inline bool nearly_equal(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::fmax(std::fabs(a), std::fabs(b)) + 1e-12;
}

}  // namespace sigkit_fuzz

/// Checks an invariant of the parser under test; on failure prints it with the input and aborts.
/// `input` is the fuzz input (a std::string_view), `detail` a std::string with the values seen.
#define SIGKIT_FUZZ_CHECK(condition, input, detail)                                       \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      ::sigkit_fuzz::invariant_failed(#condition, __FILE__, __LINE__, (input), (detail)); \
    }                                                                                     \
  } while (false)
