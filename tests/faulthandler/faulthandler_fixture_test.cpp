// tests/faulthandler/faulthandler_fixture_test.cpp - the acceptance tests of the crash
// reporter (docs/faulthandler.md, "Tests") on real crashing processes: the fixtures are
// separate programs built without sanitizers, run with fork + exec under a deadline.
//
// Repeated tests run a few times here and hundreds of times in the faulthandler_stress
// target (SIGKIT_FH_STRESS=1): cmake --build --preset dev --target faulthandler_stress.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixture_runner.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

namespace fs = std::filesystem;
using sigkit_fh_test::count;
using sigkit_fh_test::describe;
using sigkit_fh_test::lines_of;
using sigkit_fh_test::repetitions;
using sigkit_fh_test::run_options;
using sigkit_fh_test::run_program;
using sigkit_fh_test::run_result;
using sigkit_fh_test::temp_dir;
using json = nlohmann::json;

const std::string kCrash = SIGKIT_FH_CRASH_FIXTURE;
const std::string kChainO0 = SIGKIT_FH_CHAIN_O0;
const std::string kChainO2 = SIGKIT_FH_CHAIN_O2;
const std::string kChainSource = SIGKIT_FH_CHAIN_SOURCE;
const std::string kPlain = SIGKIT_FH_PLAIN_FIXTURE;
const std::string kPlainStatic = SIGKIT_FH_PLAIN_STATIC_FIXTURE;
const std::string kTool = SIGKIT_TOOL_PATH;
const std::string kPreload = SIGKIT_FH_PRELOAD_PATH;
const std::string kPreloadRelative = SIGKIT_FH_PRELOAD_RELATIVE;

bool killed_by(const run_result& r, int signo) {
  return !r.timed_out && WIFSIGNALED(r.status) && WTERMSIG(r.status) == signo;
}

bool exited_with(const run_result& r, int code) {
  return !r.timed_out && WIFEXITED(r.status) && WEXITSTATUS(r.status) == code;
}

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;  // NOLINT
}

// The lines of one thread block (from its header to the next blank line).
std::vector<std::string> block_of(const std::string& report, const std::string& header_prefix) {
  std::vector<std::string> block;
  bool inside = false;
  for (const auto& line : lines_of(report)) {
    if (!inside && line.rfind(header_prefix, 0) == 0) {
      inside = true;
      continue;
    }
    if (inside) {
      if (line.empty()) break;
      block.push_back(line);
    }
  }
  return block;
}

// The line number of "// LINE:<name>" in the chain fixture's source.
int marker_line(const std::string& name) {
  std::ifstream in(kChainSource);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find("// LINE:" + name) != std::string::npos &&
        line.substr(line.find("// LINE:" + name) + 8 + name.size()).find_first_not_of(' ') ==
            std::string::npos) {
      return n;
    }
  }
  ADD_FAILURE() << "no LINE:" << name << " marker in " << kChainSource;
  return -1;
}

// `sigkit symbolize --json` of a report: its frame objects, in order.
std::vector<json> symbolized_frames(const std::string& report,
                                    const std::vector<std::string>& extra = {},
                                    run_result* result_out = nullptr) {
  std::vector<std::string> argv{kTool, "symbolize", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  run_options options;
  options.stdin_text = report;
  const run_result r = run_program(argv, options);
  if (result_out != nullptr) *result_out = r;
  std::vector<json> frames;
  for (const auto& line : lines_of(r.out)) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("type", "") == "frame") frames.push_back(j);
  }
  return frames;
}

// ---- 1. call-chain correctness --------------------------------------------------------------

void check_call_chain(const std::string& fixture, bool optimized) {
  const int runs = repetitions(5, 100);
  for (int run = 0; run < runs; ++run) {
    const run_result r = run_program({fixture});
    ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r) << "\n" << r.err;
    const auto block = block_of(r.err, "Current thread 0x");
    ASSERT_GE(block.size(), 4U) << r.err;
    // Frames 0..3, mapped by addr2line on module+offset alone: c, b, a, main.
    if (run == 0 && !optimized && have("addr2line")) {
      std::vector<std::string> functions;
      for (std::size_t i = 0; i < 4; ++i) {
        const auto parsed = sigkit::cli::parse_report(block[i]);
        ASSERT_EQ(parsed.frames.size(), 1U) << block[i];
        const auto* frame = parsed.frames.data();
        const std::uint64_t address = i == 0 ? frame->offset : frame->offset - 1;
        std::ostringstream command;
        command << "addr2line -f -e " << frame->module << " 0x" << std::hex << address;
        FILE* pipe = ::popen(command.str().c_str(), "r");  // NOLINT(cert-env33-c)
        char name[256] = {};
        ASSERT_NE(std::fgets(name, sizeof name, pipe), nullptr);
        ::pclose(pipe);
        functions.emplace_back(name, std::strcspn(name, "\n"));
      }
      EXPECT_EQ(functions, (std::vector<std::string>{"chain_c", "chain_b", "chain_a", "main"}))
          << r.err;
    }
    if (run > 0 && run % 10 != 0) continue;  // symbolize a sample of the runs
    const auto frames = symbolized_frames(r.err);
    ASSERT_GE(frames.size(), 4U) << r.err;
    if (!optimized) {
      EXPECT_EQ(frames[0].value("function", ""), "chain_c");
      EXPECT_EQ(frames[0].value("line", 0), marker_line("c"));
      EXPECT_EQ(frames[1].value("function", ""), "chain_b");
      EXPECT_EQ(frames[1].value("line", 0), marker_line("b"));
      EXPECT_EQ(frames[2].value("function", ""), "chain_a");
      EXPECT_EQ(frames[2].value("line", 0), marker_line("a"));
      EXPECT_EQ(frames[3].value("function", ""), "main");
      EXPECT_EQ(frames[3].value("line", 0), marker_line("main"));
    } else {
      // The inlined helper is frame 0's function, "inlined into" chain_c.
      EXPECT_EQ(frames[0].value("function", "").rfind("helper", 0), 0U) << frames[0].dump();
      ASSERT_TRUE(frames[0].contains("inlined_into")) << frames[0].dump();
      ASSERT_GE(frames[0]["inlined_into"].size(), 1U) << frames[0].dump();
      EXPECT_EQ(frames[0]["inlined_into"][0].value("function", ""), "chain_c");
      EXPECT_EQ(frames[1].value("function", ""), "chain_b");
      EXPECT_EQ(frames[2].value("function", ""), "chain_a");
      EXPECT_EQ(frames[3].value("function", ""), "main");
    }
  }
}

TEST(FaulthandlerCallChainTest, FramesAndLinesAtO0) { check_call_chain(kChainO0, false); }

TEST(FaulthandlerCallChainTest, NamesAndInlinedFrameAtO2) { check_call_chain(kChainO2, true); }

// ---- 2. death fidelity ------------------------------------------------------------------------

std::string core_pattern() {
  std::string pattern = sigkit_fh_test::read_file("/proc/sys/kernel/core_pattern");
  while (!pattern.empty() && pattern.back() == '\n') pattern.pop_back();
  return pattern;
}

struct death_case {
  const char* mode;
  int signo;
  const char* faulting_function;  // gdb's frame #0 in the core; null: not checked
  const char* first_line;
  std::vector<std::string> extra;
};

TEST(FaulthandlerDeathTest, DiesByTheOriginalSignalWithItsCoreFile) {
  const std::vector<death_case> cases{
      {"segv",
       SIGSEGV,
       "fault_null",
       "Segmentation fault (SIGSEGV) at address 0x0, code SEGV_MAPERR",
       {}},
      {"segv-read-only", SIGSEGV, "fault_read_only", "code SEGV_ACCERR", {}},
      {"bus", SIGBUS, "fault_bus", "Bus error (SIGBUS)", {}},
      {"fpe", SIGFPE, "fault_fpe", "Floating point exception (SIGFPE) at address", {}},
      {"ill", SIGILL, "fault_ill", "Illegal instruction (SIGILL)", {}},
      {"abort", SIGABRT, nullptr, "Aborted (SIGABRT)", {}},
      {"assert", SIGABRT, nullptr, "Aborted (SIGABRT)", {}},
      {"terminate", SIGABRT, nullptr, "Aborted (SIGABRT)", {}},
      {"trap", SIGTRAP, nullptr, "Trace/breakpoint trap (SIGTRAP)", {"--trap"}},
  };
  const std::string pattern = core_pattern();
  const bool plain_cores =
      !pattern.empty() && pattern.front() != '|' && pattern.find('/') == std::string::npos;
  if (!plain_cores) {
    std::cout << "core_pattern is '" << pattern << "': core files are not checked here\n";
  }
  const bool gdb = have("gdb");
  if (!gdb) std::cout << "gdb is not installed: the core files' top frames are not checked\n";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.mode);
    temp_dir dir;
    std::vector<std::string> argv{kCrash, c.mode, "--core"};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    run_options options;
    options.cwd = dir.path();
    const run_result r = run_program(argv, options);
    EXPECT_TRUE(killed_by(r, c.signo)) << describe(r) << "\n" << r.err;
    // (assert() and libstdc++'s terminate handler write their own line first)
    std::string first;
    for (const auto& line : lines_of(r.err)) {
      if (line.rfind("Fatal signal: ", 0) == 0 && first.empty()) first = line;
    }
    EXPECT_FALSE(first.empty()) << r.err;
    EXPECT_NE(first.find(c.first_line), std::string::npos) << first;
    if (std::string(c.mode) == "terminate") {
      EXPECT_NE(r.err.find("Uncaught exception: std::runtime_error: boom from the fixture"),
                std::string::npos)
          << r.err;
    }
    if (!plain_cores) continue;
    EXPECT_TRUE(WCOREDUMP(r.status)) << describe(r);
    std::string core;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      if (entry.path().filename().string().rfind("core", 0) == 0) core = entry.path().string();
    }
    ASSERT_FALSE(core.empty()) << "no core file in " << dir.path();
    if (gdb && c.faulting_function != nullptr) {
      const run_result bt =
          run_program({"/usr/bin/gdb", "-batch", "-nx", "-ex", "bt 1", kCrash, core});
      const auto frame0 = bt.out.find("#0");
      ASSERT_NE(frame0, std::string::npos) << bt.out << bt.err;
      const std::string top = bt.out.substr(frame0, bt.out.find('\n', frame0) - frame0);
      EXPECT_NE(top.find(c.faulting_function), std::string::npos)
          << "the core's top frame is not the faulting function: " << top;
    }
  }
}

// ---- 3. zero allocation -----------------------------------------------------------------------

TEST(FaulthandlerAllocationTest, TheReportAllocatesNothing) {
  const std::vector<std::pair<std::string, int>> cases{
      {"segv", SIGSEGV},
      {"depth64", SIGSEGV},
      {"abort", SIGABRT},
      {"terminate", SIGABRT},
      {"fpe", SIGFPE},
      {"bus", SIGBUS},
      {"ill", SIGILL},
      {"overflow-main", SIGSEGV},
      {"overflow-early-thread", SIGSEGV},
      {"dump-32-threads", 0},
  };
  for (const auto& [mode, signo] : cases) {
    SCOPED_TRACE(mode);
    temp_dir dir;
    const std::string counts = dir.path() + "/counts";
    const int fd = ::open(counts.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    run_options options;
    options.fds = {{3, fd}};
    options.discard_stdout = true;
    const run_result r = run_program({kCrash, mode, "--count-allocations=3"}, options);
    ::close(fd);
    if (signo != 0) {
      EXPECT_TRUE(killed_by(r, signo)) << describe(r) << "\n" << r.err;
    } else {
      EXPECT_TRUE(exited_with(r, 0)) << describe(r) << "\n" << r.err;
    }
    const auto reported = lines_of(sigkit_fh_test::read_file(counts));
    ASSERT_FALSE(reported.empty()) << "the report never ended\n" << r.err;
    for (const auto& n : reported) EXPECT_EQ(n, "0") << "allocator calls inside the report";
  }
}

// ---- 4. no deadlock -----------------------------------------------------------------------------

bool complete_report(const std::string& err) {
  return count(err, "Fatal signal: Segmentation fault (SIGSEGV)") == 1 &&
         err.find("Modules (base, build-id, path):") != std::string::npos &&
         err.find("Current thread 0x") != std::string::npos;
}

void check_no_deadlock(const std::string& mode) {
  const int runs = repetitions(10, 500);
  for (int run = 0; run < runs; ++run) {
    run_options options;
    options.discard_stdout = true;
    options.timeout_seconds = 10;
    const run_result r = run_program({kCrash, mode}, options);
    ASSERT_TRUE(killed_by(r, SIGSEGV)) << "run " << run << ": " << describe(r) << "\n" << r.err;
    ASSERT_TRUE(complete_report(r.err)) << "run " << run << ":\n" << r.err;
  }
}

TEST(FaulthandlerDeadlockTest, FaultHoldingTheAllocatorLock) {
  check_no_deadlock("fault-in-allocator");
}
TEST(FaulthandlerDeadlockTest, FaultWhileOtherThreadsDlopen) {
  check_no_deadlock("fault-while-dlopen");
}
TEST(FaulthandlerDeadlockTest, FaultWhileOtherThreadsPrintf) {
  check_no_deadlock("fault-while-printf");
}

// ---- 5. stack overflow --------------------------------------------------------------------------

void check_overflow(const std::string& mode, const char* outermost_function) {
  const int runs = repetitions(3, 100);
  for (int run = 0; run < runs; ++run) {
    const run_result r = run_program({kCrash, mode});
    ASSERT_TRUE(killed_by(r, SIGSEGV)) << "run " << run << ": " << describe(r) << "\n" << r.err;
    const auto lines = lines_of(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.front().find("stack overflow"), std::string::npos) << lines.front();
    const auto block = block_of(r.err, "Current thread 0x");
    std::size_t frames = 0;
    for (const auto& line : block) frames += line.rfind("  #", 0) == 0 ? 1U : 0U;
    EXPECT_GE(frames, 64U);
    EXPECT_EQ(count(r.err, "frames folded, repeating the cycle of 1 frame above"), 1U) << r.err;
    if (run == 0) {
      // The last frame is where the thread started.
      std::string last;
      for (const auto& line : block) {
        if (line.rfind("  #", 0) == 0) last = line;
      }
      const auto frames_json =
          symbolized_frames(last + "\n" + r.err.substr(r.err.find("Modules (")));
      ASSERT_EQ(frames_json.size(), 1U) << last;
      EXPECT_NE(frames_json[0].value("function", "").find(outermost_function), std::string::npos)
          << frames_json[0].dump();
    }
  }
}

TEST(FaulthandlerOverflowTest, InTheMainThread) { check_overflow("overflow-main", "_start"); }
TEST(FaulthandlerOverflowTest, InAThreadCreatedBeforeEnable) {
  check_overflow("overflow-early-thread", "clone");
}
TEST(FaulthandlerOverflowTest, InAThreadCreatedAfterEnable) {
  check_overflow("overflow-late-thread", "clone");
}

// ---- 6. concurrent crashes -----------------------------------------------------------------

TEST(FaulthandlerConcurrencyTest, EightThreadsCrashingGiveOneReport) {
  const int runs = repetitions(10, 200);
  for (int run = 0; run < runs; ++run) {
    const run_result r = run_program({kCrash, "eight-threads"});
    ASSERT_TRUE(killed_by(r, SIGSEGV)) << "run " << run << ": " << describe(r) << "\n" << r.err;
    ASSERT_EQ(count(r.err, "Fatal signal: "), 1U) << r.err;
    ASSERT_EQ(count(r.err, "Also faulting: Segmentation fault (SIGSEGV) at address 0x0"), 7U)
        << "run " << run << ":\n"
        << r.err;
    ASSERT_LT(r.seconds, 2.0) << "run " << run;
  }
}

// ---- 7. all-thread dump ------------------------------------------------------------------------

TEST(FaulthandlerDumpTest, ThirtyTwoThreads) {
  const run_result r = run_program({kCrash, "dump-32-threads", "--no-enable"});
  ASSERT_TRUE(exited_with(r, 0)) << describe(r) << "\n" << r.err;
  EXPECT_EQ(count(r.err, "Current thread 0x"), 1U) << r.err;
  EXPECT_EQ(count(r.err, "\nThread 0x"), 30U) << r.err;
  EXPECT_EQ(count(r.err, ": unresponsive, SigBlk="), 1U) << r.err;
  long long dump_ns = -1;
  int eintr = -1;
  // NOLINTNEXTLINE(cert-err34-c): the fixture prints both numbers
  ASSERT_EQ(std::sscanf(r.out.c_str(), "dump_ns=%lld eintr=%d", &dump_ns, &eintr), 2) << r.out;
  EXPECT_EQ(eintr, 0) << "a thread in read() saw EINTR";
  EXPECT_LE(dump_ns, 200'000'000LL) << "the dump took " << dump_ns / 1000000 << " ms";
}

// ---- 12. offline symbolization -------------------------------------------------------------

std::vector<std::string> where_of(const std::vector<json>& frames, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n && i < frames.size(); ++i) {
    out.push_back(frames[i].value("function", "?") + " " + frames[i].value("file", "?") + ":" +
                  std::to_string(frames[i].value("line", 0)));
  }
  return out;
}

TEST(FaulthandlerSymbolizeTest, AReportSymbolizesTheSameInALaterRun) {
  const run_result first = run_program({kChainO0});
  const run_result second = run_program({kChainO0});
  ASSERT_TRUE(killed_by(first, SIGSEGV) && killed_by(second, SIGSEGV));
  const auto a = where_of(symbolized_frames(first.err), 4);
  const auto b = where_of(symbolized_frames(second.err), 4);
  ASSERT_EQ(a.size(), 4U);
  EXPECT_EQ(a, b);
  // The load bases differ between the runs (ASLR), the offsets do not.
  const auto base = [](const std::string& report) {
    const auto at = report.find("Modules (base, build-id, path):\n  ");
    return report.substr(at + 35, report.find(' ', at + 35) - at - 35);
  };
  if (base(first.err) == base(second.err)) std::cout << "(ASLR seems off here)\n";
}

TEST(FaulthandlerSymbolizeTest, ABuildIdMismatchIsRefused) {
  temp_dir dir;
  const std::string app = dir.path() + "/app";
  fs::copy_file(kChainO0, app);
  const run_result r = run_program({app});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r);
  // Another build at the same path: flip a byte of its build-id note.
  std::string bytes = sigkit_fh_test::read_file(app);
  const std::string id = sigkit::cli::elf_build_id(bytes);
  ASSERT_FALSE(id.empty());
  std::string raw;
  for (std::size_t i = 0; i < id.size(); i += 2) {
    raw += static_cast<char>(std::stoi(id.substr(i, 2), nullptr, 16));
  }
  const auto at = bytes.find(raw);
  ASSERT_NE(at, std::string::npos);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
  sigkit_fh_test::write_file(app, bytes);
  run_result symbolized;
  const auto frames = symbolized_frames(r.err, {}, &symbolized);
  EXPECT_TRUE(exited_with(symbolized, 1)) << describe(symbolized);
  EXPECT_NE(symbolized.err.find("build-id mismatch: the report says " + id), std::string::npos)
      << symbolized.err;
  for (const auto& f : frames) {
    if (f.value("module", "") == app) {
      EXPECT_FALSE(f.contains("line")) << "a line from the wrong build: " << f.dump();
    }
  }
}

TEST(FaulthandlerSymbolizeTest, AStrippedBinaryWithItsDebugFileByBuildId) {
  if (!have("objcopy")) GTEST_SKIP() << "objcopy (binutils) is not installed";
  temp_dir dir;
  const std::string app = dir.path() + "/app";
  const std::string debug = dir.path() + "/app.debug";
  // NOLINTNEXTLINE(cert-env33-c): the test runs binutils on paths it made
  ASSERT_EQ(std::system(("objcopy --only-keep-debug " + kChainO0 + " " + debug).c_str()), 0);
  // NOLINTNEXTLINE(cert-env33-c)
  ASSERT_EQ(std::system(("objcopy --strip-all " + kChainO0 + " " + app).c_str()), 0);
  const std::string id = sigkit::cli::elf_build_id(sigkit_fh_test::read_file(app));
  ASSERT_EQ(id, sigkit::cli::elf_build_id(sigkit_fh_test::read_file(debug)));
  const run_result r = run_program({app});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r);
  // Without the debug file: no lines, and none invented.
  for (const auto& f : symbolized_frames(r.err)) {
    if (f.value("module", "") == app) {
      EXPECT_FALSE(f.contains("line")) << f.dump();
    }
  }
  const std::string store = dir.path() + "/debug/.build-id/" + id.substr(0, 2);
  fs::create_directories(store);
  fs::copy_file(debug, store + "/" + id.substr(2) + ".debug");
  const auto frames = symbolized_frames(r.err, {"--debug-dir", dir.path() + "/debug"});
  ASSERT_GE(frames.size(), 4U);
  EXPECT_EQ(frames[0].value("function", ""), "chain_c");
  EXPECT_EQ(frames[0].value("line", 0), marker_line("c"));
  EXPECT_EQ(frames[3].value("function", ""), "main");
  EXPECT_EQ(frames[3].value("line", 0), marker_line("main"));
}

TEST(FaulthandlerSymbolizeTest, Addr2lineGivesTheSameLines) {
  if (!have("addr2line")) GTEST_SKIP() << "addr2line (binutils) is not installed";
  const run_result r = run_program({kChainO0});
  ASSERT_TRUE(killed_by(r, SIGSEGV));
  const auto llvm = where_of(symbolized_frames(r.err), 4);
  const auto binutils = where_of(symbolized_frames(r.err, {"--symbolizer", "addr2line"}), 4);
  EXPECT_EQ(llvm, binutils);
}

TEST(FaulthandlerSymbolizeTest, TextOutputShowsFunctionsLinesAndInlining) {
  const run_result r = run_program({kChainO2});
  ASSERT_TRUE(killed_by(r, SIGSEGV));
  run_options options;
  options.stdin_text = r.err;
  const run_result s = run_program({kTool, "symbolize"}, options);
  ASSERT_TRUE(exited_with(s, 0)) << describe(s) << s.err;
  const std::regex frame0(
      R"(  #0 0x[0-9a-f]+ \S+\+0x[0-9a-f]+ in helper.* at \S+chain_fixture\.cpp:)" +
      std::to_string(marker_line("helper")) +
      R"(:\d+\n      inlined into chain_c at \S+chain_fixture\.cpp:)" +
      std::to_string(marker_line("c-inlined-call")));
  EXPECT_TRUE(std::regex_search(s.out, frame0)) << s.out;
  EXPECT_EQ(count(s.out, "Fatal signal: "), 1U);  // everything else passes through
}

// The JSON-lines schema of docs/faulthandler.md, checked field by field.
void check_json_line(const json& j) {
  ASSERT_TRUE(j.is_object());
  ASSERT_TRUE(j.contains("type") && j["type"].is_string()) << j.dump();
  const std::string type = j["type"];
  const std::regex hex("0x[0-9a-f]+");
  auto is_hex = [&hex](const json& v) {
    return v.is_string() && std::regex_match(v.get<std::string>(), hex);
  };
  if (type == "report") {
    EXPECT_EQ(j.value("version", 0), 1);
    EXPECT_TRUE(j["kind"].is_string());
    EXPECT_TRUE(j["pid"].is_number_unsigned());
    if (j["kind"] == "fatal") {
      EXPECT_TRUE(j["signal"].is_number_unsigned());
      EXPECT_TRUE(j["name"].is_string());
      EXPECT_TRUE(j["description"].is_string());
      EXPECT_TRUE(j["code"].is_number_integer());
      EXPECT_TRUE(j["stack_overflow"].is_boolean());
      if (j.contains("address")) {
        EXPECT_TRUE(is_hex(j["address"]));
      }
    }
  } else if (type == "thread") {
    EXPECT_TRUE(j["current"].is_boolean());
    EXPECT_TRUE(is_hex(j["thread"]));
    EXPECT_TRUE(j["tid"].is_number_unsigned());
    EXPECT_TRUE(j["name"].is_string());
  } else if (type == "frame") {
    EXPECT_TRUE(j["tid"].is_number_unsigned());
    EXPECT_TRUE(j["index"].is_number_unsigned());
    EXPECT_TRUE(is_hex(j["pc"]));
    EXPECT_TRUE(j["module"].is_string() || j["module"].is_null());
    EXPECT_TRUE(is_hex(j["offset"]));
    EXPECT_TRUE(j["exact"].is_boolean());
    if (j.contains("function")) {
      EXPECT_TRUE(j["function"].is_string() || j["function"].is_null());
    }
    if (j.contains("line")) {
      EXPECT_TRUE(j["line"].is_number_unsigned() || j["line"].is_null());
    }
    if (j.contains("inlined_into")) {
      EXPECT_TRUE(j["inlined_into"].is_array());
    }
  } else if (type == "module") {
    EXPECT_TRUE(j["path"].is_string());
    EXPECT_TRUE(is_hex(j["base"]));
    EXPECT_TRUE(j["build_id"].is_null() ||
                (j["build_id"].is_string() &&
                 std::regex_match(j["build_id"].get<std::string>(), std::regex("[0-9a-f]+"))));
  } else {
    const std::set<std::string> others{"exception",
                                       "folded",
                                       "note",
                                       "unresponsive",
                                       "threads_not_shown",
                                       "also_faulting",
                                       "also_faulting_not_shown",
                                       "end",
                                       "reporter_faulted",
                                       "report_timed_out",
                                       "text"};
    EXPECT_TRUE(others.count(type) == 1) << "unknown type " << type;
  }
}

TEST(FaulthandlerSymbolizeTest, JsonLinesFollowTheSchema) {
  const run_result r = run_program({kChainO2, "json"});
  ASSERT_TRUE(killed_by(r, SIGSEGV));
  const auto lines = lines_of(r.err);
  ASSERT_GE(lines.size(), 6U) << r.err;
  EXPECT_EQ(json::parse(lines.front())["type"], "report");
  EXPECT_EQ(json::parse(lines.back())["type"], "end");
  for (const auto& line : lines) check_json_line(json::parse(line));
  run_options options;
  options.stdin_text = r.err;
  const run_result s = run_program({kTool, "symbolize", "--json"}, options);
  ASSERT_TRUE(exited_with(s, 0)) << describe(s) << s.err;
  std::size_t with_function = 0;
  for (const auto& line : lines_of(s.out)) {
    const json j = json::parse(line);
    check_json_line(j);
    with_function += j.contains("function") ? 1U : 0U;
  }
  EXPECT_GE(with_function, 4U);
}

// ---- the README example ---------------------------------------------------------------------

#ifdef SIGKIT_FH_CRASH_REPORT_EXAMPLE
TEST(FaulthandlerExampleTest, TheReadmeCrashSymbolizesToItsLine) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the example is built with this preset's sanitizers: UBSan stops its null "
                  "member call before the CPU faults, TSan reports the SIGSEGV itself; the "
                  "fixtures (built without sanitizers) cover the same ground";
#endif
  const run_result r = run_program({SIGKIT_FH_CRASH_REPORT_EXAMPLE});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r) << r.err;
  EXPECT_EQ(r.err.rfind("Fatal signal: Segmentation fault (SIGSEGV) at address 0x", 0), 0U)
      << r.err;
  EXPECT_EQ(count(r.err, "\nThread 0x"), 1U) << "the sleeping worker thread";
  int crash_line = 0;
  std::ifstream source(SIGKIT_FH_CRASH_REPORT_SOURCE);
  std::string line;
  for (int n = 1; std::getline(source, line); ++n) {
    if (line.find("// the crash") != std::string::npos) crash_line = n;
  }
  bool found = false;
  for (const auto& f : symbolized_frames(r.err)) {
    if (f.value("function", "").find("customer_name_length") != std::string::npos) {
      EXPECT_EQ(f.value("line", 0), crash_line) << f.dump();
      found = true;
      break;
    }
  }
  EXPECT_TRUE(found) << r.err;
}
#endif

// ---- the tool: sigkit faulthandler -- COMMAND ------------------------------------------------

TEST(FaulthandlerToolTest, AnyProgramGetsAReportAndDiesAsItWould) {
  const run_result r = run_program({kTool, "faulthandler", "--", kPlain, "segv"});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r) << r.err;
  EXPECT_EQ(r.err.rfind("Fatal signal: Segmentation fault (SIGSEGV) at address 0x0", 0), 0U)
      << r.err;
  EXPECT_EQ(count(r.err, "Current thread 0x"), 1U);
  EXPECT_EQ(count(r.err, "\nThread 0x"), 0U) << "without --all-threads only the crashing thread";
  const auto frames = symbolized_frames(r.err);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].value("function", ""), "plain_crash()") << frames[0].dump();
}

TEST(FaulthandlerToolTest, ExitStatusIsTheCommands) {
  EXPECT_TRUE(exited_with(run_program({kTool, "faulthandler", "--", kPlain, "exit", "7"}), 7));
  EXPECT_TRUE(exited_with(run_program({kTool, "faulthandler", "--", kPlain, "exit", "0"}), 0));
  const run_result killed =
      run_program({kTool, "faulthandler", "--", kPlain, "kill", std::to_string(SIGUSR1)});
  EXPECT_TRUE(killed_by(killed, SIGUSR1)) << describe(killed);
  EXPECT_EQ(killed.err, "") << "no report for a signal faulthandler does not cover";
}

TEST(FaulthandlerToolTest, JsonAllThreadsAndOutputFile) {
  temp_dir dir;
  const std::string file = dir.path() + "/report.jsonl";
  const run_result r = run_program({kTool, "faulthandler", "--json", "--all-threads", "--output",
                                    file, "--", kCrash, "segv", "--no-enable"});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r) << r.err;
  // --no-enable: the fixture does not enable it itself; the preloaded library did.
  const auto lines = lines_of(sigkit_fh_test::read_file(file));
  ASSERT_FALSE(lines.empty()) << r.err;
  EXPECT_EQ(json::parse(lines.front())["kind"], "fatal");
  EXPECT_EQ(json::parse(lines.back())["type"], "end");
}

TEST(FaulthandlerToolTest, NewThreadsGetAnAlternateStack) {
  const run_result r = run_program({kTool, "faulthandler", "--", kPlain, "overflow-thread"});
  ASSERT_TRUE(killed_by(r, SIGSEGV)) << describe(r);
  EXPECT_NE(lines_of(r.err).front().find("stack overflow"), std::string::npos) << r.err;
}

TEST(FaulthandlerToolTest, ChildProcessesAreCoveredToo) {
  const run_result r = run_program({kTool, "faulthandler", "--", kPlain, "spawn-segv"});
  EXPECT_TRUE(exited_with(r, 100 + SIGSEGV)) << describe(r);
  EXPECT_EQ(count(r.err, "Fatal signal: Segmentation fault"), 1U) << r.err;
}

TEST(FaulthandlerToolTest, ErrorsAndUsage) {
  const run_result missing = run_program({kTool, "faulthandler", "--", "/nonexistent/program"});
  EXPECT_TRUE(exited_with(missing, 127)) << describe(missing);
  EXPECT_NE(missing.err.find("sigkit: faulthandler: cannot run '/nonexistent/program'"),
            std::string::npos);
  const run_result none = run_program({kTool, "faulthandler"});
  EXPECT_TRUE(exited_with(none, 2)) << describe(none);
  EXPECT_NE(none.err.find("no COMMAND given"), std::string::npos) << none.err;
  const run_result bad = run_program({kTool, "faulthandler", "--bogus", kPlain});
  EXPECT_TRUE(exited_with(bad, 2)) << describe(bad);
  run_options no_library;
  no_library.env = {{"SIGKIT_FAULTHANDLER_LIBRARY", "/nonexistent/lib.so"}};
  const run_result lost =
      run_program({kTool, "faulthandler", "--", kPlain, "exit", "0"}, no_library);
  EXPECT_TRUE(exited_with(lost, 125)) << describe(lost);
}

TEST(FaulthandlerToolTest, StaticallyLinkedCommandIsWarnedAbout) {
  const run_result r = run_program({kTool, "faulthandler", "--", kPlainStatic, "exit", "4"});
  EXPECT_TRUE(exited_with(r, 4)) << describe(r);
  EXPECT_NE(r.err.find("is statically linked: LD_PRELOAD cannot reach it"), std::string::npos)
      << r.err;
}

TEST(FaulthandlerToolTest, FindsItsLibraryInAnInstallTree) {
  temp_dir dir;
  const fs::path bin = fs::path(dir.path()) / "bin";
  fs::create_directories(bin);
  fs::copy_file(kTool, bin / "sigkit");
  const fs::path library = (bin / kPreloadRelative).lexically_normal();
  fs::create_directories(library.parent_path());
  fs::copy_file(kPreload, library);
  const run_result r =
      run_program({(bin / "sigkit").string(), "faulthandler", "--", kPlain, "segv"});
  EXPECT_TRUE(killed_by(r, SIGSEGV)) << describe(r) << r.err;
  EXPECT_EQ(r.err.rfind("Fatal signal: ", 0), 0U) << r.err;
}

}  // namespace

namespace {

// ---- the report parser (in-process; a parser of outside text) ------------------------------

TEST(FaulthandlerParseTest, TextFramesAndModules) {
  const std::string report =
      "noise before\n"
      "Fatal signal: Segmentation fault (SIGSEGV) at address 0x0, code SEGV_MAPERR\n\n"
      "Current thread 0x7f00 (most recent call first):\n"
      "  #0 0x55d1c0a01279 /opt/my app/bin+0x1279\n"
      "  #1 0x55d1c0a01300 /opt/my app/bin+0x1300 in main\n"
      "  #2 0x10 [unknown]+0x10\n"
      "  ... #128 to #200: 73 frames not shown\n\n"
      "Modules (base, build-id, path):\n"
      "  0x55d1c0a00000 3f2a9c01 /opt/my app/bin\n"
      "  0x7f0000000000 - /usr/lib/libnoid.so\n"
      "after\n";
  const auto parsed = sigkit::cli::parse_report(report);
  ASSERT_EQ(parsed.frames.size(), 3U);
  EXPECT_EQ(parsed.frames[0].module, "/opt/my app/bin");
  EXPECT_EQ(parsed.frames[0].offset, 0x1279U);
  EXPECT_TRUE(parsed.frames[0].exact);
  EXPECT_FALSE(parsed.frames[1].exact);
  EXPECT_EQ(parsed.frames[1].text_end,
            std::string("  #1 0x55d1c0a01300 /opt/my app/bin+0x1300").size());
  EXPECT_EQ(parsed.frames[2].module, "");
  ASSERT_EQ(parsed.tables.size(), 1U);
  ASSERT_EQ(parsed.tables[0].size(), 2U);
  EXPECT_EQ(parsed.tables[0][0].build_id, "3f2a9c01");
  EXPECT_EQ(parsed.tables[0][1].build_id, "");
  EXPECT_EQ(parsed.frames[0].table, 0U);
  EXPECT_EQ(parsed.lines.size(), 13U);
}

TEST(FaulthandlerParseTest, JsonLinesAndSeveralReports) {
  const std::string report =
      R"({"type":"report","version":1,"kind":"dump","pid":1})"
      "\n"
      R"({"type":"frame","tid":1,"index":0,"pc":"0x5000","module":"/a","offset":"0x100","exact":true})"
      "\n"
      R"({"type":"module","path":"/a","base":"0x4f00","build_id":"abcd"})"
      "\n"
      R"({"type":"end"})"
      "\n"
      R"({"type":"report","version":1,"kind":"dump","pid":2})"
      "\n"
      R"({"type":"frame","tid":2,"index":1,"pc":"0x6000","module":"/a","offset":"0x200","exact":false})"
      "\n"
      R"({"type":"module","path":"/a","base":"0x5e00","build_id":"ef01"})"
      "\n"
      R"({"type":"end"})"
      "\n";
  const auto parsed = sigkit::cli::parse_report(report);
  ASSERT_EQ(parsed.frames.size(), 2U);
  ASSERT_EQ(parsed.tables.size(), 2U);
  EXPECT_EQ(parsed.tables[parsed.frames[0].table][0].build_id, "abcd");
  EXPECT_EQ(parsed.tables[parsed.frames[1].table][0].build_id, "ef01");
  EXPECT_FALSE(parsed.frames[1].exact);
}

// Found by fuzz/symbolize_report_fuzzer.cpp: a build-id in capitals was kept as written, so
// it matched neither elf_build_id() of the module nor its .build-id/xx/... debug file.
TEST(FaulthandlerParseTest, BuildIdsAreLowercase) {
  const auto text = sigkit::cli::parse_report(
      "Modules (base, build-id, path):\n"
      "  0x55d1c0a00000 3F2A9C01 /opt/app\n");
  ASSERT_EQ(text.tables.size(), 1U);
  ASSERT_EQ(text.tables[0].size(), 1U);
  EXPECT_EQ(text.tables[0][0].build_id, "3f2a9c01");
  const auto lines =
      sigkit::cli::parse_report(R"({"type":"module","path":"/a","base":"0x4f00","build_id":"ABcd"})"
                                "\n");
  ASSERT_EQ(lines.tables.size(), 1U);
  ASSERT_EQ(lines.tables[0].size(), 1U);
  EXPECT_EQ(lines.tables[0][0].build_id, "abcd");
}

TEST(FaulthandlerParseTest, MalformedInputNeverThrows) {
  const std::vector<std::string> inputs{"",
                                        "\n\n",
                                        "  #",
                                        "  #x 0x1 a+0x1",
                                        "  #1 0x a+0x1",
                                        "  #1 0x1 +0x1",
                                        "  #1 0x1 a+0x",
                                        "  #99999999999999999999 0x1 a+0x1",
                                        "  #1 0x11111111111111111111 a+0x1",
                                        "Modules (base, build-id, path):\n  0x1 zz /x\n  0x1",
                                        "{",
                                        "{\"type\":1}",
                                        R"({"type":"frame","index":-1,"pc":"0x1","offset":"0x1"})",
                                        R"({"type":"module","path":7,"base":"0x1"})",
                                        std::string("\0\xff\n", 3)};
  for (const auto& input : inputs) {
    const auto parsed = sigkit::cli::parse_report(input);
    for (const auto& f : parsed.frames) EXPECT_LT(f.line, parsed.lines.size());
  }
  EXPECT_EQ(sigkit::cli::elf_build_id(""), "");
  EXPECT_EQ(sigkit::cli::elf_build_id("\x7f"
                                      "ELF"),
            "");
  std::string truncated = sigkit_fh_test::read_file(kChainO0).substr(0, 200);
  EXPECT_EQ(sigkit::cli::elf_build_id(truncated), "");
  EXPECT_EQ(sigkit::cli::elf_build_id(sigkit_fh_test::read_file(kChainO0)).size(), 40U);
}

TEST(FaulthandlerParseTest, SymbolizeReportsAMissingModuleAndGoesOn) {
  const std::string report =
      "Current thread 0x1 (most recent call first):\n"
      "  #0 0x1000 /nonexistent/module+0x1000\n\n"
      "Modules (base, build-id, path):\n"
      "  0x0 abcdef /nonexistent/module\n";
  std::ostringstream out;
  std::ostringstream err;
  sigkit::cli::symbolize_options options;
  EXPECT_EQ(sigkit::cli::symbolize_report(report, options, out, err), 1);
  EXPECT_EQ(out.str(), report) << "the lines pass through unchanged";
  EXPECT_NE(err.str().find("sigkit: symbolize: '/nonexistent/module': not found"),
            std::string::npos)
      << err.str();
}

}  // namespace
