// defaults_posix: the POSIX port of the defaults: what the start-up ignores (SIGPIPE,
// SIGXFSZ), ending by SIGINT after a KeyboardInterrupt, die_by_signal().
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <span>

#include "detail/platform.hpp"
#include "sigkit/defaults.hpp"
#include "sigkit/faulthandler.hpp"

namespace sigkit {
namespace {

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

constexpr std::array kIgnoredAtStart{SIGPIPE, SIGXFSZ};

}  // namespace

std::span<const int> detail::ignored_at_start() noexcept { return kIgnoredAtStart; }

void detail::end_process_by_keyboard_interrupt() {
  raise_with_default_action(SIGINT);
  std::exit(128 + SIGINT);  // only if the process still lives
}

void detail::crash_reports_from_environment() { faulthandler::enable_from_environment(); }

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
