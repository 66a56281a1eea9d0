// faulthandler_signal_context.cpp - the crash reporter's OS-level handlers and its state.
//
// Everything in this file runs in signal context. Rules: only lock-free constinit atomics,
// the reporter's static buffers (owned by whoever holds the report lock) and async-signal-safe
// system calls (sigaction, sigaltstack, rt_sigprocmask, rt_tgsigqueueinfo, timer_create,
// timer_settime, timer_delete, mmap, mprotect, futex, nanosleep, write); errno saved and
// restored; no allocation, no locks, no exceptions, no stdio.
//
// A fatal signal (design: docs/faulthandler.md):
//   1. A fault inside a guarded section of this very thread (the reporter reading a stack or
//      a module that is not what it seemed) jumps back to that section, which gives up.
//   2. A fault inside the report itself: one line, then death by the original signal.
//   3. A signal that is not fatal (sent with kill while a handler sits beneath, or ignored)
//      goes to the action beneath without a report (SIGABRT is reported, then passed on).
//   4. The first crashing thread wins crash_owner and writes the report under a hang guard
//      (a per-thread POSIX timer on the internal signal, never SIGALRM). Threads that crash
//      meanwhile record their own stack for that report and wait.
//   5. Death by the original signal with the original siginfo: the action beneath goes back
//      to the OS; a CPU fault returns and faults again at the same instruction (core file,
//      WTERMSIG, si_addr as without sigkit); anything else is sent again to this thread with
//      rt_tgsigqueueinfo and the original siginfo.
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "faulthandler/detail/faulthandler_state.hpp"

namespace sigkit::detail::fh {

// ---- state (declared in faulthandler_state.hpp) -----------------------------------------------

constinit std::atomic<int> out_fd{STDERR_FILENO};
constinit std::atomic<bool> out_has_path{false};
constinit char out_path[kPathMax]{};
constinit std::atomic<std::uint8_t> out_format{0};
constinit std::atomic<bool> fatal_all_threads{true};
constinit std::atomic<std::int64_t> hang_timeout_ns{5'000'000'000LL};
constinit std::atomic<std::uint64_t> fatal_mask{0};
constinit std::atomic<std::uint64_t> user_mask{0};
constinit std::atomic<int> internal_signo{0};
constinit std::atomic<int> rtmin{0};
constinit std::atomic<int> rtmax{0};
constinit std::atomic<std::size_t> altstack_size{0};
constinit char exe_path[kPathMax]{};
constinit user_signal_config user_config[NSIG]{};
constinit beneath_action beneath[NSIG]{};

constinit thread_slot slots[kMaxThreads]{};
constinit faulting_entry faulting[kMaxFaulting]{};
constinit std::atomic<std::uint32_t> faulting_count{0};

constinit std::atomic<int> report_owner{0};
constinit std::atomic<std::uint32_t> report_generation{0};
constinit std::atomic<std::uint32_t> responses{0};
constinit std::atomic<int> crash_owner{0};
constinit std::atomic<std::uint32_t> crash_released{0};
constinit std::atomic<int> guard_tid{0};
constinit sigjmp_buf coordinator_guard{};

constinit std::atomic<int> self_request_tid{0};
constinit std::atomic<int> self_request_fd{-1};
constinit std::atomic<bool> self_request_all_threads{false};
constinit std::atomic<bool> self_request_done{false};

constinit std::atomic<bool> exception_text_ready{false};
constinit char exception_type[256]{};
constinit char exception_what[kMaxExceptionText + 4]{};

constinit std::atomic<int> test_hook_mode{0};
constinit std::atomic<void (*)(int)> test_hook_callback{nullptr};

// ---- beneath ---------------------------------------------------------------------------------

beneath_copy read_beneath(int signo) noexcept {
  beneath_copy copy{};
  copy.handler = reinterpret_cast<std::uintptr_t>(SIG_DFL);  // NOLINT
  if (signo <= 0 || signo >= NSIG) return copy;
  const beneath_action& b = beneath[signo];
  for (int attempt = 0; attempt < 10000; ++attempt) {
    const std::uint32_t before = b.seq.load(std::memory_order_acquire);
    if ((before & 1U) != 0) continue;  // a writer in another thread; it finishes quickly
    beneath_copy c{};
    c.handler = b.handler.load(std::memory_order_acquire);
    c.flags = b.flags.load(std::memory_order_acquire);
    c.mask = b.mask.load(std::memory_order_acquire);
    if (b.seq.load(std::memory_order_relaxed) == before) return c;
  }
  return copy;
}

void to_sigaction(const beneath_copy& b, struct sigaction& out) noexcept {
  out = {};
  ::sigemptyset(&out.sa_mask);
  for (int s = 1; s < NSIG && s <= 64; ++s) {
    if ((b.mask >> (s - 1) & 1U) != 0) ::sigaddset(&out.sa_mask, s);
  }
  out.sa_flags = b.flags;
  // NOLINTBEGIN(performance-no-int-to-ptr,cppcoreguidelines-pro-type-union-access)
  if ((b.flags & SA_SIGINFO) != 0) {
    out.sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(b.handler);
  } else {
    out.sa_handler = reinterpret_cast<void (*)(int)>(b.handler);
  }
  // NOLINTEND(performance-no-int-to-ptr,cppcoreguidelines-pro-type-union-access)
}

namespace {

// The crash being reported (owned by crash_owner).
constinit siginfo_t crash_info{};
constinit std::atomic<int> crash_signo{0};
constinit std::atomic<int> report_fd{-1};
constinit std::atomic<int> hang_timer{-1};

constexpr std::uint64_t bit(int signo) noexcept { return std::uint64_t{1} << (signo - 1); }

// A fault the CPU raised at an instruction that executes again when the handler returns.
bool refaults(int signo, const siginfo_t* info) noexcept {
  return (signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL) &&
         info != nullptr && info->si_code > 0;
}

bool kernel_raised(const siginfo_t* info) noexcept { return info != nullptr && info->si_code > 0; }

void set_blocked(int signo, bool blocked) noexcept {
  sigset_t one;
  ::sigemptyset(&one);
  ::sigaddset(&one, signo);
  ::pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &one, nullptr);
}

// Sends `info` again to this thread (the kernel accepts any si_code for oneself).
void resend(int signo, const siginfo_t* info) noexcept {
  siginfo_t copy{};
  if (info != nullptr) {
    copy = *info;
  } else {
    copy.si_code = SI_TKILL;
    copy.si_pid = ::getpid();
    copy.si_uid = ::getuid();
  }
  copy.si_signo = signo;
  set_blocked(signo, false);
  static_cast<void>(::syscall(SYS_rt_tgsigqueueinfo, ::getpid(), current_tid(), signo, &copy));
}

// Ends the process by `signo` at once, whatever is installed: SIG_DFL, then the original
// siginfo again. For the paths where the report itself failed (a fault inside it, a hang).
[[noreturn]] void die_now(int signo, const siginfo_t* info) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;  // NOLINT(cppcoreguidelines-pro-type-union-access)
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(signo, &dfl, nullptr);
  resend(signo, info);
  static_cast<void>(::raise(signo));
  ::_exit(128 + signo);
}

// Calls the action beneath directly, as the kernel would have (its mask blocked meanwhile).
void call_beneath(const beneath_copy& b, int signo, siginfo_t* info, void* context) noexcept {
  sigset_t block;
  sigset_t old;
  ::sigemptyset(&block);
  for (int s = 1; s < NSIG && s <= 64; ++s) {
    if ((b.mask >> (s - 1) & 1U) != 0) ::sigaddset(&block, s);
  }
  if ((b.flags & SA_NODEFER) == 0) ::sigaddset(&block, signo);
  ::pthread_sigmask(SIG_BLOCK, &block, &old);
  // NOLINTBEGIN(performance-no-int-to-ptr)
  if ((b.flags & SA_SIGINFO) != 0) {
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(b.handler)(signo, info, context);
  } else {
    reinterpret_cast<void (*)(int)>(b.handler)(signo);
  }
  // NOLINTEND(performance-no-int-to-ptr)
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// Passes a delivery that faulthandler does not report to the action beneath. A default
// action is carried out by putting SIG_DFL back and sending the signal again.
void pass_beneath(const beneath_copy& b, int signo, siginfo_t* info, void* context) noexcept {
  if (b.is_ignore()) return;
  if (!b.is_default()) {
    call_beneath(b, signo, info, context);
    return;
  }
  struct sigaction act {};
  to_sigaction(b, act);
  ::sigaction(signo, &act, nullptr);
  resend(signo, info);
}

// Hands the signal back to the action beneath and makes it act on the original delivery.
void hand_back(int signo, const siginfo_t* info) noexcept {
  const beneath_copy b = read_beneath(signo);
  struct sigaction act {};
  to_sigaction(b, act);
  ::sigaction(signo, &act, nullptr);
  if (refaults(signo, info)) return;  // returning executes the faulting instruction again
  resend(signo, info);
}

// ---- the hang guard --------------------------------------------------------------------------

void arm_hang_guard(int tid) noexcept {
  const std::int64_t timeout = hang_timeout_ns.load(std::memory_order_acquire);
  const int signo = internal_signo.load(std::memory_order_acquire);
  if (timeout <= 0 || signo <= 0) return;
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = signo;
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  event.sigev_value.sival_ptr = reinterpret_cast<void*>(
      static_cast<std::uintptr_t>(make_cookie(request_kind::hang_guard, 0, 0)));
  event._sigev_un._tid = tid;  // sigev_notify_thread_id
  int timer = -1;
  if (::syscall(SYS_timer_create, CLOCK_MONOTONIC, &event, &timer) != 0) return;
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(timeout / 1000000000LL);
  when.it_value.tv_nsec = static_cast<long>(timeout % 1000000000LL);
  if (::syscall(SYS_timer_settime, timer, 0, &when, nullptr) != 0) {
    static_cast<void>(::syscall(SYS_timer_delete, timer));
    return;
  }
  hang_timer.store(timer, std::memory_order_release);
}

void disarm_hang_guard() noexcept {
  const int timer = hang_timer.exchange(-1, std::memory_order_acq_rel);
  if (timer >= 0) static_cast<void>(::syscall(SYS_timer_delete, timer));
}

// ---- fixed lines written outside the report ------------------------------------------------

void write_text(int fd, const char* text) noexcept {
  std::size_t n = 0;
  while (text[n] != '\0') ++n;
  while (n > 0) {
    const ssize_t w = ::write(fd, text, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    text += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_fixed_line(const char* text_line, const char* json_line) noexcept {
  int fd = report_fd.load(std::memory_order_acquire);
  if (fd < 0) fd = out_fd.load(std::memory_order_acquire);
  if (fd < 0) return;
  const bool as_json =
      out_format.load(std::memory_order_relaxed) == static_cast<std::uint8_t>(format_code::json);
  write_text(fd, as_json ? json_line : text_line);
}

// ---- the roles of a thread in a fatal signal -----------------------------------------------

// A fault inside a guarded section of this thread: jump back to that section.
void leave_guarded_section(int self) noexcept {
  if (guard_tid.load(std::memory_order_acquire) == self) {
    guard_tid.store(0, std::memory_order_release);
    siglongjmp(coordinator_guard, 1);
  }
  for (auto& slot : slots) {
    if (slot.tid.load(std::memory_order_relaxed) == self &&
        (slot.state.load(std::memory_order_acquire) & 0xffU) == slot_writing) {
      siglongjmp(slot.guard, 1);
    }
  }
}

constinit sigjmp_buf faulting_guard[kMaxFaulting]{};

void leave_faulting_capture(int self) noexcept {
  const std::uint32_t n = faulting_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n && i < kMaxFaulting; ++i) {
    if (faulting[i].tid == self && faulting[i].state.load(std::memory_order_acquire) == 1) {
      siglongjmp(faulting_guard[i], 1);
    }
  }
}

// This thread faulted while another thread reports a crash: record this thread's stack and
// signal for that report, wait until the process dies (bounded), then die by this signal.
void secondary_crash(int signo, siginfo_t* info, ucontext_t* uc) noexcept {
  const int self = current_tid();
  const int request = internal_signo.load(std::memory_order_acquire);
  if (request > 0) set_blocked(request, true);  // no capture request nests in here
  const std::uint32_t index = faulting_count.fetch_add(1, std::memory_order_acq_rel);
  if (index < kMaxFaulting) {
    faulting_entry& f = faulting[index];
    f.tid = self;
    f.pthread = static_cast<std::uintptr_t>(::pthread_self());
    f.signo = signo;
    f.code = info != nullptr ? info->si_code : 0;
    f.address = info != nullptr ? reinterpret_cast<std::uintptr_t>(info->si_addr) : 0;
    static_cast<void>(::prctl(PR_GET_NAME, f.name, 0, 0, 0));
    f.trace.total = 0;
    f.state.store(1, std::memory_order_release);
    if (sigsetjmp(faulting_guard[index], 1) == 0) {
      capture_stack(uc, f.trace);
    } else {
      f.trace.unwind_faulted = true;
    }
    f.state.store(2, std::memory_order_release);
  }
  futex_wake_all(faulting_count);
  // A capture request that reached this thread before it blocked the signal will never be
  // answered: tell the coordinator not to wait for it (this thread is listed as faulting).
  for (auto& slot : slots) {
    if (slot.tid.load(std::memory_order_acquire) != self) continue;
    std::uint64_t state = slot.state.load(std::memory_order_acquire);
    if ((state & 0xffU) == slot_requested &&
        slot.state.compare_exchange_strong(state, (state & ~std::uint64_t{0xff}) | slot_abandoned,
                                           std::memory_order_acq_rel)) {
      responses.fetch_add(1, std::memory_order_acq_rel);
      futex_wake_all(responses);
    }
  }
  const std::int64_t timeout = hang_timeout_ns.load(std::memory_order_acquire);
  const std::int64_t end =
      monotonic_ns() + (timeout > 0 ? timeout : 5'000'000'000LL) + 1'000'000'000LL;
  while (crash_released.load(std::memory_order_acquire) == 0) {
    const std::int64_t left = end - monotonic_ns();
    if (left <= 0) break;
    futex_wait(crash_released, 0, left);
  }
}

// Writes the crash report for this thread's fatal signal (it won crash_owner).
void primary_crash(int signo, siginfo_t* info, ucontext_t* uc) noexcept {
  const int self = current_tid();
  if (info != nullptr) crash_info = *info;
  crash_signo.store(signo, std::memory_order_release);
  const int request = internal_signo.load(std::memory_order_acquire);
  if (request > 0) set_blocked(request, false);  // the hang guard must reach this thread
  arm_hang_guard(self);
  // Another report (dump_traceback, a registered signal) may be in progress: give it a
  // second, then take over.
  if (!acquire_report_lock(self, 1'000'000'000LL))
    report_owner.store(self, std::memory_order_release);
  const bool has_path = out_has_path.load(std::memory_order_acquire);
  report_request r{};
  r.kind = report_kind::fatal;
  r.fd = has_path ? -1 : out_fd.load(std::memory_order_acquire);
  r.all_threads = fatal_all_threads.load(std::memory_order_acquire);
  r.include_self = true;
  r.info = info;
  r.uc = uc;
  report_fd.store(r.fd, std::memory_order_release);
  write_report(r);
  disarm_hang_guard();
}

}  // namespace

// ---- the report lock ---------------------------------------------------------------------------

bool acquire_report_lock(int tid, std::int64_t timeout_ns) noexcept {
  const std::int64_t end = monotonic_ns() + timeout_ns;
  for (;;) {
    int expected = 0;
    if (report_owner.compare_exchange_strong(expected, tid, std::memory_order_acq_rel)) {
      return true;
    }
    if (expected == tid) return true;
    if (monotonic_ns() >= end) return false;
    timespec pause{0, 1'000'000};
    ::nanosleep(&pause, nullptr);
  }
}

void release_report_lock() noexcept { report_owner.store(0, std::memory_order_release); }

void set_report_fd(int fd) noexcept { report_fd.store(fd, std::memory_order_release); }

// ---- arming an alternate stack from a handler ---------------------------------------------

void arm_altstack_in_handler(ucontext_t* uc) noexcept {
  const std::size_t size = altstack_size.load(std::memory_order_acquire);
  if (size == 0) return;
  stack_t current{};
  if (::sigaltstack(nullptr, &current) != 0) return;
  if ((current.ss_flags & SS_DISABLE) == 0 && current.ss_size >= size) return;  // keep it
  if ((current.ss_flags & SS_ONSTACK) != 0) return;  // running on a small one: cannot swap
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* base = ::mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return;
  static_cast<void>(::mprotect(base, page, PROT_NONE));  // a guard page below the stack
  stack_t ss{};
  ss.ss_sp = static_cast<char*>(base) + page;
  ss.ss_size = size;
  ss.ss_flags = 0;
  if (::sigaltstack(&ss, nullptr) != 0) {
    ::munmap(base, size + page);
    return;
  }
  // sigreturn restores the stack settings saved in the frame: make it restore the new one.
  if (uc != nullptr) uc->uc_stack = ss;
}

// ---- the handlers ----------------------------------------------------------------------------

extern "C" void sigkit_faulthandler_fatal_handler(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const int self = current_tid();
  auto* uc = static_cast<ucontext_t*>(context);

  // 1. A guarded section of this thread faulted: it gives up and the report goes on.
  leave_guarded_section(self);
  leave_faulting_capture(self);

  // 2. The report itself faulted (or the death after it): one line, then the original death.
  if (report_owner.load(std::memory_order_acquire) == self ||
      crash_owner.load(std::memory_order_acquire) == self) {
    write_fixed_line(
        "sigkit faulthandler: the reporter itself faulted; ending the process by the "
        "original signal\n",
        "{\"type\":\"reporter_faulted\"}\n");
    const int original = crash_signo.load(std::memory_order_acquire);
    if (crash_owner.load(std::memory_order_acquire) == self && original > 0) {
      die_now(original, &crash_info);
    }
    die_now(signo, info);  // a dump (not a crash) faulted: this fault is the cause
  }

  const bool enabled = (fatal_mask.load(std::memory_order_acquire) & bit(signo)) != 0;
  const beneath_copy b = read_beneath(signo);
  if (!enabled) {  // disable() raced with this delivery
    pass_beneath(b, signo, info, context);
    errno = saved_errno;
    return;
  }

  // 3. Not fatal: a sent signal with a handler beneath runs that handler (SIGABRT is still
  //    reported first: abort() ends the process after its handler); an ignored one is
  //    ignored. A CPU fault or a kernel-raised signal is always fatal.
  if (!kernel_raised(info)) {
    if (b.is_ignore()) {
      errno = saved_errno;
      return;
    }
    if (!b.is_default() && signo != SIGABRT) {
      call_beneath(b, signo, info, context);
      errno = saved_errno;
      return;
    }
  }

  // 4. One report for the whole process.
  int expected = 0;
  if (!crash_owner.compare_exchange_strong(expected, self, std::memory_order_acq_rel)) {
    secondary_crash(signo, info, uc);
    hand_back(signo, info);
    errno = saved_errno;
    return;
  }
  primary_crash(signo, info, uc);

  // 5. SIGABRT sent while a handler sits beneath: that handler runs, faulthandler stays.
  if (!kernel_raised(info) && !b.is_default()) {
    release_report_lock();
    faulting_count.store(0, std::memory_order_release);
    crash_owner.store(0, std::memory_order_release);
    crash_released.fetch_add(1, std::memory_order_acq_rel);
    futex_wake_all(crash_released);
    call_beneath(b, signo, info, context);
    errno = saved_errno;
    return;
  }
  // 6. Death by the original signal, with the original siginfo.
  hand_back(signo, info);
  errno = saved_errno;
}

namespace {

// A capture request: unwind this thread into its slot.
void answer_capture(std::uint32_t generation, std::uint32_t index, const ucontext_t* uc) noexcept {
  if (index >= kMaxThreads) return;
  thread_slot& slot = slots[index];
  const std::uint64_t gen = static_cast<std::uint64_t>(generation) << 8;
  std::uint64_t expected = gen | slot_requested;
  if (slot.tid.load(std::memory_order_acquire) != current_tid() ||
      !slot.state.compare_exchange_strong(expected, gen | slot_writing,
                                          std::memory_order_acq_rel)) {
    return;  // a late answer to a report that gave up on this thread
  }
  slot.pthread = static_cast<std::uintptr_t>(::pthread_self());
  slot.trace.total = 0;
  if (sigsetjmp(slot.guard, 1) == 0) {
    capture_stack(uc, slot.trace);
  } else {
    slot.trace.unwind_faulted = true;
  }
  slot.state.store(gen | slot_done, std::memory_order_release);
  responses.fetch_add(1, std::memory_order_acq_rel);
  futex_wake_all(responses);
}

// The hang guard fired in the thread writing the crash report.
[[noreturn]] void on_hang() noexcept {
  write_fixed_line(
      "sigkit faulthandler: the report did not finish in time; ending the process by the "
      "original signal\n",
      "{\"type\":\"report_timed_out\"}\n");
  const int original = crash_signo.load(std::memory_order_acquire);
  die_now(original > 0 ? original : SIGABRT, &crash_info);
}

}  // namespace

extern "C" void sigkit_faulthandler_internal_handler(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  auto* uc = static_cast<ucontext_t*>(context);
  const int self = current_tid();
  if (info != nullptr && (info->si_code == SI_QUEUE || info->si_code == SI_TIMER)) {
    const auto cookie =
        static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(info->si_value.sival_ptr));
    const bool from_us = info->si_code == SI_TIMER || info->si_pid == ::getpid();
    if (from_us && cookie >> 48 == kCookieMagic) {
      const auto kind = static_cast<request_kind>(cookie >> 40 & 0xffU);
      const auto generation = static_cast<std::uint32_t>(cookie >> 16 & 0xffffffU);
      const auto index = static_cast<std::uint32_t>(cookie & 0xffffU);
      switch (kind) {
        case request_kind::arm_altstack:
          arm_altstack_in_handler(uc);
          responses.fetch_add(1, std::memory_order_acq_rel);
          futex_wake_all(responses);
          break;
        case request_kind::capture:
          answer_capture(generation, index, uc);
          break;
        case request_kind::hang_guard:
          if (crash_owner.load(std::memory_order_acquire) == self) on_hang();
          break;
      }
      errno = saved_errno;
      return;
    }
  }
  if (info != nullptr && info->si_code == SI_TKILL && info->si_pid == ::getpid() &&
      self_request_tid.load(std::memory_order_acquire) == self) {
    // dump_traceback(): this thread asked itself, so that its stack is read from a signal
    // frame like every other thread's.
    self_request_tid.store(0, std::memory_order_release);
    report_request r{};
    r.kind = report_kind::dump;
    r.fd = self_request_fd.load(std::memory_order_acquire);
    r.all_threads = self_request_all_threads.load(std::memory_order_acquire);
    r.include_self = true;
    r.uc = uc;
    report_fd.store(r.fd, std::memory_order_release);
    write_report(r);
    report_fd.store(-1, std::memory_order_release);
    self_request_done.store(true, std::memory_order_release);
    errno = saved_errno;
    return;
  }
  // Not ours: the signal belongs to whatever was installed before faulthandler took it.
  pass_beneath(read_beneath(signo), signo, info, context);
  errno = saved_errno;
}

extern "C" void sigkit_faulthandler_user_handler(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const int self = current_tid();
  const bool registered = (user_mask.load(std::memory_order_acquire) & bit(signo)) != 0;
  if (registered && acquire_report_lock(self, 1'000'000'000LL)) {
    report_request r{};
    r.kind = report_kind::user_signal;
    r.fd = user_config[signo].fd.load(std::memory_order_acquire);
    r.all_threads = user_config[signo].all_threads.load(std::memory_order_acquire);
    r.include_self = true;
    r.info = info;
    r.uc = static_cast<const ucontext_t*>(context);
    report_fd.store(r.fd, std::memory_order_release);
    write_report(r);
    report_fd.store(-1, std::memory_order_release);
    release_report_lock();
  }
  if (!registered || user_config[signo].chain.load(std::memory_order_acquire)) {
    pass_beneath(read_beneath(signo), signo, info, context);
  }
  errno = saved_errno;
}

// ---- normal context (fork child, single-threaded) ------------------------------------------

void reset_after_fork() noexcept {
  report_owner.store(0, std::memory_order_relaxed);
  crash_owner.store(0, std::memory_order_relaxed);
  guard_tid.store(0, std::memory_order_relaxed);
  faulting_count.store(0, std::memory_order_relaxed);
  for (auto& f : faulting) f.state.store(0, std::memory_order_relaxed);
  for (auto& s : slots) {
    s.state.store(0, std::memory_order_relaxed);
    s.tid.store(0, std::memory_order_relaxed);
  }
  self_request_tid.store(0, std::memory_order_relaxed);
  report_fd.store(-1, std::memory_order_relaxed);
  hang_timer.store(-1, std::memory_order_relaxed);
}

}  // namespace sigkit::detail::fh
