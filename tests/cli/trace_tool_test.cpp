// tests/cli/trace_tool_test.cpp - `sigkit trace` on real processes: senders that are other
// processes, threads and the kernel; queued values; stopped, blocked and killed targets; and
// the same exit status and output with trace as without.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.hpp"

#ifndef SIGKIT_TOOL_PATH
#error "SIGKIT_TOOL_PATH must name the built sigkit binary"
#endif
#ifndef SIGKIT_TRACE_TARGET_PATH
#error "SIGKIT_TRACE_TARGET_PATH must name the built sigkit_trace_target"
#endif

namespace {

using sigkit_cli_test::child_process;
using sigkit_cli_test::milliseconds;
using ::testing::HasSubstr;
using json = nlohmann::json;

const std::string kTool = SIGKIT_TOOL_PATH;
const std::string kTarget = SIGKIT_TRACE_TARGET_PATH;

child_process start_tool(std::vector<std::string> args) {
  args.insert(args.begin(), kTool);
  return sigkit_cli_test::spawn_exec(args);
}

child_process start_target(const std::string& scenario) {
  child_process p = sigkit_cli_test::spawn_exec({kTarget, scenario});
  if (!p.wait_for_text("ready\n", milliseconds(10000), true)) {
    ADD_FAILURE() << "the target did not start: " << p.err;
  }
  return p;
}

// Starts `sigkit trace --json PID` and waits until it has attached.
child_process start_trace(pid_t pid, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"trace", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(std::to_string(pid));
  child_process t = start_tool(args);
  if (!t.wait_for_text("tracing process " + std::to_string(pid), milliseconds(10000))) {
    ADD_FAILURE() << "trace did not attach: " << t.err;
  }
  return t;
}

// Every line of `text` as JSON (a line that does not parse fails the test).
std::vector<json> json_lines(const std::string& text) {
  std::vector<json> records;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    try {
      records.push_back(json::parse(line));
    } catch (const json::exception& e) {
      ADD_FAILURE() << "not JSON: " << line << ": " << e.what();
    }
  }
  return records;
}

// The signal records for `name`, in order.
std::vector<json> records_of(const std::vector<json>& records, const std::string& name) {
  std::vector<json> found;
  for (const auto& r : records) {
    if (r.at("event") == "signal" && r.at("signal") == name) {
      found.push_back(r);
    }
  }
  return found;
}

std::vector<json> exits_in(const std::vector<json>& records) {
  std::vector<json> found;
  for (const auto& r : records) {
    if (r.at("event") == "exit") {
      found.push_back(r);
    }
  }
  return found;
}

struct traced_run {
  int status = -1;
  std::string out;
  std::string err;
  std::vector<json> records;
};

// `sigkit trace --json -o FILE -- sigkit_trace_target SCENARIO`: the target's own output stays
// on stdout/stderr, the records go to the file.
traced_run trace_scenario(const std::string& scenario, std::vector<std::string> extra = {}) {
  char path[] = "/tmp/sigkit-trace-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ::close(fd);
  std::vector<std::string> args{"trace", "--json", "-o", path};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"--", kTarget, scenario});
  child_process p = start_tool(args);
  traced_run r;
  r.status = p.finish();
  r.out = p.out;
  r.err = p.err;
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  ::unlink(path);
  r.records = json_lines(text.str());
  return r;
}

char state_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::ostringstream content;
  content << stat.rdbuf();
  const std::string text = std::move(content).str();
  const auto close = text.rfind(") ");
  return close == std::string::npos ? '?' : text[close + 2];
}

std::string status_field(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      return line.substr(key.size() + 2);
    }
  }
  return {};
}

bool wait_for_state(pid_t pid, char wanted) {
  for (int i = 0; i < 500; ++i) {
    if (state_of(pid) == wanted) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

// ---- the kernel as sender -------------------------------------------------------------------

TEST(TraceToolTest, BrokenPipeFromTheKernelKillsTheTarget) {
  const auto r = trace_scenario("pipe");
  ASSERT_TRUE(WIFSIGNALED(r.status)) << r.status << r.err;  // sigkit dies as the target did
  EXPECT_EQ(WTERMSIG(r.status), SIGPIPE);
  EXPECT_EQ(r.out, "writing\n");
  const auto pipes = records_of(r.records, "SIGPIPE");
  ASSERT_EQ(pipes.size(), 1U) << r.err;
  EXPECT_EQ(pipes[0].at("code"), "SI_USER");
  EXPECT_EQ(pipes[0].at("origin"), "kernel");
  EXPECT_THAT(pipes[0].at("hint").get<std::string>(), HasSubstr("no reader"));
  EXPECT_EQ(pipes[0].at("outcome"), "terminated");
  const auto exits = exits_in(r.records);
  ASSERT_EQ(exits.size(), 1U);
  EXPECT_EQ(exits[0].at("signal"), "SIGPIPE");
}

TEST(TraceToolTest, BrokenPipeIgnored) {
  const auto r = trace_scenario("pipe-ignored");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.status << r.err;
  EXPECT_EQ(r.out, "write: -1 EPIPE\n");
  const auto pipes = records_of(r.records, "SIGPIPE");
  ASSERT_EQ(pipes.size(), 1U);
  EXPECT_EQ(pipes[0].at("outcome"), "ignored");
}

TEST(TraceToolTest, FaultAddressAndHandler) {
  const auto r = trace_scenario("segv");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7) << r.status << r.err;
  EXPECT_EQ(r.out, "fault at 0x10\n");
  const auto faults = records_of(r.records, "SIGSEGV");
  ASSERT_EQ(faults.size(), 1U);
  EXPECT_EQ(faults[0].at("code"), "SEGV_MAPERR");
  EXPECT_EQ(faults[0].at("origin"), "kernel");
  EXPECT_EQ(faults[0].at("address"), "0x10");
  EXPECT_EQ(faults[0].at("outcome"), "handled");
}

TEST(TraceToolTest, FaultAtDefaultTerminates) {
  const auto r = trace_scenario("segv-default");
  ASSERT_TRUE(WIFSIGNALED(r.status)) << r.status << r.err;
  EXPECT_EQ(WTERMSIG(r.status), SIGSEGV);
  const auto faults = records_of(r.records, "SIGSEGV");
  ASSERT_EQ(faults.size(), 1U);
  EXPECT_EQ(faults[0].at("address"), "0x0");
  EXPECT_EQ(faults[0].at("outcome"), "terminated");
  EXPECT_EQ(faults[0].at("core"), false);  // the target set RLIMIT_CORE to 0
  EXPECT_EQ(exits_in(r.records).at(0).at("signal"), "SIGSEGV");
}

TEST(TraceToolTest, ChildExitIsIgnoredByDefault) {
  const auto r = trace_scenario("chld");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  const auto chld = records_of(r.records, "SIGCHLD");
  ASSERT_EQ(chld.size(), 1U);
  EXPECT_EQ(chld[0].at("code"), "CLD_EXITED");
  EXPECT_EQ(chld[0].at("origin"), "child");
  EXPECT_EQ(chld[0].at("status"), 5);
  EXPECT_GT(chld[0].at("sender").at("pid").get<int>(), 0);
  EXPECT_EQ(chld[0].at("outcome"), "ignored-by-default");
}

TEST(TraceToolTest, AlarmFromTheKernel) {
  const auto r = trace_scenario("alarm");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_EQ(r.out, "alarm\n");
  const auto alarms = records_of(r.records, "SIGALRM");
  ASSERT_EQ(alarms.size(), 1U);
  EXPECT_EQ(alarms[0].at("code"), "SI_KERNEL");
  EXPECT_EQ(alarms[0].at("origin"), "kernel");
  EXPECT_THAT(alarms[0].at("hint").get<std::string>(), HasSubstr("alarm()"));
  EXPECT_EQ(alarms[0].at("outcome"), "handled");
}

// ---- processes and threads as senders -------------------------------------------------------

TEST(TraceToolTest, QueuedValueFromAChild) {
  const auto r = trace_scenario("queue");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_EQ(r.out, "value 42 from child\n");
  const auto queued = records_of(r.records, "SIGUSR2");
  ASSERT_EQ(queued.size(), 1U);
  const auto& q = queued[0];
  EXPECT_EQ(q.at("code"), "SI_QUEUE");
  EXPECT_EQ(q.at("origin"), "process");
  EXPECT_EQ(q.at("value"), 42);
  EXPECT_EQ(q.at("sender").at("uid"), ::getuid());
  EXPECT_EQ(q.at("sender").at("parent").at("pid"), q.at("pid"));  // the target forked it
  EXPECT_EQ(q.at("outcome"), "handled");
}

TEST(TraceToolTest, AnotherThreadOfTheProcess) {
  const auto r = trace_scenario("thread");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_EQ(r.out, "usr1 handled: 1\n");
  const auto usr1 = records_of(r.records, "SIGUSR1");
  ASSERT_EQ(usr1.size(), 1U);
  EXPECT_EQ(usr1[0].at("code"), "SI_TKILL");
  EXPECT_EQ(usr1[0].at("origin"), "self");
  EXPECT_EQ(usr1[0].at("tid"), usr1[0].at("pid"));  // delivered to the main thread
  EXPECT_EQ(usr1[0].at("outcome"), "handled");
}

TEST(TraceToolTest, DeliveredToAWorkerThread) {
  const auto r = trace_scenario("worker");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_EQ(r.out, "worker handled it\n");
  const auto usr1 = records_of(r.records, "SIGUSR1");
  ASSERT_EQ(usr1.size(), 1U);
  EXPECT_EQ(usr1[0].at("code"), "SI_USER");
  EXPECT_EQ(usr1[0].at("origin"), "self");
  EXPECT_NE(usr1[0].at("tid"), usr1[0].at("pid"));  // the worker thread took it
  EXPECT_EQ(usr1[0].at("comm"), "worker");
  EXPECT_EQ(usr1[0].at("outcome"), "handled");
}

TEST(TraceToolTest, AnotherProcessAttachedByPid) {
  child_process target = start_target("handled");
  const pid_t pid = target.pid;
  child_process trace = start_trace(pid);
  ASSERT_EQ(::kill(pid, SIGUSR1), 0);
  EXPECT_EQ(target.finish(), 0);
  EXPECT_EQ(target.out, "ready\nusr1 from " + std::to_string(::getpid()) + "\n");
  const int status = trace.finish();  // the target is gone: trace ends by itself
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << trace.err;
  const auto records = json_lines(trace.out);
  const auto usr1 = records_of(records, "SIGUSR1");
  ASSERT_EQ(usr1.size(), 1U) << trace.out;
  const auto& u = usr1[0];
  EXPECT_EQ(u.at("pid"), pid);
  EXPECT_EQ(u.at("code"), "SI_USER");
  EXPECT_EQ(u.at("origin"), "process");
  EXPECT_EQ(u.at("sender").at("pid"), ::getpid());
  EXPECT_EQ(u.at("sender").at("uid"), ::getuid());
  EXPECT_EQ(u.at("sender").at("exited"), false);
  EXPECT_THAT(u.at("sender").at("cmdline").dump(), HasSubstr("trace_tool_test"));
  EXPECT_EQ(u.at("sender").at("parent").at("pid"), ::getppid());
  EXPECT_EQ(u.at("outcome"), "handled");
  const auto exits = exits_in(records);
  ASSERT_EQ(exits.size(), 1U);
  EXPECT_EQ(exits[0].at("exit_code"), 0);
}

// ---- stopped, blocked, killed ---------------------------------------------------------------

TEST(TraceToolTest, SignalToAStoppedProcess) {
  child_process target = start_target("wait");
  const pid_t pid = target.pid;
  child_process trace = start_trace(pid);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(wait_for_state(pid, 't') || wait_for_state(pid, 'T')) << state_of(pid);
  ASSERT_EQ(::kill(pid, SIGUSR1), 0);  // pending: a stopped process takes no signal
  ASSERT_TRUE(trace.wait_for_text("\"pending\"", milliseconds(10000), true)) << trace.out;
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_TRUE(target.wait_for_text("usr1\n", milliseconds(10000), true)) << target.out;
  ASSERT_EQ(::kill(pid, SIGTERM), 0);  // at SIG_DFL: ends it
  const int target_status = target.finish();
  EXPECT_TRUE(WIFSIGNALED(target_status) && WTERMSIG(target_status) == SIGTERM);
  EXPECT_EQ(trace.finish(), 0) << trace.err;

  const auto records = json_lines(trace.out);
  std::vector<std::string> story;
  story.reserve(records.size());
  for (const auto& r : records) {
    story.push_back(r.at("event") == "exit" ? "exit:" + r.at("signal").get<std::string>()
                                            : r.at("signal").get<std::string>() + ":" +
                                                  r.at("outcome").get<std::string>());
  }
  EXPECT_EQ(story,
            (std::vector<std::string>{"SIGSTOP:stopped", "SIGUSR1:pending", "SIGCONT:continued",
                                      "SIGUSR1:handled", "SIGTERM:terminated", "exit:SIGTERM"}))
      << trace.out;
  for (const auto& r : records) {
    if (r.at("event") == "signal") {
      EXPECT_EQ(r.at("sender").at("pid"), ::getpid()) << r.dump();  // pending ones included
    }
  }
}

TEST(TraceToolTest, BlockedThenAcceptedBySigwaitinfo) {
  child_process target = start_target("blocked");
  child_process trace = start_trace(target.pid);
  ASSERT_EQ(::kill(target.pid, SIGUSR2), 0);
  ASSERT_TRUE(trace.wait_for_text("\"pending\"", milliseconds(10000), true)) << trace.out;
  ASSERT_EQ(::kill(target.pid, SIGUSR1), 0);
  EXPECT_EQ(target.finish(), 0);
  EXPECT_EQ(target.out, "ready\naccepted " + std::to_string(SIGUSR2) + "\n");
  EXPECT_EQ(trace.finish(), 0) << trace.err;
  const auto records = json_lines(trace.out);
  const auto usr2 = records_of(records, "SIGUSR2");
  ASSERT_EQ(usr2.size(), 2U) << trace.out;
  EXPECT_EQ(usr2[0].at("outcome"), "pending");
  EXPECT_THAT(usr2[0].at("detail").get<std::string>(), HasSubstr("blocked"));
  EXPECT_EQ(usr2[1].at("outcome"), "accepted");
  ASSERT_EQ(records_of(records, "SIGUSR1").size(), 1U);
  EXPECT_EQ(records_of(records, "SIGUSR1")[0].at("outcome"), "handled");
}

TEST(TraceToolTest, KilledBySigkill) {
  child_process target = start_target("wait");
  child_process trace = start_trace(target.pid);
  ASSERT_EQ(::kill(target.pid, SIGKILL), 0);
  const int target_status = target.finish();
  EXPECT_TRUE(WIFSIGNALED(target_status) && WTERMSIG(target_status) == SIGKILL);
  EXPECT_EQ(trace.finish(), 0) << trace.err;
  const auto records = json_lines(trace.out);
  const auto kills = records_of(records, "SIGKILL");
  ASSERT_EQ(kills.size(), 1U) << trace.out;
  EXPECT_EQ(kills[0].at("origin"), "unknown");
  EXPECT_EQ(kills[0].at("outcome"), "terminated");
  ASSERT_EQ(exits_in(records).size(), 1U);
  EXPECT_EQ(exits_in(records)[0].at("signal"), "SIGKILL");
}

// ---- non-intrusive --------------------------------------------------------------------------

TEST(TraceToolTest, SameStatusAndOutputWithAndWithoutTrace) {
  for (const char* scenario :
       {"mixed", "pipe", "segv-default", "queue", "thread", "worker", "chld"}) {
    child_process plain = sigkit_cli_test::spawn_exec({kTarget, scenario});
    const int plain_status = plain.finish();
    child_process traced = start_tool({"trace", "-f", "-o", "/dev/null", "--", kTarget, scenario});
    const int traced_status = traced.finish();
    // sigkit ends as the target did: same exit code, or death by the same signal.
    EXPECT_EQ(WIFEXITED(plain_status), WIFEXITED(traced_status)) << scenario;
    if (WIFEXITED(plain_status)) {
      EXPECT_EQ(WEXITSTATUS(plain_status), WEXITSTATUS(traced_status)) << scenario;
    } else {
      EXPECT_EQ(WTERMSIG(plain_status), WTERMSIG(traced_status)) << scenario;
    }
    EXPECT_EQ(plain.out, traced.out) << scenario;
    EXPECT_EQ(plain.err, traced.err) << scenario;
  }
}

TEST(TraceToolTest, CtrlCDetachesAndLeavesTheTargetRunning) {
  child_process target = start_target("wait");
  const pid_t pid = target.pid;
  child_process trace = start_trace(pid);
  ASSERT_EQ(::kill(trace.pid, SIGINT), 0);  // a specific pid we created
  EXPECT_EQ(trace.finish(), 0) << trace.err;
  EXPECT_THAT(trace.err, HasSubstr("detached from process " + std::to_string(pid)));
  EXPECT_EQ(status_field(pid, "TracerPid"), "0");
  ASSERT_EQ(::kill(pid, SIGUSR1), 0);  // still alive, still handling
  EXPECT_TRUE(target.wait_for_text("usr1\n", milliseconds(10000), true)) << target.out;
}

TEST(TraceToolTest, DetachLeavesAStoppedTargetStopped) {
  child_process target = start_target("wait");
  const pid_t pid = target.pid;
  child_process trace = start_trace(pid);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(trace.wait_for_text("\"stopped\"", milliseconds(10000), true)) << trace.out;
  ASSERT_EQ(::kill(trace.pid, SIGTERM), 0);
  EXPECT_EQ(trace.finish(), 0) << trace.err;
  EXPECT_EQ(status_field(pid, "TracerPid"), "0");
  EXPECT_TRUE(wait_for_state(pid, 'T')) << state_of(pid);
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  ASSERT_EQ(::kill(pid, SIGUSR1), 0);
  EXPECT_TRUE(target.wait_for_text("usr1\n", milliseconds(10000), true)) << target.out;
}

TEST(TraceToolTest, SignalsToSigkitReachTheCommand) {
  child_process t = start_tool({"trace", "--json", "-o", "/dev/null", "--", kTarget, "wait"});
  ASSERT_TRUE(t.wait_for_text("ready\n", milliseconds(10000), true)) << t.err;
  ASSERT_EQ(::kill(t.pid, SIGUSR1), 0);  // passed on: the command handles it
  ASSERT_TRUE(t.wait_for_text("usr1\n", milliseconds(10000), true)) << t.out;
  ASSERT_EQ(::kill(t.pid, SIGTERM), 0);  // passed on: ends the command, then sigkit as it
  const int status = t.finish();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status << t.err;
}

TEST(TraceToolTest, ABrokenOutputEndsTheTraceNotTheCommand) {
  // The reader of the records goes away: sigkit detaches, lets the command finish, says why.
  child_process t = sigkit_cli_test::spawn_exec(
      {"/bin/sh", "-c",
       "\"$0\" trace -- sh -c 'kill -WINCH $$; sleep 0.3; kill -WINCH $$; echo done >&2' "
       "| head -c 1 >/dev/null; echo \"status=$?\"",
       kTool});
  EXPECT_EQ(t.finish(), 0);
  EXPECT_THAT(t.err, HasSubstr("done\n"));
  EXPECT_THAT(t.err, HasSubstr("sigkit: cannot write the trace to standard output\n"));
  EXPECT_EQ(t.out, "status=0\n");  // head's status; sigkit's is 1
}

// ---- options --------------------------------------------------------------------------------

TEST(TraceToolTest, FollowSeesChildren) {
  const std::string script = "sleep 5 & kill -TERM $!; wait $!; exit 0";
  child_process followed = start_tool({"trace", "--json", "-f", "--", "sh", "-c", script});
  ASSERT_EQ(followed.finish(), 0) << followed.err;
  const auto records = json_lines(followed.out);
  const auto terms = records_of(records, "SIGTERM");
  ASSERT_EQ(terms.size(), 1U) << followed.out;
  EXPECT_EQ(terms[0].at("outcome"), "terminated");
  const auto exits = exits_in(records);
  ASSERT_EQ(exits.size(), 2U) << followed.out;  // the killed child, then sh itself
  EXPECT_EQ(exits[0].at("signal"), "SIGTERM");

  child_process plain = start_tool({"trace", "--json", "--", "sh", "-c", script});
  ASSERT_EQ(plain.finish(), 0) << plain.err;
  EXPECT_TRUE(records_of(json_lines(plain.out), "SIGTERM").empty()) << plain.out;
}

TEST(TraceToolTest, SignalFilter) {
  auto only = trace_scenario("mixed", {"--signal", "USR1,PIPE"});
  std::set<std::string> seen;
  for (const auto& r : only.records) {
    seen.insert(r.at("event") == "exit" ? "exit" : r.at("signal").get<std::string>());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"SIGUSR1", "SIGPIPE", "exit"}));
  auto but = trace_scenario("mixed", {"--signal", "!USR1,PIPE"});
  seen.clear();
  for (const auto& r : but.records) {
    seen.insert(r.at("event") == "exit" ? "exit" : r.at("signal").get<std::string>());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"SIGCHLD", "SIGWINCH", "exit"}));
}

TEST(TraceToolTest, TextLines) {
  child_process t = start_tool({"trace", "--", kTarget, "chld"});
  ASSERT_EQ(t.finish(), 0) << t.err;
  // The target's own output shares stdout: find the record among its lines.
  std::istringstream lines(t.out);
  std::string record;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" SIGCHLD ") != std::string::npos) {
      record = line;
    }
  }
  EXPECT_THAT(record, ::testing::MatchesRegex(
                          "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\\.[0-9]+ [0-9]+ \\(sigkit_trace_ta\\) "
                          "SIGCHLD CLD_EXITED from child [0-9]+ .* status=5 -> ignored \\(default "
                          "action\\)"))
      << t.out;
  EXPECT_THAT(t.out, HasSubstr("child 5\n"));
  EXPECT_THAT(t.out, HasSubstr("(sigkit_trace_ta) exited with status 0\n"));
}

// ---- errors ---------------------------------------------------------------------------------

TEST(TraceToolTest, UsageAndErrors) {
  auto usage = start_tool({"trace"});
  EXPECT_EQ(usage.finish(), 2 << 8);
  auto both = start_tool({"trace", "1", "--", "true"});
  EXPECT_EQ(both.finish(), 2 << 8);
  auto empty_command = start_tool({"trace", "--"});
  EXPECT_EQ(empty_command.finish(), 2 << 8);
  // 2: a value that does not parse; 1: an error at run time.
  for (const auto& [args, code] : std::vector<std::pair<std::vector<std::string>, int>>{
           {{"trace", "2147483647"}, 1},
           {{"trace", "--signal", "FOO", "--", "true"}, 2},
           {{"trace", "--signal", "!", "--", "true"}, 2},
           {{"trace", "banana"}, 2},
           {{"trace", "-o", "/nonexistent/dir/file", "--", "true"}, 1}}) {
    auto p = start_tool(args);
    EXPECT_EQ(p.finish(), code << 8) << args[1];
    EXPECT_THAT(p.err, ::testing::StartsWith("sigkit: ")) << p.err;
    EXPECT_EQ(std::count(p.err.begin(), p.err.end(), '\n'), 1) << p.err;
    EXPECT_EQ(p.out, "");
  }
  auto missing = start_tool({"trace", "--", "sigkit-no-such-command-xyz"});
  EXPECT_EQ(missing.finish(), 127 << 8);
  EXPECT_EQ(missing.err,
            "sigkit: cannot run 'sigkit-no-such-command-xyz': No such file or directory\n");
}

TEST(TraceToolTest, AlreadyTracedIsExplained) {
  child_process target = start_target("wait");
  child_process first = start_trace(target.pid);
  auto second = start_tool({"trace", std::to_string(target.pid)});
  EXPECT_EQ(second.finish(), 1 << 8);
  EXPECT_EQ(second.err, "sigkit: cannot trace process " + std::to_string(target.pid) +
                            ": it is already traced by process " + std::to_string(first.pid) +
                            " (sigkit); a process has one tracer at a time (detach strace or "
                            "gdb first)\n");
}

TEST(TraceToolTest, AnotherUsersProcessIsExplained) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root, to run sigkit as another user";
  }
  child_process target = start_target("wait");
  const std::string pid = std::to_string(target.pid);
  // A coverage build's counters cannot be written to the build tree by another user (gcov
  // would add a line to stderr per file): that user's go to a directory of its own.
  const std::string gcov_prefix = "/tmp/sigkit-gcov-uid65534-" + std::to_string(::getpid());
  child_process trace = sigkit_cli_test::spawn([&]() -> int {
    ::setenv("GCOV_PREFIX", gcov_prefix.c_str(), 1);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      return 98;
    }
    const char* argv[] = {kTool.c_str(), "trace", pid.c_str(), nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));  // NOLINT
    return 97;
  });
  EXPECT_EQ(trace.finish(), 1 << 8) << trace.err;
  EXPECT_EQ(trace.err.find('\n'), trace.err.size() - 1) << trace.err;  // one line
  EXPECT_THAT(trace.err, HasSubstr("cannot trace process " + pid + ": "));
  EXPECT_THAT(trace.err, HasSubstr("belongs to uid 0 and sigkit runs as uid 65534"));
}

}  // namespace
