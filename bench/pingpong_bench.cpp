// bench/pingpong_bench.cpp - the headline benchmark: signal round trips between two processes.
//
// A partner process (a plain C-style loop on sigwaitinfo) answers every SIGUSR1 with
// kill(si_pid, SIGUSR1). The measured process sends SIGUSR1, waits until its receive path has
// handled the answer, and times that round trip. Receive paths:
//   (a) raw sigwaitinfo loop (SIGUSR1 blocked) - the floor
//   (b) hand-written self-pipe: raw sigaction handler writes a byte, epoll_wait + read
//   (c) sigkit::pause() loop with an (int) handler
//   (d) sigkit::set_wakeup_fd + epoll_wait + read + sigkit::check_signals(), (int) handler
//   (e) sigkit::pause() loop with a (const siginfo&) handler
//   (f) raw signalfd + epoll_wait + read (SIGUSR1 blocked) [baseline]
//   (g) sigkit::notify_fd() + epoll_wait + sigkit::dispatch(), (int) handler (the fast path)
// Each run also measures the measured process's CPU time per round trip
// (CLOCK_PROCESS_CPUTIME_ID around the timed loop).
// Each path runs in a fresh pair of processes, pinned to one CPU and unpinned, `--reps` times
// interleaved (a b c d e a b c d e ...); the rep with the lowest p50 is reported, as the
// machine is shared and noise only ever adds time. Ratios compare runs of the same sweep and
// use the p50 (the mean is shown too): other tenants' preemptions land in the mean and p99.
//
// Usage: sigkit_bench_pingpong [--round-trips=N] [--seconds=S] [--reps=R] [--cpu=C]
//                              [--path=0..6 (only (a)..(g))] [--unpinned=0 (pinned only)]
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "bench_common.hpp"
#include "sigkit/sigkit.hpp"

namespace {

using namespace sigkit_bench;

constexpr std::size_t kMaxSamples = 100'000;
constexpr int kWarmup = 300;

struct shared_result {
  int ok = 0;
  std::size_t count = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t wrong_sender = 0;
  char error[256] = {};
  std::uint64_t samples[kMaxSamples] = {};
};

enum class path {
  raw_sigwaitinfo,
  self_pipe,
  sigkit_pause_int,
  sigkit_wakeup_fd,
  sigkit_siginfo,
  raw_signalfd,
  sigkit_notify_fd
};

struct path_desc {
  path p;
  const char* label;
};

constexpr std::array<path_desc, 7> kPaths = {{
    {path::raw_sigwaitinfo, "(a) raw sigwaitinfo loop [floor]"},
    {path::self_pipe, "(b) raw self-pipe + epoll [baseline]"},
    {path::sigkit_pause_int, "(c) sigkit pause() + (int) handler"},
    {path::sigkit_wakeup_fd, "(d) sigkit wakeup fd + epoll + check_signals()"},
    {path::sigkit_siginfo, "(e) sigkit pause() + (const siginfo&) handler"},
    {path::raw_signalfd, "(f) raw signalfd + epoll [baseline]"},
    {path::sigkit_notify_fd, "(g) sigkit notify_fd() + epoll + dispatch()"},
}};

std::uint64_t process_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// ---- the partner: a plain C-style loop ------------------------------------------------------

int run_partner(int cpu) {
  pin_to_cpu(cpu);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);  // already blocked: inherited from the orchestrator
  for (;;) {
    siginfo_t si;
    const int s = ::sigwaitinfo(&set, &si);
    if (s == SIGUSR1) {
      // Never kill(0 or negative): that would signal a whole process group.
      if (si.si_pid > 0) ::kill(si.si_pid, SIGUSR1);
    } else if (s < 0 && errno != EINTR) {
      return 1;
    }
  }
}

// ---- the measured side ---------------------------------------------------------------------

int g_pipe_write = -1;
std::uint64_t g_handled = 0;  // handlers run in normal context (sigkit) - a plain counter
pid_t g_partner = 0;
std::uint64_t g_wrong_sender = 0;

extern "C" void sigkit_bench_self_pipe_handler(int signo) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] const ssize_t n = ::write(g_pipe_write, &byte, 1);
  errno = saved;
}

void unblock_sigusr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

int make_epoll_on(int fd) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  return ep;
}

// One read, as in (b): the pipe is level-triggered in epoll, so any byte left wakes it again.
void drain(int fd) {
  unsigned char buf[64];
  [[maybe_unused]] const ssize_t n = ::read(fd, buf, sizeof buf);
}

// Runs the timed loop: `receive_one` must return once the answer to the kill() was handled.
template <class F>
void timed_loop(shared_result& out, std::size_t round_trips, double seconds, F&& receive_one) {
  for (int i = 0; i < kWarmup; ++i) {
    ::kill(g_partner, SIGUSR1);
    receive_one();
  }
  const std::uint64_t cpu_start = process_cpu_ns();
  const std::uint64_t start = now_ns();
  const std::uint64_t deadline = start + static_cast<std::uint64_t>(seconds * 1e9);
  std::size_t n = 0;
  std::uint64_t t1 = start;
  while (n < round_trips) {
    const std::uint64_t t0 = now_ns();
    ::kill(g_partner, SIGUSR1);
    receive_one();
    t1 = now_ns();
    out.samples[n++] = t1 - t0;
    if (t1 > deadline) break;
  }
  out.count = n;
  out.wall_ns = t1 - start;
  out.cpu_ns = process_cpu_ns() - cpu_start;
}

int run_measured(path p, int cpu, pid_t partner, std::size_t round_trips, double seconds,
                 shared_result& out) {
  pin_to_cpu(cpu);
  g_partner = partner;
  try {
    switch (p) {
      case path::raw_sigwaitinfo: {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        timed_loop(out, round_trips, seconds, [&] {
          siginfo_t si;
          while (::sigwaitinfo(&set, &si) != SIGUSR1) {
          }
          if (si.si_pid != g_partner) ++g_wrong_sender;
        });
        break;
      }
      case path::self_pipe: {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        g_pipe_write = fds[1];
        struct sigaction sa {};
        sa.sa_handler = sigkit_bench_self_pipe_handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(SIGUSR1, &sa, nullptr);
        unblock_sigusr1();
        const int ep = make_epoll_on(fds[0]);
        timed_loop(out, round_trips, seconds, [&] {
          for (;;) {
            epoll_event ev{};
            const int r = ::epoll_wait(ep, &ev, 1, -1);
            if (r == 1) {
              unsigned char buf[64];
              const ssize_t got = ::read(fds[0], buf, sizeof buf);
              if (got > 0) {
                g_handled += static_cast<std::uint64_t>(got);  // "run the handler"
                return;
              }
            }
          }
        });
        break;
      }
      case path::sigkit_pause_int: {
        sigkit::signal(SIGUSR1, [](int) { ++g_handled; });
        unblock_sigusr1();
        timed_loop(out, round_trips, seconds, [] {
          const std::uint64_t before = g_handled;
          while (g_handled == before) sigkit::pause();
        });
        break;
      }
      case path::sigkit_wakeup_fd: {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        sigkit::set_wakeup_fd(fds[1]);
        sigkit::signal(SIGUSR1, [](int) { ++g_handled; });
        unblock_sigusr1();
        const int ep = make_epoll_on(fds[0]);
        timed_loop(out, round_trips, seconds, [&] {
          const std::uint64_t before = g_handled;
          while (g_handled == before) {
            epoll_event ev{};
            if (::epoll_wait(ep, &ev, 1, -1) == 1) drain(fds[0]);
            sigkit::check_signals();
          }
        });
        break;
      }
      case path::sigkit_siginfo: {
        sigkit::signal(SIGUSR1, [](const sigkit::siginfo& info) {
          if (info.pid != g_partner) ++g_wrong_sender;
          ++g_handled;
        });
        unblock_sigusr1();
        timed_loop(out, round_trips, seconds, [] {
          const std::uint64_t before = g_handled;
          while (g_handled == before) sigkit::pause();
        });
        break;
      }
      case path::raw_signalfd: {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);  // blocked: inherited from the orchestrator
        const int sfd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0) throw std::runtime_error("signalfd");
        const int ep = make_epoll_on(sfd);
        timed_loop(out, round_trips, seconds, [&] {
          for (;;) {
            epoll_event ev{};
            if (::epoll_wait(ep, &ev, 1, -1) != 1) continue;
            signalfd_siginfo batch[16];
            const ssize_t got = ::read(sfd, batch, sizeof batch);
            if (got <= 0) continue;
            for (ssize_t i = 0; i < got / static_cast<ssize_t>(sizeof batch[0]); ++i) {
              if (static_cast<pid_t>(batch[i].ssi_pid) != g_partner) ++g_wrong_sender;
              ++g_handled;  // "run the handler"
            }
            return;
          }
        });
        break;
      }
      case path::sigkit_notify_fd: {
        sigkit::signal(SIGUSR1, [](int) { ++g_handled; });
        unblock_sigusr1();  // the user's mask; sigkit keeps its own block for the fast path
        const int ep = make_epoll_on(sigkit::notify_fd());
        timed_loop(out, round_trips, seconds, [&] {
          const std::uint64_t before = g_handled;
          while (g_handled == before) {
            epoll_event ev{};
            if (::epoll_wait(ep, &ev, 1, -1) == 1) sigkit::dispatch();
          }
        });
        break;
      }
    }
  } catch (const std::exception& e) {
    static_cast<void>(std::snprintf(out.error, sizeof out.error, "%s", e.what()));
    return 1;
  }
  out.wrong_sender = g_wrong_sender;
  out.ok = 1;
  return 0;
}

// ---- the orchestrator ----------------------------------------------------------------------

struct run_result {
  bool ok = false;
  latency_stats stats;
  double cpu_per_rt_us = 0;
  std::string error;
};

run_result run_once(path p, int cpu, std::size_t round_trips, double seconds,
                    shared_result* shared) {
  *shared = shared_result{};
  const unsigned watchdog = static_cast<unsigned>(seconds) + 20;
  const pid_t partner = fork_child(watchdog, [&] { return run_partner(cpu); });
  const pid_t measured = fork_child(
      watchdog, [&] { return run_measured(p, cpu, partner, round_trips, seconds, *shared); });
  const int status = reap(measured, seconds + 15);
  kill_and_reap(partner);
  run_result r;
  if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || shared->ok == 0) {
    r.error = shared->error[0] != '\0' ? shared->error
                                       : format("measured child failed (status 0x%x)", status);
    return r;
  }
  if (shared->wrong_sender != 0) {
    r.error = format("%llu deliveries from an unexpected sender",
                     static_cast<unsigned long long>(shared->wrong_sender));
    return r;
  }
  r.ok = true;
  r.stats = compute_stats(shared->samples, shared->count, shared->wall_ns);
  r.cpu_per_rt_us = shared->count > 0 ? static_cast<double>(shared->cpu_ns) / 1e3 /
                                            static_cast<double>(shared->count)
                                      : 0;
  return r;
}

void sweep(const char* section, int cpu, std::size_t round_trips, double seconds, int reps,
           unsigned only, shared_result* shared) {
  std::array<run_result, kPaths.size()> best{};
  for (int rep = 0; rep < reps; ++rep) {
    for (std::size_t i = 0; i < kPaths.size(); ++i) {
      if (((only >> i) & 1U) == 0) continue;
      run_result r = run_once(kPaths[i].p, cpu, round_trips, seconds, shared);
      static_cast<void>(
          std::fprintf(stderr, "  %s rep %d %-48s %s\n", section, rep, kPaths[i].label,
                       r.ok ? format("mean %.2f us p50 %.2f p99 %.2f n=%zu", r.stats.mean_us,
                                     r.stats.p50_us, r.stats.p99_us, r.stats.count)
                                  .c_str()
                            : r.error.c_str()));
      if (!r.ok) {
        if (!best[i].ok) best[i] = r;
        continue;
      }
      if (!best[i].ok || r.stats.p50_us < best[i].stats.p50_us) best[i] = r;
    }
  }
  const run_result& floor = best[0];
  const run_result& pipe = best[1];
  const bool pinned = cpu >= 0;
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (((only >> i) & 1U) == 0) continue;
    const run_result& r = best[i];
    if (!r.ok) {
      emit_row(section, kPaths[i].label, "FAILED: " + r.error, "", "", "", "FAILED");
      continue;
    }
    const std::string result =
        format("mean %.2f us, p50 %.2f, p99 %.2f, %.0f rt/s, CPU %.2f us/rt", r.stats.mean_us,
               r.stats.p50_us, r.stats.p99_us, r.stats.per_second, r.cpu_per_rt_us);
    std::string baseline, ratio, target, verdict;
    if (i > 0 && floor.ok) {
      const double ratio_mean = r.stats.mean_us / floor.stats.mean_us;
      const double ratio_p50 = r.stats.p50_us / floor.stats.p50_us;
      baseline = format("(a) p50 %.2f us, mean %.2f", floor.stats.p50_us, floor.stats.mean_us);
      ratio = format("%.2fx (mean %.2fx)", ratio_p50, ratio_mean);
      if (i >= 5) {
        // The event-loop rows: throughput and CPU per round trip against the floor.
        const double rts = r.stats.per_second / floor.stats.per_second;
        const double cpu_ratio = r.cpu_per_rt_us / floor.cpu_per_rt_us;
        baseline =
            format("(a) %.0f rt/s, CPU %.2f us/rt", floor.stats.per_second, floor.cpu_per_rt_us);
        ratio = format("rt/s %.2fx, CPU/rt %.2fx, p99 %.2fx", rts, cpu_ratio,
                       r.stats.p99_us / floor.stats.p99_us);
        if (i == 6 && pinned) {
          target = "rt/s >= 0.90x (a), CPU/rt <= 1.20x (a)";
          const bool met = rts >= 0.90 && cpu_ratio <= 1.20;
          verdict = met ? "MET" : format("MISSED (rt/s %.2fx, CPU/rt %.2fx)", rts, cpu_ratio);
        } else {
          target = "(baseline)";
        }
      } else if (i >= 2 && pipe.ok) {
        const double pipe_p50 = r.stats.p50_us / pipe.stats.p50_us;
        ratio += format("; %.2fx (b) (mean %.2fx)", pipe_p50, r.stats.mean_us / pipe.stats.mean_us);
        if (pinned) {
          target = "p50 <= 1.25x (a), <= 1.00x (b)";
          const std::string v1 = verdict_le(ratio_p50, 1.25);
          const std::string v2 = verdict_le(pipe_p50, 1.0);
          if (v1 == "MET" && v2 == "MET") {
            verdict = "MET";
          } else {
            verdict = (v1 == "MET" ? "" : v1 + " vs (a)") +
                      (v1 != "MET" && v2 != "MET" ? "; " : "") +
                      (v2 == "MET" ? "" : v2 + " vs (b)");
          }
        } else {
          target = "(informational)";
        }
      }
    }
    emit_row(section, kPaths[i].label, result, baseline, ratio, target, verdict);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto round_trips = static_cast<std::size_t>(
      std::min<double>(arg_value(argc, argv, "--round-trips", 20000), kMaxSamples));
  const double seconds = arg_value(argc, argv, "--seconds", 2.0);
  const int reps = static_cast<int>(arg_value(argc, argv, "--reps", 3));
  const int cpu = static_cast<int>(arg_value(argc, argv, "--cpu", 0));
  // --path=N runs only path N (0..6 = (a)..(g)); --paths=0,1,5 a set of them; default: all.
  unsigned only = ~0U;
  if (const int one = static_cast<int>(arg_value(argc, argv, "--path", -1)); one >= 0) {
    only = 1U << one;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--paths=", 8) != 0) continue;
    only = 0;
    for (const char* p = argv[i] + 8; *p != '\0'; ++p) {
      if (*p >= '0' && *p <= '9') only |= 1U << (*p - '0');
    }
  }
  const bool unpinned = arg_value(argc, argv, "--unpinned", 1) != 0;

  // Both children inherit SIGUSR1 blocked: the partner waits for it with sigwaitinfo, and the
  // measured side unblocks it once its receive path is installed.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto* shared = make_shared_block<shared_result>();
  static_cast<void>(
      std::fprintf(stderr, "ping-pong: up to %zu round trips or %.1f s per run, best of %d reps\n",
                   round_trips, seconds, reps));
  sweep(format("pingpong pinned cpu%d", cpu).c_str(), cpu, round_trips, seconds, reps, only,
        shared);
  if (unpinned) sweep("pingpong unpinned", -1, round_trips, seconds, reps, only, shared);
  free_shared_block(shared);
  return 0;
}
