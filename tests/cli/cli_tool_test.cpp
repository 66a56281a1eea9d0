// tests/cli/cli_tool_test.cpp - the built `sigkit` binary, run as a program.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/version.hpp"

#ifndef SIGKIT_TOOL_PATH
#error "SIGKIT_TOOL_PATH must name the built sigkit binary"
#endif

namespace {

using sigkit_cli_test::child_process;
using sigkit_cli_test::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kTool = SIGKIT_TOOL_PATH;

struct tool_result {
  int status = -1;
  std::string out;
  std::string err;
  [[nodiscard]] int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

child_process start_tool(std::vector<std::string> args) {
  args.insert(args.begin(), kTool);
  return sigkit_cli_test::spawn_exec(args);
}

tool_result run_tool(std::vector<std::string> args, milliseconds timeout = milliseconds(20000)) {
  child_process p = start_tool(std::move(args));
  tool_result r;
  r.status = p.finish(timeout);
  r.out = p.out;
  r.err = p.err;
  return r;
}

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// ---- general --------------------------------------------------------------------------------

TEST(ToolTest, PrintsTheVersion) {
  const auto r = run_tool({"--version"});
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_EQ(r.out, "sigkit " SIGKIT_VERSION_STRING "\n");
}

TEST(ToolTest, EveryCommandHasHelp) {
  for (const char* cmd : {"list", "status", "decode", "send", "wait", "run", "timeout"}) {
    const auto r = run_tool({cmd, "--help"});
    EXPECT_EQ(r.exit_code(), 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << cmd;
  }
  const auto r = run_tool({"--help"});
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_THAT(r.out, HasSubstr("run"));
}

TEST(ToolTest, UsageErrorsExit2) {
  EXPECT_EQ(run_tool({}).exit_code(), 2);
  EXPECT_EQ(run_tool({"nonsense"}).exit_code(), 2);
  EXPECT_EQ(run_tool({"wait"}).exit_code(), 2);
  EXPECT_EQ(run_tool({"list", "--frobnicate"}).exit_code(), 2);
}

TEST(ToolTest, ErrorsAreOneLineOnStderr) {
  // 2: a value that does not parse; 1: a runtime error; 125: run and timeout, as timeout(1).
  for (const auto& [args, code] : std::vector<std::pair<std::vector<std::string>, int>>{
           {{"list", "SIGFOO"}, 2},
           {{"send", "USR1", "2147483647"}, 1},
           {{"send", "USR1", "1", "--value", ""}, 2},
           {{"send", "USR1", "0x10"}, 2},
           {{"wait", "USR1", "--timeout", "banana"}, 2},
           {{"wait", "USR1", "--count", "0"}, 2},
           {{"wait", "USR1", "--timeout", "abc"}, 2},
           {{"run", "--timeout", "1y", "--", "true"}, 125},
           {{"run", "--timeout", "abc", "true"}, 125},
           {{"run", "--frobnicate", "true"}, 125},
           {{"run"}, 125},
           {{"timeout", "abc", "true"}, 125},
           {{"timeout", "-x", "1", "true"}, 125},
           {{"status", "2147483647"}, 1},
           {{"status", "-5"}, 2},
           {{"list", "--frobnicate"}, 2},
           {{"decode", "0xgg"}, 2}}) {
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code(), code) << args[0] << " " << r.err;
    EXPECT_THAT(r.err, StartsWith("sigkit: ")) << args[0];
    EXPECT_EQ(lines_in(r.err), 1U) << r.err;
    EXPECT_EQ(r.out, "") << args[0];
  }
}

// ---- list / decode ------------------------------------------------------------------------

TEST(ToolListTest, JsonSchema) {
  const auto r = run_tool({"list", "--json"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_TRUE(doc.is_array());
  EXPECT_EQ(doc.size(), sigkit::valid_signals().size());
  const std::set<std::string> actions{"term", "core", "stop", "cont", "ignore"};
  for (const auto& e : doc) {
    EXPECT_TRUE(e.at("number").is_number_integer());
    EXPECT_TRUE(e.at("name").is_string());
    EXPECT_TRUE(e.at("description").is_string());
    EXPECT_EQ(actions.count(e.at("action").get<std::string>()), 1U);
  }
}

TEST(ToolListTest, NamedSignalsAsText) {
  const auto r = run_tool({"list", "TERM", "sigkill", "20"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(lines_in(r.out), 4U);
  EXPECT_THAT(r.out, HasSubstr(" 15  SIGTERM       term    Terminated\n"));
  EXPECT_THAT(r.out, HasSubstr("  9  SIGKILL       term    Killed\n"));
  EXPECT_THAT(r.out, HasSubstr(" 20  SIGTSTP       stop    "));
}

TEST(ToolDecodeTest, DecodesAMask) {
  const auto r = run_tool({"decode", "0000000000014003"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, "  1  SIGHUP\n  2  SIGINT\n 15  SIGTERM\n 17  SIGCHLD\n");
}

// ---- status -------------------------------------------------------------------------------

TEST(ToolStatusTest, DiagnosesAPreparedProcess) {
  child_process subject = sigkit_cli_test::start_status_subject();
  const auto r = run_tool({"status", std::to_string(subject.pid), "--threads", "--json"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.size(), 1U);
  const auto& p = doc[0];
  EXPECT_EQ(p.at("pid"), subject.pid);
  EXPECT_EQ(p.at("ignored"), nlohmann::json::array({"SIGINT"}));
  EXPECT_THAT(p.at("caught").dump(), HasSubstr("\"SIGUSR1\""));
  ASSERT_GE(p.at("threads").size(), 2U);  // more under a sanitizer: its runtime's threads
  std::set<std::string> blocked_sets;
  for (const auto& t : p.at("threads")) {
    blocked_sets.insert(t.at("blocked").dump());
  }
  EXPECT_EQ(blocked_sets.count(R"(["SIGUSR1"])"), 1U);            // the worker
  EXPECT_EQ(blocked_sets.count(R"(["SIGUSR1","SIGUSR2"])"), 1U);  // the main thread
  std::set<std::string> kinds;
  for (const auto& d : p.at("diagnoses")) {
    kinds.insert(d.at("kind").get<std::string>() + ":" + d.at("signal").get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"ignored:SIGINT", "caught-but-blocked:SIGUSR1",
                                          "blocked-in-some-threads:SIGUSR2"}));
}

TEST(ToolStatusTest, TextOutputInPlainWords) {
  child_process subject = sigkit_cli_test::start_status_subject();
  const auto r = run_tool({"status", std::to_string(subject.pid)});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("SIGINT is ignored: Ctrl-C will not stop this process"));
  EXPECT_THAT(r.out, HasSubstr("SIGUSR1 is caught but blocked in every thread"));
  EXPECT_THAT(r.out, HasSubstr("SIGUSR2 is blocked in "));
  EXPECT_THAT(r.out, HasSubstr("the main thread among them"));
}

// ---- send + wait --------------------------------------------------------------------------

pid_t ready_pid(child_process& waiter) {
  if (!waiter.wait_for_text("\n", milliseconds(10000))) {
    ADD_FAILURE() << "no ready line: " << waiter.err;
    return -1;
  }
  const std::string expected = "ready pid=" + std::to_string(waiter.pid) + "\n";
  EXPECT_EQ(waiter.err, expected);
  return waiter.pid;
}

TEST(ToolSendWaitTest, ValueRoundTrip) {
  child_process waiter = start_tool({"wait", "USR1", "--timeout", "10s"});
  const pid_t pid = ready_pid(waiter);
  ASSERT_GT(pid, 0);
  child_process sender = start_tool({"send", "USR1", std::to_string(pid), "--value", "42"});
  const pid_t sender_pid = sender.pid;
  EXPECT_EQ(sender.finish(), 0) << sender.err;
  const int status = waiter.finish();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << waiter.err;
  EXPECT_EQ(waiter.out, "SIGUSR1 pid=" + std::to_string(sender_pid) +
                            " uid=" + std::to_string(::getuid()) + " code=SI_QUEUE value=42\n");
}

TEST(ToolSendWaitTest, JsonCountAndPidfdSend) {
  child_process waiter =
      start_tool({"wait", "USR2", "RTMIN+1", "--count", "2", "--json", "--timeout", "10s"});
  const pid_t pid = ready_pid(waiter);
  ASSERT_GT(pid, 0);
  child_process first = start_tool({"send", "RTMIN+1", std::to_string(pid), "--value", "-5"});
  const pid_t first_pid = first.pid;
  EXPECT_EQ(first.finish(), 0) << first.err;
  child_process second = start_tool({"send", "usr2", std::to_string(pid)});
  const pid_t second_pid = second.pid;
  EXPECT_EQ(second.finish(), 0) << second.err;
  const int status = waiter.finish();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << waiter.err;
  std::istringstream lines(waiter.out);
  std::vector<nlohmann::json> got;
  for (std::string line; std::getline(lines, line);) {
    got.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(got.size(), 2U) << waiter.out;
  // Both were pending when the waiter looked, or it took them one by one; either way each
  // delivery names its sender.
  for (const auto& g : got) {
    if (g.at("signal") == "SIGUSR2") {
      EXPECT_EQ(g.at("pid"), second_pid);
      EXPECT_EQ(g.at("code"), "SI_USER");
    } else {
      EXPECT_EQ(g.at("signal"), "SIGRTMIN+1");
      EXPECT_EQ(g.at("pid"), first_pid);
      EXPECT_EQ(g.at("code"), "SI_QUEUE");
      EXPECT_EQ(g.at("value"), -5);
    }
  }
}

TEST(ToolSendWaitTest, WaitTimeoutExits124) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_tool({"wait", "USR1", "--timeout", "300ms"});
  EXPECT_EQ(r.exit_code(), 124);
  EXPECT_EQ(r.out, "");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(290));
}

// ---- run ----------------------------------------------------------------------------------

TEST(ToolRunTest, ExitCodePassthrough) {
  EXPECT_EQ(run_tool({"run", "--", "sh", "-c", "exit 42"}).exit_code(), 42);
  EXPECT_EQ(run_tool({"run", "true"}).exit_code(), 0);
  EXPECT_EQ(run_tool({"run", "--", "false"}).exit_code(), 1);
}

TEST(ToolRunTest, DeathBySignalPassthrough) {
  const auto r = run_tool({"run", "--", "sh", "-c", "kill -USR1 $$"});
  ASSERT_TRUE(WIFSIGNALED(r.status)) << r.status;
  EXPECT_EQ(WTERMSIG(r.status), SIGUSR1);
  // What a shell makes of it: 128 + N.
  child_process s = sigkit_cli_test::spawn_exec(
      {"/bin/sh", "-c", "\"$0\" run -- sh -c 'kill -USR2 $$'; echo status=$?", kTool});
  EXPECT_EQ(s.finish(), 0);
  EXPECT_EQ(s.out, "status=" + std::to_string(128 + SIGUSR2) + "\n");
}

TEST(ToolRunTest, TimeoutTermThenKill) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_tool({"run", "--timeout", "0.3s", "--grace", "0.3s", "--", "sh", "-c",
                           "trap '' TERM; echo started; exec sleep 10"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code(), 137) << r.err;  // as timeout(1): a command that needed KILL
  EXPECT_EQ(r.out, "started\n");
  EXPECT_GE(elapsed, milliseconds(580));
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST(ToolRunTest, TimeoutTermSuffices) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_tool({"run", "--timeout", "300ms", "--", "sleep", "10"});
  EXPECT_EQ(r.exit_code(), 124) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
}

TEST(ToolRunTest, ForwardsSignals) {
  child_process run =
      start_tool({"run", "--timeout", "20s", "--", "sh", "-c",
                  "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done"});
  ASSERT_TRUE(run.wait_for_text("ready\n", milliseconds(10000), true)) << run.err;
  ::kill(run.pid, SIGTERM);  // a specific pid we created, not the process group
  const int status = run.finish();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(run.out, "ready\ngot-term\n");
}

TEST(ToolRunTest, NotFoundAndNotExecutable) {
  const auto missing = run_tool({"run", "--", "sigkit-no-such-command-xyz"});
  EXPECT_EQ(missing.exit_code(), 127);
  EXPECT_EQ(missing.err,
            "sigkit: failed to run command 'sigkit-no-such-command-xyz': No such file or "
            "directory\n");
  char path[] = "/tmp/sigkit-tool-test-XXXXXX";
  const int fd = ::mkstemp(path);  // created with mode 0600: not executable
  ASSERT_GE(fd, 0);
  ::close(fd);
  const auto denied = run_tool({"run", "--", path});
  ::unlink(path);
  EXPECT_EQ(denied.exit_code(), 126);
  EXPECT_THAT(denied.err, HasSubstr("Permission denied"));
}

TEST(ToolRunTest, NoZombiesLeft) {
  // The child forks a short-lived grandchild and exits; sigkit reaps what it is given and
  // exits without leaving its own child behind while still running.
  child_process run = start_tool({"run", "--", "sh", "-c", "echo $$; sleep 0.3"});
  ASSERT_TRUE(run.wait_for_text("\n", milliseconds(10000), true));
  const auto child = static_cast<pid_t>(std::stol(run.out));
  const int status = run.finish();
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  EXPECT_TRUE(sigkit_cli_test::is_zombie_or_gone(child));
  EXPECT_EQ(sigkit_cli_test::count_zombie_children(), 0);
}

}  // namespace
