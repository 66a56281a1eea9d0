// tests/support/test_support.hpp - helpers shared by sigkit's tests.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>

#if defined(__SANITIZE_THREAD__)
#define SIGKIT_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIGKIT_TEST_TSAN 1
#endif
#endif

#ifdef SIGKIT_TEST_TSAN
// TSan runs a signal's handler late and keeps one pending slot per signal number, so queued
// real-time signals coalesce inside TSan before sigkit's OS-level handler ever sees them.
#define SKIP_QUEUED_DELIVERIES_UNDER_TSAN() \
  GTEST_SKIP() << "TSan coalesces queued real-time signals before sigkit sees them"
// TSan also defers asynchronous signals to its own safe points and, under load, was seen to
// lose one now and then: 1 in ~30 runs of the itimer stress tests with 4 parallel jobs, and 1
// in ~40 runs of the pause() race test, where a kill(getpid()) from a new thread never reached
// any handler (kernel pending sets empty, sigkit's OS-level handler never ran; the same test
// passed 800 of 800 runs without TSan). Exact counts of such deliveries and the missed-wakeup
// races are checked in the dev and asan-ubsan presets.
#define SKIP_EXACT_ASYNC_COUNTS_UNDER_TSAN() \
  GTEST_SKIP() << "TSan defers asynchronous signals and may lose one under load"
// TSan ends a child of a multi-threaded process that starts a thread ("starting new threads
// after multi-threaded fork is not supported").
#define SKIP_THREADS_AFTER_FORK_UNDER_TSAN() \
  GTEST_SKIP() << "TSan does not support starting threads after a multi-threaded fork"
#else
#define SKIP_QUEUED_DELIVERIES_UNDER_TSAN() static_cast<void>(0)
#define SKIP_EXACT_ASYNC_COUNTS_UNDER_TSAN() static_cast<void>(0)
#define SKIP_THREADS_AFTER_FORK_UNDER_TSAN() static_cast<void>(0)
#endif

namespace sigkit_test {

/// Forks; the child runs `body` and _exits with its return value (99 if body throws). A
/// watchdog in the parent kills the child with SIGKILL after `timeout`. Returns the raw
/// waitpid status. The child starts no thread of its own (TSan forbids that after a fork of a
/// multi-threaded process).
int run_in_child(const std::function<int()>& body,
                 std::chrono::seconds timeout = std::chrono::seconds(20));

/// Runs sigkit::check_signals() on the calling (main) thread until `done()` holds or `timeout`
/// passes, sleeping 1 ms between rounds; returns done(). For a signal sent by another thread to
/// the main thread: the kernel runs the OS-level handler before the sender's join() returns, so
/// the first round suffices, but TSan defers such a signal to its next interceptor call.
bool checkpoint_until(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// Human-readable description of a wait status ("exited 3", "killed by SIGINT").
std::string describe_status(int status);

/// A pipe whose ends are closed on destruction. `nonblocking` applies to both ends.
struct pipe_pair {
  explicit pipe_pair(bool nonblocking = true);
  ~pipe_pair();
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  int read_end = -1;
  int write_end = -1;
};

/// Reads everything available from a non-blocking fd.
std::string drain_fd(int fd);

/// Captures what the process writes to stderr (fd 2) between construction and text().
class stderr_capture {
 public:
  stderr_capture();
  ~stderr_capture();
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  /// Stops capturing (restores fd 2) and returns what was written.
  std::string text();

 private:
  int saved_ = -1;
  int file_ = -1;
  bool done_ = false;
  std::string text_;
};

/// Runs `f`, expects it to throw exactly `Error` (a std::system_error or derived) and returns
/// the errno it carries; records a test failure and returns -1 for another exception, 0 for
/// none.
template <class Error, class F>
int errno_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code().category(), std::system_category());
    return e.code().value();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception: " << e.what();
    return -1;
  }
  ADD_FAILURE() << "no exception";
  return 0;
}

}  // namespace sigkit_test
