// two_libraries: two independent components of one program share SIGUSR1 and SIGTERM through
// sigkit::subscribe(), without stealing signals from each other or from the host.
//
// The host program installed its own C handler for SIGUSR1 (with SA_RESTART and a mask)
// before either component existed. A logger reopens its file on SIGUSR1 and flushes on
// SIGTERM; a job runner passes on SIGUSR1 (not its business) and finishes its job on SIGTERM.
// Every subscriber runs for every delivery, newest first; only when all pass does the
// disposition beneath run: the host's handler for SIGUSR1, and for SIGTERM the default
// action, for real: the process dies by SIGTERM, as its parent expects. When the components
// go away, the host's SIGUSR1 action is back exactly as it was (handler, flags, mask).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <sigkit/sigkit.hpp>

namespace {

volatile sig_atomic_t host_calls = 0;
extern "C" void host_usr1_handler(int /*signo*/) { host_calls = host_calls + 1; }

std::string describe_action(int signo) {
  struct sigaction sa {};
  ::sigaction(signo, nullptr, &sa);
  std::string handler = sa.sa_handler == SIG_DFL              ? "SIG_DFL"
                        : sa.sa_handler == SIG_IGN            ? "SIG_IGN"
                        : sa.sa_handler == &host_usr1_handler ? "host_usr1_handler"
                        : (sa.sa_flags & SA_SIGINFO) != 0     ? "sigkit"
                                                              : "other";
  std::string mask;
  for (int s = 1; s < NSIG; ++s) {
    if (::sigismember(&sa.sa_mask, s) != 1) continue;
    if (!mask.empty()) mask += ',';
    mask += sigkit::signum(s).name();
  }
  char flags[32];
  std::snprintf(flags, sizeof flags, "0x%x", static_cast<unsigned>(sa.sa_flags) & ~0x04000000U);
  return handler + " flags=" + flags + " mask={" + mask + "}";
}

class logger {
 public:
  logger()
      : usr1_(sigkit::subscribe(
            {SIGUSR1},
            [this](const sigkit::siginfo& info) {
              if (closed_) {
                std::printf("logger: log closed, passing SIGUSR1 on\n");
                return sigkit::verdict::pass;
              }
              std::printf("logger: SIGUSR1 from pid %d: reopened the log file\n", info.pid);
              return sigkit::verdict::handled;
            })),
        term_(sigkit::subscribe({SIGTERM}, [](int) {
          std::printf("logger: SIGTERM: flushed the log, passing it on\n");
          std::fflush(stdout);
          return sigkit::verdict::pass;  // the process's fate is not the logger's call
        })) {}
  void close() { closed_ = true; }

 private:
  bool closed_ = false;
  sigkit::subscription usr1_;
  sigkit::subscription term_;
};

class job_runner {
 public:
  job_runner()
      : usr1_(sigkit::subscribe({SIGUSR1},
                                [](int) {
                                  std::printf("job_runner: SIGUSR1 is not mine, passing it on\n");
                                  return sigkit::verdict::pass;
                                })),
        term_(sigkit::subscribe({SIGTERM}, [](int) {
          std::printf("job_runner: SIGTERM: finished job 3, passing it on\n");
          return sigkit::verdict::pass;
        })) {}

 private:
  sigkit::subscription usr1_;
  sigkit::subscription term_;
};

}  // namespace

int main() {
  // The host's own C handler, installed before any component.
  struct sigaction host {};
  host.sa_handler = &host_usr1_handler;
  host.sa_flags = SA_RESTART;
  ::sigemptyset(&host.sa_mask);
  ::sigaddset(&host.sa_mask, SIGUSR2);
  ::sigaction(SIGUSR1, &host, nullptr);
  const std::string before = describe_action(SIGUSR1);
  std::printf("before:   SIGUSR1 %s\n", before.c_str());

  {
    const logger log;
    const job_runner jobs;
    std::printf("during:   SIGUSR1 %s\n", describe_action(SIGUSR1).c_str());

    sigkit::raise_signal(SIGUSR1);  // job_runner passes, logger handles: the host sees nothing
    std::printf("host handler calls: %d\n", static_cast<int>(host_calls));

    const_cast<logger&>(log).close();  // NOLINT: now the logger passes too
    sigkit::raise_signal(SIGUSR1);     // everybody passes: the host's handler runs
    std::printf("host handler calls: %d\n", static_cast<int>(host_calls));
  }

  const std::string after = describe_action(SIGUSR1);
  std::printf("after:    SIGUSR1 %s\n", after.c_str());
  std::printf("restored exactly: %s\n", after == before ? "yes" : "no");

  // SIGTERM: both components pass, so SIG_DFL's action is carried out at the checkpoint.
  const logger log;
  const job_runner jobs;
  std::fflush(stdout);
  ::kill(::getpid(), SIGTERM);
  sigkit::check_signals();  // the process ends here, by SIGTERM
  std::printf("not reached\n");
  return 0;
}
