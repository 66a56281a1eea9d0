// wakeup (Windows): set_wakeup_fd() with a Winsock SOCKET cast to int, as Python takes it.
// signal context sends one byte per delivery (signal_context_windows.cpp).
#include "sigkit/wakeup.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "detail/state.hpp"
#include "detail/util.hpp"
#include "detail/win32.hpp"

namespace sigkit {
namespace {

// Winsock must be started before getsockopt() can tell a socket from anything else (Python
// imports _socket for it); sigkit's reference is never released.
void start_winsock() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data{};
    if (const int err = ::WSAStartup(MAKEWORD(2, 2), &data); err != 0) {
      detail::throw_error(err, "cannot start Winsock for the signal wakeup fd");
    }
  });
}

int fd_of(std::uint64_t word) noexcept {
  if ((word & detail::kWakeupNone) == detail::kWakeupNone) return -1;
  return static_cast<int>(static_cast<std::uint32_t>(word & detail::kWakeupNone));
}

}  // namespace

int set_wakeup_fd(int fd, bool warn_on_full_buffer) {
  if (fd < -1) {
    throw std::invalid_argument("invalid signal wakeup fd " + std::to_string(fd) +
                                " (use -1 to disable)");
  }
  detail::check_main_thread("set_wakeup_fd");
  std::uint64_t word = detail::kWakeupNone;
  if (fd != -1) {
    start_winsock();
    // Only a socket: a C runtime fd cannot be made non-blocking, so a write could block the
    // thread that raised the signal. Whether a socket is non-blocking Windows cannot tell
    // (Python does not check either).
    const auto socket = static_cast<SOCKET>(static_cast<std::uint32_t>(fd));
    int type = 0;
    int size = sizeof type;
    if (::getsockopt(socket, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),  // NOLINT
                     &size) != 0) {
      detail::throw_error(::WSAGetLastError(),
                          "invalid signal wakeup fd " + std::to_string(fd) + " (not a socket)");
    }
    word = static_cast<std::uint32_t>(fd);
    if (warn_on_full_buffer) word |= detail::kWakeupWarn;
  }
  return fd_of(detail::wakeup_word.exchange(word, std::memory_order_acq_rel));
}

int get_wakeup_fd() noexcept { return fd_of(detail::wakeup_word.load(std::memory_order_acquire)); }

}  // namespace sigkit
