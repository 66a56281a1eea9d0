// defaults: default_int_handler, install_default_handlers, run_main, die_by_signal.
#include "sigkit/defaults.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "detail/util.hpp"
#include "sigkit/faulthandler.hpp"
#include "sigkit/handler.hpp"

namespace sigkit {
namespace {

bool at_default(int signo) { return getsignal(signo).is_default(); }

// Restores SIG_DFL for `signo`, unblocks it in the calling thread and raises it: for a
// terminating signal the process ends here. Async-signal-safe.
void raise_with_default_action(int signo) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  // SIGKILL's action is always the default (and sigaction refuses to set it): just raise it.
  if (signo != SIGKILL && ::sigaction(signo, &dfl, nullptr) != 0) return;
  sigset_t one;
  ::sigemptyset(&one);
  ::sigaddset(&one, signo);
  ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  static_cast<void>(::raise(signo));
}

}  // namespace

void default_int_handler(int /*signalnum*/) { throw keyboard_interrupt{}; }

void install_default_handlers() {
  detail::check_main_thread("install_default_handlers");
  // As a Python interpreter does at start: EPIPE and EFBIG surface as errors, not deaths.
  for (const int s : {SIGPIPE, SIGXFSZ}) {
    if (at_default(s)) sigkit::signal(s, SIG_IGN);
  }
  // Only if SIGINT is at SIG_DFL: an inherited SIG_IGN (nohup, a shell's background job) or a
  // foreign handler is left alone.
  if (at_default(SIGINT)) sigkit::signal(SIGINT, &default_int_handler);
  // SIGKIT_FAULTHANDLER set and non-empty: crash reports (Python's PYTHONFAULTHANDLER).
  faulthandler::enable_from_environment();
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
    // End the process by SIGINT so that the parent sees WIFSIGNALED (a shell prints 130).
    raise_with_default_action(SIGINT);
    std::exit(128 + SIGINT);  // only if the process still lives
  }
}

void die_by_signal(int signalnum) noexcept {
  if (signalnum >= 1 && signalnum < NSIG) {
    // Like timeout(1): no core file for a signal relayed from someone else's death.
    const rlimit no_core{0, 0};
    static_cast<void>(::setrlimit(RLIMIT_CORE, &no_core));
    raise_with_default_action(signalnum);
  }
  ::_exit(128 + (signalnum & 0x7f));
}

}  // namespace sigkit
