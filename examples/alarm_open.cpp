// alarm_open: limit how long a blocking open() may take (the first example of Python's signal
// documentation, in C++ with sigkit).
//
//   alarm_open [path] [seconds]      (defaults: /dev/ttyS0, 5)
//
// The SIGALRM handler throws. It does not run inside the OS signal handler: the alarm only
// interrupts open() with EINTR, and open_interruptibly() then reaches a checkpoint
// (sigkit::check_signals(), like CPython's PEP 475 retry loop), where the handler runs and
// its exception propagates out of the open. Exit status: 0 if the open succeeded, 1 if not.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>

#include <sigkit/sigkit.hpp>

namespace {

// open(2) that runs signal handlers when interrupted and otherwise retries.
int open_interruptibly(const std::string& path, int flags) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    }
    sigkit::check_signals();  // the SIGALRM handler runs here and may throw
  }
}

void handler(int signo) {
  std::printf("Signal handler called with signal %s (%d)\n", sigkit::signum(signo).name().c_str(),
              signo);
  std::fflush(stdout);
  throw std::runtime_error("Couldn't open device!");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/dev/ttyS0";
  const std::chrono::seconds timeout(argc > 2 ? std::stoi(argv[2]) : 5);
  return sigkit::run_main([&] {
    try {
      // Set the signal handler and an alarm.
      sigkit::signal(SIGALRM, &handler);
      sigkit::alarm(timeout);

      // This open() may hang indefinitely (a FIFO without a writer, a tty without carrier).
      const int fd = open_interruptibly(path, O_RDONLY);

      sigkit::alarm(std::chrono::seconds(0));  // Disable the alarm
      std::printf("opened %s\n", path.c_str());
      ::close(fd);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "alarm_open: %s\n", e.what());
      return 1;
    }
  });
}
