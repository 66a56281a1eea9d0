// tests/cli/trace_unit_test.cpp - the parts of `sigkit trace` that need no tracee: /proc
// parsers, the --signal filter, quoting, code names, the record formats, ptrace refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_test_util.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace {

using namespace sigkit::cli::tracing;  // NOLINT(google-build-using-namespace)
using ::testing::HasSubstr;
using ::testing::Not;

std::uint64_t bit(int s) { return std::uint64_t{1} << (s - 1); }

// ---- /proc parsers --------------------------------------------------------------------------

TEST(TraceProcTest, ParsesStat) {
  const auto st = parse_proc_stat("4242 (server) S 1 4242 4242 0 -1 4194560 100 0 0 0\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pid, 4242);
  EXPECT_EQ(st->comm, "server");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->pgrp, 4242);
}

TEST(TraceProcTest, StatCommMayHoldParenthesesAndSpaces) {
  const auto st = parse_proc_stat("7 (a) (b) c) Z 3 7 7 0\n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "a) (b) c");
  EXPECT_EQ(st->state, 'Z');
  EXPECT_EQ(st->ppid, 3);
}

TEST(TraceProcTest, MalformedStatIsRejected) {
  for (const char* text : {"", "4242", "4242 (x)", "x (y) S 1 2", "1 (y) SS 1 2", "1 (y) S a 2",
                           "1 (y) S 1", ") ( 1 S 1 1"}) {
    EXPECT_FALSE(parse_proc_stat(text)) << text;
  }
}

TEST(TraceProcTest, SplitsCmdline) {
  using v = std::vector<std::string>;
  EXPECT_EQ(split_cmdline(std::string_view("sh\0-c\0echo hi\0", 14)), (v{"sh", "-c", "echo hi"}));
  EXPECT_EQ(split_cmdline(std::string_view("rewritten title", 15)), (v{"rewritten title"}));
  EXPECT_EQ(split_cmdline(std::string_view("a\0\0b\0", 5)), (v{"a", "", "b"}));
  EXPECT_EQ(split_cmdline(""), v{});
}

TEST(TraceProcTest, StatusFields) {
  const std::string status =
      "Name:\tsleep\nTgid:\t4242\nPid:\t4243\nUid:\t1000\t1000\t1000\t1000\nTracerPid:\t0\n"
      "SigIgn:\t0000000000000006\nSigCgt:\t0000000000004002 \nCapEff:\tzz\n";
  EXPECT_EQ(parse_status_number(status, "Tgid"), 4242);
  EXPECT_EQ(parse_status_number(status, "Pid"), 4243);
  EXPECT_EQ(parse_status_number(status, "Uid"), 1000);
  EXPECT_EQ(parse_status_number(status, "TracerPid"), 0);
  EXPECT_FALSE(parse_status_number(status, "Gid"));
  EXPECT_FALSE(parse_status_number(status, "Name"));
  EXPECT_FALSE(parse_status_number(status, "Tg"));  // a prefix of a key is not the key
  EXPECT_EQ(parse_status_mask(status, "SigIgn"), 6U);
  EXPECT_EQ(parse_status_mask(status, "SigCgt"), bit(SIGINT) | bit(SIGTERM));
  EXPECT_FALSE(parse_status_mask(status, "CapEff"));
  EXPECT_FALSE(parse_status_mask(status, "ShdPnd"));
}

// ---- --signal ---------------------------------------------------------------------------------

TEST(TraceFilterTest, IncludeExcludeAll) {
  EXPECT_EQ(parse_signal_filter("INT,term,15"), bit(SIGINT) | bit(SIGTERM));
  EXPECT_EQ(parse_signal_filter("!CHLD,WINCH"), ~(bit(SIGCHLD) | bit(SIGWINCH)));
  EXPECT_EQ(parse_signal_filter("^chld"), ~bit(SIGCHLD));
  EXPECT_EQ(parse_signal_filter("all"), ~std::uint64_t{0});
  EXPECT_EQ(parse_signal_filter("RTMIN+1"), bit(SIGRTMIN + 1));
}

TEST(TraceFilterTest, RejectsUnknownAndEmpty) {
  for (const char* text : {"", "!", "^", "none", "FOO", "INT,,TERM", "INT,", "!none"}) {
    EXPECT_THROW(static_cast<void>(parse_signal_filter(text)), sigkit::cli::cli_error) << text;
  }
}

// ---- quoting --------------------------------------------------------------------------------

TEST(TraceQuoteTest, QuotesAsAShellWouldNeed) {
  EXPECT_EQ(quote_argument("sleep"), "sleep");
  EXPECT_EQ(quote_argument("/usr/bin/x-y_z.1"), "/usr/bin/x-y_z.1");
  EXPECT_EQ(quote_argument(""), "''");
  EXPECT_EQ(quote_argument("echo hi"), "'echo hi'");
  EXPECT_EQ(quote_argument("it's"), "'it'\\''s'");
  EXPECT_EQ(quote_argument("a\\x10"), "'a\\x10'");  // printable: literal, in single quotes
  EXPECT_EQ(quote_argument("a\nb"), "$'a\\x0ab'");
  EXPECT_EQ(quote_argument("it's\t\\"), "$'it\\'s\\x09\\\\'");
  EXPECT_EQ(quote_argument("caf\xc3\xa9"), "'caf\xc3\xa9'");  // UTF-8 stays
  EXPECT_EQ(quote_argument("bad\xff"), "$'bad\\xff'");        // not UTF-8: escaped
  // An invisible control (here U+061C, ARABIC LETTER MARK) among bytes that are not UTF-8:
  // bash's \u with all four digits (found by the trace_proc fuzz target).
  EXPECT_EQ(quote_argument("\x97\xd8\x9c\xff"), "$'\\x97\\u061c\\xff'");
  EXPECT_EQ(quote_argument("\xed\xa0\x80"), "$'\\xed\\xa0\\x80'");  // a surrogate is not UTF-8
  EXPECT_EQ(quote_argument("\xc0\xaf"), "$'\\xc0\\xaf'");           // overlong
  EXPECT_EQ(quote_argument("a\xe2\x80\xae"
                           "b"),
            "$'a\\u202eb'");                            // a bidirectional override
  EXPECT_EQ(quote_argument("\xc2\x9b"), "$'\\u009b'");  // C1 control (CSI)
}

TEST(TraceQuoteTest, CmdlineIsCutAtACharacterBoundary) {
  EXPECT_EQ(format_cmdline({"kill", "-TERM", "4242"}), "kill -TERM 4242");
  EXPECT_EQ(format_cmdline({}), "");
  const std::string long_arg(300, 'a');
  const std::string cut = format_cmdline({"x", long_arg}, 20);
  EXPECT_EQ(cut, "x " + std::string(18, 'a') + "...");
  std::string accents;
  for (int i = 0; i < 50; ++i) {
    accents += "\xc3\xa9";
  }
  const std::string cut_utf8 = format_cmdline({accents}, 10);
  EXPECT_EQ(cut_utf8.substr(cut_utf8.size() - 3), "...");
  EXPECT_NO_THROW(static_cast<void>(nlohmann::json(cut_utf8).dump()));  // still valid UTF-8
}

// ---- si_code ------------------------------------------------------------------------------

TEST(TraceCodeTest, NamesCodes) {
  EXPECT_EQ(describe_code(SIGUSR1, SI_USER), "SI_USER");
  EXPECT_EQ(describe_code(SIGSEGV, SEGV_MAPERR), "SEGV_MAPERR");
  EXPECT_EQ(describe_code(SIGTRAP, 1), "TRAP_BRKPT");
  EXPECT_EQ(describe_code(SIGILL, 2), "ILL_ILLOPN");
  EXPECT_EQ(describe_code(SIGFPE, 7), "FPE_FLTINV");
  EXPECT_EQ(describe_code(SIGSEGV, 4), "SEGV_PKUERR");
  EXPECT_EQ(describe_code(SIGBUS, 4), "BUS_MCEERR_AR");
  EXPECT_EQ(describe_code(SIGIO, 1), "POLL_IN");
  EXPECT_EQ(describe_code(SIGSYS, 1), "SYS_SECCOMP");
  EXPECT_EQ(describe_code(SIGUSR1, 77), "77");
  EXPECT_EQ(describe_code(SIGUSR1, -77), "-77");
}

TEST(TraceCodeTest, WhatTheSiginfoCarries) {
  EXPECT_TRUE(code_names_sender(SIGTERM, SI_USER));
  EXPECT_TRUE(code_names_sender(SIGUSR1, SI_QUEUE));
  EXPECT_TRUE(code_names_sender(SIGABRT, SI_TKILL));
  EXPECT_TRUE(code_names_sender(SIGCHLD, CLD_EXITED));
  EXPECT_FALSE(code_names_sender(SIGINT, SI_KERNEL));
  EXPECT_FALSE(code_names_sender(SIGSEGV, SEGV_MAPERR));
  EXPECT_FALSE(code_names_sender(SIGALRM, SI_TIMER));
  EXPECT_TRUE(code_has_address(SIGSEGV, SEGV_ACCERR));
  EXPECT_TRUE(code_has_address(SIGBUS, BUS_ADRERR));
  EXPECT_FALSE(code_has_address(SIGSEGV, SI_USER));
  EXPECT_FALSE(code_has_address(SIGSEGV, SI_KERNEL));
  EXPECT_FALSE(code_has_address(SIGCHLD, CLD_EXITED));
  EXPECT_TRUE(code_has_value(SI_QUEUE));
  EXPECT_TRUE(code_has_value(SI_TIMER));
  EXPECT_FALSE(code_has_value(SI_USER));
}

// ---- the record formats ---------------------------------------------------------------------

class TraceFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  // 2024-05-06 07:08:09.123456 UTC
  static constexpr std::int64_t kTime = 1714979289LL * 1'000'000'000 + 123'456'789;
};

TEST_F(TraceFormatTest, SignalFromAProcess) {
  signal_record r;
  r.time_ns = kTime;
  r.pid = 4242;
  r.tid = 4242;
  r.comm = "server";
  r.signo = SIGTERM;
  r.code = SI_USER;
  r.from = origin::process;
  r.sender_pid = 4250;
  r.sender_uid = 1000;
  r.sender = process_info{4250, "kill", 'R', 4100, {"kill", "-TERM", "4242"}};
  r.sender_parent = process_info{4100, "bash", 'S', 1, {"bash"}};
  r.result = outcome::handled;
  EXPECT_EQ(format_text(r),
            "07:08:09.123456 4242 (server) SIGTERM SI_USER from 4250 (kill -TERM 4242) uid=1000, "
            "child of 4100 (bash) -> handled by a handler");
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j.at("event"), "signal");
  EXPECT_EQ(j.at("time"), "2024-05-06T07:08:09.123456Z");
  EXPECT_EQ(j.at("pid"), 4242);
  EXPECT_EQ(j.at("tid"), 4242);
  EXPECT_EQ(j.at("signal"), "SIGTERM");
  EXPECT_EQ(j.at("number"), SIGTERM);
  EXPECT_EQ(j.at("code"), "SI_USER");
  EXPECT_EQ(j.at("origin"), "process");
  EXPECT_EQ(j.at("sender").at("pid"), 4250);
  EXPECT_EQ(j.at("sender").at("uid"), 1000);
  EXPECT_EQ(j.at("sender").at("comm"), "kill");
  EXPECT_EQ(j.at("sender").at("cmdline"), nlohmann::json::array({"kill", "-TERM", "4242"}));
  EXPECT_EQ(j.at("sender").at("exited"), false);
  EXPECT_EQ(j.at("sender").at("parent").at("pid"), 4100);
  EXPECT_EQ(j.at("outcome"), "handled");
  EXPECT_EQ(j.at("handled"), true);
  EXPECT_TRUE(j.at("value").is_null());
  EXPECT_TRUE(j.at("address").is_null());
}

TEST_F(TraceFormatTest, FaultInAThreadWithCore) {
  signal_record r;
  r.time_ns = kTime;
  r.pid = 4242;
  r.tid = 4243;
  r.comm = "worker 1";
  r.signo = SIGSEGV;
  r.code = SEGV_MAPERR;
  r.from = origin::kernel;
  r.address = 0x10;
  r.result = outcome::terminated;
  r.core = true;
  EXPECT_EQ(format_text(r),
            "07:08:09.123456 4242/4243 ('worker 1') SIGSEGV SEGV_MAPERR from the kernel addr=0x10 "
            "-> terminated the process (core dumped)");
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j.at("tid"), 4243);
  EXPECT_EQ(j.at("address"), "0x10");
  EXPECT_EQ(j.at("core"), true);
  EXPECT_TRUE(j.at("sender").is_null());
}

TEST_F(TraceFormatTest, ExitedSenderQueuedValueAndChildStatus) {
  signal_record r;
  r.time_ns = kTime;
  r.pid = 10;
  r.comm = "p";
  r.signo = SIGUSR2;
  r.code = SI_QUEUE;
  r.from = origin::process;
  r.sender_pid = 11;
  r.sender_uid = 0;
  r.value = -5;
  r.result = outcome::pending;
  r.detail = "blocked in every thread that could take it";
  EXPECT_EQ(format_text(r),
            "07:08:09.123456 10 (p) SIGUSR2 SI_QUEUE from 11 (exited) uid=0 value=-5 -> pending "
            "(blocked in every thread that could take it)");
  EXPECT_EQ(nlohmann::json::parse(format_json(r)).at("sender").at("exited"), true);

  signal_record c;
  c.time_ns = kTime;
  c.pid = 10;
  c.comm = "p";
  c.signo = SIGCHLD;
  c.code = CLD_KILLED;
  c.from = origin::child;
  c.sender_pid = 12;
  c.sender_uid = 0;
  c.sender = process_info{12, "sleep", 'Z', 10, {}};
  c.child_status = SIGTERM;
  c.result = outcome::ignored_by_default;
  EXPECT_EQ(format_text(c),
            "07:08:09.123456 10 (p) SIGCHLD CLD_KILLED from child 12 (sleep, exited) uid=0 "
            "status=SIGTERM -> ignored (default action)");
  const auto j = nlohmann::json::parse(format_json(c));
  EXPECT_EQ(j.at("origin"), "child");
  EXPECT_EQ(j.at("status"), SIGTERM);
}

TEST_F(TraceFormatTest, ExitRecords) {
  exit_record e{kTime, 4242, "server", 3, 0, false};
  EXPECT_EQ(format_text(e), "07:08:09.123456 4242 (server) exited with status 3");
  auto j = nlohmann::json::parse(format_json(e));
  EXPECT_EQ(j.at("event"), "exit");
  EXPECT_EQ(j.at("exit_code"), 3);
  EXPECT_TRUE(j.at("signal").is_null());
  exit_record k{kTime, 4242, "server", std::nullopt, SIGABRT, true};
  EXPECT_EQ(format_text(k), "07:08:09.123456 4242 (server) killed by SIGABRT (core dumped)");
  j = nlohmann::json::parse(format_json(k));
  EXPECT_TRUE(j.at("exit_code").is_null());
  EXPECT_EQ(j.at("signal"), "SIGABRT");
  EXPECT_EQ(j.at("core"), true);
}

TEST_F(TraceFormatTest, BytesThatAreNotUtf8StillMakeJson) {
  signal_record r;
  r.time_ns = kTime;
  r.pid = 1;
  r.comm = "bad\xff\xfe";
  r.signo = SIGUSR1;
  r.code = SI_USER;
  r.from = origin::process;
  r.sender_pid = 2;
  r.sender = process_info{2, "x\xc3", 'S', 1, {"\xff", "ok"}};
  const auto j = nlohmann::json::parse(format_json(r));
  EXPECT_EQ(j.at("comm"), "bad\\xff\\xfe");  // escaped as status --json does
  EXPECT_EQ(j.at("sender").at("cmdline").at(0), "\\xff");
  EXPECT_EQ(j.at("sender").at("cmdline").at(1), "ok");
  EXPECT_THAT(format_text(r), HasSubstr("($'bad\\xff\\xfe')"));
}

TEST_F(TraceFormatTest, EveryOutcomeHasWords) {
  for (const auto o : {outcome::handled, outcome::ignored, outcome::ignored_by_default,
                       outcome::stopped, outcome::continued, outcome::terminated, outcome::pending,
                       outcome::accepted, outcome::discarded, outcome::unknown}) {
    signal_record r;
    r.time_ns = kTime;
    r.pid = 1;
    r.signo = SIGUSR1;
    r.result = o;
    const std::string line = format_text(r);
    EXPECT_THAT(line, Not(HasSubstr("->  "))) << to_string(o);
    EXPECT_EQ(nlohmann::json::parse(format_json(r)).at("outcome"), to_string(o));
  }
}

// ---- why ptrace was refused ------------------------------------------------------------------

TEST(TraceRefusalTest, SaysWhyAndWhatToDo) {
  ptrace_refusal r;
  r.pid = 4242;
  r.error = EPERM;
  r.own_uid = 1000;

  r.tracer_pid = 77;
  r.tracer_comm = "strace";
  EXPECT_THAT(explain(r), HasSubstr("already traced by process 77 (strace)"));
  r.tracer_pid.reset();

  r.yama_scope = 3;
  EXPECT_THAT(explain(r), HasSubstr("kernel.yama.ptrace_scope = 3"));
  r.yama_scope = 2;
  EXPECT_THAT(explain(r), HasSubstr("run sigkit as root"));
  r.yama_scope = 1;
  r.target_uid = 0;
  EXPECT_THAT(explain(r), HasSubstr("belongs to uid 0 and sigkit runs as uid 1000"));
  r.target_uid = 1000;
  EXPECT_THAT(explain(r), HasSubstr("kernel.yama.ptrace_scope = 1"));
  EXPECT_THAT(explain(r), HasSubstr("sigkit trace -- COMMAND"));
  r.yama_scope = 0;
  EXPECT_THAT(explain(r), HasSubstr("CAP_SYS_PTRACE"));
  r.have_cap_sys_ptrace = true;
  r.yama_scope = 2;
  EXPECT_THAT(explain(r), HasSubstr("not permitted"));
  r.error = ESRCH;
  EXPECT_EQ(explain(r), "no such process: 4242");
  r.error = EIO;
  EXPECT_THAT(explain(r), HasSubstr("cannot trace process 4242: "));
  for (const int error : {EPERM, ESRCH, EIO}) {
    r.error = error;
    EXPECT_EQ(explain(r).find('\n'), std::string::npos);
  }
}

// ---- the session, in-process (each in a forked child: it blocks signals and waits) ----------

namespace sigkit_trace_session_test {

using sigkit::cli::trace_options;
using sigkit::cli::trace_session;

TEST(TraceSessionTest, CommandRecordsAndFate) {
  const int status = sigkit_cli_test::run_forked([] {
    trace_options options;
    options.command = {"/bin/sh", "-c", "trap 'exit 4' USR2; kill -USR2 $$; sleep 5"};
    std::ostringstream out;
    std::ostringstream err;
    const auto outcome = trace_session(options, out, err);
    const std::string text = out.str();
    const bool ok =
        outcome.exit_code == 4 && outcome.signal == 0 &&
        text.find(" SIGUSR2 SI_USER from itself -> handled by a handler\n") != std::string::npos &&
        text.find(" exited with status 4\n") != std::string::npos && err.str().empty();
    if (!ok) {
      static_cast<void>(
          std::fprintf(stderr, "out: %s\nerr: %s\n", text.c_str(), err.str().c_str()));
    }
    return ok ? 0 : 1;
  });
  EXPECT_EQ(status, 0);
}

TEST(TraceSessionTest, DeathBySignalIsReported) {
  const int status = sigkit_cli_test::run_forked([] {
    trace_options options;
    options.command = {"/bin/sh", "-c", "kill -USR1 $$"};
    options.json = true;
    std::ostringstream out;
    std::ostringstream err;
    const auto outcome = trace_session(options, out, err);
    return outcome.signal == SIGUSR1 && outcome.exit_code == 128 + SIGUSR1 &&
                   out.str().find(R"("outcome":"terminated")") != std::string::npos
               ? 0
               : 1;
  });
  EXPECT_EQ(status, 0);
}

TEST(TraceSessionTest, BadArguments) {
  const int status = sigkit_cli_test::run_forked([] {
    std::ostringstream out;
    std::ostringstream err;
    int failures = 0;
    const auto expect_error = [&](const trace_options& options, int code, const char* what) {
      try {
        static_cast<void>(trace_session(options, out, err));
        ++failures;
      } catch (const sigkit::cli::cli_error& e) {
        if (e.code() != code || std::string(e.what()).find(what) == std::string::npos) {
          static_cast<void>(std::fprintf(stderr, "%d %s\n", e.code(), e.what()));
          ++failures;
        }
      }
    };
    trace_options none;
    expect_error(none, sigkit::cli::exit_usage, "PID... or -- COMMAND");
    trace_options both;
    both.pids = {"1"};
    both.command = {"true"};
    expect_error(both, sigkit::cli::exit_usage, "not both");
    trace_options gone;
    gone.pids = {"2147483647"};
    expect_error(gone, sigkit::cli::exit_error, "no such process: 2147483647");
    trace_options self;
    self.pids = {std::to_string(::getpid())};
    expect_error(self, sigkit::cli::exit_error, "cannot trace sigkit itself");
    trace_options filter;
    filter.command = {"true"};
    filter.signals = "NOPE";
    expect_error(filter, sigkit::cli::exit_usage, "unknown signal 'NOPE'");
    return failures;
  });
  EXPECT_EQ(status, 0);
}

}  // namespace sigkit_trace_session_test

}  // namespace
