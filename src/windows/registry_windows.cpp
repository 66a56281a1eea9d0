// registry_windows: the Windows port of the registry's OS side. A disposition is the C
// runtime's handler for one of its seven signals (signal(): SIG_DFL, SIG_IGN or a function);
// sigkit's is sigkit_crt_handler. The C runtime has no call that only reads an action, so a
// read installs sigkit's handler and puts back what was there (no window at all while the
// signal is sigkit's, which is when it matters). sigkit validates the number first: the C
// runtime would call its invalid-parameter handler (by default: end the process).
// Also: process setup (the wake event), the main thread (the thread that ran the library's
// static initialisation), no fork().
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <stdexcept>

#include "detail/platform.hpp"
#include "detail/registry.hpp"
#include "detail/state_windows.hpp"
#include "detail/util.hpp"
#include "sigkit/signal_set.hpp"

namespace sigkit::detail {
namespace {

using crt_handler = void(__cdecl*)(int);

constinit std::atomic<DWORD> main_thread_id{0};

// The thread that runs static initialisation is an executable's initial thread: record it
// before main() (and before any other thread can call into sigkit).
const bool main_thread_recorded = [] {
  DWORD none = 0;
  main_thread_id.compare_exchange_strong(none, ::GetCurrentThreadId());
  return true;
}();

std::once_flag init_once;

std::uintptr_t to_value(crt_handler h) noexcept {
  return reinterpret_cast<std::uintptr_t>(h);  // NOLINT: the table keeps handler addresses
}

}  // namespace

bool is_ours(const native_action& action) noexcept { return action == &sigkit_crt_handler; }

handler from_os(const native_action& action) {
  if (action == SIG_DFL) return handler(SIG_DFL);
  if (action == SIG_IGN) return handler(SIG_IGN);
  return {};
}

native_action our_action() noexcept { return &sigkit_crt_handler; }

native_action plain_action(const handler& h) noexcept { return h.is_default() ? SIG_DFL : SIG_IGN; }

bool is_foreign_siginfo(const native_action& /*action*/) noexcept { return false; }

bool has_disposition(int signo) noexcept { return valid_signals().contains(signo); }

int read_os_action(int signo, native_action& out) noexcept {
  if (!has_disposition(signo)) return EINVAL;
  lock_crt_table();
  const crt_handler previous = ::signal(signo, &sigkit_crt_handler);
  if (previous != SIG_ERR) {
    if (previous != &sigkit_crt_handler) static_cast<void>(::signal(signo, previous));
    // A one-shot re-install running meanwhile (it waits for this lock) puts back what is
    // there really.
    crt_action[signo].store(to_value(previous), std::memory_order_release);
  }
  unlock_crt_table();
  if (previous == SIG_ERR) return errno != 0 ? errno : EINVAL;
  out = previous;
  return 0;
}

int write_os_action(int signo, const native_action& action, native_action* old) noexcept {
  if (!has_disposition(signo)) return EINVAL;
  if (is_ours(action) && (signo == SIGSEGV || signo == SIGILL || signo == SIGFPE)) {
    ensure_fault_marker();  // before the handler can be called for a fault
  }
  lock_crt_table();
  const crt_handler previous = ::signal(signo, action);
  if (previous != SIG_ERR) crt_action[signo].store(to_value(action), std::memory_order_release);
  unlock_crt_table();
  if (previous == SIG_ERR) return errno != 0 ? errno : EINVAL;
  if (old != nullptr) *old = previous;
  // After the C runtime's first signal() for SIGINT or SIGBREAK, which registers its own
  // console handler: sigkit's, registered later, is called first.
  if (signo == SIGINT || signo == SIGBREAK) ensure_console_handler();
  return 0;
}

void delivery_routing_changed() noexcept {
  // Every Windows delivery takes the same route (the C runtime or the console calls sigkit's
  // handler, which records it): nothing follows the dispositions.
}

bool owns_os_action(int signo) noexcept {
  native_action current{};
  return read_os_action(signo, current) == 0 && is_ours(current);
}

bool is_main_thread_slow() noexcept {
  DWORD main = main_thread_id.load(std::memory_order_acquire);
  if (main == 0) {  // called during static initialisation, before this file's initialiser
    main_thread_id.compare_exchange_strong(main, ::GetCurrentThreadId());
    main = main_thread_id.load(std::memory_order_acquire);
  }
  main_cache = ::GetCurrentThreadId() == main;
  main_cache_generation = fork_generation.load(std::memory_order_relaxed);
  return main_cache;
}

void ensure_initialized() {
  std::call_once(init_once, [] {
    // Auto-reset: one delivery wakes one wait of the main thread's sleep().
    HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (event == nullptr) {
      throw_error(static_cast<int>(::GetLastError()), "cannot create sigkit's wake event");
    }
    wake_event.store(event, std::memory_order_release);
  });
}

void add_fork_child_hook(void (* /*hook*/)()) {
  // Windows has no fork(): there is no child to run it in.
}

}  // namespace sigkit::detail
