// shutdown_windows: the Windows port of the shutdown service's thread: an auto-reset event
// wakes it (signal context sets it: wake_shutdown_thread in signal_context_windows.cpp).
// Windows delivers no asynchronous signal to a thread, so there is nothing to block; the
// thread is named "sigkit-shutdown" where Windows can name threads (10, version 1607 on).
#include <atomic>
#include <system_error>
#include <thread>

#include "detail/platform.hpp"
#include "detail/state_windows.hpp"
#include "detail/util.hpp"

namespace sigkit::detail {
namespace {

// The event the calling shutdown thread sleeps on (each thread gets its own at start).
thread_local HANDLE thread_wake_event = nullptr;

// SetThreadDescription for the calling thread, looked up because older Windows (and Wine 8)
// may lack it.
void name_this_thread() noexcept {
  using set_description = HRESULT(WINAPI*)(HANDLE, PCWSTR);
  HMODULE kernel = ::GetModuleHandleW(L"kernel32.dll");
  if (kernel == nullptr) return;
  auto* fn = reinterpret_cast<set_description>(  // NOLINT: GetProcAddress's documented use
      reinterpret_cast<void*>(::GetProcAddress(kernel, "SetThreadDescription")));
  if (fn != nullptr) static_cast<void>(fn(::GetCurrentThread(), L"sigkit-shutdown"));
}

}  // namespace

std::thread::id start_shutdown_thread(void (*body)()) {
  HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (event == nullptr) {
    throw_error(static_cast<int>(::GetLastError()), "cannot create sigkit's shutdown event");
  }
  std::thread::id id;
  try {
    std::thread worker([event, body] {
      thread_wake_event = event;
      name_this_thread();
      body();
    });
    id = worker.get_id();
    worker.detach();
  } catch (const std::system_error& e) {
    ::CloseHandle(event);
    throw_error(e.code().value(), "cannot start sigkit's shutdown thread");
  }
  shutdown_event.store(event, std::memory_order_release);
  ::SetEvent(event);  // a first delivery recorded before the event existed is picked up at once
  return id;
}

void wait_shutdown_wake(int timeout_ms) noexcept {
  const DWORD timeout = timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms);
  static_cast<void>(::WaitForSingleObject(thread_wake_event, timeout));
}

void forget_shutdown_wake() noexcept {
  // Only a fork child forgets it, and Windows has no fork(); for completeness.
  if (void* old = shutdown_event.exchange(nullptr, std::memory_order_acq_rel)) ::CloseHandle(old);
}

}  // namespace sigkit::detail
