// sigkit/uv.hpp - libuv adapter: sigkit's deferred handlers run inside a uv_loop_t.
//
// Header-only; CMake target sigkit::uv (exists when libuv is found). Not part of the umbrella
// header <sigkit/sigkit.hpp>, which depends on nothing. See docs/event_loops.md.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "sigkit/dispatch.hpp"
#include "sigkit/event_loop.hpp"

/// The libuv adapter (header-only, CMake target sigkit::uv): sigkit's deferred handlers run
/// inside a uv_loop_t.
namespace sigkit::uv {

// Implementation, not part of the API reference:
/// @cond SIGKIT_DETAIL
namespace detail {

/// The one uv_poll_t of a loop on sigkit::notify_fd() (libuv allows one poll handle per fd
/// and loop), shared by that loop's attachments. Freed by uv_close's callback.
struct loop_watch {
  uv_poll_t poll{};
  uv_loop_t* loop = nullptr;
  std::size_t attachments = 0;
};

/// The loops' watches, and the exceptions dispatch() threw in each loop that run() has not
/// rethrown yet. Guarded by registry_mutex() (loops may run in different threads).
struct registry_type {
  std::unordered_map<uv_loop_t*, loop_watch*> watches;
  std::unordered_map<uv_loop_t*, std::exception_ptr> errors;
};

inline std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

inline registry_type& registry() {
  static registry_type r;
  return r;
}

[[noreturn]] inline void throw_uv(int rc, const std::string& what) {
  throw std::system_error(-rc, std::system_category(), what + ": " + uv_strerror(rc));
}

/// Keeps the first exception of `loop` for run() and stops the loop so that it surfaces
/// promptly; a second one before run() took the first is reported on stderr.
inline void remember(uv_loop_t* loop, std::exception_ptr error) noexcept {
  {
    const std::lock_guard lock(registry_mutex());
    try {
      auto& slot = registry().errors[loop];
      if (!slot) {
        slot = std::move(error);
        error = nullptr;
      }
    } catch (...) {  // no memory for the map: the exception can only be reported
    }
  }
  if (error) {
    std::string text = "unknown exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      text = e.what();
    } catch (...) {
    }
    static_cast<void>(std::fprintf(stderr,
                                   "sigkit: an exception from a signal handler in a libuv loop "
                                   "was dropped (an earlier one awaits sigkit::uv::run): %s\n",
                                   text.c_str()));
  }
  uv_stop(loop);
}

inline void on_readable(uv_poll_t* handle, int status, int /*events*/) {
  auto* watch = static_cast<loop_watch*>(handle->data);
  if (status < 0) {
    uv_poll_stop(handle);  // a broken fd would report the same error forever
    remember(watch->loop, std::make_exception_ptr(std::system_error(
                              -status, std::system_category(),
                              std::string("sigkit::uv: cannot poll sigkit's notify fd: ") +
                                  uv_strerror(status))));
    return;
  }
  try {
    sigkit::dispatch();  // main thread only; may run a handler that detaches this loop
  } catch (...) {        // an exception must not unwind through libuv's C frames
    remember(watch->loop, std::current_exception());
  }
}

inline void free_watch(uv_handle_t* handle) { delete static_cast<loop_watch*>(handle->data); }

}  // namespace detail
/// @endcond

class attachment;
/// Attaches a libuv loop to sigkit (defined below).
[[nodiscard]] inline attachment attach(uv_loop_t* loop);

/// An attachment of a libuv loop to sigkit (attach()): while it lives, the loop runs
/// sigkit::dispatch() whenever sigkit::notify_fd() is readable. Move-only RAII; destroying it
/// (or reset()) detaches. Like any active libuv handle it keeps uv_run(UV_RUN_DEFAULT)
/// running. The handle is closed with uv_close(), which completes in the loop's next
/// iteration: run the loop once more (uv_run(loop, UV_RUN_NOWAIT)) before uv_loop_close().
/// Thread safety: use it on the loop's thread only (libuv is not thread-safe).
/// Signal safety: not async-signal-safe.
class attachment {
 public:
  /// An inactive attachment.
  attachment() noexcept = default;
  /// Takes over `other`'s attachment; `other` becomes inactive.
  attachment(attachment&& other) noexcept : watch_(std::exchange(other.watch_, nullptr)) {}
  /// Detaches what this object held, then takes over `other`'s attachment.
  attachment& operator=(attachment&& other) noexcept {
    if (this != &other) {
      reset();
      watch_ = std::exchange(other.watch_, nullptr);
    }
    return *this;
  }
  attachment(const attachment&) = delete;
  attachment& operator=(const attachment&) = delete;
  /// Detaches (reset()).
  ~attachment() { reset(); }

  /// Detaches: when the loop's last attachment goes, its poll handle is stopped at once and
  /// closed (uv_close; freed in the loop's next iteration). Idempotent; also from inside a
  /// handler that dispatch() runs.
  /// Thread safety: the loop's thread. Signal safety: not async-signal-safe.
  void reset() noexcept {
    detail::loop_watch* watch = std::exchange(watch_, nullptr);
    if (watch == nullptr) return;
    const std::lock_guard lock(detail::registry_mutex());
    if (--watch->attachments > 0) return;
    detail::registry().watches.erase(watch->loop);
    auto* handle = reinterpret_cast<uv_handle_t*>(&watch->poll);
    // Closed already by someone else (a uv_walk() that closes every handle): its close
    // callback is not ours, so the small watch object is left behind rather than freed twice.
    if (uv_is_closing(handle) != 0) return;
    uv_close(handle, &detail::free_watch);
  }

  /// True from attach() until reset() or destruction.
  /// Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] bool active() const noexcept { return watch_ != nullptr; }

  /// The attached loop, or nullptr when inactive.
  /// Thread safety: safe. Signal safety: async-signal-safe.
  [[nodiscard]] uv_loop_t* loop() const noexcept { return watch_ ? watch_->loop : nullptr; }

 private:
  friend attachment attach(uv_loop_t* loop);  // NOLINT(readability-redundant-declaration)
  explicit attachment(detail::loop_watch* watch) noexcept : watch_(watch) {}
  detail::loop_watch* watch_ = nullptr;
};

/// Attaches `loop` to sigkit: while the returned handle lives, a uv_poll_t on
/// sigkit::notify_fd() runs sigkit::dispatch() (a checkpoint) whenever the fd is readable, so
/// every sigkit handler and subscriber runs inside uv_run(). Like every sigkit handler they run
/// on the main thread: run the loop there. An exception from a handler (or dispatch()'s own
/// std::invalid_argument on another thread) cannot pass through libuv: it is kept, the loop
/// is stopped (uv_stop), and sigkit::uv::run() / rethrow_pending() rethrow it. Several
/// attachments of one loop share one poll handle. In a fork child, uv_loop_fork() makes the
/// handle watch the child's own notify fd (same number).
/// Thread safety: the loop's thread. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a null loop; std::system_error if the notify fd cannot be
/// created or libuv refuses to poll it.
inline attachment attach(uv_loop_t* loop) {
  if (loop == nullptr) throw std::invalid_argument("sigkit::uv::attach: the loop is null");
  const int fd = sigkit::notify_fd();
  const std::lock_guard lock(detail::registry_mutex());
  auto& watches = detail::registry().watches;
  if (const auto found = watches.find(loop); found != watches.end()) {
    ++found->second->attachments;
    return attachment(found->second);
  }
  auto watch = std::make_unique<detail::loop_watch>();
  watch->loop = loop;
  watches.reserve(watches.size() + 1);  // the emplace below cannot throw after uv_poll_init
  if (const int rc = uv_poll_init(loop, &watch->poll, fd); rc != 0) {
    detail::throw_uv(rc, "sigkit::uv::attach: cannot watch sigkit's notify fd");
  }
  watch->poll.data = watch.get();
  if (const int rc = uv_poll_start(&watch->poll, UV_READABLE, &detail::on_readable); rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), &detail::free_watch);
    static_cast<void>(watch.release());  // freed by the close callback
    detail::throw_uv(rc, "sigkit::uv::attach: cannot watch sigkit's notify fd");
  }
  watch->attachments = 1;
  watches.emplace(loop, watch.get());
  return attachment(watch.release());
}

/// Rethrows the first exception that a handler (or dispatch()) threw inside `loop` since
/// the last rethrow, if any; the attachment had stopped the loop for it.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: that exception; std::invalid_argument for a null loop.
inline void rethrow_pending(uv_loop_t* loop) {
  if (loop == nullptr) throw std::invalid_argument("sigkit::uv::rethrow_pending: the loop is null");
  std::exception_ptr error;
  {
    const std::lock_guard lock(detail::registry_mutex());
    auto& errors = detail::registry().errors;
    if (const auto found = errors.find(loop); found != errors.end()) {
      error = std::move(found->second);
      errors.erase(found);
    }
  }
  if (error) std::rethrow_exception(error);
}

/// uv_run(loop, mode), then rethrow_pending(loop): a handler's exception (keyboard_interrupt
/// from sigkit's SIGINT handler, say) leaves run() as it leaves check_signals(). Returns what
/// uv_run() returned.
/// Thread safety: the loop's thread. Signal safety: not async-signal-safe.
/// Errors: whatever a handler threw; std::invalid_argument for a null loop.
inline int run(uv_loop_t* loop, uv_run_mode mode = UV_RUN_DEFAULT) {
  if (loop == nullptr) throw std::invalid_argument("sigkit::uv::run: the loop is null");
  const int result = uv_run(loop, mode);
  rethrow_pending(loop);
  return result;
}

}  // namespace sigkit::uv
