// tests/cli/trace_target.cpp - programs for `sigkit trace` to watch: each scenario makes
// signals arrive in one known way and prints what it saw, so that the tests can compare the
// trace with the truth (and a run with trace with a run without).
//
// Usage: sigkit_trace_target SCENARIO
// Every scenario has an alarm() watchdog of 20 s (the alarm scenario excepted) and signals
// only itself, its own threads and its own children.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

std::atomic<int> g_last_signal{0};
std::atomic<int> g_last_value{0};
std::atomic<int> g_last_pid{0};

extern "C" void trace_target_record(int signo, siginfo_t* info, void* /*context*/) {
  g_last_value.store(info->si_value.sival_int);
  g_last_pid.store(info->si_pid);
  g_last_signal.store(signo);
}

extern "C" void trace_target_fault(int /*signo*/, siginfo_t* info, void* /*context*/) {
  // Report the address and leave: returning would fault again.
  char line[64];
  const int n = std::snprintf(line, sizeof line, "fault at %p\n", info->si_addr);
  [[maybe_unused]] const ssize_t w = ::write(1, line, static_cast<std::size_t>(n));
  ::_exit(7);
}

void install(int signo, void (*handler)(int, siginfo_t*, void*)) {
  struct sigaction sa {};
  sa.sa_sigaction = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  ::sigaction(signo, &sa, nullptr);
}

void set_disposition(int signo, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
}

// Waits (with the signal unblocked only while waiting) until `signo` was handled.
void await(int signo) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, signo);
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &block, &old);
  while (g_last_signal.load() != signo) {
    sigset_t open = old;
    sigdelset(&open, signo);
    ::sigsuspend(&open);
  }
  g_last_signal.store(0);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

void say(const char* text) {
  static_cast<void>(std::fputs(text, stdout));
  static_cast<void>(std::fflush(stdout));
}

std::atomic<bool> g_worker_ready{false};

void* worker_waits(void* /*unused*/) {
  ::pthread_setname_np(::pthread_self(), "worker");
  g_worker_ready.store(true);
  await(SIGUSR1);  // the only thread with SIGUSR1 unblocked (while waiting)
  return nullptr;
}

// Reads an int at `address` (a fault, for the addresses used here). The address goes through a
// volatile variable so that the compiler neither sees nor warns about the bad access.
int read_at(std::uintptr_t address) {
  volatile std::uintptr_t where = address;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the very address the test expects
  const auto* p = reinterpret_cast<const volatile int*>(where);
  return *p;
}

void* kill_main_thread(void* main_thread) {
  ::pthread_kill(*static_cast<pthread_t*>(main_thread), SIGUSR1);
  return nullptr;
}

int scenario(std::string_view name) {
  if (name == "handled") {
    // Waits for SIGUSR1 from someone else (the test), then reports its sender.
    install(SIGUSR1, trace_target_record);
    say("ready\n");
    await(SIGUSR1);
    std::printf("usr1 from %d\n", g_last_pid.load());
    return 0;
  }
  if (name == "thread") {
    // Another thread of the process sends SIGUSR1 to the main thread (tgkill).
    install(SIGUSR1, trace_target_record);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_t self = ::pthread_self();
    pthread_t worker{};
    ::pthread_create(&worker, nullptr, kill_main_thread, &self);
    ::pthread_join(worker, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);  // delivered here, to the main thread
    std::printf("usr1 handled: %d\n", g_last_signal.load() == SIGUSR1 ? 1 : 0);
    return 0;
  }
  if (name == "worker") {
    // SIGUSR1 sent to the process while only a worker thread can take it.
    install(SIGUSR1, trace_target_record);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &block, nullptr);
    pthread_t worker{};
    ::pthread_create(&worker, nullptr, worker_waits, nullptr);
    while (!g_worker_ready.load()) {
      ::usleep(1000);
    }
    ::usleep(20000);  // let it reach sigsuspend (it would take the signal later anyway)
    ::kill(::getpid(), SIGUSR1);
    ::pthread_join(worker, nullptr);
    say("worker handled it\n");
    return 0;
  }
  if (name == "pipe") {
    // A write to a pipe without a reader: the kernel raises SIGPIPE (default: death).
    int fds[2];
    if (::pipe(fds) != 0) return 2;
    ::close(fds[0]);
    say("writing\n");
    [[maybe_unused]] const ssize_t n = ::write(fds[1], "x", 1);
    say("survived\n");
    return 1;
  }
  if (name == "pipe-ignored") {
    set_disposition(SIGPIPE, SIG_IGN);
    int fds[2];
    if (::pipe(fds) != 0) return 2;
    ::close(fds[0]);
    const ssize_t n = ::write(fds[1], "x", 1);
    std::printf("write: %zd %s\n", n, n < 0 && errno == EPIPE ? "EPIPE" : "?");
    return 0;
  }
  if (name == "segv") {
    // A fault at a known address, caught by a handler that reports it.
    install(SIGSEGV, trace_target_fault);
    return read_at(0x10);
  }
  if (name == "segv-default") {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    return read_at(0);
  }
  if (name == "chld") {
    // A child exits with 5: SIGCHLD from the kernel on its behalf, at SIG_DFL (ignored).
    const pid_t child = ::fork();
    if (child == 0) ::_exit(5);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::printf("child %d\n", WEXITSTATUS(status));
    return 0;
  }
  if (name == "alarm") {
    install(SIGALRM, trace_target_record);
    ::alarm(1);
    await(SIGALRM);
    say("alarm\n");
    return 0;
  }
  if (name == "queue") {
    // A child queues SIGUSR2 with value 42 to its parent.
    install(SIGUSR2, trace_target_record);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    ::sigprocmask(SIG_BLOCK, &block, nullptr);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child == 0) {
      union sigval v {};
      v.sival_int = 42;
      ::sigqueue(parent, SIGUSR2, v);
      ::_exit(0);
    }
    ::sigprocmask(SIG_UNBLOCK, &block, nullptr);
    await(SIGUSR2);
    ::waitpid(child, nullptr, 0);
    std::printf("value %d from child\n", g_last_value.load());
    return 0;
  }
  if (name == "blocked") {
    // Blocks SIGUSR2 and waits for SIGUSR1 (the test sends USR2 first), then takes SIGUSR2
    // with sigwaitinfo: it is never delivered.
    install(SIGUSR1, trace_target_record);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    ::sigprocmask(SIG_BLOCK, &block, nullptr);
    say("ready\n");
    await(SIGUSR1);
    siginfo_t info{};
    const int s = ::sigwaitinfo(&block, &info);
    std::printf("accepted %d\n", s);
    return 0;
  }
  if (name == "wait") {
    // Waits to be signalled (SIGTERM at SIG_DFL ends it), SIGUSR1 handled.
    install(SIGUSR1, trace_target_record);
    say("ready\n");
    for (;;) {
      await(SIGUSR1);
      say("usr1\n");
    }
  }
  if (name == "mixed") {
    // Several kinds at once, for the comparison with and without trace.
    install(SIGUSR1, trace_target_record);
    static_cast<void>(::raise(SIGUSR1));
    set_disposition(SIGPIPE, SIG_IGN);
    int fds[2];
    if (::pipe(fds) != 0) return 2;
    ::close(fds[0]);
    const ssize_t n = ::write(fds[1], "x", 1);
    std::printf("usr1 %d, write %zd\n", g_last_signal.load(), n);
    const pid_t child = ::fork();
    if (child == 0) ::_exit(9);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::printf("child %d\n", WEXITSTATUS(status));
    set_disposition(SIGWINCH, SIG_IGN);
    static_cast<void>(::raise(SIGWINCH));
    say("done\n");
    return 3;
  }
  static_cast<void>(std::fprintf(stderr, "unknown scenario\n"));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    static_cast<void>(std::fprintf(stderr, "usage: sigkit_trace_target SCENARIO\n"));
    return 2;
  }
  const std::string_view name = argv[1];
  if (name != "alarm") {
    ::alarm(20);
  }
  return scenario(name);
}
