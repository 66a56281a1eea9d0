// tests/cli/cli_commands_test.cpp - the sigkit tool's commands, called in-process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "cli_test_util.hpp"
#include "sigkit/send.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit/version.hpp"
#include "sigkit_cli/commands.hpp"
#include "support/test_support.hpp"

namespace {

namespace cli = sigkit::cli;
using sigkit_cli_test::child_process;
using sigkit_cli_test::milliseconds;
using sigkit_cli_test::run_forked;
using sigkit_cli_test::spawn;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> kinds_for(const std::vector<cli::diagnosis>& findings, int signo) {
  std::vector<std::string> kinds;
  for (const auto& d : findings) {
    if (d.signo == signo) {
      kinds.push_back(d.kind);
    }
  }
  return kinds;
}

// ---- parsing ----------------------------------------------------------------------------------

TEST(ParseDurationTest, AcceptsSecondsAndUnits) {
  EXPECT_DOUBLE_EQ(cli::parse_duration("1.5").seconds().count(), 1.5);
  EXPECT_DOUBLE_EQ(cli::parse_duration("500ms").seconds().count(), 0.5);
  EXPECT_DOUBLE_EQ(cli::parse_duration("2s").seconds().count(), 2.0);
  EXPECT_DOUBLE_EQ(cli::parse_duration("1m").seconds().count(), 60.0);
  EXPECT_DOUBLE_EQ(cli::parse_duration("1h").seconds().count(), 3600.0);
  EXPECT_TRUE(cli::parse_duration("0").zero());
  EXPECT_DOUBLE_EQ(cli::parse_duration("0.3s").seconds().count(), 0.3);
}

TEST(ParseDurationTest, RejectsBadDurations) {
  for (const char* bad : {"", "-1", "abc", "1x", "nan", "1 s", "s", "+1", "-0", " 1", "1e"}) {
    EXPECT_THROW(cli::parse_duration(bad), cli::cli_error) << bad;
  }
  try {
    cli::parse_duration("10x");
    FAIL();
  } catch (const cli::cli_error& e) {
    EXPECT_EQ(e.code(), cli::exit_usage);
    EXPECT_THAT(e.what(), HasSubstr("invalid duration '10x'"));
  }
}

TEST(ParseSignalTest, AcceptsEveryForm) {
  EXPECT_EQ(cli::parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(cli::parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(cli::parse_signal("term"), SIGTERM);
  EXPECT_EQ(cli::parse_signal("15"), SIGTERM);
  EXPECT_EQ(cli::parse_signal("RTMIN+2"), SIGRTMIN + 2);
}

TEST(ParseSignalTest, RejectsUnknownSignals) {
  for (const char* bad : {"", "FOO", "0", "65", " INT", "-15"}) {
    EXPECT_THROW(cli::parse_signal(bad), cli::cli_error) << bad;
  }
}

TEST(ParseSignalTest, ParsesLists) {
  EXPECT_EQ(cli::parse_signal_list("INT,term,10"), (std::vector<int>{SIGINT, SIGTERM, SIGUSR1}));
  EXPECT_EQ(cli::parse_signal_list("INT,INT"), (std::vector<int>{SIGINT}));
  EXPECT_TRUE(cli::parse_signal_list("none").empty());
  EXPECT_TRUE(cli::parse_signal_list("").empty());
  EXPECT_THROW(cli::parse_signal_list("INT,,TERM"), cli::cli_error);
}

TEST(ParsePidTest, AcceptsPositiveNumbersOnly) {
  EXPECT_EQ(cli::parse_pid("1234"), 1234);
  for (const char* bad : {"", "0", "-1", "12a", "99999999999", "self"}) {
    EXPECT_THROW(cli::parse_pid(bad), cli::cli_error) << bad;
  }
}

TEST(ParseMaskTest, DecodesHexMasks) {
  EXPECT_EQ(cli::parse_mask("0000000000004002"), 0x4002U);
  EXPECT_EQ(cli::parse_mask("0x4002"), 0x4002U);
  EXPECT_EQ(cli::mask_signals(0x4002), (std::vector<int>{SIGINT, SIGTERM}));
  EXPECT_EQ(cli::mask_names(0x4002), "SIGINT SIGTERM");
  EXPECT_EQ(cli::mask_names(0), "-");
  EXPECT_EQ(cli::mask_names(std::uint64_t{1} << 63), "SIGRTMAX");
  EXPECT_THROW(cli::parse_mask("xyz"), cli::cli_error);
  EXPECT_THROW(cli::parse_mask(""), cli::cli_error);
  EXPECT_THROW(cli::parse_mask("1ffffffffffffffff"), cli::cli_error);
}

// ---- list ---------------------------------------------------------------------------------

TEST(ListCommandTest, PrintsEverySignalWithActionAndDescription) {
  std::ostringstream out;
  EXPECT_EQ(cli::list_command({}, out), 0);
  const std::string text = out.str();
  EXPECT_THAT(text, StartsWith("NUM  NAME"));
  EXPECT_THAT(text, HasSubstr("  2  SIGINT        term    Interrupt\n"));
  EXPECT_THAT(text, HasSubstr("SIGQUIT       core"));
  EXPECT_THAT(text, HasSubstr("SIGCHLD       ignore"));
  EXPECT_THAT(text, HasSubstr("SIGSTOP       stop"));
  EXPECT_THAT(text, HasSubstr("SIGCONT       cont"));
  EXPECT_THAT(text, HasSubstr("SIGRTMAX "));
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_EQ(lines, sigkit::valid_signals().size() + 1);
}

TEST(ListCommandTest, JsonFollowsTheSchema) {
  std::ostringstream out;
  cli::list_options options;
  options.json = true;
  EXPECT_EQ(cli::list_command(options, out), 0);
  const auto doc = nlohmann::json::parse(out.str());
  ASSERT_TRUE(doc.is_array());
  EXPECT_EQ(doc.size(), sigkit::valid_signals().size());
  const std::set<std::string> actions{"term", "core", "stop", "cont", "ignore"};
  for (const auto& entry : doc) {
    ASSERT_TRUE(entry.is_object());
    EXPECT_EQ(entry.size(), 4U);
    ASSERT_TRUE(entry.at("number").is_number_integer());
    ASSERT_TRUE(entry.at("name").is_string());
    ASSERT_TRUE(entry.at("action").is_string());
    ASSERT_TRUE(entry.at("description").is_string());
    EXPECT_TRUE(actions.count(entry.at("action").get<std::string>()) == 1) << entry.dump();
    EXPECT_EQ(sigkit::signum(entry.at("number").get<int>()).name(),
              entry.at("name").get<std::string>());
  }
  EXPECT_EQ(doc[0].at("name"), "SIGHUP");
}

TEST(ListCommandTest, NamedSignalsOnly) {
  std::ostringstream out;
  cli::list_options options;
  options.signals = {"int", "9", "RTMIN+2"};
  options.json = true;
  EXPECT_EQ(cli::list_command(options, out), 0);
  const auto doc = nlohmann::json::parse(out.str());
  ASSERT_EQ(doc.size(), 3U);
  EXPECT_EQ(doc[0].at("name"), "SIGINT");
  EXPECT_EQ(doc[1].at("name"), "SIGKILL");
  EXPECT_EQ(doc[1].at("action"), "term");
  EXPECT_EQ(doc[2].at("name"), "SIGRTMIN+2");
}

TEST(ListCommandTest, UnknownSignalIsAnError) {
  std::ostringstream out;
  cli::list_options options;
  options.signals = {"NOPE"};
  EXPECT_THROW(cli::list_command(options, out), cli::cli_error);
}

// ---- decode -------------------------------------------------------------------------------

TEST(DecodeCommandTest, PrintsNumbersAndNames) {
  std::ostringstream out;
  EXPECT_EQ(cli::decode_command({"0000000000004002", false}, out), 0);
  EXPECT_EQ(out.str(), "  2  SIGINT\n 15  SIGTERM\n");
}

TEST(DecodeCommandTest, NamesReservedAndRealTimeBits) {
  std::ostringstream out;
  EXPECT_EQ(cli::decode_command({"0x8000000380000000", true}, out), 0);
  const auto doc = nlohmann::json::parse(out.str());
  ASSERT_EQ(doc.size(), 4U);
  EXPECT_EQ(doc[0].at("name"), "SIG32");
  EXPECT_EQ(doc[1].at("name"), "SIG33");
  EXPECT_EQ(doc[2].at("name"), "SIGRTMIN");
  EXPECT_EQ(doc[3].at("name"), "SIGRTMAX");
  EXPECT_EQ(doc[3].at("number"), 64);
}

TEST(DecodeCommandTest, EmptyMaskPrintsNothing) {
  std::ostringstream out;
  EXPECT_EQ(cli::decode_command({"0", false}, out), 0);
  EXPECT_EQ(out.str(), "");
}

TEST(DecodeCommandTest, BadMaskIsAnError) {
  std::ostringstream out;
  EXPECT_THROW(cli::decode_command({"not-hex", false}, out), cli::cli_error);
}

// ---- status -------------------------------------------------------------------------------

constexpr const char* kSampleStatus =
    "Name:\tdemo\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t4242\nThreads:\t1\n"
    "SigQ:\t1/63458\nSigPnd:\t0000000000000200\nShdPnd:\t0000000000000400\n"
    "SigBlk:\t0000000000000600\nSigIgn:\t0000000000001002\nSigCgt:\t0000000000010200\n";

TEST(StatusParseTest, ReadsEveryMask) {
  const auto p = cli::parse_proc_status(kSampleStatus);
  EXPECT_EQ(p.name, "demo");
  EXPECT_EQ(p.pid, 4242);
  EXPECT_EQ(p.pending, 0x200U);
  EXPECT_EQ(p.shared_pending, 0x400U);
  EXPECT_EQ(p.blocked, 0x600U);
  EXPECT_EQ(p.ignored, 0x1002U);
  EXPECT_EQ(p.caught, 0x10200U);
}

TEST(StatusDiagnoseTest, FindsEachProblem) {
  cli::process_status p = cli::parse_proc_status(kSampleStatus);
  p.threads = {{4242, "demo", 0x200, 0x600 | 0x800}, {4243, "worker", 0, 0x600}};
  const auto findings = cli::diagnose(p);
  // SIGUSR1 (10) is caught and blocked in both threads.
  EXPECT_THAT(kinds_for(findings, SIGUSR1), ::testing::Contains("caught-but-blocked"));
  // SIGUSR2 (12) is blocked in the main thread, not in the worker.
  EXPECT_THAT(kinds_for(findings, SIGUSR2), ::testing::Contains("blocked-in-some-threads"));
  // SIGINT (2) is ignored.
  EXPECT_THAT(kinds_for(findings, SIGINT), ::testing::Contains("ignored"));
  // SIGSEGV (11) is pending for the process, SIGUSR1 for the main thread.
  EXPECT_THAT(kinds_for(findings, SIGSEGV), ::testing::Contains("pending"));
  EXPECT_THAT(kinds_for(findings, SIGUSR1), ::testing::Contains("pending"));
  // SIGPIPE (13) ignored is normal: nothing to say.
  EXPECT_TRUE(kinds_for(findings, SIGPIPE).empty());
  EXPECT_TRUE(kinds_for(findings, SIGCHLD).empty());
}

TEST(StatusDiagnoseTest, WorkersThatBlockEverythingAreFine) {
  // The recommended design: workers block everything, the main thread takes the signals.
  cli::process_status p;
  p.pid = 100;
  p.caught = 1U << (SIGTERM - 1);
  p.threads = {{100, "main", 0, 0}, {101, "worker", 0, ~std::uint64_t{0}}};
  EXPECT_TRUE(cli::diagnose(p).empty());
}

TEST(StatusDiagnoseTest, PendingInBothSamplesIsPendingLong) {
  cli::process_status p;
  p.pid = 1;
  p.shared_pending = 1U << (SIGUSR1 - 1);
  p.blocked = p.shared_pending;
  const auto findings = cli::diagnose(p, &p, std::chrono::duration<double>(0.25));
  ASSERT_EQ(kinds_for(findings, SIGUSR1), (std::vector<std::string>{"pending-long"}));
  EXPECT_THAT(findings[0].message, HasSubstr("for at least 0.25s"));
}

TEST(StatusDiagnoseTest, QuietProcessHasNoFindings) {
  cli::process_status p;
  p.pid = 1;
  p.ignored = 1U << (SIGPIPE - 1);
  EXPECT_TRUE(cli::diagnose(p).empty());
}

TEST(StatusCommandTest, DiagnosesAPreparedChild) {
  child_process subject = sigkit_cli_test::start_status_subject();
  const auto p = cli::read_process_status(subject.pid);
  EXPECT_EQ(p.pid, subject.pid);
  ASSERT_GE(p.threads.size(), 2U);  // more under a sanitizer: its runtime's threads
  EXPECT_NE(p.ignored & (1U << (SIGINT - 1)), 0U);
  EXPECT_NE(p.caught & (1U << (SIGUSR1 - 1)), 0U);
  const auto findings = cli::diagnose(p);
  EXPECT_THAT(kinds_for(findings, SIGINT), ::testing::Contains("ignored"));
  EXPECT_THAT(kinds_for(findings, SIGUSR1), ::testing::Contains("caught-but-blocked"));
  EXPECT_THAT(kinds_for(findings, SIGUSR2), ::testing::Contains("blocked-in-some-threads"));

  std::ostringstream out;
  std::ostringstream err;
  cli::status_options options;
  options.pids = {std::to_string(subject.pid)};
  options.threads = true;
  EXPECT_EQ(cli::status_command(options, out, err), 0);
  EXPECT_EQ(err.str(), "");
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr(std::to_string(subject.pid)));
  EXPECT_THAT(text, HasSubstr("ignored:        SIGINT"));
  EXPECT_THAT(text, HasSubstr("SIGINT is ignored"));
  EXPECT_THAT(text, HasSubstr("SIGUSR1 is caught but blocked in every thread"));
  EXPECT_THAT(text, HasSubstr("SIGUSR2 is blocked in "));
  EXPECT_THAT(text, HasSubstr("the main thread among them) but not in "));
  EXPECT_THAT(text, HasSubstr("blocked: SIGUSR1 SIGUSR2\n"));
  EXPECT_THAT(text, HasSubstr("blocked: SIGUSR1\n"));
}

TEST(StatusCommandTest, ReportsSignalsPendingForALongTime) {
  child_process subject = sigkit_cli_test::start_status_subject();
  ASSERT_EQ(::kill(subject.pid, SIGUSR1), 0);  // blocked everywhere: stays pending
  std::ostringstream out;
  std::ostringstream err;
  cli::status_options options;
  options.pids = {std::to_string(subject.pid)};
  options.json = true;
  options.sample = "100ms";
  EXPECT_EQ(cli::status_command(options, out, err), 0);
  const auto doc = nlohmann::json::parse(out.str());
  ASSERT_EQ(doc.size(), 1U);
  const auto& entry = doc[0];
  EXPECT_EQ(entry.at("pid"), subject.pid);
  EXPECT_GE(entry.at("thread_count").get<int>(), 2);
  EXPECT_EQ(entry.at("shared_pending"), nlohmann::json::array({"SIGUSR1"}));
  EXPECT_EQ(entry.at("ignored"), nlohmann::json::array({"SIGINT"}));
  EXPECT_FALSE(entry.contains("threads"));
  std::set<std::string> kinds;
  for (const auto& d : entry.at("diagnoses")) {
    kinds.insert(d.at("kind").get<std::string>() + ":" + d.at("signal").get<std::string>());
    EXPECT_TRUE(d.at("message").is_string());
  }
  EXPECT_TRUE(kinds.count("pending-long:SIGUSR1") == 1) << out.str();
  EXPECT_TRUE(kinds.count("caught-but-blocked:SIGUSR1") == 1) << out.str();
  EXPECT_TRUE(kinds.count("ignored:SIGINT") == 1) << out.str();
}

TEST(StatusCommandTest, NoSuchProcessIsReported) {
  std::ostringstream out;
  std::ostringstream err;
  cli::status_options options;
  options.pids = {"2147483647"};
  EXPECT_EQ(cli::status_command(options, out, err), cli::exit_error);
  EXPECT_EQ(err.str(), "sigkit: no such process: 2147483647\n");
}

TEST(StatusCommandTest, DefaultsToTheParent) {
  std::ostringstream out;
  std::ostringstream err;
  cli::status_options options;
  options.sample = "0";
  EXPECT_EQ(cli::status_command(options, out, err), 0);
  EXPECT_THAT(out.str(), StartsWith("process " + std::to_string(::getppid()) + " ("));
}

// status_json_text() is what `status --json` prints for one process (fuzz/proc_status_fuzzer
// checks it parses back); a name that is not UTF-8 is written as printable() makes it.
TEST(StatusJsonTest, OneProcessParsesBackWithPrintableNames) {
  cli::process_status p;
  p.pid = 42;
  p.name = "bad\xff\xfename";
  p.caught = 0x4002;
  p.threads.push_back({43, "w\xc3", 0x200, 0x200});
  const std::vector<cli::diagnosis> findings{{"pending", SIGUSR1, "SIGUSR1 is pending"}};
  const auto doc = nlohmann::json::parse(cli::status_json_text(p, findings, true));
  EXPECT_EQ(doc.at("pid"), 42);
  EXPECT_EQ(doc.at("name"), cli::printable(p.name));
  EXPECT_EQ(doc.at("caught"), nlohmann::json::array({"SIGINT", "SIGTERM"}));
  EXPECT_EQ(doc.at("masks").at("SigCgt"), "0000000000004002");
  EXPECT_EQ(doc.at("threads").at(0).at("name"), cli::printable("w\xc3"));
  EXPECT_EQ(doc.at("threads").at(0).at("pending"), nlohmann::json::array({"SIGUSR1"}));
  EXPECT_EQ(doc.at("diagnoses").at(0).at("signal"), "SIGUSR1");
  EXPECT_FALSE(nlohmann::json::parse(cli::status_json_text(p, {}, false)).contains("threads"));
}

// ---- send and wait ------------------------------------------------------------------------

child_process start_waiter(const cli::wait_options& options) {
  child_process waiter =
      spawn([options] { return cli::wait_command(options, std::cout, std::cerr); });
  if (!waiter.wait_for_text("ready pid=" + std::to_string(waiter.pid) + "\n",
                            milliseconds(10000))) {
    ADD_FAILURE() << "the waiter never got ready: " << waiter.err;
  }
  return waiter;
}

TEST(SendWaitTest, QueuedValueRoundTrip) {
  cli::wait_options options;
  options.signals = {"USR1"};
  options.timeout = "10s";
  child_process waiter = start_waiter(options);

  std::ostringstream out;
  std::ostringstream err;
  cli::send_options send;
  send.signal = "SIGUSR1";
  send.pids = {std::to_string(waiter.pid)};
  send.value = 42;
  EXPECT_EQ(cli::send_command(send, out, err), 0);
  EXPECT_EQ(err.str(), "");

  const int status = waiter.finish();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << waiter.err;
  EXPECT_EQ(waiter.out, "SIGUSR1 pid=" + std::to_string(::getpid()) +
                            " uid=" + std::to_string(::getuid()) + " code=SI_QUEUE value=42\n");
}

TEST(SendWaitTest, PidfdSendJsonAndCount) {
  cli::wait_options options;
  options.signals = {"USR2", "RTMIN+2"};
  options.timeout = "10s";
  options.count = 2;
  options.json = true;
  child_process waiter = start_waiter(options);

  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::send_command({"USR2", {std::to_string(waiter.pid)}, std::nullopt}, out, err), 0);
  EXPECT_EQ(cli::send_command({"RTMIN+2", {std::to_string(waiter.pid)}, 7}, out, err), 0);
  EXPECT_EQ(err.str(), "");

  const int status = waiter.finish();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << waiter.err;
  std::istringstream lines(waiter.out);
  std::vector<nlohmann::json> received;
  for (std::string line; std::getline(lines, line);) {
    received.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(received.size(), 2U) << waiter.out;
  // Pending standard signals are accepted before real-time ones.
  EXPECT_EQ(received[0].at("signal"), "SIGUSR2");
  EXPECT_EQ(received[0].at("number"), SIGUSR2);
  EXPECT_EQ(received[0].at("pid"), ::getpid());
  EXPECT_EQ(received[0].at("uid"), ::getuid());
  EXPECT_EQ(received[0].at("code"), "SI_USER");
  EXPECT_EQ(received[1].at("signal"), "SIGRTMIN+2");
  EXPECT_EQ(received[1].at("code"), "SI_QUEUE");
  EXPECT_EQ(received[1].at("value"), 7);
}

TEST(SendWaitTest, WaitTimesOutWith124) {
  const auto start = std::chrono::steady_clock::now();
  const int status = run_forked([] {
    std::ostringstream out;
    std::ostringstream err;
    cli::wait_options options;
    options.signals = {"USR1"};
    options.timeout = "200ms";
    const int rc = cli::wait_command(options, out, err);
    return rc == cli::exit_timed_out && out.str().empty() ? 0 : 1;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(190));
}

TEST(SendWaitTest, WaitRejectsBadArguments) {
  std::ostringstream out;
  std::ostringstream err;
  cli::wait_options options;
  options.signals = {"KILL"};
  EXPECT_THROW(cli::wait_command(options, out, err), cli::cli_error);
  options.signals = {"USR1"};
  options.count = 0;
  EXPECT_THROW(cli::wait_command(options, out, err), cli::cli_error);
  options.count = 1;
  options.timeout = "soon";
  EXPECT_THROW(cli::wait_command(options, out, err), cli::cli_error);
  EXPECT_EQ(err.str(), "");  // nothing was blocked, no "ready"
}

TEST(SendWaitTest, SendToMissingProcessFails) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::send_command({"USR1", {"2147483647"}, std::nullopt}, out, err), 1);
  EXPECT_EQ(err.str(), "sigkit: cannot send SIGUSR1 to process 2147483647: no such process\n");
  std::ostringstream err2;
  EXPECT_EQ(cli::send_command({"USR1", {"2147483647"}, 1}, out, err2), 1);
  EXPECT_THAT(err2.str(), HasSubstr("no such process"));
}

TEST(SendWaitTest, SignalZeroOnlyChecks) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(cli::send_command({"0", {std::to_string(::getpid())}, std::nullopt}, out, err), 0);
  EXPECT_EQ(cli::send_command({"0", {"2147483647"}, std::nullopt}, out, err), 1);
  EXPECT_EQ(err.str(), "sigkit: cannot send signal 0 to process 2147483647: no such process\n");
  EXPECT_THROW(cli::send_command({"0", {"1"}, 5}, out, err), cli::cli_error);
}

TEST(SendWaitTest, SendRejectsBadArguments) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_THROW(cli::send_command({"BOGUS", {"1"}, std::nullopt}, out, err), cli::cli_error);
  EXPECT_THROW(cli::send_command({"USR1", {"abc"}, std::nullopt}, out, err), cli::cli_error);
}

// ---- run ----------------------------------------------------------------------------------

cli::run_options run_opts(std::vector<std::string> command) {
  cli::run_options options;
  options.command = std::move(command);
  return options;
}

// Runs run_child in a forked "supervisor" process, which prints the outcome on stdout (after
// whatever the command printed there). `meanwhile` may talk to it while it runs.
struct forked_outcome {
  int status = -1;
  std::string out;
  std::string err;
};

forked_outcome run_child_forked(const cli::run_options& options,
                                const std::function<void(child_process&)>& meanwhile = {}) {
  child_process supervisor = spawn([options] {
    std::ostringstream err;
    const cli::run_outcome o = cli::run_child(options, err);
    std::cout << "outcome exit=" << o.exit_code << " signal=" << o.child_signal
              << " timed_out=" << o.timed_out << " killed=" << o.killed
              << " zombies=" << sigkit_cli_test::count_zombie_children() << "\n"
              << err.str();
    std::cout.flush();
    return 0;
  });
  if (meanwhile) {
    meanwhile(supervisor);
  }
  forked_outcome result;
  result.status = supervisor.finish();
  result.out = supervisor.out;
  result.err = supervisor.err;
  return result;
}

TEST(RunCommandTest, PassesTheExitCodeThrough) {
  const auto r = run_child_forked(run_opts({"sh", "-c", "exit 3"}));
  EXPECT_THAT(r.out, HasSubstr("outcome exit=3 signal=0 timed_out=0 killed=0 zombies=0"));
}

TEST(RunCommandTest, ReportsDeathBySignal) {
  const auto r = run_child_forked(run_opts({"sh", "-c", "kill -USR1 $$"}));
  EXPECT_THAT(r.out, HasSubstr("outcome exit=138 signal=10 timed_out=0 killed=0 zombies=0"));
}

TEST(RunCommandTest, DiesByTheChildsSignal) {
  const int status = run_forked([] {
    std::ostringstream out;
    std::ostringstream err;
    return cli::run_command(run_opts({"sh", "-c", "kill -USR2 $$"}), out, err);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGUSR2);
}

TEST(RunCommandTest, DiesByTheChildsSignalEvenIfIgnoredAndBlocked) {
  const int status = run_forked([] {
    static_cast<void>(::signal(SIGUSR2, SIG_IGN));
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    ::sigprocmask(SIG_BLOCK, &usr2, nullptr);
    // The command inherits both; the helper resets, unblocks and raises it.
    auto options = run_opts({SIGKIT_TEST_CHILD_PATH, "raise", std::to_string(SIGUSR2)});
    options.forward = "none";
    std::ostringstream out;
    std::ostringstream err;
    return cli::run_command(options, out, err);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << sigkit_test::describe_status(status);
  EXPECT_EQ(WTERMSIG(status), SIGUSR2);
}

TEST(RunCommandTest, IgnoredForwardedSignalStaysIgnored) {
  // As under nohup: SIGHUP ignored on entry is neither forwarded nor reset in the child.
  const int status = run_forked([] {
    static_cast<void>(::signal(SIGHUP, SIG_IGN));
    std::ostringstream err;
    const auto o = cli::run_child(run_opts({"sh", "-c", "kill -HUP $$; exit 4"}), err);
    return o.exit_code;
  });
  ASSERT_TRUE(WIFEXITED(status)) << sigkit_test::describe_status(status);
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

TEST(RunCommandTest, TimeoutSendsTermAndExits124) {
  auto options = run_opts({"sleep", "10"});
  options.timeout = "200ms";
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_child_forked(options);
  EXPECT_THAT(r.out, HasSubstr("outcome exit=124 signal=15 timed_out=1 killed=0 zombies=0"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
}

TEST(RunCommandTest, TimeoutEscalatesToKill) {
  auto options = run_opts({"sh", "-c", "trap '' TERM; exec sleep 10"});
  options.timeout = "200ms";
  options.grace = "300ms";
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_child_forked(options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(r.out, HasSubstr("outcome exit=137 signal=9 timed_out=1 killed=1 zombies=0"));
  EXPECT_GE(elapsed, milliseconds(480));
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST(RunCommandTest, CustomTimeoutSignal) {
  auto options = run_opts({"sh", "-c", "trap 'exit 9' USR1; while :; do sleep 0.05; done"});
  options.timeout = "200ms";
  options.signal = "USR1";
  const auto r = run_child_forked(options);
  EXPECT_THAT(r.out, HasSubstr("outcome exit=124 signal=0 timed_out=1 killed=0 zombies=0"));
}

TEST(RunCommandTest, SecondTermDuringGraceKillsAtOnce) {
  // The child survives TERM, so the timeout starts a 20 s grace period; a TERM sent to the
  // supervisor during it kills the child at once. The supervisor's TERM to its own group
  // reaches the supervisor too: a TERM sent while that copy is still pending merges with it
  // (standard signals do not queue), so the test sends again until the supervisor is done.
  auto options = run_opts({"sh", "-c",
                           "trap 'echo got-term' TERM; echo ready; "
                           "while :; do sleep 0.05; done"});
  options.timeout = "100ms";
  options.grace = "20s";
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_child_forked(options, [](child_process& supervisor) {
    ASSERT_TRUE(supervisor.wait_for_text("got-term\n", milliseconds(10000), true));
    do {
      ::kill(supervisor.pid, SIGTERM);
    } while (!supervisor.wait_for_text("outcome", milliseconds(200), true));
  });
  EXPECT_THAT(r.out, HasSubstr("outcome exit=137 signal=9 timed_out=1 killed=1 zombies=0"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(10000));
}

TEST(RunCommandTest, ForwardsSignalsToTheChild) {
  auto options = run_opts({"sh", "-c",
                           "trap 'echo got-usr1; exit 7' USR1; echo child-ready; "
                           "while :; do sleep 0.05; done"});
  options.timeout = "20s";
  const auto r = run_child_forked(options, [](child_process& supervisor) {
    ASSERT_TRUE(supervisor.wait_for_text("child-ready\n", milliseconds(10000), true));
    ::kill(supervisor.pid, SIGUSR1);
  });
  EXPECT_THAT(r.out, HasSubstr("child-ready\ngot-usr1\n"));
  EXPECT_THAT(r.out, HasSubstr("outcome exit=7 signal=0 timed_out=0 killed=0 zombies=0"));
}

TEST(RunCommandTest, ForwardsEveryDeliveryInOrder) {
  auto options = run_opts({"sh", "-c",
                           "trap 'echo usr1' USR1; trap 'echo usr2' USR2; trap 'exit 5' HUP; "
                           "echo ready; while :; do sleep 0.05; done"});
  options.timeout = "20s";
  const auto r = run_child_forked(options, [](child_process& supervisor) {
    ASSERT_TRUE(supervisor.wait_for_text("ready\n", milliseconds(10000), true));
    ::kill(supervisor.pid, SIGUSR2);
    ASSERT_TRUE(supervisor.wait_for_text("usr2\n", milliseconds(10000), true));
    ::kill(supervisor.pid, SIGUSR1);
    ASSERT_TRUE(supervisor.wait_for_text("usr1\n", milliseconds(10000), true));
    ::kill(supervisor.pid, SIGHUP);
  });
  EXPECT_THAT(r.out, HasSubstr("ready\nusr2\nusr1\n"));
  EXPECT_THAT(r.out, HasSubstr("outcome exit=5 signal=0 timed_out=0 killed=0 zombies=0"));
}

TEST(RunCommandTest, ForwardListLimitsWhatIsForwarded) {
  auto options = run_opts({"sh", "-c",
                           "trap 'exit 7' USR1; trap 'exit 8' USR2; echo ready; "
                           "while :; do sleep 0.05; done"});
  options.timeout = "20s";
  options.forward = "USR2";
  const auto r = run_child_forked(options, [](child_process& supervisor) {
    ASSERT_TRUE(supervisor.wait_for_text("ready\n", milliseconds(10000), true));
    ::kill(supervisor.pid, SIGUSR2);
  });
  EXPECT_THAT(r.out, HasSubstr("outcome exit=8 "));
}

TEST(RunCommandTest, ReapsEveryChild) {
  // A child this process already had before run_child (as after an exec into sigkit) is
  // reaped too: no zombie is left.
  const int status = run_forked([] {
    const pid_t early = ::fork();
    if (early == 0) {
      ::_exit(0);
    }
    std::ostringstream err;
    const auto o = cli::run_child(run_opts({"sh", "-c", "sleep 0.2"}), err);
    const bool early_reaped = ::waitpid(early, nullptr, WNOHANG) < 0 && errno == ECHILD;
    return o.exit_code == 0 && early_reaped && sigkit_cli_test::count_zombie_children() == 0 ? 0
                                                                                             : 1;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(RunCommandTest, CommandNotFoundIs127) {
  const auto r = run_child_forked(run_opts({"/nonexistent/sigkit-test-command"}));
  EXPECT_THAT(r.out, HasSubstr("outcome exit=127 signal=0 timed_out=0 killed=0 zombies=0"));
  EXPECT_THAT(r.out, HasSubstr("sigkit: failed to run command '/nonexistent/sigkit-test-command': "
                               "No such file or directory"));
}

TEST(RunCommandTest, NotExecutableIs126) {
  char path[] = "/tmp/sigkit-cli-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(path, 0644);
  const auto r = run_child_forked(run_opts({path}));
  ::unlink(path);
  EXPECT_THAT(r.out, HasSubstr("outcome exit=126 "));
  EXPECT_THAT(r.out, HasSubstr("Permission denied"));
}

TEST(RunCommandTest, ChildInheritsIgnoredSignalsAndTheMask) {
  // As timeout(1) and a plain exec: an ignored SIGPIPE (a Python parent leaves it so) and a
  // blocked SIGUSR2 reach the command unchanged; handled signals start at SIG_DFL.
  const int status = run_forked([] {
    static_cast<void>(::signal(SIGPIPE, SIG_IGN));
    static_cast<void>(::signal(SIGUSR1, [](int) {}));
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    ::sigprocmask(SIG_BLOCK, &usr2, nullptr);
    std::ostringstream err;
    int fds[2];
    if (::pipe(fds) != 0) {
      return 90;
    }
    ::dup2(fds[1], 1);
    const auto o = cli::run_child(run_opts({SIGKIT_TEST_CHILD_PATH, "state"}), err);
    ::close(1);
    ::close(fds[1]);
    char buffer[4096] = {};
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer - 1);
    const std::string state(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    const std::string expected = "ignored: " + std::to_string(SIGPIPE) +
                                 "\nblocked: " + std::to_string(SIGUSR2) +
                                 "\npdeathsig: " + std::to_string(SIGTERM) + "\n";
    return o.exit_code == 0 && state == expected ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(RunCommandTest, RejectsBadOptions) {
  std::ostringstream err;
  auto options = run_opts({"true"});
  options.timeout = "forever";
  EXPECT_THROW(cli::run_child(options, err), cli::cli_error);
  options = run_opts({"true"});
  options.signal = "NOPE";
  EXPECT_THROW(cli::run_child(options, err), cli::cli_error);
  options = run_opts({"true"});
  options.forward = "KILL";
  EXPECT_THROW(cli::run_child(options, err), cli::cli_error);
  EXPECT_THROW(cli::run_child(run_opts({}), err), cli::cli_error);
}

// ---- the whole app ------------------------------------------------------------------------

int app(std::vector<std::string> args, std::string& out_text, std::string& err_text) {
  args.insert(args.begin(), "sigkit");
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  std::ostringstream out;
  std::ostringstream err;
  const int rc = cli::run_app(static_cast<int>(argv.size()), argv.data(), out, err);
  out_text = out.str();
  err_text = err.str();
  return rc;
}

TEST(RunAppTest, VersionAndHelp) {
  std::string out;
  std::string err;
  EXPECT_EQ(app({"--version"}, out, err), 0);
  EXPECT_EQ(out, "sigkit " SIGKIT_VERSION_STRING "\n");
  for (const char* cmd : {"list", "status", "decode", "send", "wait", "run", "timeout"}) {
    EXPECT_EQ(app({cmd, "--help"}, out, err), 0) << cmd;
    EXPECT_THAT(out, HasSubstr("Usage")) << cmd;
  }
}

TEST(RunAppTest, UsageErrorsExit2) {
  std::string out;
  std::string err;
  EXPECT_EQ(app({}, out, err), 2);
  EXPECT_EQ(app({"frobnicate"}, out, err), 2);
  EXPECT_EQ(app({"list", "--bogus"}, out, err), 2);
  EXPECT_EQ(app({"send", "USR1"}, out, err), 2);
  EXPECT_EQ(app({"decode"}, out, err), 2);
  EXPECT_EQ(app({"send", "USR1", "1", "--value", "abc"}, out, err), 2);
}

TEST(RunAppTest, BadValuesAreOneLineUsageErrors) {
  std::string out;
  std::string err;
  EXPECT_EQ(app({"list", "NOPE"}, out, err), 2);
  EXPECT_EQ(err, "sigkit: unknown signal 'NOPE' (see 'sigkit list')\n");
  EXPECT_EQ(app({"decode", "zz"}, out, err), 2);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_EQ(app({"wait", "USR1", "--timeout", "-1"}, out, err), 2);
  EXPECT_THAT(err, StartsWith("sigkit: invalid duration '-1'"));
}

TEST(RunAppTest, RuntimeErrorsExit1) {
  std::string out;
  std::string err;
  EXPECT_EQ(app({"status", "2147483647"}, out, err), 1);
  EXPECT_EQ(err, "sigkit: no such process: 2147483647\n");
}

TEST(RunAppTest, RunTakesTheCommandAfterDashes) {
  const int status = run_forked([] {
    std::string out;
    std::string err;
    return app({"run", "--timeout", "5s", "--", "sh", "-c", "exit 4"}, out, err);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

TEST(RunAppTest, RunTakesTheCommandWithoutDashes) {
  const int status = run_forked([] {
    std::string out;
    std::string err;
    return app({"run", "sh", "-c", "exit 6"}, out, err);
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 6);
}

}  // namespace
