// asio_server: a Boost.Asio coroutine TCP server that stops on SIGTERM through
// `co_await sigkit::asio::async_wait(...)`, finishing the connections that are open.
//
//   asio_server [port] [grace-seconds]     (port 0 or none: any free port; grace default 10)
//   (anything else: a usage line on stderr, exit status 2)
//
// Each line a client sends comes back upper-cased; "quit" ends its connection. On SIGTERM the
// server stops accepting (new clients are refused), lets every open connection finish, prints
// how many it served and exits 0. Connections still open `grace` seconds after SIGTERM are
// closed and the server exits 1. Nothing waits for SIGTERM any more once the first one
// arrived, so a second SIGTERM takes the default action: the process dies at once.
// Ctrl-C: run_main() installed sigkit's SIGINT handler, which the attached io_context runs;
// its keyboard_interrupt leaves io_context::run() and run_main() ends the process by SIGINT.
#include <sigkit/asio.hpp>
#include <sigkit/sigkit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <optional>
#include <string>

namespace {

namespace net = boost::asio;
using net::ip::tcp;

struct server {
  explicit server(net::io_context& ctx, unsigned short port)
      : acceptor(ctx, {net::ip::address_v4::loopback(), port}), grace_timer(ctx) {}

  tcp::acceptor acceptor;
  net::steady_timer grace_timer;
  std::list<tcp::socket*> open;  // the connections being served
  int served = 0;
  bool stopping = false;
  sigkit::asio::attachment attached;  // runs sigkit's handlers (Ctrl-C) in the context

  // Once stopping and idle, nothing may keep the context running: run() returns.
  void finish_if_idle() {
    if (!stopping || !open.empty()) return;
    grace_timer.cancel();
    attached.reset();
  }
};

net::awaitable<void> session(tcp::socket socket, server& s) {
  s.open.push_back(&socket);
  const auto me = std::prev(s.open.end());
  std::string buffer;
  try {
    for (;;) {
      const std::size_t n = co_await net::async_read_until(socket, net::dynamic_buffer(buffer),
                                                           '\n', net::use_awaitable);
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      if (line == "quit") {
        co_await net::async_write(socket, net::buffer(std::string("bye\n")), net::use_awaitable);
        break;
      }
      std::transform(line.begin(), line.end(), line.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      line += '\n';
      co_await net::async_write(socket, net::buffer(line), net::use_awaitable);
    }
  } catch (const boost::system::system_error&) {
    // the client went away, or the grace period closed the socket
  }
  s.open.erase(me);
  ++s.served;
  s.finish_if_idle();
}

net::awaitable<void> accept_connections(server& s) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await s.acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;  // the acceptor was closed: we are stopping
    net::co_spawn(s.acceptor.get_executor(), session(std::move(socket), s), net::detached);
  }
}

net::awaitable<void> stop_on_sigterm(server& s, std::chrono::seconds grace, int& status) {
  const net::any_io_executor ex = co_await net::this_coro::executor;
  const sigkit::siginfo info = co_await sigkit::asio::async_wait(ex, SIGTERM, net::use_awaitable);
  s.stopping = true;
  s.acceptor.close();  // new clients are refused from here on
  std::printf("SIGTERM from pid %d: not accepting, finishing %zu open connection(s)\n",
              static_cast<int>(info.pid), s.open.size());
  s.finish_if_idle();
  if (s.open.empty()) co_return;
  s.grace_timer.expires_after(grace);
  boost::system::error_code ec;
  co_await s.grace_timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  if (ec || s.open.empty()) co_return;  // cancelled: every connection finished in time
  std::printf("grace period over: closing %zu connection(s)\n", s.open.size());
  status = 1;
  for (tcp::socket* socket : s.open) socket->close();
}

// The decimal number `text` if it lies in [0, max], else nothing.
std::optional<long> parse_number(const char* text, long max) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || value < 0 || value > max) return {};
  return value;
}

int body(int argc, char** argv) {
  static_cast<void>(std::setvbuf(stdout, nullptr, _IOLBF, 0));
  const auto port = parse_number(argc > 1 ? argv[1] : "0", 65535);
  const auto grace_s = parse_number(argc > 2 ? argv[2] : "10", 86400);
  if (argc > 3 || !port || !grace_s) {
    static_cast<void>(
        std::fprintf(stderr, "usage: asio_server [port 0-65535] [grace-seconds 0-86400]\n"));
    return 2;
  }
  const std::chrono::seconds grace(*grace_s);

  net::io_context ctx;
  server s(ctx, static_cast<unsigned short>(*port));
  s.attached = sigkit::asio::attach(ctx);
  int status = 0;
  net::co_spawn(ctx, accept_connections(s), net::detached);
  net::co_spawn(ctx, stop_on_sigterm(s, grace, status), net::detached);
  std::printf("listening on 127.0.0.1:%u (pid %d)\n", s.acceptor.local_endpoint().port(),
              static_cast<int>(::getpid()));
  ctx.run();  // returns once stopping and every connection is done
  std::printf("served %d connection(s)\n", s.served);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  return sigkit::run_main([&] { return body(argc, argv); });
}
