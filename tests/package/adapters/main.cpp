// A consumer of sigkit's event-loop adapters, built by the packaging tests against an installed
// sigkit (find_package(sigkit COMPONENTS asio uv)), with add_subdirectory, and (Asio only,
// SIGKIT_CONSUMER_NO_UV) against Boost 1.74's headers. Exits 0 when every check passed.
#include <sigkit/asio.hpp>
#include <sigkit/sigkit.hpp>
#ifndef SIGKIT_CONSUMER_NO_UV
#include <sigkit/uv.hpp>
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <cstdio>
#include <future>

namespace {

namespace net = boost::asio;

net::awaitable<void> await_usr1(int* signo) {
  const sigkit::siginfo info = co_await sigkit::asio::async_wait(co_await net::this_coro::executor,
                                                                 SIGUSR1, net::use_awaitable);
  *signo = info.signo;
}

int body() {
  net::io_context ctx;
  // A callback, with the siginfo of the delivery.
  int callback_value = 0;
  sigkit::asio::async_wait(ctx, SIGUSR1, [&](boost::system::error_code ec, sigkit::siginfo info) {
    if (!ec) callback_value = info.value.sival_int;
  });
  sigval v{};
  v.sival_int = 17;
  if (::sigqueue(::getpid(), SIGUSR1, v) != 0) return 10;
  ctx.run_for(std::chrono::seconds(5));
  if (callback_value != 17) return 11;

  // use_future.
  ctx.restart();
  std::future<sigkit::siginfo> f = sigkit::asio::async_wait(ctx, SIGUSR2, net::use_future);
  std::raise(SIGUSR2);
  ctx.run_for(std::chrono::seconds(5));
  if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready ||
      f.get().signo != SIGUSR2) {
    return 12;
  }

  // co_await.
  ctx.restart();
  int awaited = 0;
  net::co_spawn(ctx, await_usr1(&awaited), net::detached);
  ctx.poll();
  std::raise(SIGUSR1);
  ctx.run_for(std::chrono::seconds(5));
  if (awaited != SIGUSR1) return 13;

  // attach(): signal() handlers run inside run().
  ctx.restart();
  int handled = 0;
  {
    sigkit::asio::attachment attached = sigkit::asio::attach(ctx);
    sigkit::signal(SIGUSR2, [&](int) {
      ++handled;
      attached.reset();
    });
    std::raise(SIGUSR2);
    ctx.run_for(std::chrono::seconds(5));
  }
  if (handled != 1) return 14;

#ifndef SIGKIT_CONSUMER_NO_UV
  uv_loop_t loop{};
  uv_loop_init(&loop);
  {
    sigkit::uv::attachment attached = sigkit::uv::attach(&loop);
    sigkit::signal(SIGUSR2, [&](int) {
      ++handled;
      attached.reset();
    });
    std::raise(SIGUSR2);
    sigkit::uv::run(&loop);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  if (uv_loop_close(&loop) != 0) return 15;
  if (handled != 2) return 16;
#endif

  std::printf("sigkit %s adapters consumer (Boost %d, cancellation %d): ok\n",
              SIGKIT_VERSION_STRING, BOOST_VERSION, SIGKIT_ASIO_HAS_CANCELLATION);
  return 0;
}

}  // namespace

int main() { return sigkit::run_main(body); }
