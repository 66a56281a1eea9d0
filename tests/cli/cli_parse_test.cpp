// tests/cli/cli_parse_test.cpp - the CLI's parsers in-process: durations (sigkit's, run's and
// GNU timeout's spelling), signals (sigkit's and timeout's), integers, and the quoting of
// outside text in messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <locale.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../../cli/commands/run_detail.hpp"
#include "sigkit_cli/commands.hpp"

// glibc's newlocale() leaks the search path it builds from LOCPATH (argz, never freed), which
// TheLocalesDecimalPointToo sets; LeakSanitizer would fail the binary for glibc's leak.
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
extern "C" const char* __lsan_default_suppressions() { return "leak:__argz_add_sep\n"; }

namespace {

namespace cli = sigkit::cli;
using cli::duration_syntax;
using ::testing::HasSubstr;

std::int64_t ns_of(std::string_view text, duration_syntax syntax = duration_syntax::run) {
  const cli::duration_value d = cli::parse_duration(text, syntax);
  EXPECT_FALSE(d.forever) << text;
  return d.ns.count();
}

bool forever(std::string_view text, duration_syntax syntax = duration_syntax::run) {
  return cli::parse_duration(text, syntax).forever;
}

// `v` with leading zeros to `width` digits.
std::string fmt_ns(std::int64_t v, int width) {
  std::string digits = std::to_string(v);
  return std::string(static_cast<std::size_t>(width) - std::min(digits.size(), std::size_t(width)),
                     '0') +
         digits;
}

bool rejects(std::string_view text, duration_syntax syntax) {
  try {
    static_cast<void>(cli::parse_duration(text, syntax));
    return false;
  } catch (const cli::cli_error& e) {
    EXPECT_EQ(e.code(), cli::exit_usage);
    return true;
  }
}

// ---- durations ----------------------------------------------------------------------------

TEST(GnuDurationTest, ReadsWhatTimeoutReads) {
  // the values the issue lists as wrongly rejected before
  EXPECT_EQ(ns_of("4294967296"), 4294967296LL * 1'000'000'000);
  EXPECT_TRUE(forever("9223372036854775808"));  // beyond 292 years: no limit, as timeout clamps
  EXPECT_EQ(ns_of("1e-3"), 1'000'000);
  EXPECT_TRUE(forever("2.34e+5d"));  // 641 years: beyond the 292 a timer can count, no limit
  EXPECT_EQ(ns_of("2.34e+4d"), 23'400LL * 86'400 * 1'000'000'000);
  // the units, floating point forms, hexadecimal
  EXPECT_EQ(ns_of("1.5m"), 90'000'000'000);
  EXPECT_EQ(ns_of("2h"), 7'200'000'000'000);
  EXPECT_EQ(ns_of(".5"), 500'000'000);
  EXPECT_EQ(ns_of("5."), 5'000'000'000);
  EXPECT_EQ(ns_of("0x10"), 16'000'000'000);
  EXPECT_EQ(ns_of("0x1p0d", duration_syntax::timeout), 86'400'000'000'000);      // timeout's doc
  EXPECT_EQ(ns_of("0x10d", duration_syntax::timeout), 0x10d * 1'000'000'000LL);  // d is a digit
  EXPECT_EQ(ns_of("0x1.8p1"), 3'000'000'000);
  EXPECT_TRUE(forever("inf"));
  EXPECT_TRUE(forever("INFINITY"));
  EXPECT_TRUE(forever("infs", duration_syntax::timeout));
  EXPECT_TRUE(forever("1e400"));
  // strtod's leading space and sign; "-0" is zero ("no timeout"), as in timeout
  EXPECT_EQ(ns_of(" \t5", duration_syntax::timeout), 5'000'000'000);
  EXPECT_EQ(ns_of("+5", duration_syntax::timeout), 5'000'000'000);
  EXPECT_TRUE(cli::parse_duration("-0", duration_syntax::timeout).zero());
  EXPECT_TRUE(cli::parse_duration("-0.0e7s", duration_syntax::run).zero());
  EXPECT_TRUE(cli::parse_duration("0", duration_syntax::timeout).zero());
  EXPECT_TRUE(cli::parse_duration("00000.000", duration_syntax::timeout).zero());
}

TEST(GnuDurationTest, TinyValuesRoundUpNeverToZero) {
  EXPECT_EQ(ns_of("1e-9"), 1);
  EXPECT_EQ(ns_of("1e-10"), 1);
  EXPECT_EQ(ns_of("1.000000001"), 1'000'000'001);
  EXPECT_EQ(ns_of("1.0000000001"), 1'000'000'001);  // rounded up
  EXPECT_EQ(ns_of("1e-5000"), 1);                   // underflows a double: still not zero
  EXPECT_EQ(ns_of("0x1p-2000"), 1);
  EXPECT_EQ(ns_of("0." + std::string(3000, '0') + "1"), 1);
}

TEST(GnuDurationTest, RejectsWhatTimeoutRejects) {
  for (const char* bad : {"",   "abc",      "1x",   "5ms", "5us",      "1 s", "5 ",   "s",
                          "-1", "-1e-5000", "-inf", "nan", "NAN(123)", "1e",  "1..5", ".",
                          "-",  "+",        "0x",   "1ss", "1sm",      "--5", "5d5"}) {
    EXPECT_TRUE(rejects(bad, duration_syntax::timeout)) << bad;
  }
  try {
    static_cast<void>(cli::parse_duration("1y", duration_syntax::timeout));
    FAIL();
  } catch (const cli::cli_error& e) {
    EXPECT_STREQ(e.what(), "invalid time interval '1y'");
  }
}

TEST(GnuDurationTest, RunAddsMillisecondsAndMicroseconds) {
  EXPECT_EQ(ns_of("5ms"), 5'000'000);
  EXPECT_EQ(ns_of("250us"), 250'000);
  EXPECT_EQ(ns_of("1e3ms"), 1'000'000'000);
  EXPECT_TRUE(rejects("5ns", duration_syntax::run));
  EXPECT_TRUE(rejects("5 ms", duration_syntax::run));
}

TEST(GnuDurationTest, SigkitSyntaxTakesNoSignNorSpace) {
  // wait --timeout and status --sample: negatives are errors, "-0" included
  for (const char* bad : {"-0", "-1", "+1", " 1", "-0.0"}) {
    EXPECT_TRUE(rejects(bad, duration_syntax::sigkit)) << bad;
  }
  EXPECT_EQ(cli::parse_duration("1.5", duration_syntax::sigkit).ns.count(), 1'500'000'000);
  EXPECT_TRUE(cli::parse_duration("inf", duration_syntax::sigkit).forever);
}

TEST(GnuDurationTest, SpellingsOfOneDurationAgreeExactly) {
  const std::int64_t ns = 1'500'000'000;
  for (const char* spelling : {"1.5", "1500ms", "1500000us", "0.025m", "15e-1", "1.5s", "0.15e1",
                               "150000000000e-11", "0.000416666666666666666666667h"}) {
    if (std::string_view(spelling).back() == 'h') {
      // 1.5 s is not a finite decimal number of hours: rounded up to the next nanosecond
      EXPECT_EQ(ns_of(spelling), ns + 1) << spelling;
    } else {
      EXPECT_EQ(ns_of(spelling), ns) << spelling;
    }
  }
}

// Found by fuzz/parse_duration_fuzzer.cpp: with more than 35 significant digits the dropped
// ones were only rounded up by 1 before the unit's factor, so minutes, hours and days could
// come out a nanosecond short. 0.1000000000888...h is 360.0000003200...0036 s: 360000000321 ns.
TEST(GnuDurationTest, EveryDigitCountsInEveryUnit) {
  const char* hours = "0.100000000088888888888888888888888889999999998880001h";
  const char* seconds = "360.000000320000000000000000000000003999999995968003600";
  EXPECT_EQ(ns_of(hours), 360'000'000'321);
  EXPECT_EQ(ns_of(seconds), 360'000'000'321);
  EXPECT_EQ(ns_of("0.99999999999999999999999999999999999999999m"), 60'000'000'000);
  EXPECT_EQ(ns_of("0.00000000000000000000000000000000000000001d"), 1);
  EXPECT_EQ(ns_of("1" + std::string(60, '0') + "e-60d"), 86'400'000'000'000);
}

// Property test (the invariants the fuzz target checks, on random inputs): a parsed duration
// is zero, positive or forever, never negative; and the same number of nanoseconds written
// in seconds, milliseconds and microseconds, with and without an exponent, parses the same.
TEST(GnuDurationTest, RandomSpellingsAgree) {
  std::mt19937_64 rng(20240611);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible
  std::uniform_int_distribution<std::int64_t> magnitude(0, 15);
  for (int round = 0; round < 5000; ++round) {
    std::int64_t scale = 1;
    const std::int64_t digits = magnitude(rng);
    for (std::int64_t k = 0; k < digits; ++k) {
      scale *= 10;
    }
    const std::int64_t ns = std::uniform_int_distribution<std::int64_t>(0, scale)(rng);
    const std::string s = std::to_string(ns / 1'000'000'000) + "." + fmt_ns(ns % 1'000'000'000, 9);
    const std::string ms = std::to_string(ns / 1'000'000) + "." + fmt_ns(ns % 1'000'000, 6) + "ms";
    const std::string us = std::to_string(ns / 1'000) + "." + fmt_ns(ns % 1'000, 3) + "us";
    const std::string exp = std::to_string(ns) + "e-9";
    const std::string exp_ms = std::to_string(ns) + "e-6ms";
    for (const std::string& spelling : {s, ms, us, exp, exp_ms}) {
      EXPECT_EQ(ns_of(spelling), ns) << spelling;
    }
  }
}

TEST(GnuDurationTest, GarbageNeverCrashesAndNeverGoesNegative) {
  std::mt19937_64 rng(7);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible
  const std::string alphabet = "0123456789.eExXpP+-smhdu inafINF\t,";
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const auto length = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int k = 0; k < length; ++k) {
      text += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    }
    for (const auto syntax :
         {duration_syntax::sigkit, duration_syntax::run, duration_syntax::timeout}) {
      try {
        const auto d = cli::parse_duration(text, syntax);
        EXPECT_TRUE(d.forever || d.ns.count() >= 0) << text;
        EXPECT_FALSE(d.forever && d.ns.count() != 0) << text;
      } catch (const cli::cli_error& e) {
        EXPECT_EQ(e.code(), cli::exit_usage);
        EXPECT_THAT(std::string(e.what()), ::testing::Not(HasSubstr("\n")));
      }
    }
  }
}

TEST(GnuDurationTest, TheLocalesDecimalPointToo) {
  // timeout(1) reads a number in either the current or the C locale. A German locale is
  // compiled for the test (localedef, from the `locales` package's sources) into a temporary
  // directory that LOCPATH points to.
  char dir[] = "/tmp/sigkit-locale-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = dir;
  const std::string compile =
      "localedef -i de_DE -f UTF-8 '" + path + "/de_DE.UTF-8' >/dev/null 2>&1";
  const int rc = std::system(compile.c_str());  // NOLINT(cert-env33-c): localedef is a program
  const auto cleanup = [&] { std::filesystem::remove_all(path); };
  if (rc != 0) {
    cleanup();
    GTEST_SKIP() << "localedef cannot compile de_DE (the locales package is missing)";
  }
  ::setenv("LOCPATH", path.c_str(), 1);
  ::setenv("LC_ALL", "de_DE.UTF-8", 1);
  EXPECT_EQ(ns_of("1,5", duration_syntax::timeout), 1'500'000'000);
  EXPECT_EQ(ns_of("1.5", duration_syntax::timeout), 1'500'000'000);
  EXPECT_EQ(ns_of("0,25ms", duration_syntax::run), 250'000);
  EXPECT_TRUE(rejects("1,5", duration_syntax::sigkit));  // wait/status: '.' only
  ::unsetenv("LC_ALL");
  EXPECT_TRUE(rejects("1,5", duration_syntax::timeout));
  ::unsetenv("LOCPATH");
  cleanup();
}

// ---- signals --------------------------------------------------------------------------------

TEST(SignalParseTest, LeadingZerosAreOneRuleEverywhere) {
  EXPECT_EQ(cli::parse_signal("000000002"), SIGINT);
  EXPECT_EQ(cli::parse_signal("0000000002"), SIGINT);
  EXPECT_EQ(cli::parse_signal("00000000000000000000015"), SIGTERM);
  EXPECT_EQ(cli::parse_signal("SIG032"), 32);
  EXPECT_EQ(cli::parse_signal("sig32"), 32);
  EXPECT_EQ(cli::parse_signal("RTMIN+02"), SIGRTMIN + 2);
  EXPECT_EQ(cli::parse_signal("SIGRTMAX-001"), SIGRTMAX - 1);
  EXPECT_EQ(cli::parse_signal_or_zero("000"), 0);
  EXPECT_EQ(cli::parse_pid("00042"), 42);
  EXPECT_EQ(cli::parse_integer("007", 0, 10, "count"), 7);  // decimal, never octal
  for (const char* bad : {"USR01", "SIGUSR01", "0", "-02", "+2", " 2", "SIG0", "999999999999"}) {
    EXPECT_THROW(cli::parse_signal(bad), cli::cli_error) << bad;
  }
}

TEST(SignalParseTest, TimeoutsOperandToSignal) {
  EXPECT_EQ(cli::parse_timeout_signal("9"), SIGKILL);
  EXPECT_EQ(cli::parse_timeout_signal("KILL"), SIGKILL);
  EXPECT_EQ(cli::parse_timeout_signal("sigkill"), SIGKILL);
  EXPECT_EQ(cli::parse_timeout_signal("SiGtErM"), SIGTERM);
  EXPECT_EQ(cli::parse_timeout_signal("137"), SIGKILL);  // an exit status: 128 + 9
  EXPECT_EQ(cli::parse_timeout_signal("265"), SIGKILL);  // ksh's 256 + 9
  EXPECT_EQ(cli::parse_timeout_signal("0"), 0);
  EXPECT_EQ(cli::parse_timeout_signal("EXIT"), 0);
  EXPECT_EQ(cli::parse_timeout_signal("SIG032"), 32);
  EXPECT_EQ(cli::parse_timeout_signal("0009"), SIGKILL);
  EXPECT_EQ(cli::parse_timeout_signal("IOT"), SIGABRT);
  EXPECT_EQ(cli::parse_timeout_signal("CLD"), SIGCHLD);
  EXPECT_EQ(cli::parse_timeout_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(cli::parse_timeout_signal("RTMIN+1"), SIGRTMIN + 1);
  EXPECT_EQ(cli::parse_timeout_signal("RTMIN1"), SIGRTMIN + 1);  // strtol reads "1"
  EXPECT_EQ(cli::parse_timeout_signal("SIGRTMAX-1"), SIGRTMAX - 1);
  for (const char* bad : {"", "FOO", "65", "-1", " 9", "9 ", "RTMAX1", "RTMIN+", "SIGSIGINT", "SIG",
                          "SIG-1", "99999999999999999999", "USR3"}) {
    try {
      static_cast<void>(cli::parse_timeout_signal(bad));
      ADD_FAILURE() << "accepted " << bad;
    } catch (const cli::cli_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("invalid signal")) << bad;
    }
  }
}

TEST(IntegerParseTest, DecimalWithinRange) {
  EXPECT_EQ(cli::parse_integer("-5", -10, 10, "value"), -5);
  EXPECT_EQ(cli::parse_integer("+5", -10, 10, "value"), 5);
  EXPECT_EQ(cli::parse_integer("2147483647", INT32_MIN, INT32_MAX, "value"), INT32_MAX);
  for (const char* bad :
       {"", "-", "0x10", " 5", "5 ", "11", "-11", "1e3", "99999999999999999999"}) {
    EXPECT_THROW(static_cast<void>(cli::parse_integer(bad, -10, 10, "value")), cli::cli_error)
        << bad;
  }
  try {
    static_cast<void>(cli::parse_integer("", 0, 5, "value"));
  } catch (const cli::cli_error& e) {
    EXPECT_STREQ(e.what(), "invalid value '' (expected a whole number from 0 to 5)");
    EXPECT_EQ(e.code(), cli::exit_usage);
  }
}

// ---- text from outside ------------------------------------------------------------------------

TEST(QuoteTest, EscapesWhatATerminalWouldActOn) {
  EXPECT_EQ(cli::quote("plain"), "'plain'");
  EXPECT_EQ(cli::quote("a\nsigkit: forged"), "'a\\nsigkit: forged'");
  EXPECT_EQ(cli::quote("\x1b[2J"), "'\\x1b[2J'");
  EXPECT_EQ(cli::quote("tab\there\r"), "'tab\\there\\r'");
  EXPECT_EQ(cli::quote("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(cli::quote("\xff\xfe"), "'\\xff\\xfe'");  // not UTF-8
  EXPECT_EQ(cli::quote("\xc2\x9b"
                       "1m"),
            "'\\u{009b}1m'");  // C1 CSI
  EXPECT_EQ(cli::quote("abc\xe2\x80\xae"
                       "def"),
            "'abc\\u{202e}def'");                                                   // bidi override
  EXPECT_EQ(cli::quote("caf\xc3\xa9 \xe2\x9c\x93"), "'caf\xc3\xa9 \xe2\x9c\x93'");  // kept
  EXPECT_EQ(cli::quote("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");     // a surrogate is no character
  EXPECT_EQ(cli::quote("\xc0\x80"), "'\\xc0\\x80'");              // overlong
  EXPECT_EQ(cli::printable("a\\nb\x01\xff"), "a\\nb\\x01\\xff");  // backslashes kept
}

TEST(QuoteTest, PrintErrorIsOneLine) {
  std::ostringstream err;
  cli::print_error(err, "bad\nsecond line\x1b[31m");
  EXPECT_EQ(err.str(), "sigkit: bad\\nsecond line\\x1b[31m\n");
}

// /proc/PID/stat for `run --init`: the fields after the last ')' (a name may hold anything).
// A process group outside pid_t was truncated into one (fuzz/proc_stat_fuzzer.cpp).
TEST(ProcStatParseTest, StateAndGroupAfterTheLastParenthesis) {
  char state = 0;
  pid_t pgrp = 0;
  ASSERT_TRUE(cli::detail::parse_proc_stat("42 (a) b (c)) R 1 43 42 0", state, pgrp));
  EXPECT_EQ(state, 'R');
  EXPECT_EQ(pgrp, 43);
  ASSERT_TRUE(cli::detail::parse_proc_stat("2 (kthreadd) S 0 0 0 0", state, pgrp));
  EXPECT_EQ(pgrp, 0);
  EXPECT_FALSE(cli::detail::parse_proc_stat("5 (x) S 1 4294967338 5", state, pgrp));
  EXPECT_FALSE(cli::detail::parse_proc_stat("5 (x) S 1 -3 5", state, pgrp));
  EXPECT_FALSE(cli::detail::parse_proc_stat("1 (x) S", state, pgrp));
  EXPECT_FALSE(cli::detail::parse_proc_stat("1 x S 1 2", state, pgrp));
}

}  // namespace
