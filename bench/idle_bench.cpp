// bench/idle_bench.cpp - idle cost: a process with handlers installed and nothing arriving
// must use no CPU and never wake up.
//
// A child installs handlers for SIGUSR1, SIGUSR2 and SIGRTMIN (the latter a (const siginfo&)
// handler) and waits. The parent samples /proc/<pid>/task/*/schedstat (CPU time on the CPU, in
// ns) and /proc/<pid>/task/*/status (voluntary and involuntary context switches), summed over
// all threads the child has, over `--seconds` (default 1). Then it sends SIGUSR1 and checks
// that the child's handler runs (the child exits 0), so an idle child is not a dead one.
// Waits: raw ::pause() with raw handlers [baseline]; sigkit::pause(); sigkit::sleep(1 h); and a
// control that wakes every millisecond, to prove the meter sees wakeups.
//
// Usage: sigkit_bench_idle [--seconds=S]
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "bench_common.hpp"
#include "sigkit/sigkit.hpp"

namespace {

using namespace sigkit_bench;

enum class waiter { raw_pause, sigkit_pause, sigkit_sleep, meter_check };

struct sample {
  std::uint64_t cpu_ns = 0;
  std::uint64_t voluntary = 0;
  std::uint64_t involuntary = 0;
  int threads = 0;
};

std::uint64_t field_after(const std::string& text, const char* key) {
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(text.c_str() + at + std::strlen(key), nullptr, 10);
}

std::string read_text(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  static_cast<void>(std::fclose(f));
  return out;
}

sample take_sample(pid_t pid) {
  sample s;
  const std::string dir = format("/proc/%d/task", static_cast<int>(pid));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return s;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = dir + "/" + e->d_name;
    ++s.threads;
    s.cpu_ns += std::strtoull(read_text(task + "/schedstat").c_str(), nullptr, 10);
    const std::string status = read_text(task + "/status");
    s.voluntary += field_after(status, "\nvoluntary_ctxt_switches:");
    s.involuntary += field_after(status, "\nnonvoluntary_ctxt_switches:");
  }
  ::closedir(d);
  return s;
}

extern "C" void sigkit_bench_idle_raw_handler(int signo) {
  if (signo == SIGUSR1) ::_exit(0);
}

int run_idle_child(waiter w, int ready_fd) {
  try {
    if (w == waiter::raw_pause || w == waiter::meter_check) {
      struct sigaction sa {};
      sa.sa_handler = sigkit_bench_idle_raw_handler;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGUSR1, &sa, nullptr);
      ::sigaction(SIGUSR2, &sa, nullptr);
      ::sigaction(SIGRTMIN, &sa, nullptr);
    } else {
      // The handler runs in normal context at a checkpoint inside pause()/sleep().
      sigkit::signal(SIGUSR1, [](int) { ::_exit(0); });
      sigkit::signal(SIGUSR2, [](int) {});
      sigkit::signal(SIGRTMIN, [](const sigkit::siginfo&) {});
    }
    const char byte = 1;
    if (::write(ready_fd, &byte, 1) != 1) return 2;
    ::close(ready_fd);
    for (;;) {
      switch (w) {
        case waiter::raw_pause:
          ::pause();
          break;
        case waiter::sigkit_pause:
          sigkit::pause();
          break;
        case waiter::sigkit_sleep:
          sigkit::sleep(std::chrono::hours(1));
          break;
        case waiter::meter_check: {  // wakes every ms: proves the meter sees wakeups
          const timespec ms{0, 1'000'000};
          ::nanosleep(&ms, nullptr);
          break;
        }
      }
    }
  } catch (const std::exception& e) {
    static_cast<void>(std::fprintf(stderr, "idle child: %s\n", e.what()));
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = arg_value(argc, argv, "--seconds", 1.0);
  struct spec {
    const char* label;
    waiter w;
  };
  const spec specs[] = {
      {"raw ::pause(), raw handlers [baseline]", waiter::raw_pause},
      {"sigkit::pause(), 3 sigkit handlers", waiter::sigkit_pause},
      {"sigkit::sleep(1 h), 3 sigkit handlers", waiter::sigkit_sleep},
      {"control: raw 1 ms nanosleep loop [meter check]", waiter::meter_check},
  };
  for (const spec& sp : specs) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return 2;
    const pid_t child = fork_child(static_cast<unsigned>(seconds) + 30,
                                   [&] { return run_idle_child(sp.w, ready[1]); });
    ::close(ready[1]);
    char byte = 0;
    const ssize_t n = ::read(ready[0], &byte, 1);
    ::close(ready[0]);
    if (n != 1) {
      reap(child, 5);
      emit_row("idle", sp.label, "FAILED: child did not start", "", "", "", "FAILED");
      continue;
    }
    ::usleep(200'000);  // let it settle into its wait
    const sample before = take_sample(child);
    const std::uint64_t t0 = now_ns();
    ::usleep(static_cast<useconds_t>(seconds * 1e6));
    const sample after = take_sample(child);
    const double wall = static_cast<double>(now_ns() - t0) / 1e9;
    // Still alive and responsive? SIGUSR1's handler exits 0.
    const std::uint64_t sent = now_ns();
    ::kill(child, SIGUSR1);
    const int status = reap(child, 5);
    const double response_ms = static_cast<double>(now_ns() - sent) / 1e6;
    const bool responsive = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;

    const double cpu_us = static_cast<double>(after.cpu_ns - before.cpu_ns) / 1e3;
    const std::uint64_t wakeups =
        (after.voluntary - before.voluntary) + (after.involuntary - before.involuntary);
    const std::string response = responsive
                                     ? format("then SIGUSR1 handled within %.1f ms", response_ms)
                                     : format("NOT responsive (status 0x%x)", status);
    const std::string result =
        format("%.1f us CPU, %llu wakeups (%llu vol + %llu invol) in %.2f s; %d thread(s); %s",
               cpu_us, static_cast<unsigned long long>(wakeups),
               static_cast<unsigned long long>(after.voluntary - before.voluntary),
               static_cast<unsigned long long>(after.involuntary - before.involuntary), wall,
               after.threads, response.c_str());
    if (sp.w == waiter::meter_check) {
      // Not a target: the meter must see ~1000 wakeups per second here, or it is broken.
      const bool sane = static_cast<double>(wakeups) > 500 * wall && responsive;
      emit_row("idle", sp.label, result, "", "", "~1000 wakeups/s (meter works)",
               sane ? "meter ok" : "METER BROKEN");
      continue;
    }
    const bool met = wakeups == 0 && cpu_us < 1.0 && responsive;
    emit_row("idle", sp.label, result, "", "", "0 CPU, 0 wakeups, responsive",
             met ? "MET" : (responsive ? "MISSED" : "FAILED"));
  }
  return 0;
}
