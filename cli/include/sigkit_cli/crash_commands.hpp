// sigkit_cli/crash_commands.hpp - `sigkit faulthandler` and `sigkit symbolize`: crash
// reports for any program, and their symbolization by module + build-id. Included by
// commands.hpp; the functions are testable on their own, as the other commands'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace sigkit::cli {

/// A subcommand added to the tool's CLI11 app, and what runs it once parsed.
struct subcommand_hook {
  CLI::App* command = nullptr;
  std::function<int(std::ostream& out, std::ostream& err)> run;
};

// ---- faulthandler ---------------------------------------------------------------------------

struct faulthandler_options {
  bool json = false;                  ///< JSON-lines reports
  bool all_threads = false;           ///< every thread's stack, not only the crashing one's
  std::optional<std::string> output;  ///< append reports to this file (default: stderr)
  std::vector<std::string> command;   ///< COMMAND ARG...
};

/// libsigkit-faulthandler.so: $SIGKIT_FAULTHANDLER_LIBRARY, else next to the running tool
/// (build tree), else at the install tree's place relative to it.
/// Errors: cli_error (exit 125) when it is nowhere.
std::string find_preload_library();

/// The environment variables `sigkit faulthandler` sets for COMMAND: SIGKIT_FAULTHANDLER,
/// SIGKIT_FAULTHANDLER_FILE (with --output) and LD_PRELOAD (the library appended).
std::vector<std::pair<std::string, std::string>> faulthandler_environment(
    const faulthandler_options& options, const std::string& library);

/// Sets that environment and execs COMMAND (returns only by throwing: cli_error with exit
/// 127 if COMMAND is not found, 126 if it cannot be run, 125 without the library). Warns on
/// `err` when COMMAND is a statically linked ELF file (LD_PRELOAD cannot reach it).
int faulthandler_command(const faulthandler_options& options, std::ostream& err);

/// Adds `faulthandler` to the app; `after_dashes` is what followed `--` on the command line.
subcommand_hook add_faulthandler_command(CLI::App& app, std::vector<std::string>& after_dashes);

// ---- symbolize ------------------------------------------------------------------------------

/// One frame line of a report (text "  #3 0x... module+0x..." or a JSON "frame" object).
struct report_frame {
  std::size_t line = 0;     ///< index in parsed_report::lines
  std::uint64_t index = 0;  ///< the frame number (#n)
  std::uint64_t pc = 0;
  std::string module;        ///< "" when the pc is in no module
  std::uint64_t offset = 0;  ///< pc minus the module's load base
  bool exact = false;        ///< the interrupted instruction (frame #0), not a return address
  std::size_t text_end = 0;  ///< text frames: where "module+0xoffset" ends in the line
  std::size_t table = static_cast<std::size_t>(-1);  ///< its report's module table
};

/// One module of a report's module table.
struct report_module {
  std::string path;
  std::uint64_t base = 0;
  std::string build_id;  ///< lowercase hex; "" when the module has none
};

/// A crash report (or several, or one inside other output), line by line.
struct parsed_report {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::vector<std::string> lines;
  std::vector<bool> line_is_json;  ///< the line is a JSON object with a "type"
  std::vector<report_frame> frames;
  std::vector<std::vector<report_module>> tables;  ///< one module table per report
};

/// Parses sigkit::faulthandler reports (text or JSON lines, mixed with any other text).
/// Never throws on malformed input: what it does not recognise stays a plain line.
parsed_report parse_report(std::string_view text);

/// The GNU build-id (lowercase hex) of an ELF64 image, from its SHT_NOTE sections or else
/// its PT_NOTE segments; "" if it has none or is not ELF64. Never throws on malformed input.
std::string elf_build_id(std::string_view bytes);

struct symbolize_options {
  std::optional<std::string> file;      ///< none or "-": standard input
  bool json = false;                    ///< print JSON lines
  std::vector<std::string> debug_dirs;  ///< where DIR/.build-id/xx/yyyy.debug files are
  std::string symbolizer;               ///< "": llvm-symbolizer if installed, else addr2line
};

/// Symbolizes `text` onto `out`; problems (a module not found, a build-id mismatch) go to
/// `err`, one line each, and make the result exit_error; their frames stay as they were.
/// Errors: cli_error if no symbolizer is installed.
int symbolize_report(std::string_view text, const symbolize_options& options, std::ostream& out,
                     std::ostream& err);

/// Reads the report from the file (or standard input) and symbolize_report()s it.
int symbolize_command(const symbolize_options& options, std::ostream& out, std::ostream& err);

/// Adds `symbolize` to the app.
subcommand_hook add_symbolize_command(CLI::App& app);

}  // namespace sigkit::cli
