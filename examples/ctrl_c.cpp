// ctrl_c: a loop of steps that Ctrl+C stops cleanly. The first Ctrl+C lets the current step
// finish, then the program says so and exits with 0; a second Ctrl+C ends it at once, as a
// user who presses it twice expects: on Windows with STATUS_CONTROL_C_EXIT (0xC000013A), the
// exit code Windows gives a program that Ctrl+C ends; on Linux by SIGINT (a shell shows 130).
// The same source on both: sigkit turns the console's Ctrl+C (which Windows delivers on a
// thread of its own) into a SIGINT delivery as on Linux.
//
//   ctrl_c [steps [milliseconds per step]]     (defaults: 1000 steps of 500 ms)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stop_token>
#include <thread>

#include <sigkit/sigkit.hpp>

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int step_ms = argc > 2 ? std::atoi(argv[2]) : 500;
  // run_main: a Ctrl+C before the shutdown below exists ends the program as Ctrl+C should.
  return sigkit::run_main([&] {
    // The first SIGINT (or SIGTERM; on Windows also Ctrl+Break or closing the console)
    // requests the stop; a second one ends the process at once, even in the middle of a step.
    sigkit::shutdown stop;
    const std::stop_callback tell(stop.token(), [] {
      std::puts("Ctrl+C: finishing this step (press Ctrl+C again to quit at once)");
      std::fflush(stdout);
    });
    int done = 0;
    for (int step = 1; step <= steps && !stop.requested(); ++step) {
      std::printf("step %d...\n", step);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));  // the step's work
      std::printf("step %d done\n", step);
      std::fflush(stdout);
      done = step;
    }
    if (stop.requested()) {
      std::printf("stopped cleanly after %d steps\n", done);
    } else {
      std::printf("all %d steps done\n", done);
    }
    return 0;
  });
}
