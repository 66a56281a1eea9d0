// terminate.cpp - uncaught C++ exceptions: a std::terminate handler records the exception's
// demangled type and what() for the SIGABRT report that follows, then runs the handler that
// was there before (libstdc++'s prints its own message and calls abort()).
#include <cxxabi.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <typeinfo>

#include "faulthandler/detail/engine.hpp"
#include "faulthandler/detail/faulthandler_state.hpp"

namespace sigkit::detail::fh {
namespace {

std::atomic<std::terminate_handler> previous_terminate{nullptr};

void copy_text(char* out, std::size_t size, const char* text) noexcept {
  if (text == nullptr) text = "";
  std::size_t n = std::strlen(text);
  if (n >= size) n = size - 1;
  std::memcpy(out, text, n);
  out[n] = '\0';
}

void record_exception() noexcept {
  const std::exception_ptr current = std::current_exception();
  if (current == nullptr) {
    copy_text(exception_type, sizeof exception_type, "(no exception)");
    copy_text(exception_what, sizeof exception_what,
              "std::terminate called without an active exception");
  } else {
    const std::type_info* type = abi::__cxa_current_exception_type();
    const char* mangled = type != nullptr ? type->name() : "(unknown type)";
    int status = 0;
    char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    copy_text(exception_type, sizeof exception_type,
              status == 0 && demangled != nullptr ? demangled : mangled);
    std::free(demangled);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle's buffer
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      copy_text(exception_what, sizeof exception_what, e.what());
    } catch (...) {
      copy_text(exception_what, sizeof exception_what, "(not a std::exception)");
    }
  }
  exception_text_ready.store(true, std::memory_order_release);
}

[[noreturn]] void on_terminate() noexcept {
  record_exception();
  const std::terminate_handler previous = previous_terminate.load(std::memory_order_acquire);
  if (previous != nullptr && previous != &on_terminate) previous();
  std::abort();
}

}  // namespace

void install_terminate_hook() {
  const std::terminate_handler current = std::get_terminate();
  if (current == &on_terminate) return;
  previous_terminate.store(current, std::memory_order_release);
  std::set_terminate(&on_terminate);
}

void remove_terminate_hook() {
  if (std::get_terminate() != &on_terminate) return;  // someone else's since: leave it
  std::set_terminate(previous_terminate.load(std::memory_order_acquire));
}

}  // namespace sigkit::detail::fh
