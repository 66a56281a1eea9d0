// Tests for sigkit/signum.hpp: signum, names, from_name, strsignal, default actions.
#include "sigkit/signum.hpp"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <compare>
#include <csignal>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using sigkit::signum;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return s;
}

// The canonical names of 1..31 on Linux, as `kill -l` prints them.
const std::map<int, std::string>& standard_names() {
  static const std::map<int, std::string> names = {
      {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
      {SIGILL, "SIGILL"},       {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
      {SIGBUS, "SIGBUS"},       {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
      {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
      {SIGSTKFLT, "SIGSTKFLT"}, {SIGCHLD, "SIGCHLD"},     {SIGCONT, "SIGCONT"},
      {SIGSTOP, "SIGSTOP"},     {SIGTSTP, "SIGTSTP"},     {SIGTTIN, "SIGTTIN"},
      {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},       {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"},     {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
      {SIGWINCH, "SIGWINCH"},   {SIGIO, "SIGIO"},         {SIGPWR, "SIGPWR"},
      {SIGSYS, "SIGSYS"},
  };
  return names;
}

// What `kill -l` prints for a real-time number: SIGRTMIN, SIGRTMIN+1..+15, SIGRTMAX-14..-1,
// SIGRTMAX (glibc: 34..49 and 50..64).
std::string expected_rt_name(int n) {
  const int lo = SIGRTMIN;
  const int hi = SIGRTMAX;
  if (n == lo) return "SIGRTMIN";
  if (n == hi) return "SIGRTMAX";
  if (n - lo <= (hi - lo) / 2) return "SIGRTMIN+" + std::to_string(n - lo);
  return "SIGRTMAX-" + std::to_string(hi - n);
}

std::string expected_name(int n) {
  if (n >= SIGRTMIN && n <= SIGRTMAX) return expected_rt_name(n);
  const auto it = standard_names().find(n);
  if (it != standard_names().end()) return it->second;
  return "SIG" + std::to_string(n);
}

static_assert(std::is_convertible_v<int, signum>, "signum(int) is implicit by contract");
static_assert(std::is_convertible_v<signum, int>);

// The signatures API.md fixes.
static_assert(std::is_same_v<decltype(&signum::number), int (signum::*)() const noexcept>);
static_assert(std::is_same_v<decltype(&signum::name), std::string (signum::*)() const>);
static_assert(std::is_same_v<decltype(&signum::from_name), signum (*)(std::string_view)>);
static_assert(std::is_same_v<decltype(&sigkit::strsignal), std::optional<std::string> (*)(int)>);

TEST(SignumTest, AcceptsEveryNumberInRange) {
  for (int n = 1; n < NSIG; ++n) {
    const signum s(n);
    EXPECT_EQ(s.number(), n);
    EXPECT_EQ(static_cast<int>(s), n);
  }
}

TEST(SignumTest, ImplicitConversionFromInt) {
  const signum s = SIGUSR1;
  EXPECT_EQ(s.number(), SIGUSR1);
  const int back = s;
  EXPECT_EQ(back, SIGUSR1);
}

TEST(SignumTest, RejectsOutOfRangeNumbers) {
  for (const int n : {0, -1, -SIGINT, NSIG, NSIG + 1, 65, 1000, INT_MIN, INT_MAX}) {
    EXPECT_THROW(signum{n}, std::invalid_argument) << n;
  }
}

TEST(SignumTest, ReservedNumbersAreValidSignums) {
  EXPECT_EQ(signum(32).number(), 32);
  EXPECT_EQ(signum(33).number(), 33);
}

TEST(SignumTest, ComparesWithSignumAndInt) {
  const signum a(SIGUSR1);
  const signum b(SIGUSR2);
  EXPECT_TRUE(a == signum(SIGUSR1));
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a != b);
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b > a);
  EXPECT_TRUE(a <= a);
  EXPECT_EQ(a <=> b, std::strong_ordering::less);
  EXPECT_EQ(a <=> a, std::strong_ordering::equal);
  EXPECT_TRUE(a == SIGUSR1);
  EXPECT_TRUE(SIGUSR1 == a);
  EXPECT_TRUE(a != SIGUSR2);
  EXPECT_TRUE(a < SIGUSR2);
  EXPECT_TRUE(SIGUSR2 > a);
  EXPECT_EQ(a <=> SIGHUP, std::strong_ordering::greater);
}

TEST(SignumTest, NamesOfStandardSignals) {
  for (const auto& [n, name] : standard_names()) {
    EXPECT_EQ(signum(n).name(), name) << n;
  }
}

TEST(SignumTest, CanonicalNamesNotAliases) {
  EXPECT_EQ(signum(SIGABRT).name(), "SIGABRT");  // not SIGIOT
  EXPECT_EQ(signum(SIGCHLD).name(), "SIGCHLD");  // not SIGCLD
  EXPECT_EQ(signum(SIGIO).name(), "SIGIO");      // not SIGPOLL
}

TEST(SignumTest, NamesOfRealTimeSignals) {
  EXPECT_EQ(signum(SIGRTMIN).name(), "SIGRTMIN");
  EXPECT_EQ(signum(SIGRTMIN + 1).name(), "SIGRTMIN+1");
  EXPECT_EQ(signum(SIGRTMIN + 3).name(), "SIGRTMIN+3");
  EXPECT_EQ(signum(SIGRTMAX - 1).name(), "SIGRTMAX-1");
  EXPECT_EQ(signum(SIGRTMAX).name(), "SIGRTMAX");
  for (int n = SIGRTMIN; n <= SIGRTMAX; ++n) {
    EXPECT_EQ(signum(n).name(), expected_rt_name(n)) << n;
  }
}

#ifdef __GLIBC__
TEST(SignumTest, NamesOfRealTimeSignalsOnGlibc) {
  ASSERT_EQ(SIGRTMIN, 34);
  ASSERT_EQ(SIGRTMAX, 64);
  EXPECT_EQ(signum(34).name(), "SIGRTMIN");
  EXPECT_EQ(signum(49).name(), "SIGRTMIN+15");
  EXPECT_EQ(signum(50).name(), "SIGRTMAX-14");
  EXPECT_EQ(signum(63).name(), "SIGRTMAX-1");
  EXPECT_EQ(signum(64).name(), "SIGRTMAX");
}

TEST(SignumTest, NamesOfReservedNumbers) {
  EXPECT_EQ(signum(32).name(), "SIG32");
  EXPECT_EQ(signum(33).name(), "SIG33");
}
#endif

TEST(SignumTest, NamesMatchKillDashL) {
  if (::access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "no /bin/bash";
  FILE* p = ::popen("/bin/bash -c 'kill -l'", "r");  // NOLINT(cert-env33-c)
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ASSERT_EQ(::pclose(p), 0);
  // Lines look like " 1) SIGHUP\t 2) SIGINT ...".
  std::istringstream in(out);
  std::string token;
  int number = 0;
  int checked = 0;
  while (in >> token) {
    if (!token.empty() && token.back() == ')') {
      number = std::stoi(token.substr(0, token.size() - 1));
      continue;
    }
    ASSERT_GT(number, 0) << token;
    EXPECT_EQ(signum(number).name(), token) << number;
    EXPECT_EQ(signum::from_name(token).number(), number) << token;
    ++checked;
    number = 0;
  }
  EXPECT_GE(checked, 62);
}

TEST(SignumTest, FromNameAcceptsSpellings) {
  EXPECT_EQ(signum::from_name("SIGINT"), SIGINT);
  EXPECT_EQ(signum::from_name("INT"), SIGINT);
  EXPECT_EQ(signum::from_name("sigint"), SIGINT);
  EXPECT_EQ(signum::from_name("int"), SIGINT);
  EXPECT_EQ(signum::from_name("SiGiNt"), SIGINT);
  EXPECT_EQ(signum::from_name("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(signum::from_name("usr2"), SIGUSR2);
  EXPECT_EQ(signum::from_name("SIGSTKFLT"), SIGSTKFLT);
  EXPECT_EQ(signum::from_name("VTALRM"), SIGVTALRM);
}

TEST(SignumTest, FromNameAcceptsAliases) {
  EXPECT_EQ(signum::from_name("SIGIOT"), SIGABRT);
  EXPECT_EQ(signum::from_name("IOT"), SIGABRT);
  EXPECT_EQ(signum::from_name("sigiot"), SIGABRT);
  EXPECT_EQ(signum::from_name("SIGCLD"), SIGCHLD);
  EXPECT_EQ(signum::from_name("cld"), SIGCHLD);
  EXPECT_EQ(signum::from_name("SIGPOLL"), SIGIO);
  EXPECT_EQ(signum::from_name("Poll"), SIGIO);
}

TEST(SignumTest, FromNameAcceptsDecimalNumbers) {
  EXPECT_EQ(signum::from_name("2"), SIGINT);
  EXPECT_EQ(signum::from_name("1"), 1);
  EXPECT_EQ(signum::from_name("32"), 32);
  for (int n = 1; n < NSIG; ++n) {
    EXPECT_EQ(signum::from_name(std::to_string(n)), n) << n;
  }
}

TEST(SignumTest, FromNameAcceptsRealTimeForms) {
  EXPECT_EQ(signum::from_name("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(signum::from_name("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(signum::from_name("rtmax-1"), SIGRTMAX - 1);
  EXPECT_EQ(signum::from_name("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(signum::from_name("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(signum::from_name("SIGRTMIN+0"), SIGRTMIN);
  EXPECT_EQ(signum::from_name("SIGRTMAX"), SIGRTMAX);
  EXPECT_EQ(signum::from_name("sigrtmax"), SIGRTMAX);
  // Both forms for every real-time number.
  for (int n = SIGRTMIN; n <= SIGRTMAX; ++n) {
    const std::string plus = "SIGRTMIN+" + std::to_string(n - SIGRTMIN);
    const std::string minus = "SIGRTMAX-" + std::to_string(SIGRTMAX - n);
    EXPECT_EQ(signum::from_name(plus), n) << plus;
    EXPECT_EQ(signum::from_name(minus), n) << minus;
    EXPECT_EQ(signum::from_name(lower(plus.substr(3))), n) << plus;
    EXPECT_EQ(signum::from_name(lower(minus.substr(3))), n) << minus;
  }
}

TEST(SignumTest, FromNameAcceptsReservedNames) {
  EXPECT_EQ(signum::from_name("SIG32"), 32);
  EXPECT_EQ(signum::from_name("SIG33"), 33);
  EXPECT_EQ(signum::from_name("sig32"), 32);
}

TEST(SignumTest, FromNameRoundTripsEveryName) {
  for (int n = 1; n < NSIG; ++n) {
    const std::string name = signum(n).name();
    EXPECT_EQ(name, expected_name(n)) << n;
    EXPECT_EQ(signum::from_name(name), n) << name;
    EXPECT_EQ(signum::from_name(lower(name)), n) << name;
    if (name.rfind("SIG", 0) == 0 && (name[3] < '0' || name[3] > '9')) {
      EXPECT_EQ(signum::from_name(name.substr(3)), n) << name;
    }
  }
}

TEST(SignumTest, FromNameRejectsWhitespace) {
  for (const std::string_view text : {" SIGINT", "SIGINT ", "SIG INT", "\tINT", "INT\n", " 2", "2 ",
                                      "SIGRTMIN +1", "SIGRTMIN+ 1", "SIGRTMIN+1 "}) {
    EXPECT_THROW(signum::from_name(text), std::invalid_argument) << '"' << text << '"';
  }
}

TEST(SignumTest, FromNameRejectsSigns) {
  for (const std::string_view text : {"+2", "-2", "-0", "+0", "SIGRTMIN+-1", "SIGRTMIN++1",
                                      "SIGRTMAX--1", "SIGRTMAX-+1", "SIG+2", "+INT", "-INT"}) {
    EXPECT_THROW(signum::from_name(text), std::invalid_argument) << '"' << text << '"';
  }
}

TEST(SignumTest, FromNameRejectsOutOfRangeNumbers) {
  for (const std::string_view text :
       {"0", "65", "1000", "4294967298", "18446744073709551618", "99999999999999999999999"}) {
    EXPECT_THROW(signum::from_name(text), std::invalid_argument) << '"' << text << '"';
  }
  EXPECT_THROW(signum::from_name(std::to_string(NSIG)), std::invalid_argument);
}

TEST(SignumTest, FromNameRejectsRealTimeOutOfRange) {
  const std::string above = "SIGRTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN + 1);
  const std::string below = "SIGRTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN + 1);
  for (const std::string& text :
       {above, below, std::string("SIGRTMIN-1"), std::string("SIGRTMAX+1"),
        std::string("SIGRTMIN+"), std::string("SIGRTMAX-"), std::string("SIGRTMIN+x"),
        std::string("SIGRTMIN+1x"), std::string("RTMIN+99999999999999999999")}) {
    EXPECT_THROW(signum::from_name(text), std::invalid_argument) << '"' << text << '"';
  }
}

TEST(SignumTest, FromNameRejectsJunk) {
  for (const std::string_view text :
       {"",      "SIG",       "sig",       "SIGFOO",     "FOO",   "SIGINTX", "INTX",
        "XINT",  "SIG_DFL",   "SIG_IGN",   "SIG_BLOCK",  "NSIG",  "2x",      "0x2",
        "1e1",   "2.0",       "SIGSIGINT", "SIG0",       "SIG65", "SIG-1",   "RT",
        "SIGRT", "SIGRTMIN3", "SIGRTMID",  "SIGINT\x01", "\xff"}) {
    EXPECT_THROW(signum::from_name(text), std::invalid_argument) << '"' << text << '"';
  }
  // An embedded NUL is not the end of the name.
  EXPECT_THROW(signum::from_name(std::string_view("INT\0", 4)), std::invalid_argument);
  EXPECT_THROW(signum::from_name(std::string_view("2\0", 2)), std::invalid_argument);
}

TEST(SignumTest, FromNameRejectsNumericFormOfNamedSignals) {
  // "SIG32" is accepted because name() produces it; name(2) is "SIGINT", so "SIG2" is not a
  // name of anything ("nothing else", API.md "Names").
  EXPECT_THROW(signum::from_name("SIG2"), std::invalid_argument);
  EXPECT_THROW(signum::from_name("SIG10"), std::invalid_argument);
  EXPECT_THROW(signum::from_name("SIG34"), std::invalid_argument);
}

TEST(SignumTest, FromNameUsesOnlyTheGivenView) {
  // A string_view into a longer buffer: only the viewed part counts.
  const std::string buffer = "SIGUSR1SIGUSR2";
  EXPECT_EQ(signum::from_name(std::string_view(buffer).substr(0, 7)), SIGUSR1);
  const std::string digits = "123";
  EXPECT_EQ(signum::from_name(std::string_view(digits).substr(0, 1)), 1);
}

TEST(SignumTest, StrsignalDescribesSignals) {
  EXPECT_EQ(sigkit::strsignal(SIGHUP), "Hangup");
  EXPECT_EQ(sigkit::strsignal(SIGINT), "Interrupt");
  EXPECT_EQ(sigkit::strsignal(SIGKILL), "Killed");
  EXPECT_EQ(sigkit::strsignal(SIGTERM), "Terminated");
  EXPECT_EQ(sigkit::strsignal(SIGSTOP), "Stopped (signal)");
  EXPECT_EQ(sigkit::strsignal(SIGALRM), "Alarm clock");
  EXPECT_EQ(sigkit::strsignal(SIGSTKFLT), "Stack fault");
  EXPECT_EQ(sigkit::strsignal(SIGPWR), "Power failure");
  EXPECT_EQ(sigkit::strsignal(SIGSYS), "Bad system call");
}

TEST(SignumTest, StrsignalDescribesRealTimeSignals) {
  EXPECT_EQ(sigkit::strsignal(SIGRTMIN), "Real-time signal 0");
  EXPECT_EQ(sigkit::strsignal(SIGRTMIN + 1), "Real-time signal 1");
  EXPECT_EQ(sigkit::strsignal(SIGRTMAX), "Real-time signal " + std::to_string(SIGRTMAX - SIGRTMIN));
}

TEST(SignumTest, StrsignalHasNoDescriptionForReservedNumbers) {
  EXPECT_EQ(sigkit::strsignal(32), std::nullopt);
  EXPECT_EQ(sigkit::strsignal(33), std::nullopt);
}

TEST(SignumTest, StrsignalDescribesEveryValidSignal) {
  for (int n = 1; n < NSIG; ++n) {
    if (n == 32 || n == 33) continue;
    const std::optional<std::string> text = sigkit::strsignal(n);
    ASSERT_TRUE(text.has_value()) << n;
    EXPECT_FALSE(text->empty()) << n;
    EXPECT_EQ(text->find("Unknown signal"), std::string::npos) << n;
  }
}

TEST(SignumTest, StrsignalRejectsOutOfRange) {
  for (const int n : {0, -1, NSIG, 1000, INT_MIN, INT_MAX}) {
    EXPECT_THROW(static_cast<void>(sigkit::strsignal(n)), std::invalid_argument) << n;
  }
}

TEST(SignumTest, DefaultActions) {
  using sigkit::default_action;
  using sigkit::default_action_of;
  EXPECT_EQ(default_action_of(SIGTERM), default_action::terminate);
  EXPECT_EQ(default_action_of(SIGUSR1), default_action::terminate);
  EXPECT_EQ(default_action_of(SIGALRM), default_action::terminate);
  EXPECT_EQ(default_action_of(SIGKILL), default_action::terminate);
  EXPECT_EQ(default_action_of(SIGRTMIN), default_action::terminate);
  EXPECT_EQ(default_action_of(SIGSEGV), default_action::core);
  EXPECT_EQ(default_action_of(SIGQUIT), default_action::core);
  EXPECT_EQ(default_action_of(SIGABRT), default_action::core);
  EXPECT_EQ(default_action_of(SIGSTOP), default_action::stop);
  EXPECT_EQ(default_action_of(SIGTSTP), default_action::stop);
  EXPECT_EQ(default_action_of(SIGTTIN), default_action::stop);
  EXPECT_EQ(default_action_of(SIGCONT), default_action::cont);
  EXPECT_EQ(default_action_of(SIGCHLD), default_action::ignore);
  EXPECT_EQ(default_action_of(SIGURG), default_action::ignore);
  EXPECT_EQ(default_action_of(SIGWINCH), default_action::ignore);
}

TEST(SignumTest, DefaultActionNames) {
  using sigkit::default_action;
  EXPECT_STREQ(sigkit::to_string(default_action::terminate), "term");
  EXPECT_STREQ(sigkit::to_string(default_action::core), "core");
  EXPECT_STREQ(sigkit::to_string(default_action::stop), "stop");
  EXPECT_STREQ(sigkit::to_string(default_action::cont), "cont");
  EXPECT_STREQ(sigkit::to_string(default_action::ignore), "ignore");
}

}  // namespace
