// http_server: an HTTP server (cpp-httplib) that shuts down cleanly on SIGINT or SIGTERM through
// the wakeup fd instead of an exception.
//
//   http_server [port] [host]      (defaults: 0 = any free port, 127.0.0.1)
//
// The server's threads do the I/O. The main thread sleeps in poll() on the read end of a
// non-blocking pipe that sigkit::set_wakeup_fd() makes the OS-level handler write to, whichever
// thread the kernel picked for the delivery. When a byte arrives, the main thread runs the
// handlers (sigkit::check_signals()); they only set a flag, so no exception unwinds through
// the server, and the main thread calls server.stop() and waits for the listener to finish.
// Exit status 0 after a signal-initiated shutdown.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>

#include <httplib.h>
#include <sigkit/sigkit.hpp>

namespace {

struct wakeup_pipe {
  wakeup_pipe() {
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot create the wakeup pipe");
    }
  }
  ~wakeup_pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  wakeup_pipe(const wakeup_pipe&) = delete;
  wakeup_pipe& operator=(const wakeup_pipe&) = delete;

  // Blocks until at least one signal arrived; returns the last signal number read.
  int wait() const {
    pollfd pfd{fds[0], POLLIN, 0};
    for (;;) {
      const int n = ::poll(&pfd, 1, -1);
      if (n < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "poll on the wakeup pipe");
      }
      unsigned char buf[64];
      ssize_t got = 0;
      int last = 0;
      while ((got = ::read(fds[0], buf, sizeof buf)) > 0) last = buf[got - 1];
      if (last != 0) return last;
    }
  }

  int fds[2] = {-1, -1};
};

}  // namespace

int main(int argc, char** argv) {
  const int requested_port = argc > 1 ? std::stoi(argv[1]) : 0;
  const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
  return sigkit::run_main([&] {
    httplib::Server server;
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("Hello from sigkit\n", "text/plain");
    });

    // Handlers run on the main thread, so a plain bool is enough.
    int stop_signal = 0;
    const wakeup_pipe wakeup;
    sigkit::set_wakeup_fd(wakeup.fds[1]);
    const sigkit::handler request_stop([&](int signo) { stop_signal = signo; });
    sigkit::signal(SIGINT, request_stop);  // replaces default_int_handler: no exception
    sigkit::signal(SIGTERM, request_stop);

    const int port = requested_port == 0
                         ? server.bind_to_any_port(host)
                         : (server.bind_to_port(host, requested_port) ? requested_port : -1);
    if (port < 0) {
      std::fprintf(stderr, "http_server: cannot listen on %s:%d\n", host.c_str(), requested_port);
      return 1;
    }
    std::printf("listening on http://%s:%d/\n", host.c_str(), port);
    std::fflush(stdout);

    std::thread listener([&server] { server.listen_after_bind(); });
    while (stop_signal == 0) {
      wakeup.wait();
      sigkit::check_signals();  // runs request_stop for SIGINT/SIGTERM
    }
    std::printf("%s received, shutting down\n", sigkit::signum(stop_signal).name().c_str());
    std::fflush(stdout);
    server.stop();
    listener.join();
    sigkit::set_wakeup_fd(-1);
    std::printf("server stopped\n");
    return 0;
  });
}
