// signal_set: a sigset_t with value semantics.
#include "sigkit/signal_set.hpp"

#include <stdexcept>
#include <string>

namespace sigkit {

signal_set::signal_set() noexcept { ::sigemptyset(&set_); }

signal_set::signal_set(std::initializer_list<signum> signals) : signal_set() {
  for (const signum s : signals) insert(s);
}

signal_set signal_set::from_native(const sigset_t& native) noexcept {
  signal_set result;
  result.set_ = native;
  return result;
}

signal_set signal_set::filled() noexcept {
  signal_set result;
  ::sigfillset(&result.set_);
  return result;
}

bool signal_set::contains(int signalnum) const noexcept {
  if (signalnum < 1 || signalnum >= NSIG) return false;
  return ::sigismember(&set_, signalnum) == 1;
}

void signal_set::insert(signum s) {
  if (::sigaddset(&set_, s.number()) != 0) {
    throw std::invalid_argument("signal " + std::to_string(s.number()) +
                                " is reserved by the system and cannot be put in a set");
  }
}

void signal_set::erase(signum s) noexcept { ::sigdelset(&set_, s.number()); }

void signal_set::clear() noexcept { ::sigemptyset(&set_); }

std::size_t signal_set::size() const noexcept {
  std::size_t count = 0;
  for (int n = 1; n < NSIG; ++n) {
    if (contains(n)) ++count;
  }
  return count;
}

bool signal_set::empty() const noexcept { return next_from(1) == NSIG; }

int signal_set::next_from(int n) const noexcept {
  while (n < NSIG && !contains(n)) ++n;
  return n;
}

signal_set::iterator signal_set::begin() const noexcept { return {this, next_from(1)}; }

signal_set::iterator& signal_set::iterator::operator++() noexcept {
  n_ = set_->next_from(n_ + 1);
  return *this;
}

bool operator==(const signal_set& a, const signal_set& b) noexcept {
  for (int n = 1; n < NSIG; ++n) {
    if (a.contains(n) != b.contains(n)) return false;
  }
  return true;
}

signal_set operator|(const signal_set& a, const signal_set& b) noexcept {
  signal_set r;
  ::sigorset(&r.set_, &a.set_, &b.set_);
  return r;
}

signal_set operator&(const signal_set& a, const signal_set& b) noexcept {
  signal_set r;
  ::sigandset(&r.set_, &a.set_, &b.set_);
  return r;
}

signal_set operator-(const signal_set& a, const signal_set& b) noexcept {
  signal_set r = a;
  for (int n = 1; n < NSIG; ++n) {
    if (b.contains(n)) ::sigdelset(&r.set_, n);
  }
  return r;
}

signal_set valid_signals() noexcept { return signal_set::filled(); }

}  // namespace sigkit
