// preload.cpp - libsigkit-faulthandler.so, the LD_PRELOAD library of `sigkit faulthandler`
// (the replacement for glibc's removed catchsegv/libSegFault.so).
//
// Loaded into any dynamically linked program, it enables sigkit::faulthandler from
// SIGKIT_FAULTHANDLER / SIGKIT_FAULTHANDLER_FILE before main() runs, and wraps
// pthread_create so that every new thread gets an alternate signal stack (a stack overflow
// in any thread is reported). Everything but pthread_create is hidden: this copy of sigkit
// never meets a sigkit the program may link itself.
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include <exception>
#include <new>

#include "sigkit/faulthandler.hpp"

namespace {

using create_function = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

create_function real_pthread_create() {
  static const auto real =
      reinterpret_cast<create_function>(::dlsym(RTLD_NEXT, "pthread_create"));  // NOLINT
  return real;
}

struct start_arguments {
  void* (*start)(void*);
  void* argument;
};

void* start_with_altstack(void* raw) {
  const start_arguments args = *static_cast<start_arguments*>(raw);
  delete static_cast<start_arguments*>(raw);  // NOLINT(cppcoreguidelines-owning-memory)
  try {
    sigkit::faulthandler::prepare_thread();
  } catch (...) {  // NOLINT(bugprone-empty-catch): no memory for it: the thread runs without
  }
  return args.start(args.argument);
}

void write_error(const char* what) noexcept {
  const char prefix[] = "sigkit faulthandler: cannot enable crash reports: ";
  static_cast<void>(::write(STDERR_FILENO, prefix, sizeof prefix - 1));
  std::size_t n = 0;
  while (what[n] != '\0') ++n;
  static_cast<void>(::write(STDERR_FILENO, what, n));
  static_cast<void>(::write(STDERR_FILENO, "\n", 1));
}

__attribute__((constructor)) void enable_at_load() {
  static_cast<void>(real_pthread_create());
  try {
    sigkit::faulthandler::enable_from_environment();
  } catch (const std::exception& e) {
    write_error(e.what());
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int pthread_create(
    pthread_t* thread, const pthread_attr_t* attributes, void* (*start)(void*), void* argument) {
  const create_function real = real_pthread_create();
  if (real == nullptr) return EAGAIN;
  if (!sigkit::faulthandler::is_enabled()) return real(thread, attributes, start, argument);
  auto* args = new (std::nothrow) start_arguments{start, argument};
  if (args == nullptr) return real(thread, attributes, start, argument);
  const int result = real(thread, attributes, &start_with_altstack, args);
  if (result != 0) delete args;  // NOLINT(cppcoreguidelines-owning-memory)
  return result;
}
