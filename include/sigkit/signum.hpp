// sigkit/signum.hpp - a validated signal number and the signal catalogue.
#pragma once

#include <compare>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>

namespace sigkit {

/// A validated signal number in 1..NSIG-1 (Python: `signal.Signals`).
/// Thread safety: a value type; distinct objects may be used from any thread.
/// Signal safety: construction and number() are async-signal-safe; name() is not.
class signum {
 public:
  /// Validates `n`. Errors: std::invalid_argument unless 1 <= n < NSIG.
  signum(int n);  // NOLINT(google-explicit-constructor): implicit by contract

  /// The signal number. Signal safety: async-signal-safe.
  [[nodiscard]] int number() const noexcept { return n_; }
  /// The signal number, so that a signum can be passed where an int is expected.
  operator int() const noexcept { return n_; }  // NOLINT(google-explicit-constructor)

  /// Canonical name: "SIGINT", "SIGABRT", "SIGRTMIN+3", "SIGRTMAX-1", "SIG32".
  /// Thread safety: safe. Signal safety: not async-signal-safe (allocates).
  [[nodiscard]] std::string name() const;

  /// Parses "SIGINT", "INT", "sigint", "SIGIOT", "SIGRTMIN+3", "RTMAX-2", "SIG32", "2".
  /// Thread safety: safe. Signal safety: not async-signal-safe.
  /// Errors: std::invalid_argument for anything else (whitespace, signs, unknown names).
  static signum from_name(std::string_view text);

  /// Compares the numbers.
  friend bool operator==(signum a, signum b) noexcept { return a.n_ == b.n_; }
  /// Orders by number.
  friend std::strong_ordering operator<=>(signum a, signum b) noexcept { return a.n_ <=> b.n_; }
  /// Compares the number with a plain int.
  friend bool operator==(signum a, int b) noexcept { return a.n_ == b; }
  /// Orders the number against a plain int.
  friend std::strong_ordering operator<=>(signum a, int b) noexcept { return a.n_ <=> b; }

 private:
  struct unchecked_t {};
  constexpr signum(unchecked_t /*tag*/, int n) noexcept : n_(n) {}
  friend class signal_set;
  int n_;
};

/// The system's description of a signal ("Interrupt"), or nullopt when it has none
/// (glibc's reserved 32 and 33). On Windows, Python's fixed table: "Interrupt", "Illegal
/// instruction", "Aborted", "Floating-point exception", "Segmentation fault", "Terminated";
/// nullopt for anything else (SIGBREAK too, as in Python).
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument unless 1 <= signalnum < NSIG.
std::optional<std::string> strsignal(int signalnum);

#ifndef _WIN32
/// What the kernel does with a signal at SIG_DFL (not part of Python's module; used by the tool).
enum class default_action { terminate, core, stop, cont, ignore };

/// The default action of `s`. Thread safety: safe. Signal safety: async-signal-safe.
default_action default_action_of(signum s) noexcept;

/// "term", "core", "stop", "cont" or "ignore".
/// Thread safety: safe. Signal safety: async-signal-safe.
const char* to_string(default_action a) noexcept;
#endif  // Windows: SIG_DFL ends the process for each of its seven signals

}  // namespace sigkit
