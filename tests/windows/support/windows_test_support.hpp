// tests/windows/support/windows_test_support.hpp - helpers of sigkit's Windows test suite.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

// Skips a test that Wine cannot run faithfully, saying why (cmake/wine-test.sh runs the
// suite under Wine; on real Windows the test runs). Nothing else skips.
#define SKIP_UNDER_WINE(why)                                   \
  do {                                                         \
    if (sigkit_windows_test::running_under_wine()) {           \
      GTEST_SKIP() << "Wine cannot run this faithfully: " why; \
    }                                                          \
  } while (false)

namespace sigkit_windows_test {

/// True under Wine (ntdll exports wine_get_version).
bool running_under_wine();

/// Gives the process a console of its own, alone on it: console control events need one
/// (Wine headless starts a process without), and an event sent to group 0 then reaches only
/// this process (and the children it starts on the console).
void own_console();

/// Polls `done()` every millisecond until it holds or `timeout` passes; returns done().
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

/// The same, with a sigkit checkpoint (check_signals()) before each poll.
bool checkpoint_until(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

/// True once a delivery waits for the next checkpoint (signal context has recorded it).
bool delivery_pending();

/// GetCurrentProcessId() (without <windows.h> in the tests).
unsigned long this_process_id();

/// A connected loopback TCP pair (Windows has no socketpair()); `writer` is non-blocking.
struct socket_pair {
  socket_pair();
  ~socket_pair();
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  /// The writer as set_wakeup_fd() takes it.
  int writer_fd() const;
  /// Receives what arrived on the reader within `timeout` (empty if nothing).
  std::string receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  /// Fills the writer's buffers until a send would block.
  void fill();
  unsigned long long reader = ~0ULL;
  unsigned long long writer = ~0ULL;
};

/// A console control handler for the duration of a scope, registered last so that Windows
/// calls it first: it counts the events and passes them on (returns FALSE), or swallows
/// them (`swallow`: TRUE, the later handlers never see them).
class console_probe {
 public:
  explicit console_probe(bool swallow = false);
  ~console_probe();
  console_probe(const console_probe&) = delete;
  console_probe& operator=(const console_probe&) = delete;
  /// CTRL_C_EVENT seen so far.
  int ctrl_c() const;
};

}  // namespace sigkit_windows_test
