// fastpath_spawn: new threads and new programs start with the mask they would have had
// without the event-loop fast path.
//
// The fast path keeps signals blocked in the main thread. A thread inherits its creator's
// mask, and a program its exec-ing thread's, so without care a thread started by the main
// thread, and a program it runs, would start with sigkit's block. fork() is covered by the
// registry's fork hook; the rest goes through the functions below, which take the block off
// in the calling (main) thread for the duration of the call, then put it back (deliveries
// meanwhile take the OS-level handler, as without the fast path). They interpose the C
// library's functions of the same names and forward to them (to a sanitizer's interceptor if
// one is linked in statically). This file is linked only into programs that call notify_fd()
// (with a static libsigkit); in a shared libsigkit the wrappers only forward until then.
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <alloca.h>

#include <atomic>
#include <cstdint>

#include "detail/state_posix.hpp"

namespace sigkit::detail {
namespace {

// Takes sigkit's fast-path block off the calling thread if it is the main thread.
class user_mask_scope {
 public:
  user_mask_scope() noexcept {
    const std::uint64_t bits = fast_blocked_mask.load(std::memory_order_acquire);
    if (bits == 0 || ::pthread_self() != main_pthread.load(std::memory_order_acquire)) return;
    ::sigemptyset(&set_);
    for (int s = 1; s < NSIG; ++s) {
      if ((bits & signal_bit(s)) != 0) ::sigaddset(&set_, s);
    }
    active_ = ::pthread_sigmask(SIG_UNBLOCK, &set_, nullptr) == 0;
  }
  ~user_mask_scope() {
    if (active_) ::pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  user_mask_scope(const user_mask_scope&) = delete;
  user_mask_scope& operator=(const user_mask_scope&) = delete;

 private:
  sigset_t set_{};
  bool active_ = false;
};

// The next definition of a C library function: a sanitizer's interceptor if one is linked
// into the program, else the C library's. Resolved at the opt-in (resolve_all) so that a
// vfork child never calls dlsym; lazily otherwise.
template <class Fn>
class next_function {
 public:
  next_function(const char* name, const char* interceptor) noexcept
      : name_(name), interceptor_(interceptor) {}
  Fn get() noexcept {
    Fn fn = fn_.load(std::memory_order_acquire);
    if (fn != nullptr) return fn;
    void* p = ::dlsym(RTLD_DEFAULT, interceptor_);
    if (p == nullptr) p = ::dlsym(RTLD_NEXT, name_);
    fn = reinterpret_cast<Fn>(p);  // NOLINT: dlsym hands out void*
    fn_.store(fn, std::memory_order_release);
    return fn;
  }

 private:
  const char* name_;
  const char* interceptor_;
  std::atomic<Fn> fn_{nullptr};
};

using pthread_create_fn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
using posix_spawn_fn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                               const posix_spawnattr_t*, char* const*, char* const*);
using execve_fn = int (*)(const char*, char* const*, char* const*);
using execv_fn = int (*)(const char*, char* const*);
using fexecve_fn = int (*)(int, char* const*, char* const*);
using system_fn = int (*)(const char*);
using popen_fn = FILE* (*)(const char*, const char*);

next_function<pthread_create_fn> next_pthread_create("pthread_create",
                                                     "__interceptor_pthread_create");
next_function<posix_spawn_fn> next_posix_spawn("posix_spawn", "__interceptor_posix_spawn");
next_function<posix_spawn_fn> next_posix_spawnp("posix_spawnp", "__interceptor_posix_spawnp");
next_function<execve_fn> next_execve("execve", "__interceptor_execve");
next_function<execve_fn> next_execvpe("execvpe", "__interceptor_execvpe");
next_function<execv_fn> next_execv("execv", "__interceptor_execv");
next_function<execv_fn> next_execvp("execvp", "__interceptor_execvp");
next_function<fexecve_fn> next_fexecve("fexecve", "__interceptor_fexecve");
next_function<system_fn> next_system("system", "__interceptor_system");
next_function<popen_fn> next_popen("popen", "__interceptor_popen");

// execl, execlp, execle: the arguments up to the null pointer (and execle's envp after it).
char** collect_args(const char* first, va_list args, std::size_t count, char** out) {
  out[0] = const_cast<char*>(first);  // NOLINT: exec's argv is char* const[]
  for (std::size_t i = 1; i < count; ++i) out[i] = va_arg(args, char*);
  return out;
}

std::size_t count_args(const char* first, va_list args) {
  std::size_t count = 1;  // `first`, then up to and including the terminating null pointer
  if (first == nullptr) return count;
  while (va_arg(args, char*) != nullptr) ++count;
  return count + 1;
}

}  // namespace

void resolve_spawn_functions() noexcept {
  static_cast<void>(next_pthread_create.get());
  static_cast<void>(next_posix_spawn.get());
  static_cast<void>(next_posix_spawnp.get());
  static_cast<void>(next_execve.get());
  static_cast<void>(next_execvpe.get());
  static_cast<void>(next_execv.get());
  static_cast<void>(next_execvp.get());
  static_cast<void>(next_fexecve.get());
  static_cast<void>(next_system.get());
  static_cast<void>(next_popen.get());
}

}  // namespace sigkit::detail

// ---- the interposed C library functions ------------------------------------------------------
// NOLINTBEGIN(readability-inconsistent-declaration-parameter-name,cert-dcl50-cpp)

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  const sigkit::detail::user_mask_scope scope;  // the new thread inherits the user's mask
  return sigkit::detail::next_pthread_create.get()(thread, attr, start, arg);
}

extern "C" int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_posix_spawn.get()(pid, path, actions, attr, argv, envp);
}

extern "C" int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                            const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_posix_spawnp.get()(pid, file, actions, attr, argv, envp);
}

extern "C" int execve(const char* path, char* const argv[], char* const envp[]) {
  const sigkit::detail::user_mask_scope scope;  // put back only if the exec fails
  return sigkit::detail::next_execve.get()(path, argv, envp);
}

extern "C" int execvpe(const char* file, char* const argv[], char* const envp[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_execvpe.get()(file, argv, envp);
}

extern "C" int execv(const char* path, char* const argv[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_execv.get()(path, argv);
}

extern "C" int execvp(const char* file, char* const argv[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_execvp.get()(file, argv);
}

extern "C" int fexecve(int fd, char* const argv[], char* const envp[]) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_fexecve.get()(fd, argv, envp);
}

extern "C" int execl(const char* path, const char* arg, ...) {
  va_list args;
  va_start(args, arg);
  const std::size_t count = sigkit::detail::count_args(arg, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca(count * sizeof(char*)));  // no malloc: vfork
  va_start(args, arg);
  sigkit::detail::collect_args(arg, args, count, argv);
  va_end(args);
  argv[count - 1] = nullptr;
  return execv(path, argv);
}

extern "C" int execlp(const char* file, const char* arg, ...) {
  va_list args;
  va_start(args, arg);
  const std::size_t count = sigkit::detail::count_args(arg, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca(count * sizeof(char*)));
  va_start(args, arg);
  sigkit::detail::collect_args(arg, args, count, argv);
  va_end(args);
  argv[count - 1] = nullptr;
  return execvp(file, argv);
}

extern "C" int execle(const char* path, const char* arg, ...) {
  va_list args;
  va_start(args, arg);
  const std::size_t count = sigkit::detail::count_args(arg, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca(count * sizeof(char*)));
  va_start(args, arg);
  sigkit::detail::collect_args(arg, args, count, argv);
  char* const* envp = va_arg(args, char* const*);
  va_end(args);
  argv[count - 1] = nullptr;
  return execve(path, argv, envp);
}

extern "C" int system(const char* command) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_system.get()(command);
}

extern "C" FILE* popen(const char* command, const char* mode) {
  const sigkit::detail::user_mask_scope scope;
  return sigkit::detail::next_popen.get()(command, mode);
}

// NOLINTEND(readability-inconsistent-declaration-parameter-name,cert-dcl50-cpp)
