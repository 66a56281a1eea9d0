// sigkit/errors.hpp - the exception types of the error mapping (see API.md).
#pragma once

#include <string>
#include <system_error>

namespace sigkit {

#ifndef _WIN32
/// Python's `signal.ItimerError`: a setitimer/getitimer failure; code().value() is the errno.
class itimer_error : public std::system_error {
 public:
  using std::system_error::system_error;
};
#endif  // Windows: no interval timers, hence no itimer_error (as in Python)

/// Python's `KeyboardInterrupt`, thrown by default_int_handler. Deliberately not derived
/// from std::exception, so `catch (const std::exception&)` does not swallow Ctrl-C.
struct keyboard_interrupt {
  /// "KeyboardInterrupt", as Python prints it.
  [[nodiscard]] const char* what() const noexcept { return "KeyboardInterrupt"; }
};

}  // namespace sigkit
