// wakeup: set_wakeup_fd validation and publication.
#include "sigkit/wakeup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "detail/fastpath.hpp"
#include "detail/state_posix.hpp"
#include "detail/syscalls.hpp"
#include "detail/util.hpp"

namespace sigkit {
namespace {

// An eventfd rejects 1-byte writes, so it gets a counter increment instead.
bool is_eventfd(int fd) {
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[64] = {};
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == "anon_inode:[eventfd]";
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
    struct stat st {};
    if (detail::sys.fstat(fd, &st) != 0) {
      detail::throw_error(errno, "invalid signal wakeup fd " + std::to_string(fd));
    }
    const int flags = detail::sys.fcntl_getfl(fd);
    if (flags < 0) detail::throw_error(errno, "invalid signal wakeup fd " + std::to_string(fd));
    if ((flags & O_NONBLOCK) == 0) {
      throw std::invalid_argument("the fd " + std::to_string(fd) + " must be in non-blocking mode");
    }
    word = static_cast<std::uint32_t>(fd);
    if (warn_on_full_buffer) word |= detail::kWakeupWarn;
    if (is_eventfd(fd)) word |= detail::kWakeupEventfd;
  }
  const int old = fd_of(detail::wakeup_word.exchange(word, std::memory_order_acq_rel));
  // With a wakeup fd every delivery runs the OS-level handler (it writes the byte), so the
  // event-loop fast path steps aside while one is set.
  detail::bump_fast_generation();
  detail::sync_fast_path();
  return old;
}

int get_wakeup_fd() noexcept { return fd_of(detail::wakeup_word.load(std::memory_order_acquire)); }

}  // namespace sigkit
