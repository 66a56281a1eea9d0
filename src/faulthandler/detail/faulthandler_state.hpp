// src/faulthandler/detail/faulthandler_state.hpp - the crash reporter's own state, shared by
// its signal-context files (faulthandler_signal_context.cpp, capture_signal_context.cpp,
// report_signal_context.cpp) and its normal-context files (faulthandler.cpp, threads.cpp,
// later.cpp, terminate.cpp).
//
// Everything the handlers touch is namespace-scope constinit: lock-free atomics, or plain
// arrays whose ownership an atomic decides (the report lock, a slot's state word). Normal
// context writes the configuration; the handlers only read it.
#pragma once

#include <setjmp.h>
#include <signal.h>
#include <sys/types.h>
#include <ucontext.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>

namespace sigkit::detail::fh {

// ---- sizes --------------------------------------------------------------------------------

/// Frames kept per thread: the innermost kHeadFrames and the outermost kTailFrames; the
/// frames between are counted and, if they repeat a cycle, folded into one line.
inline constexpr std::size_t kHeadFrames = 128;
inline constexpr std::size_t kTailFrames = 32;
/// Unwinding stops after this many frames (a stack overflow of tiny frames can have 10^6).
inline constexpr std::uint64_t kMaxUnwind = std::uint64_t{1} << 21;
/// Longest repeating cycle that the stack-overflow folding recognises.
inline constexpr std::size_t kMaxCycle = 16;
/// Threads whose stacks one report can hold (besides the current thread).
inline constexpr std::size_t kMaxThreads = 256;
/// Threads that fault while another thread writes the crash report and are listed in it.
inline constexpr std::size_t kMaxFaulting = 16;
/// Distinct modules one report can list.
inline constexpr std::size_t kMaxModules = 128;
inline constexpr std::size_t kMaxBuildId = 32;
inline constexpr std::size_t kPathMax = PATH_MAX;
/// Longest uncaught-exception text kept (Python truncates strings at 500 characters).
inline constexpr std::size_t kMaxExceptionText = 500;

// ---- configuration (written in normal context, read by the handlers) ---------------------

enum class format_code : std::uint8_t { text = 0, json = 1 };

/// Where and how reports are written.
extern std::atomic<int> out_fd;                    ///< fatal reports go here (unless out_path)
extern std::atomic<bool> out_has_path;             ///< out_path is set: open it at report time
extern char out_path[kPathMax];                    ///< written only while out_has_path is false
extern std::atomic<std::uint8_t> out_format;       ///< format_code of every report
extern std::atomic<bool> fatal_all_threads;        ///< enable()'s all_threads
extern std::atomic<std::int64_t> hang_timeout_ns;  ///< 0: no hang guard
extern std::atomic<std::uint64_t> fatal_mask;      ///< signals enable() covers (bit s-1)
extern std::atomic<std::uint64_t> user_mask;       ///< signals register_signal() covers
extern std::atomic<int> internal_signo;            ///< 0 until the engine is initialised
extern std::atomic<int> rtmin;                     ///< SIGRTMIN and SIGRTMAX, read at init
extern std::atomic<int> rtmax;
extern std::atomic<std::size_t> altstack_size;  ///< bytes, without the guard page
extern char exe_path[kPathMax];                 ///< /proc/self/exe, resolved at init

/// Per register_signal()'d signal: where its dump goes and how.
struct user_signal_config {
  std::atomic<int> fd;
  std::atomic<bool> all_threads;
  std::atomic<bool> chain;
};
extern user_signal_config user_config[NSIG];

/// The action beneath faulthandler's own, per signal: what was installed before faulthandler
/// took the signal (or what the registry installed since), called or restored by the
/// handlers. A seqlock: the writer (normal context, all signals blocked in its thread, under
/// faulthandler's mutex) makes `seq` odd, writes, makes it even; a reader retries on a change.
struct beneath_action {
  std::atomic<std::uint32_t> seq;
  std::atomic<std::uintptr_t> handler;  ///< sa_handler / sa_sigaction as an integer
  std::atomic<int> flags;
  std::atomic<std::uint64_t> mask;  ///< the first 64 signals of sa_mask
};
extern beneath_action beneath[NSIG];

/// A consistent copy of beneath[s] (signal context).
struct beneath_copy {
  std::uintptr_t handler = 0;
  int flags = 0;
  std::uint64_t mask = 0;
  [[nodiscard]] bool is_default() const noexcept {
    return (flags & SA_SIGINFO) == 0 &&
           handler == reinterpret_cast<std::uintptr_t>(SIG_DFL);  // NOLINT
  }
  [[nodiscard]] bool is_ignore() const noexcept {
    return (flags & SA_SIGINFO) == 0 &&
           handler == reinterpret_cast<std::uintptr_t>(SIG_IGN);  // NOLINT
  }
};
beneath_copy read_beneath(int signo) noexcept;

/// Builds a struct sigaction from a copy (signal context).
void to_sigaction(const beneath_copy& b, struct sigaction& out) noexcept;

// ---- captured stacks ---------------------------------------------------------------------

/// One thread's stack as captured in signal context: the innermost kHeadFrames program
/// counters, a ring of the outermost kTailFrames, the total, and what the frames between
/// looked like (a cycle repeating, for a stack overflow).
struct frame_trace {
  std::uintptr_t head[kHeadFrames];
  std::uintptr_t tail[kTailFrames];  ///< frame i (>= kHeadFrames) at tail[i % kTailFrames]
  std::uint64_t total;               ///< frames unwound
  std::uint64_t first_mismatch;      ///< first frame >= kHeadFrames breaking the cycle
  std::uint32_t cycle;               ///< cycle length at the end of head (0: none)
  bool exact_first;                  ///< head[0] is the interrupted instruction itself
  bool truncated;                    ///< stopped at kMaxUnwind
  bool unwind_faulted;               ///< reading the stack faulted; what was read is kept
  bool from_frame_pointers;          ///< the unwinder failed; frame pointers were followed
};

/// Captures the stack of the calling thread, starting at the instruction that `uc`
/// interrupted (the innermost signal frame on this thread's stack), or at the caller when
/// `uc` is null. Signal context; guarded by the caller (a fault here jumps to its guard).
void capture_stack(const ucontext_t* uc, frame_trace& out) noexcept;

/// Frame i of a trace (i < total, and i < kHeadFrames or i >= total - kTailFrames).
std::uintptr_t frame_at(const frame_trace& t, std::uint64_t i) noexcept;

// ---- other threads ----------------------------------------------------------------------

/// Slot states (low 8 bits of thread_slot::state; the report generation above them).
enum slot_state : std::uint8_t {
  slot_free = 0,
  slot_requested = 1,  ///< the coordinator sent the thread a capture request
  slot_writing = 2,    ///< the thread is capturing its stack into the slot
  slot_done = 3,
  slot_abandoned = 4,  ///< the deadline passed; a late answer is ignored
};

/// One other thread of a report.
struct thread_slot {
  std::atomic<std::uint64_t> state;  ///< generation << 8 | slot_state
  std::atomic<int> tid;
  std::uintptr_t pthread;
  char name[16];
  bool unresponsive;        ///< the coordinator did not ask (stopped, dead)
  bool blocked_at_request;  ///< the request signal was blocked when it was sent
  std::uint64_t sigblk;     ///< its blocked set (SigBlk), for an unresponsive thread
  char proc_state;          ///< State: letter from /proc
  frame_trace trace;
  sigjmp_buf guard;  ///< the capture's guard (a fault while unwinding jumps here)
};
extern thread_slot slots[kMaxThreads];

/// A thread that faulted while another one wrote the crash report.
struct faulting_entry {
  std::atomic<int> state;  ///< 0 free, 1 claimed, 2 published
  int tid;
  std::uintptr_t pthread;
  int signo;
  int code;
  std::uintptr_t address;
  char name[16];
  frame_trace trace;
};
extern faulting_entry faulting[kMaxFaulting];
extern std::atomic<std::uint32_t> faulting_count;  ///< futex word: entries claimed

// ---- the report in progress ------------------------------------------------------------

extern std::atomic<int> report_owner;  ///< tid writing a report (0: none); futex
extern std::atomic<std::uint32_t> report_generation;
extern std::atomic<std::uint32_t> responses;       ///< futex word: answers to capture requests
extern std::atomic<int> crash_owner;               ///< tid of the thread whose crash is reported
extern std::atomic<std::uint32_t> crash_released;  ///< futex word: secondaries may go on
extern std::atomic<int> guard_tid;                 ///< tid inside the coordinator's guarded section
extern sigjmp_buf coordinator_guard;

/// A self-directed report request (dump_traceback): the thread that sends itself the
/// internal signal writes the report from its handler.
extern std::atomic<int> self_request_tid;
extern std::atomic<int> self_request_fd;
extern std::atomic<bool> self_request_all_threads;
extern std::atomic<bool> self_request_done;

/// The text of an uncaught exception (std::terminate), printed by the SIGABRT report.
extern std::atomic<bool> exception_text_ready;
extern char exception_type[256];
extern char exception_what[kMaxExceptionText + 4];

/// Tests only: make the report hang (1) or fault (2) after its first line, and a callback
/// called when a report starts (phase 0) and ends (phase 1).
extern std::atomic<int> test_hook_mode;
extern std::atomic<void (*)(int)> test_hook_callback;

// ---- cookies carried by the internal signal ---------------------------------------------

enum class request_kind : std::uint8_t { arm_altstack = 1, capture = 2, hang_guard = 3 };
inline constexpr std::uint64_t kCookieMagic = 0x5E1CULL;

constexpr std::uint64_t make_cookie(request_kind kind, std::uint32_t generation,
                                    std::uint32_t slot) noexcept {
  return (kCookieMagic << 48) | (static_cast<std::uint64_t>(kind) << 40) |
         (static_cast<std::uint64_t>(generation & 0xffffffU) << 16) | (slot & 0xffffU);
}

// ---- entry points (extern "C", project-unique names) ------------------------------------

extern "C" void sigkit_faulthandler_fatal_handler(int signo, siginfo_t* info, void* context);
extern "C" void sigkit_faulthandler_internal_handler(int signo, siginfo_t* info, void* context);
extern "C" void sigkit_faulthandler_user_handler(int signo, siginfo_t* info, void* context);

// ---- report writing (signal context) ----------------------------------------------------

enum class report_kind : std::uint8_t { fatal, dump, user_signal, timeout };

struct report_request {
  report_kind kind;
  int fd;  ///< -1: open out_path
  bool all_threads;
  bool include_self;        ///< the calling thread is a reported thread ("Current thread")
  const siginfo_t* info;    ///< fatal / user_signal
  const ucontext_t* uc;     ///< where the current thread was interrupted
  std::int64_t timeout_ns;  ///< timeout: the delay, for the "Timeout (...)!" line
};

/// Writes a whole report (the caller holds the report lock). Async-signal-safe.
void write_report(const report_request& request) noexcept;

/// Arms the calling thread's alternate stack from signal context (an arm request).
void arm_altstack_in_handler(ucontext_t* uc) noexcept;

/// Takes the report lock for the calling thread `tid`, waiting at most `timeout_ns` for
/// another report to finish; returns false on timeout (signal context or normal context).
bool acquire_report_lock(int tid, std::int64_t timeout_ns) noexcept;
void release_report_lock() noexcept;

/// The fd the report in progress writes to (for the fixed lines of a fault or a hang
/// inside it); -1 when none.
void set_report_fd(int fd) noexcept;

/// Forgets every report in progress (fork child, single-threaded).
void reset_after_fork() noexcept;

/// Sends the internal signal with a cookie to thread `tid` of this process; returns 0 or
/// the errno.
int send_internal(int tid, std::uint64_t cookie) noexcept;

/// Raw system-call helpers (signal context).
int current_tid() noexcept;
std::int64_t monotonic_ns() noexcept;
/// futex wait on `word` while it equals `expected`, for at most `timeout_ns`.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::int64_t timeout_ns) noexcept;
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<void (*)(int)>::is_always_lock_free);

}  // namespace sigkit::detail::fh
