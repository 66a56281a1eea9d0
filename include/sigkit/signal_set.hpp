// sigkit/signal_set.hpp - a set of signals that wraps sigset_t (on Windows: a bit mask).
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>

#include "sigkit/signum.hpp"

namespace sigkit {

/// A set of signals (Python: a `set` of `Signals`), a thin wrapper over `sigset_t`.
/// Iteration yields the members as `signum` in ascending order.
/// Thread safety: a value type. Signal safety: every member function except the
/// throwing ones (constructor from a list, insert) is async-signal-safe.
class signal_set {
 public:
  /// A forward iterator over the members, in ascending order; it yields `signum` by value.
  /// Invalidated when the set it iterates is changed or destroyed.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;  ///< a forward iterator
    using value_type = signum;                            ///< the members are `signum`s
    using difference_type = std::ptrdiff_t;               ///< as for any iterator
    using pointer = void;                                 ///< members are yielded by value
    using reference = signum;                             ///< members are yielded by value

    /// A singular iterator (only assignable and comparable).
    iterator() = default;
    /// The member this iterator is at.
    signum operator*() const noexcept { return signum(signum::unchecked_t{}, n_); }
    /// Moves to the next member (or to end()).
    iterator& operator++() noexcept;
    /// Moves to the next member and returns the iterator as it was before.
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++*this;
      return old;
    }
    /// True if both are at the same member (or both at the end).
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.n_ == b.n_; }

   private:
    friend class signal_set;
    iterator(const signal_set* set, int n) noexcept : set_(set), n_(n) {}
    const signal_set* set_ = nullptr;
    int n_ = NSIG;
  };

  /// The empty set.
  signal_set() noexcept;
  /// {SIGINT, SIGTERM}. Errors: std::invalid_argument for a reserved number (32, 33; on
  /// Windows any number but the seven of valid_signals()).
  signal_set(std::initializer_list<signum> signals);

#ifndef _WIN32
  /// Wraps a native set as it is. Signal safety: async-signal-safe.
  static signal_set from_native(const sigset_t& native) noexcept;
#endif
  /// Every signal that may be put in a set (the same as valid_signals()).
  static signal_set filled() noexcept;
#ifndef _WIN32
  /// The wrapped `sigset_t`, for calls into the OS. Signal safety: async-signal-safe.
  [[nodiscard]] const sigset_t& native() const noexcept { return set_; }
#endif

  /// False for any number that is not in the set, including out-of-range numbers.
  [[nodiscard]] bool contains(int signalnum) const noexcept;
  /// Errors: std::invalid_argument for a number the OS reserves (glibc's 32 and 33; on
  /// Windows any number but the seven of valid_signals()).
  void insert(signum s);
  /// Removes `s` (nothing happens if it is not a member).
  void erase(signum s) noexcept;
  /// Removes every member.
  void clear() noexcept;
  /// The number of members.
  [[nodiscard]] std::size_t size() const noexcept;
  /// True if the set has no member.
  [[nodiscard]] bool empty() const noexcept;

  /// The first member in ascending order (end() if the set is empty).
  [[nodiscard]] iterator begin() const noexcept;
  /// Past the last member.
  [[nodiscard]] iterator end() const noexcept { return {this, NSIG}; }

  /// True if both sets have the same members.
  friend bool operator==(const signal_set& a, const signal_set& b) noexcept;
  /// The union: the signals in `a`, in `b` or in both.
  friend signal_set operator|(const signal_set& a, const signal_set& b) noexcept;
  /// The intersection: the signals in both `a` and `b`.
  friend signal_set operator&(const signal_set& a, const signal_set& b) noexcept;
  /// The difference: the signals in `a` that are not in `b`.
  friend signal_set operator-(const signal_set& a, const signal_set& b) noexcept;
  /// Adds the members of `other` (union).
  signal_set& operator|=(const signal_set& other) noexcept { return *this = *this | other; }
  /// Keeps only the members that are also in `other` (intersection).
  signal_set& operator&=(const signal_set& other) noexcept { return *this = *this & other; }
  /// Removes the members of `other` (difference).
  signal_set& operator-=(const signal_set& other) noexcept { return *this = *this - other; }

 private:
  int next_from(int n) const noexcept;  // first member >= n, or NSIG
#ifdef _WIN32
  std::uint32_t set_ = 0;  // signal s is bit s (Windows has no sigset_t; NSIG is 23)
#else
  sigset_t set_;
#endif
};

/// Every signal number the OS accepts in a set: 1..31 and SIGRTMIN..SIGRTMAX on glibc; on
/// Windows SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK and SIGABRT (Python's set).
/// Thread safety: safe. Signal safety: async-signal-safe.
signal_set valid_signals() noexcept;

}  // namespace sigkit
