// threads.cpp - alternate signal stacks for every thread: prepare_thread() for the calling
// thread, and arm requests for every thread that already exists when enable() runs.
//
// A handler runs on the alternate stack only if the thread that takes the signal has one,
// and sigaltstack() acts on the calling thread only. Threads that exist before enable() are
// sent the internal signal; their handler maps a stack and installs it, and also writes it
// into the interrupted context (uc_stack), because sigreturn restores the stack settings
// saved in the signal frame (without that the new stack would be dropped on return).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "faulthandler/detail/engine.hpp"
#include "faulthandler/detail/faulthandler_state.hpp"
#include "sigkit/faulthandler.hpp"

namespace sigkit::detail::fh {
namespace {

// The alternate stack prepare_thread() mapped for this thread; unmapped when it ends.
struct altstack_owner {
  void* base = nullptr;
  std::size_t length = 0;
  stack_t mine{};
  stack_t previous{};

  altstack_owner() = default;
  altstack_owner(const altstack_owner&) = delete;
  altstack_owner& operator=(const altstack_owner&) = delete;
  ~altstack_owner() {
    if (base == nullptr) return;
    stack_t current{};
    if (::sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_ONSTACK) != 0) return;
    if (current.ss_sp == mine.ss_sp) {
      stack_t restore = previous;
      if ((previous.ss_flags & SS_DISABLE) != 0) {
        restore = stack_t{};
        restore.ss_flags = SS_DISABLE;
      }
      static_cast<void>(::sigaltstack(&restore, nullptr));
    }
    ::munmap(base, length);
  }
};

thread_local altstack_owner owned_altstack;

std::uint64_t blocked_of(int tid) {
  std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) == 0) {
      std::uint64_t mask = 0;
      std::istringstream(line.substr(7)) >> std::hex >> mask;
      return mask;
    }
  }
  return 0;
}

}  // namespace

std::vector<int> list_threads() {
  std::vector<int> tids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      tids.push_back(std::stoi(name));
    }
  }
  return tids;
}

void arm_existing_threads() {
  const int signo = internal_signo.load(std::memory_order_acquire);
  if (signo <= 0) return;
  const int self = current_tid();
  while (!acquire_report_lock(self, 1'000'000'000LL)) {
  }
  const std::uint32_t base = responses.load(std::memory_order_acquire);
  std::uint32_t sent = 0;
  bool some_blocked = false;
  for (const int tid : list_threads()) {
    if (tid == self) continue;
    // A thread that blocks the signal now (one that glibc is still starting, say) gets the
    // request when it unblocks it; it is sent anyway.
    some_blocked = some_blocked || (blocked_of(tid) >> (signo - 1) & 1U) != 0;
    if (send_internal(tid, make_cookie(request_kind::arm_altstack, 0, 0)) == 0) ++sent;
  }
  // Every thread normally answers at once; one that blocks the signal for good never does,
  // so the wait is bounded (shorter when some thread was seen blocking it).
  const std::int64_t deadline = monotonic_ns() + (some_blocked ? 100'000'000LL : 1'000'000'000LL);
  for (;;) {
    const std::uint32_t seen = responses.load(std::memory_order_acquire);
    if (seen - base >= sent) break;
    const std::int64_t left = deadline - monotonic_ns();
    if (left <= 0) break;
    futex_wait(responses, seen, left < 10'000'000 ? left : 10'000'000);
  }
  release_report_lock();
}

}  // namespace sigkit::detail::fh

namespace sigkit::faulthandler {

void prepare_thread() {
  namespace fh = detail::fh;
  fh::ensure_engine();
  const std::size_t size = fh::altstack_size.load(std::memory_order_acquire);
  stack_t current{};
  if (::sigaltstack(nullptr, &current) != 0) {
    throw std::system_error(std::error_code(errno, std::system_category()),
                            "faulthandler: cannot read the alternate signal stack");
  }
  if ((current.ss_flags & SS_DISABLE) == 0 && current.ss_size >= size) return;  // keep it
  if ((current.ss_flags & SS_ONSTACK) != 0) return;  // called from a handler on it
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* base = ::mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    throw std::system_error(std::error_code(errno, std::system_category()),
                            "faulthandler: cannot map an alternate signal stack");
  }
  static_cast<void>(::mprotect(base, page, PROT_NONE));  // a guard page below the stack
  stack_t ss{};
  ss.ss_sp = static_cast<char*>(base) + page;
  ss.ss_size = size;
  stack_t previous{};
  if (::sigaltstack(&ss, &previous) != 0) {
    const int err = errno;
    ::munmap(base, size + page);
    throw std::system_error(std::error_code(err, std::system_category()),
                            "faulthandler: cannot install an alternate signal stack");
  }
  // The main thread keeps its stack until the process ends (handlers may run during exit).
  if (fh::current_tid() == ::getpid()) return;
  auto& owner = fh::owned_altstack;
  if (owner.base != nullptr && owner.mine.ss_sp != previous.ss_sp) {
    ::munmap(owner.base, owner.length);  // an earlier one of ours, replaced meanwhile
    owner.base = nullptr;
  }
  if (owner.base == nullptr) owner.previous = previous;
  owner.base = base;
  owner.length = size + page;
  owner.mine = ss;
}

}  // namespace sigkit::faulthandler
