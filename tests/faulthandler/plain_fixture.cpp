/* tests/faulthandler/plain_fixture.cpp - a program that knows nothing of sigkit, for
 * `sigkit faulthandler -- COMMAND` (the catchsegv replacement).
 *
 * Usage: plain_fixture segv | overflow-thread | exit N | kill SIGNAL | spawn-segv
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n) {  // NOLINT(misc-no-recursion)
  volatile char frame[64];
  frame[0] = static_cast<char>(n);
  return recurse(n + 1) + frame[0];
}

static void* overflow(void* unused) {
  static_cast<void>(unused);
  static_cast<void>(recurse(0));  // never returns: the stack overflows
  return nullptr;
}

__attribute__((noinline)) static void plain_crash() {
  volatile int* volatile p = nullptr;
  *p = 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (std::strcmp(argv[1], "segv") == 0) plain_crash();
  if (std::strcmp(argv[1], "overflow-thread") == 0) {
    pthread_t t;
    pthread_create(&t, nullptr, overflow, nullptr); /* created after the preload enabled reports */
    pthread_join(t, nullptr);
  }
  if (std::strcmp(argv[1], "exit") == 0 && argc > 2)
    return static_cast<int>(std::strtol(argv[2], nullptr, 10));
  if (std::strcmp(argv[1], "kill") == 0 && argc > 2) {
    static_cast<void>(raise(static_cast<int>(std::strtol(argv[2], nullptr, 10))));
    return 0;
  }
  if (std::strcmp(argv[1], "spawn-segv") == 0) {
    /* A child crashes: it inherits the preload and gets its own report. */
    const pid_t pid = fork();
    if (pid == 0) {
      execl(argv[0], argv[0], "segv", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? 100 + WTERMSIG(status) : 1;
  }
  return 3;
}
