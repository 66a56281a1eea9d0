// broken_pipe: a tool whose output is piped into `head` exits quietly, with status 1, when the
// reader goes away (the SIGPIPE note of Python's signal documentation, in C++ with sigkit).
//
//   broken_pipe | head -n 1
//
// run_main() installs Python's start-up defaults, among them SIGPIPE -> SIG_IGN, so a write to
// a closed pipe fails with EPIPE instead of killing the process. The program then points
// stdout at /dev/null (so that the flush at exit cannot fail again) and exits with 1, as a
// Python program does on BrokenPipeError.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <sigkit/sigkit.hpp>

namespace {

void write_line(const char* line) {
  if (std::fputs(line, stdout) == EOF) {
    throw std::system_error(errno, std::generic_category(), "cannot write to stdout");
  }
}

void flush_stdout() {
  if (std::fflush(stdout) == EOF) {
    throw std::system_error(errno, std::generic_category(), "cannot write to stdout");
  }
}

}  // namespace

int main() {
  return sigkit::run_main([] {
    try {
      // Simulate large output (your code replaces this loop): more than a pipe holds.
      for (int x = 0; x < 1'000'000; ++x) write_line("y\n");
      // Flush output here to force EPIPE to surface while inside this try block.
      flush_stdout();
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::broken_pipe) throw;
      // The C library flushes stdout at exit; redirect remaining output to /dev/null to
      // avoid another EPIPE at shutdown.
      const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      ::dup2(devnull, STDOUT_FILENO);
      return 1;  // Python exits with error code 1 on EPIPE
    }
    return 0;
  });
}
