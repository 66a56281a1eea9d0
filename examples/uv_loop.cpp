// uv_loop: a libuv program whose signals are handled by sigkit (sigkit::uv::attach).
//
//   uv_loop
//
// A heartbeat timer ticks every 50 ms. The handlers run inside uv_run(), on the main thread:
//   SIGUSR1  a (const siginfo&) handler prints the tick count and who sent the signal;
//   SIGHUP   a subscriber "reloads the configuration" (and tells who asked);
//   SIGTERM  a subscriber stops the timer and detaches sigkit from the loop: uv_run() runs out
//            of active handles and returns; the program prints "bye" and exits 0.
// Ctrl-C: run_main() installed sigkit's SIGINT handler; its keyboard_interrupt cannot pass
// through libuv's C frames, so the attachment stops the loop and sigkit::uv::run() rethrows it;
// run_main() then prints KeyboardInterrupt and ends the process by SIGINT.
#include <sigkit/sigkit.hpp>
#include <sigkit/uv.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>

namespace {

int body() {
  static_cast<void>(std::setvbuf(stdout, nullptr, _IOLBF, 0));
  uv_loop_t loop{};
  uv_loop_init(&loop);

  struct heartbeat {
    uv_timer_t timer{};
    unsigned long ticks = 0;
  } beat;
  uv_timer_init(&loop, &beat.timer);
  beat.timer.data = &beat;
  uv_timer_start(
      &beat.timer, [](uv_timer_t* t) { ++static_cast<heartbeat*>(t->data)->ticks; }, 50, 50);

  std::optional<sigkit::uv::attachment> attached(sigkit::uv::attach(&loop));

  sigkit::signal(SIGUSR1, [&](const sigkit::siginfo& info) {
    std::printf("SIGUSR1 from pid %d: %lu ticks so far\n", static_cast<int>(info.pid), beat.ticks);
  });
  const sigkit::subscription reload = sigkit::subscribe({SIGHUP}, [](const sigkit::siginfo& info) {
    std::printf("reloading the configuration (SIGHUP from pid %d)\n", static_cast<int>(info.pid));
  });
  const sigkit::subscription stop = sigkit::subscribe({SIGTERM}, [&](int) {
    std::printf("SIGTERM: closing the loop\n");
    uv_close(reinterpret_cast<uv_handle_t*>(&beat.timer), nullptr);
    attached.reset();
  });

  std::printf("ready (pid %d)\n", static_cast<int>(::getpid()));
  sigkit::uv::run(&loop);  // returns when no handle is left; rethrows a handler's exception
  std::printf("bye after %lu ticks\n", beat.ticks);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}

}  // namespace

int main() { return sigkit::run_main(body); }
