// itimer: alarm, setitimer, getitimer.
#include "sigkit/itimer.hpp"

#include <sys/time.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "detail/syscalls.hpp"
#include "detail/util_posix.hpp"

namespace sigkit {
namespace {

[[noreturn]] void throw_itimer(int err, const std::string& what) {
  throw itimer_error(std::error_code(err, std::system_category()), what);
}

// Validates per API.md "Durations" and rounds up to whole microseconds (bpo-30807).
timeval to_timeval(double seconds, const char* what) {
  if (std::isnan(seconds)) throw std::invalid_argument(std::string(what) + " is NaN");
  if (seconds < 0) throw_itimer(EINVAL, std::string(what) + " must be non-negative");
  if (!(seconds < static_cast<double>(std::numeric_limits<time_t>::max()))) {
    throw std::out_of_range(std::string(what) + " is too large");
  }
  // Nanoseconds first (ceiling), then microseconds (ceiling), as CPython does.
  const timespec ts = detail::ceil_timespec(seconds);
  timeval tv{};
  tv.tv_sec = ts.tv_sec;
  tv.tv_usec = static_cast<suseconds_t>((ts.tv_nsec + 999) / 1000);
  if (tv.tv_usec >= 1000000) {
    tv.tv_sec += 1;
    tv.tv_usec -= 1000000;
  }
  return tv;
}

double to_seconds(const timeval& tv) noexcept {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

itimer_value to_value(const itimerval& v) noexcept {
  return {std::chrono::duration<double>(to_seconds(v.it_value)),
          std::chrono::duration<double>(to_seconds(v.it_interval))};
}

}  // namespace

std::chrono::seconds alarm(std::chrono::seconds seconds) {
  if (seconds.count() < 0) throw std::invalid_argument("alarm seconds must be non-negative");
  if (seconds.count() > static_cast<std::chrono::seconds::rep>(UINT_MAX)) {
    throw std::out_of_range("alarm seconds must be at most " + std::to_string(UINT_MAX));
  }
  return std::chrono::seconds(detail::sys.alarm(static_cast<unsigned>(seconds.count())));
}

itimer_value setitimer(int which, std::chrono::duration<double> seconds,
                       std::chrono::duration<double> interval) {
  itimerval value{};
  value.it_value = to_timeval(seconds.count(), "itimer delay");
  value.it_interval = to_timeval(interval.count(), "itimer interval");
  itimerval old{};
  if (detail::sys.setitimer(which, &value, &old) != 0) {
    throw_itimer(errno, "cannot set interval timer " + std::to_string(which));
  }
  return to_value(old);
}

itimer_value getitimer(int which) {
  itimerval current{};
  if (detail::sys.getitimer(which, &current) != 0) {
    throw_itimer(errno, "cannot read interval timer " + std::to_string(which));
  }
  return to_value(current);
}

}  // namespace sigkit
