// cli/commands/faulthandler.cpp - `sigkit faulthandler [--json] [--all-threads] -- COMMAND`:
// crash reports for any dynamically linked program, with no code change (glibc removed
// catchsegv in 2.35; this replaces it).
//
// sigkit execs COMMAND with libsigkit-faulthandler.so in LD_PRELOAD and SIGKIT_FAULTHANDLER
// set, so the command's exit status (or the signal that killed it) is the tool's own, and
// the processes it starts get crash reports too.
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "sigkit_cli/commands.hpp"

#ifndef SIGKIT_PRELOAD_RELATIVE_PATH
#define SIGKIT_PRELOAD_RELATIVE_PATH "../lib/sigkit/libsigkit-faulthandler.so"
#endif

namespace sigkit::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPreloadName = "libsigkit-faulthandler.so";

// The file execvp would run for `command` (PATH search), or "" if none.
std::string resolve_command(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): single-threaded
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = std::move(dir);
    candidate += '/';
    candidate += command;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return {};
    dirs.remove_prefix(colon + 1);
  }
}

// An ELF executable without PT_INTERP is statically linked: LD_PRELOAD cannot reach it.
bool is_static_elf(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Elf64_Ehdr header{};
  bool is_static = false;
  if (::pread(fd, &header, sizeof header, 0) == static_cast<ssize_t>(sizeof header) &&
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_ident[EI_CLASS] == ELFCLASS64 &&
      header.e_phentsize == sizeof(Elf64_Phdr) && header.e_phnum > 0 && header.e_phnum < 1024) {
    is_static = true;
    for (unsigned i = 0; i < header.e_phnum; ++i) {
      Elf64_Phdr ph{};
      const auto offset = static_cast<off_t>(header.e_phoff + i * sizeof ph);
      if (::pread(fd, &ph, sizeof ph, offset) != static_cast<ssize_t>(sizeof ph)) break;
      if (ph.p_type == PT_INTERP) {
        is_static = false;
        break;
      }
    }
  }
  ::close(fd);
  return is_static;
}

}  // namespace

std::string find_preload_library() {
  if (const char* forced = std::getenv("SIGKIT_FAULTHANDLER_LIBRARY");  // NOLINT
      forced != nullptr && *forced != '\0') {
    if (::access(forced, R_OK) != 0) {
      throw cli_error(fmt::format("faulthandler: SIGKIT_FAULTHANDLER_LIBRARY={}: {}", quote(forced),
                                  std::strerror(errno)),
                      exit_failure);
    }
    return forced;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(self.parent_path() / kPreloadName);                  // build tree
    candidates.push_back(self.parent_path() / SIGKIT_PRELOAD_RELATIVE_PATH);  // install tree
  }
  std::string looked;
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), R_OK) == 0) {
      return fs::weakly_canonical(candidate, ec).string();
    }
    looked += (looked.empty() ? "" : ", ") + quote(candidate.lexically_normal().string());
  }
  throw cli_error(fmt::format("faulthandler: cannot find {} (looked for {})", kPreloadName,
                              looked.empty() ? "nothing: /proc/self/exe is unreadable" : looked),
                  exit_failure);
}

std::vector<std::pair<std::string, std::string>> faulthandler_environment(
    const faulthandler_options& options, const std::string& library) {
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("SIGKIT_FAULTHANDLER",
                   std::string(options.json ? "json" : "text") +
                       (options.all_threads ? ",all-threads" : ",current-thread"));
  if (options.output) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(*options.output, ec);
    env.emplace_back("SIGKIT_FAULTHANDLER_FILE", ec ? *options.output : absolute.string());
  }
  const char* existing = std::getenv("LD_PRELOAD");  // NOLINT(concurrency-mt-unsafe)
  std::string preload = existing != nullptr ? existing : "";
  if (preload.find(library) == std::string::npos) {
    preload += (preload.empty() ? "" : ":") + library;
  }
  env.emplace_back("LD_PRELOAD", preload);
  return env;
}

int faulthandler_command(const faulthandler_options& options, std::ostream& err) {
  if (options.command.empty()) {
    throw cli_error("faulthandler: no COMMAND given (see 'sigkit faulthandler --help')",
                    exit_usage);
  }
  const std::string library = find_preload_library();
  for (const auto& [name, value] : faulthandler_environment(options, library)) {
    ::setenv(name.c_str(), value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }
  const std::string resolved = resolve_command(options.command.front());
  if (!resolved.empty() && is_static_elf(resolved)) {
    print_error(err, "faulthandler: " + quote(options.command.front()) +
                         " is statically linked: LD_PRELOAD cannot reach it, so it gets no "
                         "crash report");
  }
  err.flush();
  std::vector<char*> argv;
  argv.reserve(options.command.size() + 1);
  for (const auto& arg : options.command) {
    argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: execvp's historical signature
  }
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  const int error = errno;
  throw cli_error(fmt::format("faulthandler: cannot run {}: {}", quote(options.command.front()),
                              std::strerror(error)),
                  error == ENOENT ? exit_not_found : exit_cannot_run);
}

subcommand_hook add_faulthandler_command(CLI::App& app, std::vector<std::string>& after_dashes) {
  auto options = std::make_shared<faulthandler_options>();
  auto* command = app.add_subcommand(
      "faulthandler",
      "Run COMMAND with crash reports (sigkit's faulthandler preloaded): a crash prints "
      "every frame as module+offset+build-id, then the command dies as it would have");
  command->add_flag("--json", options->json, "Write the report as JSON lines");
  command->add_flag("--all-threads", options->all_threads,
                    "Include the stacks of every thread, not only the crashing one");
  command
      ->add_option("--output", options->output,
                   "Append the report to this file instead of the command's stderr")
      ->type_name("FILE");
  command->prefix_command();
  command->footer(
      "Usage: sigkit faulthandler [--json] [--all-threads] [--output FILE] -- COMMAND [ARG...]\n"
      "Exit status: the command's (it replaces sigkit); 126/127 if it cannot be run.\n"
      "Then: sigkit symbolize REPORT adds functions, files and lines.");
  return subcommand_hook{
      command, [options, command, &after_dashes](std::ostream&, std::ostream& err) {
        options->command = after_dashes;
        const auto before = command->remaining();
        if (options->command.empty()) {
          if (!before.empty() && before.front().size() > 1 && before.front().front() == '-') {
            throw cli_error("faulthandler: unknown option " + quote(before.front()) +
                                " (put -- before a COMMAND that starts with -)",
                            exit_usage);
          }
          options->command = before;
        } else if (!before.empty()) {
          throw cli_error(
              "faulthandler: unexpected argument " + quote(before.front()) + " before --",
              exit_usage);
        }
        return faulthandler_command(*options, err);
      }};
}

}  // namespace sigkit::cli
