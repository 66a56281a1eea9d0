// tests/cli/cli_run_test.cpp - `sigkit run`, `sigkit timeout` and `sigkit run --init`, the built
// binary against real processes: process groups, exit statuses, signals forwarded and
// inherited, PID 1 of a new PID namespace (unshare, as root), job control on a pseudo-terminal,
// and the hostile-input defects of issue 11.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.hpp"

#ifndef SIGKIT_TOOL_PATH
#error "SIGKIT_TOOL_PATH must name the built sigkit binary"
#endif

namespace {

using sigkit_cli_test::child_process;
using sigkit_cli_test::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using steady = std::chrono::steady_clock;

const std::string kTool = SIGKIT_TOOL_PATH;
const std::string kChild = SIGKIT_TEST_CHILD_PATH;

struct tool_result {
  int status = -1;
  std::string out;
  std::string err;
  [[nodiscard]] int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  [[nodiscard]] int term_signal() const { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }
};

std::vector<std::string> with_tool(std::vector<std::string> args) {
  args.insert(args.begin(), kTool);
  return args;
}

child_process start_tool(std::vector<std::string> args,
                         const std::function<void()>& before_exec = {}) {
  return sigkit_cli_test::spawn_exec_with(with_tool(std::move(args)), before_exec);
}

tool_result finish(child_process& p, milliseconds timeout = milliseconds(20000)) {
  tool_result r;
  r.status = p.finish(timeout);
  r.out = p.out;
  r.err = p.err;
  return r;
}

tool_result run_tool(std::vector<std::string> args, const std::function<void()>& before = {}) {
  child_process p = start_tool(std::move(args), before);
  return finish(p);
}

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

// The state letter in /proc/PID/stat ('R', 'S', 'T', 'Z'), or 0 if it is gone.
char state_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!stat || !std::getline(stat, text)) {
    return 0;
  }
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '\0';
}

bool alive(pid_t pid) {
  const char s = state_of(pid);
  return s != 0 && s != 'Z' && s != 'X';
}

bool wait_until(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  while (steady::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

// Kills a process this test made (a leftover "sleep" if a test fails), by its pid.
struct kill_at_exit {
  pid_t pid = -1;
  ~kill_at_exit() {
    if (pid > 0 && alive(pid)) {
      ::kill(pid, SIGKILL);
    }
  }
};

pid_t first_number(const std::string& text) {
  return static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
}

// ---- sigkit run: timeout(1)'s behaviours --------------------------------------------------

TEST(RunTimeoutTest, TheWholeProcessGroupIsTimedOut) {
  // The first defect: a grandchild survived the timeout.
  child_process run =
      start_tool({"run", "--timeout", "0.3", "sh", "-c", "sleep 15 & echo $!; wait"});
  ASSERT_TRUE(run.wait_for_text("\n", milliseconds(10000), true));
  kill_at_exit grandchild{first_number(run.out)};
  const auto r = finish(run);
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_TRUE(wait_until([&] { return !alive(grandchild.pid); }, milliseconds(3000)));
}

TEST(RunTimeoutTest, ForegroundSignalsTheCommandOnly) {
  child_process run = start_tool(
      {"run", "-f", "--timeout", "0.3", "sh", "-c", "sleep 15 >/dev/null 2>&1 & echo $!; wait"});
  ASSERT_TRUE(run.wait_for_text("\n", milliseconds(10000), true));
  kill_at_exit grandchild{first_number(run.out)};
  const auto r = finish(run);
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_TRUE(alive(grandchild.pid));  // "children of COMMAND will not be timed out"
}

TEST(RunTimeoutTest, KillAfterTheGraceExits137) {
  const auto start = steady::now();
  const auto r = run_tool({"run", "--timeout", "0.2", "-k", "0.2", "--json", "--", "sh", "-c",
                           "trap '' TERM; sleep 10"});
  EXPECT_EQ(r.exit_code(), 137) << r.err;  // timeout(1): KILL needed is 137, not 124
  EXPECT_GE(seconds_since(start), 0.39);
  EXPECT_LT(seconds_since(start), 5.0);
  const auto record = nlohmann::json::parse(r.out);  // sigkit outlived the KILL of its group
  EXPECT_EQ(record.at("killed"), true);
  EXPECT_EQ(record.at("signal"), "SIGKILL");
}

TEST(RunTimeoutTest, KillAfterZeroNeverKills) {
  const auto start = steady::now();
  const auto r = run_tool(
      {"run", "--timeout", "0.2", "-k", "0", "-v", "sh", "-c", "trap '' TERM; sleep 1; exit 3"});
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_GE(seconds_since(start), 0.9);
  EXPECT_THAT(r.err, HasSubstr("sending signal TERM"));
  EXPECT_THAT(r.err, Not(HasSubstr("KILL")));
}

TEST(RunTimeoutTest, PreserveStatusAndZeroTimeout) {
  EXPECT_EQ(run_tool({"run", "-p", "--timeout", "0.2", "sleep", "5"}).exit_code(), 128 + SIGTERM);
  EXPECT_EQ(run_tool({"run", "--preserve-status", "--timeout", "0.2", "sh", "-c",
                      "trap 'exit 7' TERM; sleep 5 & wait"})
                .exit_code(),
            7);
  EXPECT_EQ(run_tool({"run", "--timeout", "0", "sh", "-c", "sleep 0.2; exit 3"}).exit_code(), 3);
  EXPECT_EQ(run_tool({"run", "--timeout", "-0", "sh", "-c", "exit 3"}).exit_code(), 3);
}

TEST(RunTimeoutTest, TimeoutSignalKillSpellings) {
  const auto r = run_tool({"run", "-s", "KILL", "--timeout", "0.2", "--json", "sleep", "5"});
  EXPECT_EQ(r.exit_code(), 137);
  EXPECT_EQ(nlohmann::json::parse(r.out).at("timed_out"), true);
  EXPECT_EQ(run_tool({"run", "--signal=9", "--timeout=0.2", "sleep", "5"}).exit_code(), 137);
  EXPECT_EQ(run_tool({"run", "-sINT", "-p", "--timeout", "0.2", "sleep", "5"}).exit_code(),
            128 + SIGINT);
}

TEST(RunTimeoutTest, AStoppedCommandIsContinuedToReceiveTheSignal) {
  const auto start = steady::now();
  const auto r =
      run_tool({"run", "--timeout", "0.3", "-k", "0", "sh", "-c", "kill -STOP $$; sleep 10"});
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_LT(seconds_since(start), 5.0);  // TERM then CONT: it died without a KILL
}

TEST(RunTimeoutTest, AlarmSentToSigkitFiresTheTimeout) {
  child_process run = start_tool({"run", "--timeout", "30", "sh", "-c", "echo ready; sleep 10"});
  ASSERT_TRUE(run.wait_for_text("ready\n", milliseconds(10000), true));
  const auto start = steady::now();
  ::kill(run.pid, SIGALRM);
  const auto r = finish(run);
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(RunTimeoutTest, DurationsAsTimeoutReadsThem) {
  for (const char* d : {"1e-3", "0x1p-4", ".05", "1e-5000", "5ms"}) {
    EXPECT_EQ(run_tool({"run", "--timeout", d, "sleep", "5"}).exit_code(), 124) << d;
  }
  for (const char* d : {"4294967296", "9223372036854775808", "2.34e+5d", "inf"}) {
    EXPECT_EQ(run_tool({"run", "--timeout", d, "sh", "-c", "exit 5"}).exit_code(), 5) << d;
  }
}

TEST(RunTimeoutTest, TheCommandsArgumentsAreNeverParsed) {
  EXPECT_EQ(run_tool({"run", "--timeout", "10", "sh", "-c", "exit 4", "sh", "--", "x"}).exit_code(),
            4);
  const auto r = run_tool({"run", "sh", "-c", "echo \"$@\"", "sh", "--timeout", "5", "--", "-v"});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, "--timeout 5 -- -v\n");
  const auto dashes = run_tool({"run", "-v", "--", "sh", "-c", "echo \"$@\"", "sh", "--"});
  EXPECT_EQ(dashes.out, "--\n");
}

TEST(RunTimeoutTest, NotFoundNotExecutableAndOwnErrors) {
  EXPECT_EQ(run_tool({"run", "sigkit-no-such-command-xyz"}).exit_code(), 127);
  EXPECT_EQ(run_tool({"run", "/"}).exit_code(), 126);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"run"},
                                             {"run", "--timeout"},
                                             {"run", "--timeout", "abc", "true"},
                                             {"run", "-s", "NOPE", "true"},
                                             {"run", "--forward", "KILL", "true"},
                                             {"run", "-g", "true"},
                                             {"run", "--init", "-f", "true"},
                                             {"run", "--nope", "true"}}) {
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code(), 125) << args.back() << r.err;
    EXPECT_THAT(r.err, StartsWith("sigkit: "));
    EXPECT_EQ(lines_in(r.err), 1U) << r.err;
  }
}

// ---- sigkit run: signals ----------------------------------------------------------------------

TEST(RunSignalTest, DiesByTheCommandsSignalKillIncluded) {
  // The issue: a command killed by SIGKILL made sigkit exit 137 instead of dying by SIGKILL.
  for (const int s : {SIGKILL, SIGTERM, SIGUSR1}) {
    const auto r = run_tool({"run", "sh", "-c", "kill -" + std::to_string(s) + " $$"});
    EXPECT_EQ(r.term_signal(), s) << r.status;
  }
}

TEST(RunSignalTest, EveryTerminatingSignalIsForwarded) {
  // PIPE, ALRM-less RT signals and the rest: the command dies by what sigkit received, and
  // sigkit dies by it in turn. (ALRM is the timer: see AlarmSentToSigkitFiresTheTimeout.)
  for (const int s : {SIGPIPE, SIGRTMIN + 1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGHUP, SIGQUIT}) {
    child_process run = start_tool({"run", "--timeout", "20", "--", kChild, "pgrp"});
    ASSERT_TRUE(run.wait_for_text("\n", milliseconds(10000), true));
    const pid_t child = first_number(run.out.substr(run.out.find('=') + 1));
    ::kill(run.pid, s);
    const auto r = finish(run);
    EXPECT_EQ(r.term_signal(), s) << "signal " << s << " status " << r.status << r.err;
    EXPECT_FALSE(alive(child));
  }
}

TEST(RunSignalTest, SupervisorDeathSignalsTheCommand) {
  // PR_SET_PDEATHSIG: sigkit killed by SIGKILL leaves nothing running unsupervised.
  child_process run = start_tool({"run", "--", kChild, "pgrp"});
  ASSERT_TRUE(run.wait_for_text("\n", milliseconds(10000), true));
  kill_at_exit child{first_number(run.out.substr(run.out.find('=') + 1))};
  ASSERT_TRUE(alive(child.pid));
  ::kill(run.pid, SIGKILL);
  EXPECT_EQ(finish(run).term_signal(), SIGKILL);
  EXPECT_TRUE(wait_until([&] { return !alive(child.pid); }, milliseconds(5000)));
}

TEST(RunSignalTest, InheritedIgnoredSignalsAndMaskReachTheCommand) {
  const auto before = [] {
    static_cast<void>(::signal(SIGPIPE, SIG_IGN));
    static_cast<void>(::signal(SIGHUP, SIG_IGN));  // nohup
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 3);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
  };
  const auto r = run_tool({"run", "--", kChild, "state"}, before);
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, "ignored: " + std::to_string(SIGHUP) + " " + std::to_string(SIGPIPE) +
                       "\nblocked: " + std::to_string(SIGUSR2) + " " +
                       std::to_string(SIGRTMIN + 3) + "\npdeathsig: " + std::to_string(SIGTERM) +
                       "\n");
  // With nothing inherited the command starts clean, whatever sigkit itself handles.
  const auto clean = run_tool({"run", "--", kChild, "state"});
  EXPECT_EQ(clean.out, "ignored:\nblocked:\npdeathsig: " + std::to_string(SIGTERM) + "\n");
}

TEST(RunSignalTest, JsonRecordOfTheCommandsFate) {
  const auto exited = run_tool({"run", "--json", "sh", "-c", "echo out; exit 3"});
  EXPECT_EQ(exited.exit_code(), 3);
  ASSERT_EQ(lines_in(exited.out), 2U) << exited.out;
  const auto record = nlohmann::json::parse(exited.out.substr(exited.out.find('\n') + 1));
  EXPECT_EQ(record.at("exit_code"), 3);
  EXPECT_TRUE(record.at("signal").is_null());
  EXPECT_EQ(record.at("core_dumped"), false);
  EXPECT_EQ(record.at("timed_out"), false);
  EXPECT_EQ(record.at("killed"), false);
  EXPECT_EQ(record.at("status"), 3);
  EXPECT_GE(record.at("duration").get<double>(), 0.0);
  EXPECT_GT(record.at("pid").get<int>(), 0);

  const auto signalled = run_tool({"run", "--json", "sh", "-c", "kill -USR1 $$"});
  EXPECT_EQ(signalled.term_signal(), SIGUSR1);
  const auto r2 = nlohmann::json::parse(signalled.out);
  EXPECT_EQ(r2.at("signal"), "SIGUSR1");
  EXPECT_EQ(r2.at("signal_number"), SIGUSR1);
  EXPECT_TRUE(r2.at("exit_code").is_null());
  EXPECT_EQ(r2.at("status"), 128 + SIGUSR1);
}

TEST(RunSignalTest, CoreDumpIsReported) {
  char dir[] = "/tmp/sigkit-core-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = dir;
  const auto r = run_tool({"run", "--json", "sh", "-c", "ulimit -c unlimited && kill -QUIT $$"},
                          [path] { static_cast<void>(::chdir(path.c_str())); });
  std::filesystem::remove_all(path);
  EXPECT_EQ(r.term_signal(), SIGQUIT);
  const auto record = nlohmann::json::parse(r.out);
  if (record.at("core_dumped") != true) {
    GTEST_SKIP() << "this system writes no core file here (core_pattern, limits)";
  }
  EXPECT_EQ(r.err, "sigkit: the monitored command dumped core\n");
}

// ---- sigkit timeout: GNU timeout's grammar, exactly --------------------------------------

TEST(TimeoutGrammarTest, OptionsInEveryGetoptSpelling) {
  // (a background job of sh ignores INT: the loop's sleeps are in the foreground)
  const std::string trap = "trap 'exit 5' INT; while :; do sleep 0.05; done";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"timeout", "-s", "INT", "-p", "0.2", "sh", "-c", trap},
           {"timeout", "-sINT", "-p", "0.2", "sh", "-c", trap},
           {"timeout", "-ps", "INT", "0.2", "sh", "-c", trap},
           {"timeout", "--signal=INT", "--preserve-status", "0.2", "sh", "-c", trap},
           {"timeout", "--sig", "int", "--pres", "--", "0.2", "sh", "-c", trap},
           {"timeout", "--si=2", "--p", "-k", "5", "0.2", "sh", "-c", trap},
           {"timeout", "-s", "130", "-pk5", "0.2", "sh", "-c", trap}}) {
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code(), 5) << args[1] << " " << args[2] << " " << r.err;
  }
}

TEST(TimeoutGrammarTest, ExitStatusesAsTimeout) {
  EXPECT_EQ(run_tool({"timeout", "0.2", "sleep", "5"}).exit_code(), 124);
  EXPECT_EQ(run_tool({"timeout", "-s", "KILL", "0.2", "sleep", "5"}).exit_code(), 137);
  EXPECT_EQ(
      run_tool({"timeout", "-k", "0.2", "0.2", "sh", "-c", "trap '' TERM; sleep 5"}).exit_code(),
      137);
  EXPECT_EQ(
      run_tool({"timeout", "-f", "-k", "0.2", "0.2", "sh", "-c", "trap '' TERM; exec sleep 5"})
          .exit_code(),
      137);
  EXPECT_EQ(run_tool({"timeout", "-p", "0.2", "sleep", "5"}).exit_code(), 128 + SIGTERM);
  EXPECT_EQ(run_tool({"timeout", "5", "sh", "-c", "exit 3"}).exit_code(), 3);
  EXPECT_EQ(run_tool({"timeout", "0", "sh", "-c", "exit 3"}).exit_code(), 3);
  EXPECT_EQ(run_tool({"timeout", "1", "sigkit-no-such-command-xyz"}).exit_code(), 127);
  EXPECT_EQ(run_tool({"timeout", "1", "/"}).exit_code(), 126);
  EXPECT_EQ(run_tool({"timeout", "5", "sh", "-c", "kill -USR1 $$"}).term_signal(), SIGUSR1);
  // timeout -s 0 sends nothing; the command runs to its end and the status is still 124
  EXPECT_EQ(run_tool({"timeout", "-s", "EXIT", "0.1", "sh", "-c", "sleep 0.3; exit 0"}).exit_code(),
            124);
}

TEST(TimeoutGrammarTest, VerboseDiagnosesEverySignalSent) {
  const auto r =
      run_tool({"timeout", "-v", "-k", "0.2", "0.2", "sh", "-c", "trap '' TERM; sleep 5"});
  EXPECT_EQ(r.exit_code(), 137);
  EXPECT_EQ(r.err,
            "sigkit: sending signal TERM to command 'sh'\n"
            "sigkit: sending signal KILL to command 'sh'\n");
}

TEST(TimeoutGrammarTest, ARelayedSignalStartsTheKillCountdown) {
  // timeout(1) with -k: the first signal it relays arms the KILL timer, timed out or not.
  const std::string script = "trap 'echo got-int' INT; echo ready; while :; do sleep 0.05; done";
  child_process run = start_tool({"timeout", "-k", "0.3", "30", "sh", "-c", script});
  ASSERT_TRUE(run.wait_for_text("ready\n", milliseconds(10000), true));
  ::kill(run.pid, SIGINT);
  const auto start = steady::now();
  const auto r = finish(run);
  EXPECT_EQ(r.exit_code(), 137) << r.err;
  EXPECT_THAT(r.out, HasSubstr("got-int"));
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(TimeoutGrammarTest, UsageErrorsExit125OnOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"timeout"},
           {"timeout", "5"},
           {"timeout", "-x", "5", "true"},
           {"timeout", "--frob", "5", "true"},
           {"timeout", "--v", "5", "true"},  // ambiguous: --verbose, --version
           {"timeout", "-k"},
           {"timeout", "--signal"},
           {"timeout", "--foreground=yes", "5", "true"},
           {"timeout", "5ms", "true"},
           {"timeout", "1y", "true"},
           {"timeout", "-s", "FOO", "5", "true"},
           {"timeout", "-s", "65", "5", "true"},
           {"timeout", "-k", "-1", "5", "true"},
           {"timeout", "-1", "true"}}) {
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code(), 125) << args.back() << " " << r.err;
    EXPECT_THAT(r.err, StartsWith("sigkit: "));
    EXPECT_EQ(lines_in(r.err), 1U) << r.err;
  }
  EXPECT_THAT(run_tool({"timeout", "abc", "true"}).err, HasSubstr("invalid time interval 'abc'"));
  EXPECT_THAT(run_tool({"timeout", "-s", "FOO", "5", "true"}).err,
              HasSubstr("'FOO': invalid signal"));
}

TEST(TimeoutGrammarTest, HelpVersionAndOptionsOnlyBeforeOperands) {
  const auto help = run_tool({"timeout", "--help"});
  EXPECT_EQ(help.exit_code(), 0);
  EXPECT_THAT(help.out, StartsWith("Usage: sigkit timeout [OPTION]... DURATION COMMAND"));
  const auto version = run_tool({"timeout", "--vers"});
  EXPECT_EQ(version.exit_code(), 0);
  EXPECT_THAT(version.out, StartsWith("timeout (sigkit) "));
  // After DURATION everything is the command's: its -v and --help are its own.
  const auto r = run_tool({"timeout", "5", "sh", "-c", "echo \"$@\"", "sh", "-v", "--help"});
  EXPECT_EQ(r.out, "-v --help\n");
}

TEST(TimeoutGrammarTest, AliasWorksFromAShell) {
  child_process s = sigkit_cli_test::spawn_exec(
      {"/bin/sh", "-c",
       "timeout() { \"$0\" timeout \"$@\"; }; timeout 0.2 sleep 5; echo a=$?; "
       "timeout --kill-after=1 5 true; echo b=$?",
       kTool});
  EXPECT_EQ(s.finish(), 0);
  EXPECT_EQ(s.out, "a=124\nb=0\n");
}

// ---- sigkit run --init -----------------------------------------------------------------------

bool have_pid_namespaces() {
  static const bool available = [] {
    child_process probe = sigkit_cli_test::spawn_exec(
        {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/true"});
    const int status = probe.finish(milliseconds(10000));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return available;
}

child_process start_as_pid1(std::vector<std::string> args) {
  args.insert(args.begin(), kTool);
  args.insert(args.begin(), {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"});
  return sigkit_cli_test::spawn_exec(args);
}

// unshare --fork's child: sigkit, PID 1 inside, this pid outside.
pid_t child_of(pid_t parent) {
  pid_t found = -1;
  wait_until(
      [&] {
        std::ifstream children("/proc/" + std::to_string(parent) + "/task/" +
                               std::to_string(parent) + "/children");
        pid_t pid = -1;
        if (children >> pid && pid > 0) {
          found = pid;
          return true;
        }
        return false;
      },
      milliseconds(10000));
  return found;
}

#define REQUIRE_PID_NAMESPACES()                                                    \
  if (!have_pid_namespaces()) {                                                     \
    GTEST_SKIP() << "unshare --pid --fork --mount-proc is not allowed here (root)"; \
  }

TEST(InitTest, ReapsEveryOrphanAsPid1) {
  REQUIRE_PID_NAMESPACES();
  const std::string script =
      "sh -c 'sleep 0.2 & sleep 0.1 & exit 0'; sleep 0.8; "
      "z=$(grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l); echo zombies=$z; exit 3";
  child_process init = start_as_pid1({"run", "--init", "-v", "--", "sh", "-c", script});
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 3) << r.err;
  EXPECT_EQ(r.out, "zombies=0\n");
  EXPECT_THAT(r.err, HasSubstr("(sleep): exited with status 0"));
  EXPECT_EQ(lines_in(r.err), 2U) << r.err;  // two orphans, both reported
}

TEST(InitTest, HandlesTermAsPid1AndForwardsIt) {
  REQUIRE_PID_NAMESPACES();
  const std::string script =
      "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done";
  child_process init = start_as_pid1({"run", "--init", "--", "sh", "-c", script});
  ASSERT_TRUE(init.wait_for_text("ready\n", milliseconds(10000), true)) << init.err;
  const pid_t pid1 = child_of(init.pid);
  ASSERT_GT(pid1, 0);
  ::kill(pid1, SIGTERM);
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 7) << r.err;
  EXPECT_EQ(r.out, "ready\ngot-term\n");
}

TEST(InitTest, AsPid1ExitsWith128PlusTheSignal) {
  REQUIRE_PID_NAMESPACES();
  // sleep has no handler; as PID 1 sigkit cannot die by the signal it relays: 128 + 15.
  child_process init =
      start_as_pid1({"run", "--init", "--", "sh", "-c", "echo ready; exec sleep 30"});
  ASSERT_TRUE(init.wait_for_text("ready\n", milliseconds(10000), true));
  const pid_t pid1 = child_of(init.pid);
  ASSERT_GT(pid1, 0);
  ::kill(pid1, SIGTERM);
  EXPECT_EQ(finish(init).exit_code(), 128 + SIGTERM);
  // and the command's own death by a signal
  child_process dies = start_as_pid1({"run", "--init", "--", "sh", "-c", "kill -USR1 $$"});
  EXPECT_EQ(finish(dies).exit_code(), 128 + SIGUSR1);
}

TEST(InitTest, TheRestOfTheGroupGetsTheGraceAsPid1) {
  REQUIRE_PID_NAMESPACES();
  // tini exits as soon as its child does, and the kernel SIGKILLs the rest of the namespace
  // mid-cleanup (krallin/tini#180). With -g, after a relayed TERM, sigkit waits up to --grace.
  const std::string script =
      "sh -c 'trap \"sleep 0.3; echo grandchild-clean; exit 0\" TERM; echo ready; "
      "while :; do sleep 0.05; done' & wait";
  child_process init = start_as_pid1({"run", "--init", "-g", "-k", "5", "--", "sh", "-c", script});
  ASSERT_TRUE(init.wait_for_text("ready\n", milliseconds(10000), true));
  const pid_t pid1 = child_of(init.pid);
  ASSERT_GT(pid1, 0);
  ::kill(pid1, SIGTERM);
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 128 + SIGTERM) << r.err;
  EXPECT_THAT(r.out, HasSubstr("grandchild-clean"));
}

TEST(InitTest, TheRestOfTheGroupIsKilledAfterTheGrace) {
  REQUIRE_PID_NAMESPACES();
  const std::string script =
      "sh -c 'trap \"\" TERM; echo ready; while :; do sleep 0.05; done' & wait";
  child_process init =
      start_as_pid1({"run", "--init", "-g", "-v", "-k", "0.3", "--", "sh", "-c", script});
  ASSERT_TRUE(init.wait_for_text("ready\n", milliseconds(10000), true));
  const pid_t pid1 = child_of(init.pid);
  ASSERT_GT(pid1, 0);
  const auto start = steady::now();
  ::kill(pid1, SIGTERM);
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 128 + SIGTERM) << r.err;
  EXPECT_GE(seconds_since(start), 0.29);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_THAT(r.err, HasSubstr("sigkit: sending signal KILL to the rest of the command's process "
                               "group\n"));
}

TEST(InitTest, TimeoutAsPid1) {
  REQUIRE_PID_NAMESPACES();
  child_process init = start_as_pid1({"run", "--init", "--timeout", "0.2", "sleep", "10"});
  EXPECT_EQ(finish(init).exit_code(), 124);
}

TEST(InitTest, SubreaperReportsOrphansWhenNotPid1) {
  const auto r =
      run_tool({"run", "--init", "-v", "--", "sh", "-c", "sh -c 'sleep 0.1 & exit 0'; sleep 0.5"});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("sigkit: reaped orphan "));
  EXPECT_THAT(r.err, HasSubstr(" (sleep): exited with status 0"));
  EXPECT_EQ(r.out, "");  // sigkit writes nothing of its own on stdout
}

TEST(InitTest, NeverLosesAnOrphan) {
  // Fifty orphans in a burst: SIGCHLDs coalesce, the waitid loop still reaps them all.
  const std::string script =
      "i=0; while [ $i -lt 50 ]; do (sleep 0.05 &); i=$((i+1)); done; sleep 0.6";
  const auto r = run_tool({"run", "--init", "-v", "--", "sh", "-c", script});
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  std::size_t reaped = 0;
  for (std::size_t at = r.err.find("(sleep): exited with status 0"); at != std::string::npos;
       at = r.err.find("(sleep): exited with status 0", at + 1)) {
    ++reaped;
  }
  EXPECT_EQ(reaped, 50U) << r.err;
}

TEST(InitTest, TheCommandIsTheDirectChildAndDiesAsItDid) {
  child_process init = start_tool({"run", "--init", "--", "sh", "-c", "echo $PPID"});
  const pid_t sigkit_pid = init.pid;
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_EQ(first_number(r.out), sigkit_pid);
  EXPECT_EQ(run_tool({"run", "--init", "sh", "-c", "kill -USR2 $$"}).term_signal(), SIGUSR2);
  EXPECT_EQ(run_tool({"run", "--init", "--timeout", "0.2", "sleep", "5"}).exit_code(), 124);
}

TEST(InitTest, GroupForwardingReachesGrandchildren) {
  const std::string script =
      "sh -c 'trap \"echo grandchild-got-usr1; exit 0\" USR1; echo ready; "
      "while :; do sleep 0.05; done' & wait";
  child_process with_group = start_tool({"run", "--init", "-g", "--", "sh", "-c", script});
  ASSERT_TRUE(with_group.wait_for_text("ready\n", milliseconds(10000), true));
  ::kill(with_group.pid, SIGUSR1);
  const auto r = finish(with_group);
  EXPECT_THAT(r.out, HasSubstr("grandchild-got-usr1"));
}

TEST(InitTest, MirrorsAJobControlStopForTheShellAbove) {
  // sigkit in a group of its own whose parent (this test) is in another group of the same
  // session, as under a job-control shell: when the command stops by TSTP, sigkit stops too,
  // and a SIGCONT to sigkit (the shell's `fg`) resumes both.
  child_process init =
      start_tool({"run", "--init", "--", "sh", "-c", "echo ready; kill -TSTP $$; echo resumed"},
                 [] { ::setpgid(0, 0); });
  ASSERT_TRUE(init.wait_for_text("ready\n", milliseconds(10000), true));
  int status = 0;
  const pid_t stopped = ::waitpid(init.pid, &status, WUNTRACED);
  ASSERT_EQ(stopped, init.pid);
  ASSERT_TRUE(WIFSTOPPED(status)) << status;
  ::kill(init.pid, SIGCONT);
  const auto r = finish(init);
  EXPECT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, "ready\nresumed\n");
}

// ---- job control on a terminal ------------------------------------------------------------

// sigkit run --init on a pseudo-terminal of its own (it leads the session, as a container's
// PID 1 does with -t). The helper command prints its group and the terminal's.
struct on_pty {
  pid_t pid = -1;
  int master = -1;
  std::string text;

  // Runs `sigkit args...`, or with `program` that program instead (args are its argv[1...]).
  explicit on_pty(const std::vector<std::string>& args, const std::string& program = kTool) {
    pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(program.c_str()));  // NOLINT: execv's signature
      for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT
      }
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~on_pty() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (master >= 0) {
      ::close(master);
    }
  }
  on_pty(const on_pty&) = delete;
  on_pty& operator=(const on_pty&) = delete;

  bool read_until(std::string_view needle, milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    while (text.find(needle) == std::string::npos && steady::now() < deadline) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char buffer[512];
        const ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n > 0) {
          text.append(buffer, static_cast<std::size_t>(n));
        }
      }
    }
    return text.find(needle) != std::string::npos;
  }
  int wait_exit(milliseconds timeout) {
    int status = -1;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout)) {
      return -1;
    }
    pid = -1;
    return status;
  }
};

// "pid=P pgrp=G" from the helper, once it is printed.
std::pair<pid_t, pid_t> helper_ids(const std::string& text) {
  const auto at = text.find("pid=");
  if (at == std::string::npos) {
    return {-1, -1};
  }
  const pid_t pid = first_number(text.substr(at + 4));
  const auto g = text.find("pgrp=", at);
  return {pid, first_number(text.substr(g + 5))};
}

void job_control_on_a_terminal(bool own_group) {
  std::vector<std::string> args{"run", "--init"};
  if (own_group) {
    args.emplace_back("-g");
  }
  args.insert(args.end(), {"--", kChild, "pgrp"});
  on_pty term(args);
  ASSERT_GT(term.pid, 0);
  ASSERT_TRUE(term.read_until("pgrp=", milliseconds(10000))) << term.text;
  ASSERT_TRUE(term.read_until("\n", milliseconds(2000)));
  const auto ids = helper_ids(term.text);
  const pid_t child = ids.first;
  const pid_t group = ids.second;
  ASSERT_GT(child, 0);
  // In the terminal's foreground group in both modes; with -g a group of its own.
  EXPECT_EQ(::tcgetpgrp(term.master), group);
  EXPECT_EQ(group, own_group ? child : term.pid);

  static_cast<void>(::write(term.master, "\x1a", 1));  // Ctrl-Z
  EXPECT_TRUE(wait_until([&] { return state_of(child) == 'T'; }, milliseconds(5000)))
      << "state " << state_of(child);
  ::kill(term.pid, SIGCONT);  // a SIGCONT sent to the init resumes it
  EXPECT_TRUE(wait_until([&] { return state_of(child) == 'S'; }, milliseconds(5000)))
      << "state " << state_of(child);

  static_cast<void>(::write(term.master, "\x03", 1));  // Ctrl-C
  const int status = term.wait_exit(milliseconds(10000));
  ASSERT_NE(status, -1) << "sigkit did not end";
  // The command died by SIGINT; sigkit (not PID 1) dies by it too.
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
}

TEST(InitTerminalTest, CtrlZStopsCtrlCInterruptsInTheSameGroup) {
  job_control_on_a_terminal(false);
}

TEST(InitTerminalTest, CtrlZStopsCtrlCInterruptsInItsOwnGroup) { job_control_on_a_terminal(true); }

TEST(InitTerminalTest, TheTerminalComesBackAfterTheCommand) {
  // A shell without job control leads the session and runs sigkit in its own (foreground)
  // group; with -g sigkit hands the terminal to the command's group and, when the command has
  // ended (or its exec failed), back, without being stopped by SIGTTOU on the way.
  on_pty term({"-c",
               "\"$0\" run --init -g -- sh -c 'echo child-done'; echo rc=$?; "
               "\"$0\" run --init -g -- sigkit-no-such-command-xyz 2>/dev/null; echo rc=$?; "
               "set -- $(cat /proc/$$/stat); echo pgrp=$5 tpgid=$8.",
               kTool},
              "/bin/sh");
  ASSERT_TRUE(term.read_until(".", milliseconds(10000))) << term.text;
  ASSERT_TRUE(term.read_until("tpgid=", milliseconds(10000))) << term.text;
  ASSERT_TRUE(term.read_until(".\r\n", milliseconds(10000))) << term.text;
  const int status = term.wait_exit(milliseconds(10000));
  ASSERT_NE(status, -1) << "sigkit was stopped or hung handing the terminal over";
  EXPECT_THAT(term.text, HasSubstr("child-done\r\nrc=0\r\nrc=127\r\n"));
  const auto at = term.text.find("pgrp=");
  const pid_t pgrp = first_number(term.text.substr(at + 5));
  const pid_t tpgid = first_number(term.text.substr(term.text.find("tpgid=") + 6));
  EXPECT_EQ(pgrp, tpgid) << term.text;
}

// ---- hostile input ------------------------------------------------------------------------

TEST(HostileInputTest, StatusJsonOfAProcessWithANonUtf8Name) {
  child_process subject = sigkit_cli_test::spawn(
      []() -> int {
        static_cast<void>(::prctl(PR_SET_NAME, "\xff\xfe\x1b[31mx\x9b", 0, 0, 0));
        std::printf("renamed\n");
        static_cast<void>(std::fflush(stdout));
        for (;;) {
          ::pause();
        }
      },
      60);
  ASSERT_TRUE(subject.wait_for_text("renamed\n", milliseconds(10000), true));
  const auto r = run_tool({"status", "--json", "--threads", std::to_string(subject.pid)});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at(0).at("name"), "\\xff\\xfe\\x1b[31mx\\x9b");
  const auto text = run_tool({"status", std::to_string(subject.pid)});
  EXPECT_EQ(text.exit_code(), 0);
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.out.find('\xff'), std::string::npos);
}

TEST(HostileInputTest, WriteErrorsOnStdoutAreReported) {
  const auto full = [] {
    const int fd = ::open("/dev/full", O_WRONLY);
    ::dup2(fd, 1);
  };
  const auto list = run_tool({"list"}, full);
  EXPECT_EQ(list.exit_code(), 1);
  EXPECT_EQ(list.err, "sigkit: write error: No space left on device\n");
  EXPECT_EQ(run_tool({"decode", "--json", "0x4002"}, full).exit_code(), 1);
  EXPECT_EQ(run_tool({"--help"}, full).exit_code(), 1);
  EXPECT_EQ(run_tool({"timeout", "--help"}, full).exit_code(), 125);
  const auto json = run_tool({"run", "--json", "true"}, full);
  EXPECT_EQ(json.exit_code(), 125);
  EXPECT_THAT(json.err, StartsWith("sigkit: "));
}

TEST(HostileInputTest, EchoedArgumentsAreQuotedAndEscaped) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"list", "INT\nsigkit: all good"},
                                             {"list", "\x1b]0;pwned\x07"},
                                             {"wait", "USR1", "--timeout", "1\n2"},
                                             {"send", "USR1", "1\x1b[2J"},
                                             {"run", "--timeout", "\xff\n", "true"},
                                             {"timeout", "-s", "\x1b[31m", "1", "true"},
                                             {"run", "--bad\noption", "true"},
                                             {"list", "--bad\x1b[1m"}}) {
    const auto r = run_tool(args);
    EXPECT_NE(r.exit_code(), 0);
    EXPECT_EQ(lines_in(r.err), 1U) << r.err;
    EXPECT_THAT(r.err, StartsWith("sigkit: "));
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\xff'), std::string::npos) << r.err;
  }
  EXPECT_EQ(run_tool({"list", "INT\nsigkit: x"}).err,
            "sigkit: unknown signal 'INT\\nsigkit: x' (see 'sigkit list')\n");
}

TEST(HostileInputTest, OneRuleForNumbers) {
  const auto list = run_tool({"list", "000000002", "0000000002", "SIG032", "RTMIN+01"});
  EXPECT_EQ(list.exit_code(), 0) << list.err;
  EXPECT_EQ(lines_in(list.out), 5U);
  EXPECT_EQ(run_tool({"wait", "USR1", "--timeout", "-0"}).exit_code(), 2);
  EXPECT_EQ(run_tool({"send", "USR1", "1", "--value", ""}).exit_code(), 2);
  EXPECT_EQ(run_tool({"wait", "USR1", "--count", "010", "--timeout", "0.05"}).exit_code(), 124);
}

}  // namespace
