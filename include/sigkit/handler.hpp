// sigkit/handler.hpp - dispositions: what a signal is set to, signal() and getsignal().
#pragma once

#include <concepts>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "sigkit/siginfo.hpp"

namespace sigkit {

namespace detail {
template <class F>
concept int_callable = std::invocable<F&, int>;
template <class F>
concept siginfo_callable = !int_callable<F> && std::invocable<F&, const siginfo&>;
}  // namespace detail

class handler;

namespace detail {
template <class F>
concept handler_function = !std::same_as<std::remove_cvref_t<F>, handler> &&
                           (int_callable<std::decay_t<F>> || siginfo_callable<std::decay_t<F>>);

/// An OS-level disposition as the platform keeps it: the full `struct sigaction` on POSIX,
/// the C runtime's handler (SIG_DFL, SIG_IGN or a function) on Windows.
#ifdef _WIN32
using native_action = void (*)(int);
#else
using native_action = struct sigaction;
#endif
}  // namespace detail

/// What a signal is set to (Python: a callable, SIG_DFL, SIG_IGN or None).
/// A callable handler never runs in signal context: sigkit records the delivery and runs it
/// at the next checkpoint on the main thread (see dispatch.hpp), where it may do anything.
/// Equality is identity: copies are equal, handler(&f) == handler(&f), SIG_DFL == SIG_DFL,
/// two separately constructed lambdas are not equal.
/// Thread safety: a value type; copies share the callable, which runs on the main thread only.
/// Signal safety: not async-signal-safe (copying touches a reference count).
class handler {
 public:
  /// "none": a disposition that sigkit did not install (empty() is true).
  handler() noexcept = default;

  /// SIG_DFL, SIG_IGN, or a plain function run deferred as an (int) handler.
  /// Errors: std::invalid_argument for SIG_ERR.
  handler(void (*fn)(int));  // NOLINT(google-explicit-constructor)

  /// Any callable taking (int signum), or only (const siginfo&): the latter is called once
  /// per delivery with that delivery's sender and payload.
  template <detail::handler_function F>
  handler(F&& f)  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)
      : kind_(detail::int_callable<std::decay_t<F>> ? kind::plain : kind::info),
        state_(std::make_shared<model<std::decay_t<F>>>(std::forward<F>(f))) {
    using D = std::decay_t<F>;
    if constexpr (std::is_pointer_v<D> && std::is_function_v<std::remove_pointer_t<D>>) {
      identity_ = reinterpret_cast<std::uintptr_t>(static_cast<D>(f));  // NOLINT
    } else {
      identity_ = reinterpret_cast<std::uintptr_t>(state_.get());  // NOLINT
    }
  }

  /// True for "none". Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] bool empty() const noexcept { return kind_ == kind::none; }
  /// True for SIG_DFL / SIG_IGN.
  [[nodiscard]] bool is_default() const noexcept { return kind_ == kind::dfl; }
  /// True for SIG_IGN.
  [[nodiscard]] bool is_ignore() const noexcept { return kind_ == kind::ign; }
  /// True for a callable (a deferred handler), of either kind.
  [[nodiscard]] bool is_callable() const noexcept {
    return kind_ == kind::plain || kind_ == kind::info;
  }
  /// True for a callable that takes (const siginfo&).
  [[nodiscard]] bool takes_siginfo() const noexcept { return kind_ == kind::info; }

  /// Calls the handler as sigkit's dispatcher does: (int) handlers get info.signo.
  /// Errors: whatever the callable throws; std::logic_error if not callable.
  void operator()(const siginfo& info) const;

  /// Identity, not behaviour: true for copies of one handler, the same function pointer,
  /// SIG_DFL and SIG_DFL, SIG_IGN and SIG_IGN, two "none"s.
  friend bool operator==(const handler& a, const handler& b) noexcept {
    return a.kind_ == b.kind_ && a.identity_ == b.identity_;
  }

 private:
  enum class kind : std::uint8_t { none, dfl, ign, plain, info };
  struct concept_t {
    virtual ~concept_t() = default;
    virtual void call(const siginfo& info) = 0;
  };
  template <class D>
  struct model final : concept_t {
    explicit model(D f) : fn(std::move(f)) {}
    void call(const siginfo& info) override {
      if constexpr (detail::int_callable<D>) {
        static_cast<void>(std::invoke(fn, info.signo));
      } else {
        static_cast<void>(std::invoke(fn, info));
      }
    }
    D fn;
  };

  kind kind_ = kind::none;
  std::uintptr_t identity_ = 0;
  std::shared_ptr<concept_t> state_;
};

/// Sets the disposition of `signalnum` and returns the previous one (Python: signal.signal).
/// Runs pending handlers first; installs callables without SA_RESTART (system calls are
/// interrupted, as in Python). getsignal(s) == h afterwards. On Windows only SIGABRT, SIGFPE,
/// SIGILL, SIGINT, SIGSEGV, SIGTERM and SIGBREAK have a disposition; Ctrl+C and Ctrl+Break
/// (and closing the console, as the C runtime maps it: SIGBREAK) are deliveries of SIGINT and
/// SIGBREAK, run deferred like any other.
/// Thread safety: main thread only. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a number outside 1..NSIG-1 (on Windows: any number but
/// the seven, checked before the thread), an empty handler, or a call from another thread;
/// std::system_error (EINVAL) for SIGKILL, SIGSTOP, 32, 33.
handler signal(int signalnum, handler h);

/// The current disposition, read from the OS: the user's handler while the OS still points
/// at sigkit's, SIG_DFL, SIG_IGN, or an empty handler for anything else (a foreign handler).
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument outside 1..NSIG-1 (on Windows: any number but the seven
/// signals that signal() accepts).
handler getsignal(int signalnum);

#ifndef _WIN32
/// flag == true: system calls interrupted by `signalnum` fail with EINTR (clears SA_RESTART);
/// false: they restart. A later signal() resets it to true.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument outside 1..NSIG-1; std::system_error (EINVAL) from the OS.
void siginterrupt(int signalnum, bool flag);
#endif  // Windows: no SA_RESTART, no siginterrupt() (as in Python)

/// Installs `h` for `signalnum` while the object lives, then restores the previous
/// disposition exactly (the full sigaction, also when it was a foreign C handler; on Windows
/// the C runtime's handler).
/// Thread safety: main thread only (as signal()). Signal safety: not async-signal-safe.
/// Errors: as signal().
class scoped_handler {
 public:
  /// Installs `h` for `signalnum` as signal() does, remembering the previous sigaction.
  /// Errors: as signal().
  scoped_handler(int signalnum, handler h);
  /// Restores the previous disposition exactly (never throws).
  ~scoped_handler();
  scoped_handler(const scoped_handler&) = delete;
  scoped_handler& operator=(const scoped_handler&) = delete;

 private:
  int signalnum_;
  detail::native_action previous_{};
  handler previous_handler_;
  bool previous_native_ = false;  // previous_ is an action sigkit did not install
};

}  // namespace sigkit
