// signal_set (Windows): a bit mask (signal s is bit s), since Windows has no sigset_t. Only
// the C runtime's seven signals may be members, as only they exist (Python's valid_signals()).
#include "sigkit/signal_set.hpp"

#include <bit>
#include <stdexcept>
#include <string>

namespace sigkit {
namespace {

constexpr std::uint32_t bit_of(int s) noexcept { return std::uint32_t{1} << s; }

constexpr std::uint32_t kValid = bit_of(SIGINT) | bit_of(SIGILL) | bit_of(SIGFPE) |
                                 bit_of(SIGSEGV) | bit_of(SIGTERM) | bit_of(SIGBREAK) |
                                 bit_of(SIGABRT);
static_assert(NSIG <= 32, "a Windows signal set is one 32-bit word");

}  // namespace

signal_set::signal_set() noexcept = default;

signal_set::signal_set(std::initializer_list<signum> signals) : signal_set() {
  for (const signum s : signals) insert(s);
}

signal_set signal_set::filled() noexcept {
  signal_set result;
  result.set_ = kValid;
  return result;
}

bool signal_set::contains(int signalnum) const noexcept {
  if (signalnum < 1 || signalnum >= NSIG) return false;
  return (set_ & bit_of(signalnum)) != 0;
}

void signal_set::insert(signum s) {
  if ((kValid & bit_of(s.number())) == 0) {
    throw std::invalid_argument("signal " + std::to_string(s.number()) +
                                " does not exist on Windows and cannot be put in a set");
  }
  set_ |= bit_of(s.number());
}

void signal_set::erase(signum s) noexcept { set_ &= ~bit_of(s.number()); }

void signal_set::clear() noexcept { set_ = 0; }

std::size_t signal_set::size() const noexcept {
  return static_cast<std::size_t>(std::popcount(set_));
}

bool signal_set::empty() const noexcept { return set_ == 0; }

int signal_set::next_from(int n) const noexcept {
  while (n < NSIG && !contains(n)) ++n;
  return n;
}

signal_set::iterator signal_set::begin() const noexcept { return {this, next_from(1)}; }

signal_set::iterator& signal_set::iterator::operator++() noexcept {
  n_ = set_->next_from(n_ + 1);
  return *this;
}

bool operator==(const signal_set& a, const signal_set& b) noexcept { return a.set_ == b.set_; }

signal_set operator|(const signal_set& a, const signal_set& b) noexcept {
  signal_set r;
  r.set_ = a.set_ | b.set_;
  return r;
}

signal_set operator&(const signal_set& a, const signal_set& b) noexcept {
  signal_set r;
  r.set_ = a.set_ & b.set_;
  return r;
}

signal_set operator-(const signal_set& a, const signal_set& b) noexcept {
  signal_set r;
  r.set_ = a.set_ & ~b.set_;
  return r;
}

signal_set valid_signals() noexcept { return signal_set::filled(); }

}  // namespace sigkit
