// fuzz/trace_signal_filter_fuzzer.cpp - sigkit::cli::tracing::parse_signal_filter
// (`trace --signal LIST`).
//
// Invariants:
// - "all" keeps every signal;
// - otherwise, without a leading ! or ^, the text is accepted exactly when parse_signal_list
//   accepts it and it is neither empty nor "none", and the mask holds exactly those signals;
// - with a leading ! or ^, the same for the rest, and the mask is the complement;
// - a rejected text throws cli_error and nothing else.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace {

std::optional<std::uint64_t> filter(std::string_view text) {
  try {
    return sigkit::cli::tracing::parse_signal_filter(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

// The mask the list stands for, or nullopt where parse_signal_list refuses it.
std::optional<std::uint64_t> list_mask(std::string_view list) {
  try {
    std::uint64_t mask = 0;
    for (const int s : sigkit::cli::parse_signal_list(list)) {
      if (s >= 1 && s <= 64) mask |= std::uint64_t{1} << (s - 1);
    }
    return mask;
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

std::string hex(const std::optional<std::uint64_t>& m) {
  if (!m) return "rejected";
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(*m));
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const auto got = filter(text);
  std::optional<std::uint64_t> want;
  if (text == "all") {
    want = ~std::uint64_t{0};
  } else {
    std::string_view list = text;
    const bool exclude = !list.empty() && (list.front() == '!' || list.front() == '^');
    if (exclude) list.remove_prefix(1);
    if (!list.empty() && list != "none") {
      want = list_mask(list);
      if (want && exclude) want = ~*want;
    }
  }
  SIGKIT_FUZZ_CHECK(got == want, text, "filter " + hex(got) + ", expected " + hex(want));
  return 0;
}
