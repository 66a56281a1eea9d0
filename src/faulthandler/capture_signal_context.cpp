// capture_signal_context.cpp - the crash reporter's stack capture.
//
// Everything in this file runs in signal context (and may also be called from normal
// context). Only lock-free atomics, plain memory and async-signal-safe system calls; no
// allocation, no locks, no exceptions; errno is the caller's to save.
//
// The unwinder is libgcc's _Unwind_Backtrace. Built against glibc >= 2.35 it finds a pc's
// unwind tables with _dl_find_object, which is lock-free and async-signal-safe; its one-time
// initialisation runs at faulthandler's set-up (warm_up_unwinder), never in a handler. When
// the unwinder cannot get past the signal frame (a jump to address 0, say), frame pointers
// are followed from the interrupted context instead; reads that fault end the capture
// through the caller's guard (see faulthandler_signal_context.cpp).
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdint>

#include "faulthandler/detail/faulthandler_state.hpp"

namespace sigkit::detail::fh {
namespace {

constexpr std::uint64_t kNone = ~std::uint64_t{0};
/// Frames of the reporter itself (and of nested signal frames) skipped before the
/// interrupted frame is found.
constexpr unsigned kMaxSkip = 96;

std::uintptr_t context_pc(const ucontext_t* uc) noexcept {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#else
  static_cast<void>(uc);
  return 0;
#endif
}

std::uintptr_t context_sp(const ucontext_t* uc) noexcept {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.sp);
#else
  static_cast<void>(uc);
  return 0;
#endif
}

std::uintptr_t context_fp(const ucontext_t* uc) noexcept {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.regs[29]);
#else
  static_cast<void>(uc);
  return 0;
#endif
}

void reset(frame_trace& t) noexcept {
  t.total = 0;
  t.first_mismatch = kNone;
  t.cycle = 0;
  t.exact_first = false;
  t.truncated = false;
  t.unwind_faulted = false;
  t.from_frame_pointers = false;
}

// The shortest cycle (1..kMaxCycle frames) that the last three periods of `head` repeat.
std::uint32_t find_cycle(const frame_trace& t) noexcept {
  for (std::size_t p = 1; p <= kMaxCycle; ++p) {
    bool repeats = true;
    for (std::size_t j = 0; j < 2 * p && repeats; ++j) {
      const std::size_t k = kHeadFrames - 1 - j;
      repeats = t.head[k] == t.head[k - p];
    }
    if (repeats) return static_cast<std::uint32_t>(p);
  }
  return 0;
}

// Frame i while the trace is being filled (i - kTailFrames < the frames written so far).
std::uintptr_t running_frame(const frame_trace& t, std::uint64_t i) noexcept {
  return i < kHeadFrames ? t.head[i] : t.tail[i % kTailFrames];
}

// Appends one frame; returns false when the trace is full (kMaxUnwind).
bool push_frame(frame_trace& t, std::uintptr_t pc) noexcept {
  const std::uint64_t i = t.total;
  if (i < kHeadFrames) {
    t.head[i] = pc;
  } else {
    if (i == kHeadFrames) t.cycle = find_cycle(t);
    if (t.first_mismatch == kNone && (t.cycle == 0 || pc != running_frame(t, i - t.cycle))) {
      t.first_mismatch = i;
    }
    t.tail[i % kTailFrames] = pc;
  }
  t.total = i + 1;
  if (t.total >= kMaxUnwind) {
    t.truncated = true;
    return false;
  }
  return true;
}

struct unwind_cursor {
  frame_trace* out;
  std::uintptr_t start_pc;  ///< the interrupted instruction; 0: start at our caller
  bool started;
  unsigned skipped;
};

_Unwind_Reason_Code on_frame(_Unwind_Context* context, void* argument) {
  auto& cursor = *static_cast<unwind_cursor*>(argument);
  int before_instruction = 0;
  const _Unwind_Ptr ip = _Unwind_GetIPInfo(context, &before_instruction);
  if (!cursor.started) {
    bool found = false;
    if (cursor.start_pc != 0) {
      // The frame after a signal frame: its ip is exact (not a return address).
      found = before_instruction != 0 && ip == cursor.start_pc;
    } else {
      found = cursor.skipped >= 1;  // skip capture_stack's own frame
    }
    if (!found) {
      return ++cursor.skipped > kMaxSkip ? _URC_END_OF_STACK : _URC_NO_REASON;
    }
    cursor.started = true;
    cursor.out->exact_first = before_instruction != 0;
  }
  if (ip == 0 && cursor.out->total > 0) return _URC_END_OF_STACK;
  return push_frame(*cursor.out, ip) ? _URC_NO_REASON : _URC_END_OF_STACK;
}

bool in_a_module(std::uintptr_t pc) noexcept {
  dl_find_object found{};
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a program counter, looked up as an address
  return ::_dl_find_object(reinterpret_cast<void*>(pc), &found) == 0;
}

// Follows the frame-pointer chain from the interrupted context: the unwinder's fallback.
void capture_with_frame_pointers(const ucontext_t* uc, frame_trace& out) noexcept {
  reset(out);
  out.from_frame_pointers = true;
  out.exact_first = true;
  const std::uintptr_t pc = context_pc(uc);
  const std::uintptr_t sp = context_sp(uc);
  if (!push_frame(out, pc)) return;
  if (!in_a_module(pc) && sp != 0 && (sp & 7U) == 0) {
    // A call through a bad pointer: the return address is still on top of the stack.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    const auto ret = *reinterpret_cast<const std::uintptr_t*>(sp);
    if (ret != 0 && !push_frame(out, ret)) return;
  }
  std::uintptr_t fp = context_fp(uc);
  constexpr std::uintptr_t kMaxStack = std::uintptr_t{1} << 26;  // 64 MiB above sp
  while (fp != 0 && (fp & 7U) == 0 && fp >= sp && fp - sp < kMaxStack) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    const auto* frame = reinterpret_cast<const std::uintptr_t*>(fp);
    const std::uintptr_t ret = frame[1];
    const std::uintptr_t next = frame[0];
    if (ret == 0 || !push_frame(out, ret)) return;
    if (next <= fp) return;
    fp = next;
  }
}

}  // namespace

void capture_stack(const ucontext_t* uc, frame_trace& out) noexcept {
  reset(out);
  unwind_cursor cursor{&out, uc != nullptr ? context_pc(uc) : 0, false, 0};
  static_cast<void>(_Unwind_Backtrace(&on_frame, &cursor));
  // The unwinder could not cross the signal frame, or stopped at the interrupted
  // instruction (a jump to an address outside every module): follow frame pointers.
  if (uc != nullptr && (!cursor.started || (out.total <= 1 && !in_a_module(context_pc(uc))))) {
    capture_with_frame_pointers(uc, out);
  }
}

std::uintptr_t frame_at(const frame_trace& t, std::uint64_t i) noexcept {
  return i < kHeadFrames ? t.head[i] : t.tail[i % kTailFrames];
}

// ---- raw system calls ----------------------------------------------------------------------

int current_tid() noexcept { return static_cast<int>(::syscall(SYS_gettid)); }

std::int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::int64_t timeout_ns) noexcept {
  if (timeout_ns <= 0) return;
  timespec relative{static_cast<time_t>(timeout_ns / 1000000000LL),
                    static_cast<long>(timeout_ns % 1000000000LL)};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the atomic's own word
  static_cast<void>(::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
                              FUTEX_WAIT_PRIVATE, expected, &relative, nullptr, 0));
}

void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  static_cast<void>(::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
                              FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0));
}

int send_internal(int tid, std::uint64_t cookie) noexcept {
  siginfo_t info{};
  info.si_signo = internal_signo.load(std::memory_order_acquire);
  info.si_code = SI_QUEUE;
  info.si_pid = ::getpid();
  info.si_uid = ::getuid();
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the cookie travels as the sigval pointer
  info.si_value.sival_ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(cookie));
  if (::syscall(SYS_rt_tgsigqueueinfo, ::getpid(), tid, info.si_signo, &info) != 0) return errno;
  return 0;
}

}  // namespace sigkit::detail::fh
