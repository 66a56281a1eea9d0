// tests/cli/cli_test_child.cpp - a command for `sigkit run` to run in the CLI tests, for what a
// shell cannot do (a shell may not reset a signal it inherited ignored, nor unblock one).
//   state         print "ignored: N...", "blocked: N..." and "pdeathsig: N", one per line
//   raise SIG     reset SIG to SIG_DFL, unblock it and raise it (dies by it)
//   pgrp          print "pid=P pgrp=G", then sleep until a signal ends it
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int print_state() {
  std::printf("ignored:");
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction action {};
    if (::sigaction(s, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) {
      std::printf(" %d", s);
    }
  }
  sigset_t mask;
  sigemptyset(&mask);
  ::sigprocmask(SIG_BLOCK, nullptr, &mask);
  std::printf("\nblocked:");
  for (int s = 1; s < NSIG; ++s) {
    if (sigismember(&mask, s) == 1) {
      std::printf(" %d", s);
    }
  }
  int pdeath = 0;
  ::prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
  std::printf("\npdeathsig: %d\n", pdeath);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "state") == 0) {
    return print_state();
  }
  if (argc >= 3 && std::strcmp(argv[1], "raise") == 0) {
    const int s = static_cast<int>(std::strtol(argv[2], nullptr, 10));
    static_cast<void>(::signal(s, SIG_DFL));
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, s);
    ::sigprocmask(SIG_UNBLOCK, &one, nullptr);
    static_cast<void>(::raise(s));
    return 3;
  }
  if (argc >= 2 && std::strcmp(argv[1], "pgrp") == 0) {
    std::printf("pid=%d pgrp=%d\n", static_cast<int>(::getpid()), static_cast<int>(::getpgrp()));
    static_cast<void>(std::fflush(stdout));
    for (;;) {
      ::pause();
    }
  }
  static_cast<void>(std::fprintf(stderr, "usage: cli_test_child state | raise SIG | pgrp\n"));
  return 2;
}
