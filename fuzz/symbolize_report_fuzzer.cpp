// fuzz/symbolize_report_fuzzer.cpp - sigkit::cli::parse_report: crash reports (text or JSON
// lines, mixed with any other output) as `sigkit symbolize` reads them.
//
// Invariants:
// - it never throws, and loses nothing: its lines joined by '\n' are the input (less a final
//   newline), with one "is JSON" flag each;
// - every frame points at a line of the report, in order, and at a module table that exists
//   (or none); a text frame's "module+0xoffset" ends inside its line, right after a hex digit;
//   a JSON frame sits on a JSON line; a frame is exact when the report says so or, for text,
//   exactly when it is frame #0;
// - every module's build-id is "" or lowercase hex of even length (what elf_build_id() gives
//   and the .build-id directories use).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

bool lowercase_hex(const std::string& id) {
  return id.size() % 2 == 0 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  const sigkit::cli::parsed_report report = sigkit::cli::parse_report(input);

  std::string joined;
  for (std::size_t i = 0; i < report.lines.size(); ++i) {
    joined += (i == 0 ? "" : "\n") + report.lines[i];
  }
  if (input.ends_with('\n')) {
    joined += '\n';
  }
  SIGKIT_FUZZ_CHECK(joined == input && report.line_is_json.size() == report.lines.size(), input,
                    std::to_string(report.lines.size()) + " lines");

  std::size_t previous_line = 0;
  for (const auto& frame : report.frames) {
    const std::string what = "frame #" + std::to_string(frame.index) + " on line " +
                             std::to_string(frame.line) + ", table " + std::to_string(frame.table) +
                             " of " + std::to_string(report.tables.size());
    SIGKIT_FUZZ_CHECK(frame.line < report.lines.size() && frame.line >= previous_line, input, what);
    SIGKIT_FUZZ_CHECK(
        frame.table == sigkit::cli::parsed_report::npos || frame.table < report.tables.size(),
        input, what);
    previous_line = frame.line;
    const std::string& line = report.lines[frame.line];
    if (report.line_is_json[frame.line]) {
      SIGKIT_FUZZ_CHECK(line.starts_with('{'), input, what);
      continue;
    }
    SIGKIT_FUZZ_CHECK(line.starts_with("  #") && frame.text_end <= line.size() &&
                          frame.text_end > 0 &&
                          std::isxdigit(static_cast<unsigned char>(line[frame.text_end - 1])) &&
                          line.substr(0, frame.text_end).find("+0x") != std::string::npos,
                      input, what + ", text ends at " + std::to_string(frame.text_end));
    SIGKIT_FUZZ_CHECK(frame.exact == (frame.index == 0), input, what);
  }
  for (const auto& table : report.tables) {
    for (const auto& module : table) {
      SIGKIT_FUZZ_CHECK(lowercase_hex(module.build_id), input,
                        "module " + sigkit_fuzz::escaped(module.path) + " build-id " +
                            sigkit_fuzz::escaped(module.build_id));
    }
  }
  return 0;
}
