// Tests for sigkit/signal_set.hpp: signal_set and valid_signals().
#include "sigkit/signal_set.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <iterator>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using sigkit::signal_set;
using sigkit::signum;

static_assert(std::forward_iterator<signal_set::iterator>);
static_assert(std::ranges::forward_range<const signal_set>);
static_assert(std::is_same_v<std::iter_value_t<signal_set::iterator>, signum>);

// The signatures API.md fixes.
static_assert(std::is_same_v<decltype(sigkit::valid_signals()), signal_set>);
static_assert(
    std::is_same_v<decltype(signal_set::from_native(std::declval<const sigset_t&>())), signal_set>);
static_assert(
    std::is_same_v<decltype(std::declval<const signal_set&>().native()), const sigset_t&>);
static_assert(std::is_same_v<decltype(std::declval<const signal_set&>().contains(1)), bool>);
static_assert(std::is_same_v<decltype(std::declval<const signal_set&>().size()), std::size_t>);
static_assert(std::is_same_v<decltype(std::declval<const signal_set&>().empty()), bool>);
static_assert(std::is_same_v<decltype(std::declval<signal_set&>().insert(signum(1))), void>);
static_assert(std::is_same_v<decltype(std::declval<signal_set&>().erase(signum(1))), void>);
static_assert(
    std::is_same_v<decltype(std::declval<const signal_set&>() | std::declval<const signal_set&>()),
                   signal_set>);
static_assert(
    std::is_same_v<decltype(std::declval<const signal_set&>() & std::declval<const signal_set&>()),
                   signal_set>);
static_assert(
    std::is_same_v<decltype(std::declval<const signal_set&>() - std::declval<const signal_set&>()),
                   signal_set>);

std::vector<int> members(const signal_set& set) {
  std::vector<int> out;
  for (const signum s : set) out.push_back(s.number());
  return out;
}

std::vector<int> valid_numbers() {
  std::vector<int> out;
  for (int n = 1; n < NSIG; ++n) {
    if (n < 32 || (n >= SIGRTMIN && n <= SIGRTMAX)) out.push_back(n);
  }
  return out;
}

TEST(SignalSetTest, DefaultIsEmpty) {
  const signal_set set;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.size(), 0U);
  EXPECT_EQ(set.begin(), set.end());
  for (int n = 1; n < NSIG; ++n) EXPECT_FALSE(set.contains(n)) << n;
  sigset_t native;
  sigemptyset(&native);
  for (int n = 1; n < NSIG; ++n) {
    EXPECT_EQ(sigismember(&set.native(), n), sigismember(&native, n)) << n;
  }
}

TEST(SignalSetTest, InitializerList) {
  const signal_set set{SIGINT, SIGTERM};
  EXPECT_FALSE(set.empty());
  EXPECT_EQ(set.size(), 2U);
  EXPECT_TRUE(set.contains(SIGINT));
  EXPECT_TRUE(set.contains(SIGTERM));
  EXPECT_FALSE(set.contains(SIGUSR1));
  EXPECT_EQ(members(set), (std::vector<int>{SIGINT, SIGTERM}));
}

TEST(SignalSetTest, InitializerListWithDuplicates) {
  const signal_set set{SIGUSR1, SIGUSR1, SIGUSR2};
  EXPECT_EQ(set.size(), 2U);
}

TEST(SignalSetTest, InitializerListRejectsReservedNumbers) {
  EXPECT_THROW((signal_set{signum(32)}), std::invalid_argument);
  EXPECT_THROW((signal_set{SIGUSR1, 33}), std::invalid_argument);
}

TEST(SignalSetTest, InitializerListRejectsOutOfRangeNumbers) {
  // The number is validated when it becomes a signum.
  EXPECT_THROW((signal_set{SIGUSR1, 0}), std::invalid_argument);
  EXPECT_THROW((signal_set{NSIG}), std::invalid_argument);
}

TEST(SignalSetTest, InsertAndErase) {
  signal_set set;
  set.insert(SIGUSR1);
  EXPECT_TRUE(set.contains(SIGUSR1));
  EXPECT_EQ(set.size(), 1U);
  set.insert(SIGUSR1);  // idempotent
  EXPECT_EQ(set.size(), 1U);
  set.insert(SIGRTMAX);
  set.insert(SIGHUP);
  EXPECT_EQ(set.size(), 3U);
  set.erase(SIGUSR1);
  EXPECT_FALSE(set.contains(SIGUSR1));
  EXPECT_EQ(set.size(), 2U);
  set.erase(SIGUSR1);  // erasing an absent member is a no-op
  EXPECT_EQ(set.size(), 2U);
  set.erase(SIGUSR2);
  EXPECT_EQ(set.size(), 2U);
  EXPECT_EQ(members(set), (std::vector<int>{SIGHUP, SIGRTMAX}));
}

TEST(SignalSetTest, InsertRejectsReservedNumbers) {
  signal_set set{SIGUSR1};
  EXPECT_THROW(set.insert(32), std::invalid_argument);
  EXPECT_THROW(set.insert(33), std::invalid_argument);
  EXPECT_EQ(set, signal_set{SIGUSR1});
  EXPECT_FALSE(set.contains(32));
  EXPECT_FALSE(set.contains(33));
}

TEST(SignalSetTest, EraseReservedNumberIsHarmless) {
  signal_set set{SIGUSR1};
  set.erase(32);
  set.erase(33);
  EXPECT_EQ(set, signal_set{SIGUSR1});
}

TEST(SignalSetTest, Clear) {
  signal_set set{SIGUSR1, SIGUSR2, SIGRTMIN};
  set.clear();
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set, signal_set{});
}

TEST(SignalSetTest, ContainsIsFalseOutOfRange) {
  const signal_set full = signal_set::filled();
  for (const int n : {0, -1, -2, NSIG, NSIG + 1, 128, 1000, INT_MIN, INT_MAX, 32, 33}) {
    EXPECT_FALSE(full.contains(n)) << n;
    EXPECT_FALSE(signal_set{}.contains(n)) << n;
  }
}

TEST(SignalSetTest, IteratesInAscendingOrder) {
  signal_set set;
  for (const int n : {SIGRTMAX, SIGUSR2, SIGRTMIN + 1, SIGHUP, SIGSYS, SIGRTMIN, SIGALRM}) {
    set.insert(n);
  }
  const std::vector<int> got = members(set);
  EXPECT_EQ(got,
            (std::vector<int>{SIGHUP, SIGUSR2, SIGALRM, SIGSYS, SIGRTMIN, SIGRTMIN + 1, SIGRTMAX}));
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  EXPECT_EQ(std::ranges::distance(set), 7);
  EXPECT_EQ(*set.begin(), SIGHUP);
}

TEST(SignalSetTest, IteratorPostIncrement) {
  const signal_set set{SIGUSR1, SIGUSR2};
  auto it = set.begin();
  const auto old = it++;
  EXPECT_EQ(*old, SIGUSR1);
  EXPECT_EQ(*it, SIGUSR2);
  ++it;
  EXPECT_EQ(it, set.end());
}

TEST(SignalSetTest, IteratesFullSet) { EXPECT_EQ(members(signal_set::filled()), valid_numbers()); }

TEST(SignalSetTest, Equality) {
  EXPECT_EQ((signal_set{SIGUSR1, SIGUSR2}), (signal_set{SIGUSR2, SIGUSR1}));
  EXPECT_NE((signal_set{SIGUSR1}), (signal_set{SIGUSR2}));
  EXPECT_NE((signal_set{SIGUSR1}), (signal_set{SIGUSR1, SIGUSR2}));
  EXPECT_EQ(signal_set{}, signal_set{});
  signal_set built;
  built.insert(SIGRTMIN);
  EXPECT_EQ(built, signal_set{SIGRTMIN});
  built.erase(SIGRTMIN);
  EXPECT_EQ(built, signal_set{});
}

TEST(SignalSetTest, Union) {
  const signal_set a{SIGUSR1, SIGALRM};
  const signal_set b{SIGUSR2, SIGALRM, SIGRTMAX};
  EXPECT_EQ(a | b, (signal_set{SIGUSR1, SIGUSR2, SIGALRM, SIGRTMAX}));
  EXPECT_EQ(a | signal_set{}, a);
  EXPECT_EQ(a | signal_set::filled(), signal_set::filled());
  signal_set c = a;
  c |= b;
  EXPECT_EQ(c, a | b);
}

TEST(SignalSetTest, Intersection) {
  const signal_set a{SIGUSR1, SIGALRM, SIGRTMIN};
  const signal_set b{SIGUSR2, SIGALRM, SIGRTMIN};
  EXPECT_EQ(a & b, (signal_set{SIGALRM, SIGRTMIN}));
  EXPECT_EQ(a & signal_set{}, signal_set{});
  EXPECT_EQ(a & signal_set::filled(), a);
  EXPECT_TRUE((signal_set{SIGUSR1} & signal_set{SIGUSR2}).empty());
  signal_set c = a;
  c &= b;
  EXPECT_EQ(c, a & b);
}

TEST(SignalSetTest, Difference) {
  const signal_set a{SIGUSR1, SIGALRM, SIGRTMIN};
  const signal_set b{SIGUSR2, SIGALRM};
  EXPECT_EQ(a - b, (signal_set{SIGUSR1, SIGRTMIN}));
  EXPECT_EQ(b - a, (signal_set{SIGUSR2}));
  EXPECT_EQ(a - signal_set{}, a);
  EXPECT_EQ(a - a, signal_set{});
  EXPECT_EQ(signal_set{} - a, signal_set{});
  const signal_set rest = signal_set::filled() - a;
  EXPECT_EQ(rest.size(), signal_set::filled().size() - 3);
  EXPECT_FALSE(rest.contains(SIGUSR1));
  signal_set c = a;
  c -= b;
  EXPECT_EQ(c, a - b);
}

TEST(SignalSetTest, OperandsUnchanged) {
  const signal_set a{SIGUSR1};
  const signal_set b{SIGUSR2};
  static_cast<void>(a | b);
  static_cast<void>(a & b);
  static_cast<void>(a - b);
  EXPECT_EQ(a, signal_set{SIGUSR1});
  EXPECT_EQ(b, signal_set{SIGUSR2});
}

TEST(SignalSetTest, CopiesAreIndependent) {
  signal_set a{SIGUSR1};
  signal_set b = a;
  b.insert(SIGUSR2);
  EXPECT_EQ(a.size(), 1U);
  EXPECT_EQ(b.size(), 2U);
  a = b;
  b.clear();
  EXPECT_EQ(a.size(), 2U);
}

TEST(SignalSetTest, FromNative) {
  sigset_t native;
  sigemptyset(&native);
  sigaddset(&native, SIGUSR1);
  sigaddset(&native, SIGRTMIN + 2);
  sigaddset(&native, SIGRTMAX);
  const signal_set set = signal_set::from_native(native);
  EXPECT_EQ(members(set), (std::vector<int>{SIGUSR1, SIGRTMIN + 2, SIGRTMAX}));
  EXPECT_EQ(set.size(), 3U);
}

TEST(SignalSetTest, ToNative) {
  const signal_set set{SIGUSR2, SIGALRM, SIGRTMIN};
  const sigset_t& native = set.native();
  for (int n = 1; n < NSIG; ++n) {
    EXPECT_EQ(sigismember(&native, n) == 1, n == SIGUSR2 || n == SIGALRM || n == SIGRTMIN) << n;
  }
  EXPECT_EQ(signal_set::from_native(native), set);
}

TEST(SignalSetTest, FromFilledNativeIsValidSignals) {
  sigset_t native;
  sigfillset(&native);
  EXPECT_EQ(signal_set::from_native(native), sigkit::valid_signals());
}

TEST(SignalSetTest, NativeIsUsableByTheOs) {
  const signal_set set{SIGUSR1, SIGRTMIN + 4};
  sigset_t old;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &set.native(), &old), 0);
  sigset_t now;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &now), 0);
  EXPECT_EQ(sigismember(&now, SIGUSR1), 1);
  EXPECT_EQ(sigismember(&now, SIGRTMIN + 4), 1);
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
}

TEST(SignalSetTest, FilledIsValidSignals) {
  EXPECT_EQ(signal_set::filled(), sigkit::valid_signals());
}

TEST(SignalSetTest, ValidSignals) {
  const signal_set valid = sigkit::valid_signals();
  EXPECT_EQ(members(valid), valid_numbers());
  EXPECT_TRUE(valid.contains(SIGINT));
  EXPECT_TRUE(valid.contains(SIGALRM));
  EXPECT_TRUE(valid.contains(SIGKILL));
  EXPECT_TRUE(valid.contains(SIGSTOP));
  EXPECT_TRUE(valid.contains(SIGRTMIN));
  EXPECT_TRUE(valid.contains(SIGRTMAX));
  EXPECT_FALSE(valid.contains(0));
  EXPECT_FALSE(valid.contains(NSIG));
  EXPECT_LT(valid.size(), static_cast<std::size_t>(NSIG));
}

#ifdef __GLIBC__
TEST(SignalSetTest, ValidSignalsOnGlibc) {
  const signal_set valid = sigkit::valid_signals();
  EXPECT_EQ(valid.size(), 62U);
  EXPECT_FALSE(valid.contains(32));
  EXPECT_FALSE(valid.contains(33));
  for (int n = 1; n <= 31; ++n) EXPECT_TRUE(valid.contains(n)) << n;
  for (int n = 34; n <= 64; ++n) EXPECT_TRUE(valid.contains(n)) << n;
}
#endif

TEST(SignalSetTest, EveryValidSignalCanBeInserted) {
  signal_set set;
  for (const signum s : sigkit::valid_signals()) set.insert(s);
  EXPECT_EQ(set, sigkit::valid_signals());
  for (const signum s : sigkit::valid_signals()) set.erase(s);
  EXPECT_TRUE(set.empty());
}

}  // namespace
