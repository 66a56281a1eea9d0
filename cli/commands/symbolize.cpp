// cli/commands/symbolize.cpp - `sigkit symbolize [--json] [FILE]`: adds function, file:line
// and inlined frames to a crash report (sigkit::faulthandler's text or JSON lines), offline,
// by module + offset + build-id.
//
// A report's frames carry the module's path and the pc's offset from the module's load
// base, and the report lists each module's GNU build-id. For every module, the file used is
// a separate debug file found by build-id (DIR/.build-id/xx/yyyy.debug, in --debug-dir and
// /usr/lib/debug), or the module itself if its build-id is the report's. A file whose
// build-id differs is refused (its lines would be wrong): its frames stay as they are and the
// command exits 1. The lines come from llvm-symbolizer (preferred) or addr2line.
#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sigkit_cli/commands.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): for posix_spawn

namespace sigkit::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "0x1a2b" (lowercase or uppercase digits) -> value; nullopt for anything else.
std::optional<std::uint64_t> parse_hex_number(std::string_view text) {
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || text[1] != 'x') return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text.substr(2)) {
    if (!is_hex(c)) return std::nullopt;
    const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    value = value << 4 | static_cast<std::uint64_t>(digit);
  }
  return value;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

bool is_build_id(std::string_view text) {
  return !text.empty() && text.size() <= 128 && text.size() % 2 == 0 &&
         std::all_of(text.begin(), text.end(), [](char c) { return is_hex(c); });
}

// A build-id as elf_build_id() gives it and .build-id directories name it: lowercase. A report
// may spell it in capitals (found by fuzz/symbolize_report_fuzzer.cpp: they never matched).
std::string lowercase_build_id(std::string_view id) {
  std::string lower(id);
  for (char& c : lower) {
    c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  }
  return lower;
}

// "  #12 0x55d1c0a01279 /usr/bin/app+0x1279" (optionally " in name"). The module may contain
// spaces: it ends at the first "+0x<hex>" that the end of the line or " in " follows.
std::optional<report_frame> parse_text_frame(std::string_view line) {
  if (line.size() < 4 || line.substr(0, 3) != "  #") return std::nullopt;
  std::string_view rest = line.substr(3);
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto index = parse_decimal(rest.substr(0, space));
  if (!index) return std::nullopt;
  rest.remove_prefix(space + 1);
  const std::size_t space2 = rest.find(' ');
  if (space2 == std::string_view::npos) return std::nullopt;
  const auto pc = parse_hex_number(rest.substr(0, space2));
  if (!pc) return std::nullopt;
  rest.remove_prefix(space2 + 1);
  for (std::size_t plus = rest.find("+0x"); plus != std::string_view::npos;
       plus = rest.find("+0x", plus + 1)) {
    std::size_t end = plus + 3;
    while (end < rest.size() && is_hex(rest[end])) ++end;
    if (end == plus + 3) continue;
    if (end != rest.size() && rest.substr(end, 4) != " in ") continue;
    const auto offset = parse_hex_number(rest.substr(plus + 1, end - plus - 1));
    if (!offset || plus == 0) continue;
    report_frame frame;
    frame.index = *index;
    frame.pc = *pc;
    frame.module = std::string(rest.substr(0, plus));
    if (frame.module == "[unknown]") frame.module.clear();
    frame.offset = *offset;
    frame.exact = *index == 0;
    frame.text_end = static_cast<std::size_t>(line.size() - rest.size() + end);
    return frame;
  }
  return std::nullopt;
}

// "  0x55d1c0a00000 3f2a... /usr/bin/app" (build-id "-" when the module has none).
std::optional<report_module> parse_text_module(std::string_view line) {
  if (line.size() < 4 || line.substr(0, 4) != "  0x") return std::nullopt;
  std::string_view rest = line.substr(2);
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto base = parse_hex_number(rest.substr(0, space));
  if (!base) return std::nullopt;
  rest.remove_prefix(space + 1);
  const std::size_t space2 = rest.find(' ');
  if (space2 == std::string_view::npos || space2 + 1 >= rest.size()) return std::nullopt;
  const std::string_view id = rest.substr(0, space2);
  if (id != "-" && !is_build_id(id)) return std::nullopt;
  report_module m;
  m.base = *base;
  m.build_id = id == "-" ? "" : lowercase_build_id(id);
  m.path = std::string(rest.substr(space2 + 1));
  return m;
}

std::optional<std::uint64_t> json_hex(const json& value) {
  if (!value.is_string()) return std::nullopt;
  return parse_hex_number(value.get_ref<const std::string&>());
}

}  // namespace

parsed_report parse_report(std::string_view text) {
  parsed_report report;
  std::vector<std::size_t> pending;  // frames not yet tied to a module table
  bool in_modules = false;
  auto close_table = [&report, &pending] {
    for (const std::size_t f : pending) report.frames[f].table = report.tables.size() - 1;
    pending.clear();
  };
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    const std::size_t line_index = report.lines.size();
    report.lines.emplace_back(line);
    report.line_is_json.push_back(false);

    if (!line.empty() && line.front() == '{') {
      const json object = json::parse(line, nullptr, false);
      if (object.is_object() && object.contains("type") && object["type"].is_string()) {
        report.line_is_json.back() = true;
        in_modules = false;
        const auto& type = object["type"].get_ref<const std::string&>();
        if (type == "frame") {
          const auto offset = json_hex(object.value("offset", json()));
          const auto pc = json_hex(object.value("pc", json()));
          const json& index = object.value("index", json());
          if (offset && pc && index.is_number_unsigned()) {
            report_frame frame;
            frame.line = line_index;
            frame.index = index.get<std::uint64_t>();
            frame.pc = *pc;
            const json& module = object.value("module", json());
            if (module.is_string()) frame.module = module.get<std::string>();
            frame.offset = *offset;
            const json& exact = object.value("exact", json());
            frame.exact = exact.is_boolean() ? exact.get<bool>() : frame.index == 0;
            pending.push_back(report.frames.size());
            report.frames.push_back(std::move(frame));
          }
        } else if (type == "report") {
          if (report.tables.empty() || !report.tables.back().empty()) report.tables.emplace_back();
        } else if (type == "module") {
          const json& path = object.value("path", json());
          const auto base = json_hex(object.value("base", json()));
          const json& id = object.value("build_id", json());
          if (path.is_string() && base) {
            if (report.tables.empty()) report.tables.emplace_back();
            report_module m;
            m.path = path.get<std::string>();
            m.base = *base;
            if (id.is_string() && is_build_id(id.get_ref<const std::string&>())) {
              m.build_id = lowercase_build_id(id.get_ref<const std::string&>());
            }
            report.tables.back().push_back(std::move(m));
          }
        } else if (type == "end") {
          if (report.tables.empty()) report.tables.emplace_back();
          close_table();
          report.tables.emplace_back();
        }
        continue;
      }
    }

    if (line == "Modules (base, build-id, path):") {
      report.tables.emplace_back();
      in_modules = true;
      continue;
    }
    if (in_modules) {
      if (auto m = parse_text_module(line)) {
        report.tables.back().push_back(std::move(*m));
        continue;
      }
      in_modules = false;
      close_table();
    }
    if (auto frame = parse_text_frame(line)) {
      frame->line = line_index;
      pending.push_back(report.frames.size());
      report.frames.push_back(std::move(*frame));
    }
  }
  if (!pending.empty() && !report.tables.empty()) close_table();
  while (!report.tables.empty() && report.tables.back().empty()) {
    // A table opened by "end" or "report" that nothing followed.
    const std::size_t last = report.tables.size() - 1;
    if (std::any_of(report.frames.begin(), report.frames.end(),
                    [last](const report_frame& f) { return f.table == last; })) {
      break;
    }
    report.tables.pop_back();
  }
  return report;
}

std::string elf_build_id(std::string_view bytes) {
  if (bytes.size() < sizeof(Elf64_Ehdr)) return {};
  Elf64_Ehdr header{};
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return {};
  }
  // The notes: SHT_NOTE sections (kept in separate debug files), else PT_NOTE segments.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // offset, size
  if (header.e_shentsize == sizeof(Elf64_Shdr) && header.e_shoff != 0 &&
      header.e_shoff < bytes.size() &&
      (bytes.size() - header.e_shoff) / sizeof(Elf64_Shdr) >= header.e_shnum) {
    for (std::size_t i = 0; i < header.e_shnum; ++i) {
      Elf64_Shdr sh{};
      std::memcpy(&sh, bytes.data() + header.e_shoff + i * sizeof sh, sizeof sh);
      if (sh.sh_type == SHT_NOTE) ranges.emplace_back(sh.sh_offset, sh.sh_size);
    }
  }
  if (ranges.empty() && header.e_phentsize == sizeof(Elf64_Phdr) && header.e_phoff != 0 &&
      header.e_phoff < bytes.size() &&
      (bytes.size() - header.e_phoff) / sizeof(Elf64_Phdr) >= header.e_phnum) {
    for (std::size_t i = 0; i < header.e_phnum; ++i) {
      Elf64_Phdr ph{};
      std::memcpy(&ph, bytes.data() + header.e_phoff + i * sizeof ph, sizeof ph);
      if (ph.p_type == PT_NOTE) ranges.emplace_back(ph.p_offset, ph.p_filesz);
    }
  }
  for (const auto& [offset, size] : ranges) {
    if (offset > bytes.size() || size > bytes.size() - offset) continue;
    std::uint64_t at = offset;
    const std::uint64_t end = offset + size;
    while (end - at >= sizeof(Elf64_Nhdr)) {
      Elf64_Nhdr note{};
      std::memcpy(&note, bytes.data() + at, sizeof note);
      const std::uint64_t name_at = at + sizeof note;
      const std::uint64_t name_size = (std::uint64_t{note.n_namesz} + 3) & ~std::uint64_t{3};
      const std::uint64_t desc_size = (std::uint64_t{note.n_descsz} + 3) & ~std::uint64_t{3};
      if (name_size > end - name_at || desc_size > end - name_at - name_size) break;
      const std::uint64_t desc_at = name_at + name_size;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(bytes.data() + name_at, "GNU", 4) == 0 && note.n_descsz > 0) {
        std::string id;
        for (std::uint64_t k = 0; k < note.n_descsz; ++k) {
          id += fmt::format("{:02x}", static_cast<unsigned char>(bytes[desc_at + k]));
        }
        return id;
      }
      at = desc_at + desc_size;
    }
  }
  return {};
}

namespace {

// The build-id of an ELF file on disk ("" if none or unreadable); nullopt if it cannot be
// opened.
std::optional<std::string> file_build_id(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string id;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      id = elf_build_id(std::string_view(static_cast<const char*>(map), size));
      ::munmap(map, size);
    }
  }
  ::close(fd);
  return id;
}

struct location {
  std::string function;
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
};

// Innermost first: the function the pc is in, then each function it was inlined into.
using inline_chain = std::vector<location>;

struct tool {
  enum kind_t { llvm, addr2line } kind = llvm;
  std::string path;
};

std::optional<std::string> find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<std::string>(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

tool choose_tool(const std::string& wanted) {
  auto kind_of = [](const std::string& p) {
    return fs::path(p).filename().string().find("addr2line") != std::string::npos &&
                   fs::path(p).filename().string().find("llvm") == std::string::npos
               ? tool::addr2line
               : tool::llvm;
  };
  if (!wanted.empty()) {
    const std::string name = wanted == "llvm" ? "llvm-symbolizer" : wanted;
    if (auto found = find_in_path(name)) return tool{kind_of(*found), *found};
    throw cli_error(fmt::format("symbolize: symbolizer {} not found", quote(wanted)));
  }
  std::vector<std::string> names{"llvm-symbolizer"};
  for (int v = 20; v >= 11; --v) names.push_back("llvm-symbolizer-" + std::to_string(v));
  for (const auto& name : names) {
    if (auto found = find_in_path(name)) return tool{tool::llvm, *found};
  }
  for (int v = 20; v >= 11; --v) {
    const std::string p = "/usr/lib/llvm-" + std::to_string(v) + "/bin/llvm-symbolizer";
    if (::access(p.c_str(), X_OK) == 0) return tool{tool::llvm, p};
  }
  if (auto found = find_in_path("addr2line")) return tool{tool::addr2line, *found};
  throw cli_error(
      "symbolize: neither llvm-symbolizer nor addr2line is installed (Debian: apt-get install "
      "llvm or binutils)");
}

// Runs argv, returns its standard output (its standard error is discarded).
std::string run_and_read(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw cli_error(fmt::format("symbolize: cannot create a pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string output;
  if (spawned == 0) {
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(pipe_fds[0]);
  if (spawned != 0) {
    throw cli_error(
        fmt::format("symbolize: cannot run {}: {}", args.front(), std::strerror(spawned)));
  }
  return output;
}

location from_llvm(const json& symbol) {
  location l;
  if (symbol.contains("FunctionName") && symbol["FunctionName"].is_string()) {
    l.function = symbol["FunctionName"].get<std::string>();
  }
  if (symbol.contains("FileName") && symbol["FileName"].is_string()) {
    l.file = symbol["FileName"].get<std::string>();
  }
  if (symbol.contains("Line") && symbol["Line"].is_number_unsigned()) {
    l.line = symbol["Line"].get<std::uint64_t>();
  }
  if (symbol.contains("Column") && symbol["Column"].is_number_unsigned()) {
    l.column = symbol["Column"].get<std::uint64_t>();
  }
  return l;
}

std::map<std::uint64_t, inline_chain> symbolize_llvm(const tool& t, const std::string& file,
                                                     const std::vector<std::uint64_t>& addresses) {
  std::vector<std::string> args{t.path, "--obj=" + file, "--output-style=JSON", "--inlines",
                                "--demangle"};
  for (const auto a : addresses) args.push_back(fmt::format("0x{:x}", a));
  const std::string output = run_and_read(args);
  std::vector<json> results;
  const json all = json::parse(output, nullptr, false);
  if (all.is_array()) {
    results.assign(all.begin(), all.end());
  } else {
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
      json one = json::parse(line, nullptr, false);
      if (one.is_object()) results.push_back(std::move(one));
    }
  }
  std::map<std::uint64_t, inline_chain> chains;
  for (const auto& r : results) {
    if (!r.is_object() || !r.contains("Address") || !r.contains("Symbol")) continue;
    const auto address = json_hex(r["Address"]);
    if (!address || !r["Symbol"].is_array()) continue;
    inline_chain chain;
    for (const auto& s : r["Symbol"]) {
      if (s.is_object()) chain.push_back(from_llvm(s));
    }
    chains[*address] = std::move(chain);
  }
  return chains;
}

// addr2line -f -i -C -a: "0x<address>", then for each (inlined) function a name line and a
// "file:line" line, innermost first.
std::map<std::uint64_t, inline_chain> symbolize_addr2line(
    const tool& t, const std::string& file, const std::vector<std::uint64_t>& addresses) {
  std::vector<std::string> args{t.path, "-e", file, "-f", "-i", "-C", "-a"};
  for (const auto a : addresses) args.push_back(fmt::format("0x{:x}", a));
  std::istringstream in(run_and_read(args));
  std::map<std::uint64_t, inline_chain> chains;
  std::string line;
  std::optional<std::uint64_t> current;
  std::string function;
  bool want_function = true;
  while (std::getline(in, line)) {
    if (want_function) {
      if (auto address = parse_hex_number(line); address && line.size() == 18) {
        current = *address;
        chains[*current];
        continue;
      }
      function = line;
      want_function = false;
      continue;
    }
    want_function = true;
    if (!current) continue;
    location l;
    l.function = function == "??" ? "" : function;
    const std::size_t colon = line.rfind(':');
    if (colon != std::string::npos) {
      l.file = line.substr(0, colon) == "??" ? "" : line.substr(0, colon);
      std::string number = line.substr(colon + 1);
      const std::size_t space = number.find(' ');  // " (discriminator 1)"
      if (space != std::string::npos) number.resize(space);
      if (auto n = parse_decimal(number)) l.line = *n;
    }
    chains[*current].push_back(std::move(l));
  }
  return chains;
}

std::string describe_location(const location& l) {
  std::string text = l.function.empty() ? "??" : l.function;
  if (!l.file.empty()) {
    text += " at " + l.file;
    if (l.line != 0) {
      text += ":" + std::to_string(l.line);
      if (l.column != 0) text += ":" + std::to_string(l.column);
    }
  }
  return text;
}

json location_json(const location& l) {
  json j = json::object();
  j["function"] = l.function.empty() ? json() : json(l.function);
  j["file"] = l.file.empty() ? json() : json(l.file);
  j["line"] = l.line == 0 ? json() : json(l.line);
  j["column"] = l.column == 0 ? json() : json(l.column);
  return j;
}

bool resolved(const inline_chain& chain) {
  return !chain.empty() && (!chain.front().function.empty() || !chain.front().file.empty());
}

json frame_json(const report_frame& f) {
  json j = json::object();
  j["type"] = "frame";
  j["index"] = f.index;
  j["pc"] = fmt::format("0x{:x}", f.pc);
  j["module"] = f.module.empty() ? json() : json(f.module);
  j["offset"] = fmt::format("0x{:x}", f.offset);
  j["exact"] = f.exact;
  return j;
}

}  // namespace

int symbolize_report(std::string_view text, const symbolize_options& options, std::ostream& out,
                     std::ostream& err) {
  const parsed_report report = parse_report(text);
  int status = exit_ok;
  std::optional<tool> symbolizer;

  // One file and one symbolizer run per (table, module).
  std::map<std::size_t, inline_chain> chain_of_frame;
  std::map<std::pair<std::size_t, std::string>, std::vector<std::size_t>> by_module;
  for (std::size_t i = 0; i < report.frames.size(); ++i) {
    const report_frame& f = report.frames[i];
    if (f.module.empty() || f.table == parsed_report::npos) continue;
    by_module[{f.table, f.module}].push_back(i);
  }
  std::vector<std::string> dirs = options.debug_dirs;
  dirs.emplace_back("/usr/lib/debug");
  std::map<std::string, std::string> reported_errors;  // one message per module and cause
  for (const auto& [key, frames] : by_module) {
    const std::size_t table_index = key.first;
    const std::string& path = key.second;
    const auto& table = report.tables[table_index];
    const auto module = std::find_if(table.begin(), table.end(),
                                     [&path](const report_module& m) { return m.path == path; });
    if (module == table.end() || path.empty() || path.front() != '/') continue;  // vdso...
    std::string file;
    std::string problem;
    if (!module->build_id.empty()) {
      for (const auto& dir : dirs) {
        const std::string candidate =
            fmt::format("{}/.build-id/{}/{}.debug", dir, module->build_id.substr(0, 2),
                        module->build_id.substr(2));
        if (const auto id = file_build_id(candidate); id && *id == module->build_id) {
          file = candidate;
          break;
        }
      }
      if (file.empty()) {
        const auto id = file_build_id(path);
        if (!id) {
          problem = fmt::format("{}: not found (and no debug file for build-id {})", quote(path),
                                module->build_id);
        } else if (id->empty()) {
          problem = fmt::format("{}: the file has no build-id; the report's is {}", quote(path),
                                module->build_id);
        } else if (*id != module->build_id) {
          problem = fmt::format(
              "{}: build-id mismatch: the report says {}, the file has {} (a different build; "
              "its frames are left as they are)",
              quote(path), module->build_id, *id);
        } else {
          file = path;
        }
      }
    } else if (file_build_id(path)) {
      file = path;
      reported_errors.emplace(
          path + "#unverified",
          fmt::format("{}: the report has no build-id for it: lines not verified", quote(path)));
    } else {
      problem = fmt::format("{}: not found", quote(path));
    }
    if (!problem.empty()) {
      std::string key_text = path;
      key_text += '#';
      key_text += problem;
      if (reported_errors.emplace(std::move(key_text), problem).second) {
        print_error(err, "symbolize: " + problem);
      }
      status = exit_error;
      continue;
    }
    if (!symbolizer) symbolizer = choose_tool(options.symbolizer);
    std::vector<std::uint64_t> addresses;
    for (const std::size_t i : frames) {
      const report_frame& f = report.frames[i];
      addresses.push_back(f.exact || f.offset == 0 ? f.offset : f.offset - 1);
    }
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    const auto chains = symbolizer->kind == tool::llvm
                            ? symbolize_llvm(*symbolizer, file, addresses)
                            : symbolize_addr2line(*symbolizer, file, addresses);
    for (const std::size_t i : frames) {
      const report_frame& f = report.frames[i];
      const auto found = chains.find(f.exact || f.offset == 0 ? f.offset : f.offset - 1);
      if (found != chains.end() && resolved(found->second)) chain_of_frame[i] = found->second;
    }
  }
  for (const auto& [key, message] : reported_errors) {
    if (key.size() > 11 && key.substr(key.size() - 11) == "#unverified") {
      print_error(err, "symbolize: " + message);
    }
  }

  // Print every line, frames with what was found.
  std::size_t next_frame = 0;
  for (std::size_t line_index = 0; line_index < report.lines.size(); ++line_index) {
    const std::string& line = report.lines[line_index];
    const bool is_last = line_index + 1 == report.lines.size();
    if (is_last && line.empty()) break;  // the input's final newline
    const report_frame* frame = nullptr;
    std::size_t frame_number = 0;
    if (next_frame < report.frames.size() && report.frames[next_frame].line == line_index) {
      frame_number = next_frame++;
      frame = &report.frames[frame_number];
    }
    const auto chain = frame != nullptr ? chain_of_frame.find(frame_number) : chain_of_frame.end();
    const bool has_chain = chain != chain_of_frame.end();
    if (report.line_is_json[line_index] || options.json) {
      json object;
      if (report.line_is_json[line_index]) {
        object = json::parse(line, nullptr, false);
      } else if (frame != nullptr) {
        object = frame_json(*frame);
      } else {
        object = json{{"type", "text"}, {"text", line}};
      }
      if (has_chain) {
        const location& inner = chain->second.front();
        const json where = location_json(inner);
        for (const auto& item : where.items()) object[item.key()] = item.value();
        json callers = json::array();
        for (std::size_t k = 1; k < chain->second.size(); ++k) {
          callers.push_back(location_json(chain->second[k]));
        }
        object["inlined_into"] = std::move(callers);
      }
      out << object.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
      continue;
    }
    if (!has_chain) {
      out << line << "\n";
      continue;
    }
    out << line.substr(0, frame->text_end) << " in " << describe_location(chain->second.front())
        << "\n";
    for (std::size_t k = 1; k < chain->second.size(); ++k) {
      out << "      inlined into " << describe_location(chain->second[k]) << "\n";
    }
  }
  return status;
}

int symbolize_command(const symbolize_options& options, std::ostream& out, std::ostream& err) {
  std::string text;
  if (options.file && *options.file != "-") {
    std::ifstream in(*options.file, std::ios::binary);
    if (!in) {
      throw cli_error(
          fmt::format("symbolize: cannot read {}: {}", quote(*options.file), std::strerror(errno)));
    }
    std::ostringstream whole;
    whole << in.rdbuf();
    text = whole.str();
  } else {
    std::ostringstream whole;
    whole << std::cin.rdbuf();
    text = whole.str();
  }
  return symbolize_report(text, options, out, err);
}

subcommand_hook add_symbolize_command(CLI::App& app) {
  auto options = std::make_shared<symbolize_options>();
  auto* command = app.add_subcommand(
      "symbolize",
      "Add functions, file:line and inlined frames to a crash report (text or JSON lines), "
      "by module + build-id");
  command->add_option("FILE", options->file, "The report (default: standard input)")->type_name("");
  command->add_flag("--json", options->json, "Print JSON lines (one object per report line)");
  command
      ->add_option("--debug-dir", options->debug_dirs,
                   "Also look for separate debug files in DIR/.build-id/xx/yyyy.debug "
                   "(after it, /usr/lib/debug)")
      ->type_name("DIR");
  command
      ->add_option("--symbolizer", options->symbolizer,
                   "llvm-symbolizer, addr2line or a path (default: llvm-symbolizer if "
                   "installed, else addr2line)")
      ->type_name("TOOL");
  command->footer(
      "Exit status: 0; 1 if a module could not be symbolized (not found, build-id mismatch).");
  return subcommand_hook{command, [options](std::ostream& out, std::ostream& err) {
                           return symbolize_command(*options, out, err);
                         }};
}

}  // namespace sigkit::cli
