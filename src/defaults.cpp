// defaults: default_int_handler, install_default_handlers, run_main. What the start-up
// ignores and how a KeyboardInterrupt ends the process are the port's (defaults_posix.cpp,
// defaults_windows.cpp).
#include "sigkit/defaults.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "detail/platform.hpp"
#include "detail/util.hpp"
#include "sigkit/handler.hpp"

namespace sigkit {
namespace {

bool at_default(int signo) { return getsignal(signo).is_default(); }

}  // namespace

void default_int_handler(int /*signalnum*/) { throw keyboard_interrupt{}; }

void install_default_handlers() {
  detail::check_main_thread("install_default_handlers");
  // As a Python interpreter does at start: EPIPE and EFBIG surface as errors, not deaths
  // (SIGPIPE and SIGXFSZ; Windows has neither).
  for (const int s : detail::ignored_at_start()) {
    if (at_default(s)) sigkit::signal(s, SIG_IGN);
  }
  // Only if SIGINT is at SIG_DFL: an inherited SIG_IGN (nohup, a shell's background job) or a
  // foreign handler is left alone.
  if (at_default(SIGINT)) sigkit::signal(SIGINT, &default_int_handler);
  // SIGKIT_FAULTHANDLER set and non-empty: crash reports (Python's PYTHONFAULTHANDLER; the
  // crash reporter is POSIX-only).
  detail::crash_reports_from_environment();
}

int run_main(std::function<int()> body) {  // NOLINT(performance-unnecessary-value-param)
  if (!body) throw std::invalid_argument("run_main needs a body to run");
  detail::check_main_thread("run_main");
  install_default_handlers();
  try {
    return body();
  } catch (const keyboard_interrupt&) {
    static_cast<void>(std::fputs("KeyboardInterrupt\n", stderr));
    static_cast<void>(std::fflush(nullptr));
    // End the process as a Ctrl+C does: by SIGINT, so that the parent sees WIFSIGNALED (a
    // shell prints 130); on Windows with STATUS_CONTROL_C_EXIT.
    detail::end_process_by_keyboard_interrupt();
  }
}

}  // namespace sigkit
