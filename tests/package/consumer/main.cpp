// A tiny consumer of sigkit, built by the packaging tests against an installed sigkit
// (find_package, pkg-config) and with add_subdirectory. Uses only the umbrella header.
#include <sigkit/sigkit.hpp>

#include <csignal>
#include <cstdio>

namespace {

int body() {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&calls](int signo) {
    if (signo == SIGUSR1) ++calls;
  });
  // Deferred: the C raise() only records the delivery; the handler runs at a checkpoint.
  if (std::raise(SIGUSR1) != 0) return 10;
  if (calls != 0) return 11;
  sigkit::check_signals();
  if (calls != 1) return 12;
  // raise_signal() is itself a checkpoint.
  sigkit::raise_signal(SIGUSR1);
  if (calls != 2) return 13;

  if (sigkit::signum::from_name("usr1") != SIGUSR1) return 20;
  if (sigkit::signum(SIGRTMIN + 1).name() != "SIGRTMIN+1") return 21;
  if (!sigkit::valid_signals().contains(SIGINT)) return 22;
  if (sigkit::getsignal(SIGPIPE) != SIG_IGN) return 23;  // run_main installed the defaults

  const sigkit::scoped_block blocked({SIGUSR2});
  sigkit::raise_signal(SIGUSR2);
  const auto info = sigkit::sigtimedwait({SIGUSR2}, std::chrono::seconds(5));
  if (!info || info->signo != SIGUSR2) return 30;

  std::printf("sigkit %s consumer: ok\n", SIGKIT_VERSION_STRING);
  return 0;
}

}  // namespace

int main() { return sigkit::run_main(body); }
