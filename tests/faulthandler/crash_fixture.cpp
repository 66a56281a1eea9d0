// tests/faulthandler/crash_fixture.cpp - a program that crashes in the way argv[1] names,
// with sigkit::faulthandler enabled, for faulthandler_fixture_test.cpp. Built without
// sanitizers (it dies for real: core files, re-faults, allocator interposition).
//
// Usage: crash_fixture MODE [OPTION...]
//   Options: --json, --current-thread, --out=FD (default 2), --count-allocations=FD (write
//   the number of allocator calls made inside the report to FD), --stamp=FD (write the
//   CLOCK_MONOTONIC time just before the fault, 8 bytes), --hang-timeout=SECONDS,
//   --no-enable, --trap (cover SIGTRAP too), --core (RLIMIT_CORE unlimited).
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faulthandler/detail/faulthandler_state.hpp"
#include "sigkit/faulthandler.hpp"

// ---- an interposed allocator: counts calls inside the report, and can fault under its lock ----

extern "C" {
// NOLINTBEGIN
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
void* __libc_memalign(size_t, size_t);
// NOLINTEND
}

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
std::atomic<bool> g_fault_in_malloc{false};
std::atomic<bool> g_lock_held{false};
std::mutex g_allocator_mutex;  // taken by every allocation once armed (the "allocator lock")
std::atomic<bool> g_allocator_locking{false};
int g_count_fd = -1;

void count() noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}

// The allocator's own lock: once armed, every allocation takes it; a faulting allocation
// faults while holding it (other threads then wait on it forever).
struct allocator_lock {
  bool locked = false;
  allocator_lock() {
    if (g_allocator_locking.load(std::memory_order_relaxed)) {
      g_allocator_mutex.lock();
      locked = true;
      if (g_fault_in_malloc.exchange(false)) {
        g_lock_held = true;
        volatile int* null_pointer = nullptr;
        *null_pointer = 42;  // faults with the allocator lock held
      }
    }
  }
  ~allocator_lock() {
    if (locked) g_allocator_mutex.unlock();
  }
  allocator_lock(const allocator_lock&) = delete;
  allocator_lock& operator=(const allocator_lock&) = delete;
};
}  // namespace

extern "C" {
// NOLINTBEGIN
void* malloc(size_t n) {
  count();
  allocator_lock lock;
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count();
  allocator_lock lock;
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count();
  allocator_lock lock;
  return __libc_realloc(p, n);
}
void free(void* p) {
  if (p != nullptr) count();
  allocator_lock lock;
  __libc_free(p);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  count();
  allocator_lock lock;
  *out = __libc_memalign(alignment, n);
  return *out != nullptr ? 0 : ENOMEM;
}
void* aligned_alloc(size_t alignment, size_t n) {
  count();
  allocator_lock lock;
  return __libc_memalign(alignment, n);
}
void* memalign(size_t alignment, size_t n) {
  count();
  allocator_lock lock;
  return __libc_memalign(alignment, n);
}
// NOLINTEND
}

namespace {

void on_report_phase(int phase) {
  if (phase == 0) {
    g_allocations = 0;
    g_counting = true;
    return;
  }
  g_counting = false;
  if (g_count_fd >= 0) {
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%ld\n", g_allocations.load());
    static_cast<void>(::write(g_count_fd, text, static_cast<size_t>(n)));
  }
}

int g_stamp_fd = -1;

// Called just before the fault: the benchmark's clock starts here.
void stamp() {
  if (g_stamp_fd < 0) return;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::int64_t ns = static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  static_cast<void>(::write(g_stamp_fd, &ns, sizeof ns));
}

// ---- the faults ------------------------------------------------------------------------------

__attribute__((noinline)) void fault_null() {
  stamp();
  volatile int* null_pointer = nullptr;
  *null_pointer = 1;
}

__attribute__((noinline)) void fault_read_only() {
  static const int constant = 1;
  auto* writable = const_cast<volatile int*>(&constant);  // in .rodata: SEGV_ACCERR
  *writable = 2;
}

__attribute__((noinline)) void fault_bus() {
  char path[] = "/tmp/sigkit-fixture-bus-XXXXXX";
  const int fd = ::mkstemp(path);
  ::unlink(path);
  auto* p =
      static_cast<volatile char*>(::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  p[4096] = 1;  // past the end of the (empty) file: SIGBUS
}

volatile int g_zero = 0;
__attribute__((noinline)) int fault_fpe(int divisor) { return 100 / (divisor + g_zero); }

__attribute__((noinline)) void fault_ill() { __builtin_trap(); }  // ud2 on x86-64

__attribute__((noinline)) void fault_trap() {
#if defined(__x86_64__)
  asm volatile("int3");
#else
  __builtin_debugtrap();
#endif
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int recurse(int n) {  // NOLINT(misc-no-recursion): the point
  volatile char frame[64];
  frame[0] = static_cast<char>(n);
  return recurse(n + 1) + frame[0];
}
#pragma GCC diagnostic pop

__attribute__((noinline)) int depth64(int n) {
  if (n == 0) {
    fault_null();
    return 0;
  }
  return depth64(n - 1) + 1;
}

[[noreturn]] void usage(const char* why) {
  static_cast<void>(std::fprintf(stderr, "crash_fixture: %s\n", why));
  std::exit(2);
}

// ---- threads for the all-thread dump ------------------------------------------------------

struct thread_zoo {
  int pipe_fds[2] = {-1, -1};
  std::mutex m;
  std::condition_variable cv;
  bool go = false;
  std::atomic<bool> stop{false};
  std::atomic<int> eintr{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;

  void start(int readers, int waiters, int sleepers, int spinners, int blockers) {
    if (::pipe(pipe_fds) != 0) usage("pipe");
    for (int i = 0; i < readers; ++i) {
      threads.emplace_back([this] {
        ++ready;
        char c = 0;
        const ssize_t n = ::read(pipe_fds[0], &c, 1);
        if (n < 0 && errno == EINTR) ++eintr;
      });
    }
    for (int i = 0; i < waiters; ++i) {
      threads.emplace_back([this] {
        std::unique_lock lock(m);
        ++ready;
        cv.wait(lock, [this] { return go; });
      });
    }
    for (int i = 0; i < sleepers; ++i) {
      threads.emplace_back([this] {
        ++ready;
        while (!stop) {
          timespec t{0, 50'000'000};
          ::nanosleep(&t, nullptr);
        }
      });
    }
    for (int i = 0; i < spinners; ++i) {
      threads.emplace_back([this] {
        ++ready;
        while (!stop.load(std::memory_order_relaxed)) {
        }
      });
    }
    for (int i = 0; i < blockers; ++i) {
      threads.emplace_back([this] {
        sigset_t all;
        ::sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
        ++ready;
        while (!stop) {
          timespec t{0, 50'000'000};
          ::nanosleep(&t, nullptr);
        }
      });
    }
    const int total = readers + waiters + sleepers + spinners + blockers;
    while (ready < total) std::this_thread::yield();
    timespec settle{0, 50'000'000};  // let them reach their blocking calls
    ::nanosleep(&settle, nullptr);
  }

  void finish(int readers) {
    {
      const std::lock_guard lock(m);
      go = true;
    }
    cv.notify_all();
    stop = true;
    for (int i = 0; i < readers; ++i) static_cast<void>(::write(pipe_fds[1], "x", 1));
    for (auto& t : threads) t.join();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  const std::string mode = argv[1];
  sigkit::faulthandler::options settings;
  bool enable = true;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      settings.format = sigkit::faulthandler::report_format::json;
    } else if (arg == "--current-thread") {
      settings.all_threads = false;
    } else if (arg.rfind("--out=", 0) == 0) {
      settings.fd = static_cast<int>(std::strtol(arg.c_str() + 6, nullptr, 10));
    } else if (arg.rfind("--count-allocations=", 0) == 0) {
      g_count_fd = static_cast<int>(std::strtol(arg.c_str() + 20, nullptr, 10));
      sigkit::detail::fh::test_hook_callback.store(&on_report_phase);
    } else if (arg.rfind("--stamp=", 0) == 0) {
      g_stamp_fd = static_cast<int>(std::strtol(arg.c_str() + 8, nullptr, 10));
    } else if (arg.rfind("--hang-timeout=", 0) == 0) {
      settings.hang_timeout = std::chrono::duration<double>(std::strtod(arg.c_str() + 15, nullptr));
    } else if (arg == "--no-enable") {
      enable = false;
    } else if (arg == "--trap") {
      settings.signals.insert(SIGTRAP);
    } else if (arg == "--core") {
      const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
      ::setrlimit(RLIMIT_CORE, &unlimited);
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }

  // A thread that exists before enable(): its stack overflow must be reported too.
  std::atomic<bool> overflow_now{false};
  std::thread early;
  if (mode == "overflow-early-thread") {
    early = std::thread([&overflow_now] {
      while (!overflow_now) std::this_thread::yield();
      std::exit(recurse(0));
    });
  }

  if (enable) sigkit::faulthandler::enable(settings);

  if (mode == "segv") fault_null();
  if (mode == "segv-read-only") fault_read_only();
  if (mode == "bus") fault_bus();
  if (mode == "fpe") return fault_fpe(0);
  if (mode == "ill") fault_ill();
  if (mode == "trap") fault_trap();
  if (mode == "abort") std::abort();
  if (mode == "assert") {
    assert(argc == 0 && "assertion in the fixture");  // NOLINT
    std::abort();                                     // NDEBUG builds
  }
  if (mode == "terminate") throw std::runtime_error("boom from the fixture");
  if (mode == "depth64") return depth64(64);
  if (mode == "overflow-main") return recurse(0);
  if (mode == "overflow-early-thread") {
    overflow_now = true;
    early.join();
  }
  if (mode == "overflow-late-thread") {
    std::thread late([] {
      sigkit::faulthandler::prepare_thread();
      std::exit(recurse(0));
    });
    late.join();
  }
  if (mode == "eight-threads") {
    // Eight threads fault at once (a spin barrier, then a null dereference each).
    std::atomic<int> arrived{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&arrived] {
        arrived.fetch_add(1);
        while (arrived.load() < 8) {
        }
        fault_null();
      });
    }
    for (auto& t : threads) t.join();
  }
  if (mode == "threads-depth64") {
    // The latency benchmark's 32-thread case: 31 threads waiting, one fault 64 frames deep.
    thread_zoo zoo;
    zoo.start(0, 31, 0, 0, 0);
    return depth64(64);
  }
  if (mode == "dump-32-threads") {
    // 31 other threads: in read(), in a condition-variable wait, in nanosleep, spinning, and
    // one with every signal blocked. Prints the dump's duration (ns) and the EINTR count.
    thread_zoo zoo;
    zoo.start(8, 8, 8, 6, 1);
    timespec start{};
    timespec end{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    sigkit::faulthandler::dump_traceback(settings.fd, true);
    ::clock_gettime(CLOCK_MONOTONIC, &end);
    zoo.finish(8);
    const long long ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    std::printf("dump_ns=%lld eintr=%d\n", ns, zoo.eintr.load());
    return 0;
  }
  if (mode == "fault-in-allocator") {
    // Other threads allocate in a loop; then one allocation faults holding the allocator lock.
    g_allocator_locking = true;
    std::vector<std::thread> threads;
    threads.reserve(3);
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([] {
        for (;;) {
          void* p = std::malloc(64);
          std::free(p);
        }
      });
    }
    timespec t{0, 5'000'000};
    ::nanosleep(&t, nullptr);
    g_fault_in_malloc = true;
    void* p = std::malloc(16);
    std::free(p);
    for (;;) ::pause();  // only if the faulting allocation was taken by another thread
  }
  if (mode == "fault-while-dlopen") {
    std::atomic<bool> started{false};
    std::vector<std::thread> threads;
    threads.reserve(2);
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&started] {
        for (;;) {
          void* h = ::dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
          started = true;
          if (h != nullptr) ::dlclose(h);
          void* z = ::dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
          if (z != nullptr) ::dlclose(z);
        }
      });
    }
    while (!started) std::this_thread::yield();
    timespec t{0, 2'000'000};
    ::nanosleep(&t, nullptr);
    fault_null();
  }
  if (mode == "fault-while-printf") {
    std::atomic<bool> started{false};
    std::vector<std::thread> threads;
    threads.reserve(3);
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&started, i] {
        for (long n = 0;; ++n) {
          std::printf("thread %d line %ld with some text to format %f\n", i, n,
                      1.5 * static_cast<double>(n));
          started = true;
        }
      });
    }
    while (!started) std::this_thread::yield();
    timespec t{0, 2'000'000};
    ::nanosleep(&t, nullptr);
    fault_null();
  }
  if (mode == "exit") return 7;
  usage(("unknown mode " + mode).c_str());
}
