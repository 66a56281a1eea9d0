// src/detail/state.hpp - the state shared by the OS-level handler (signal_context.cpp and the
// port's <platform>/signal_context_<platform>.cpp) and the normal-context dispatcher, on every
// platform. Everything declared here is a namespace-scope constinit lock-free atomic (or a
// queue cell guarded by one), defined in signal_context.cpp. What only the POSIX port has
// (back-pressure, the event-loop fast path, eventfds) is in posix/detail/state_posix.hpp.
#pragma once

#include <csignal>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sigkit/siginfo.hpp"

namespace sigkit::detail {

/// What the OS-level handler records for a signal.
enum class record_mode : std::uint8_t {
  flag = 0,     ///< only the per-signal flag (an (int) handler, or none at all)
  siginfo = 1,  ///< the flag and the full siginfo, one queue record per delivery
};

/// One delivery, as recorded in signal context. `seq` orders the cell in the bounded MPSC
/// queue (Vyukov): it is stored relative to the cell index so that a zero-initialised queue
/// is an empty one, which keeps the whole queue constinit.
struct delivery_record {
  std::atomic<std::uint64_t> seq;
  siginfo info;
};

inline constexpr std::size_t kQueueCapacity = 4096;  // a power of two
/// Back-pressure starts when fewer than this many cells are free: the receiving thread
/// returns from the handler with the signal blocked, so the kernel keeps further instances.
/// The reserve absorbs deliveries already on their way in other threads and nested handlers.
inline constexpr std::size_t kQueueReserve = 256;

extern std::atomic<std::uint8_t> handler_mode[NSIG];  // record_mode per signal
/// Signal s is bit s-1: one atomic word covers 1..64, so a checkpoint finds what is pending
/// with one load instead of a scan of 64 flags.
static_assert(NSIG - 1 <= 64, "signal masks are one 64-bit word");
constexpr std::uint64_t signal_bit(int signo) noexcept { return std::uint64_t{1} << (signo - 1); }
extern std::atomic<std::uint64_t> tripped_mask;   // delivered since their last dispatch
extern std::atomic<std::uint64_t> dropped[NSIG];  // deliveries a siginfo handler never gets
extern delivery_record queue[kQueueCapacity];
extern std::atomic<std::uint64_t> queue_head;  // next position producers claim
extern std::atomic<std::uint64_t> queue_tail;  // next position the dispatcher consumes

/// The user's wakeup fd, packed so the handler reads fd and flags in one load:
/// bits 0..31 the fd (as uint32; 0xffffffff = none; on Windows a SOCKET), bit 32
/// warn_on_full_buffer, bit 33 the fd is an eventfd (gets an 8-byte counter increment
/// instead of one byte).
extern std::atomic<std::uint64_t> wakeup_word;
inline constexpr std::uint64_t kWakeupNone = 0xffffffffULL;
inline constexpr std::uint64_t kWakeupWarn = 1ULL << 32;
inline constexpr std::uint64_t kWakeupEventfd = 1ULL << 33;

/// Failed wakeup writes, reported from normal context: how many, and the last fd and errno
/// (on Windows the Winsock error).
extern std::atomic<std::uint64_t> wakeup_error_count;
extern std::atomic<int> wakeup_error_fd;
extern std::atomic<int> wakeup_error_errno;
/// Counts a failed wakeup write (fd, error) and raises signals_pending so that the next
/// main-thread checkpoint reports it. Async-signal-safe.
void record_wakeup_error(int fd, int err) noexcept;

/// Signals whose OS action is sigkit's OS-level handler (kept by the registry).
extern std::atomic<std::uint64_t> owned_mask;

/// Records one delivery of `signo` (1..NSIG-1) with `info` (whose signo must be `signo`):
/// the queue record (siginfo mode), the per-signal flag, the shutdown escalation, the global
/// flag, the wake-up of a waiting main thread and the wakeup fd. `context` is the interrupted
/// ucontext_t (POSIX back-pressure), or null (an injected delivery; every delivery on
/// Windows). The OS-level handler and testing::inject() share it. Async-signal-safe.
void record_delivery(int signo, const siginfo& info, void* context) noexcept;

// ---- graceful shutdown (shutdown.hpp): the part the OS-level handler acts on ---------------

inline constexpr int kMaxShutdowns = 16;

/// One live `shutdown` object, as signal context sees it. The normal-context owner fills
/// every field, then publishes `signals` (release); it retires the slot by clearing `signals`
/// and waiting until `in_flight` is 0 (both seq_cst, so a delivery either sees the slot gone
/// or is waited for).
struct shutdown_slot {
  std::atomic<std::uint64_t> signals;  ///< armed signals (bit s-1); 0: slot not in use
  std::atomic<std::uint32_t> phase;    ///< 0 armed, 1 first delivery claimed, 2 reason published
  std::atomic<bool> second_kills;      ///< a delivery after the first ends the process
  std::atomic<int> in_flight;          ///< deliveries inside this slot's code right now
  std::atomic<std::int64_t> first_ns;  ///< CLOCK_MONOTONIC of the first delivery
  siginfo reason;                      ///< the first delivery; written between phase 1 and 2
};
extern shutdown_slot shutdown_slots[kMaxShutdowns];
/// The union of the armed slots' signals, so other deliveries skip the slot scan.
extern std::atomic<std::uint64_t> shutdown_mask;

/// The shutdown escalation of one delivery (signal context, or the main thread when it reads
/// a delivery from the signalfd). Async-signal-safe.
void escalate_shutdowns(int signo, const siginfo& info) noexcept;

/// Ends the process by `signo` at once (implemented by each port: POSIX SIG_DFL, unblock,
/// raise, _exit(128+signo) if it still lives; Windows TerminateProcess with the exit code
/// Windows gives that signal). Async-signal-safe.
[[noreturn]] void end_process_by_signal(int signo) noexcept;

/// Queue access for the dispatcher (normal context, main thread only). Returns false when
/// the next cell is empty or not yet published.
bool queue_pop(siginfo& out) noexcept;

/// Resets every piece of shared signal-context state to "nothing pending" (fork child).
void reset_signal_context_state() noexcept;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint8_t>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<unsigned long>::is_always_lock_free);

}  // namespace sigkit::detail
