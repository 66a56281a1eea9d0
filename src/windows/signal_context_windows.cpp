// signal_context_windows.cpp - the Windows port's OS-level handlers and what follows the
// record of a delivery (detail/state_windows.hpp says where deliveries come from): the C
// runtime's handler sigkit_crt_handler, the console control handler, the vectored exception
// handler that marks CPU faults, waking the main thread's sleep(), the wakeup socket, the
// shutdown escalation's end. The record itself is shared: signal_context.cpp.
//
// Everything in this file runs in signal context: on the thread that called raise(), on a
// faulting thread inside exception dispatch, or on a console control thread. Rules: only
// lock-free atomics and a few Win32/Winsock calls (SetEvent, send, signal, GetCurrentThreadId,
// QueryPerformanceCounter, TerminateProcess, Sleep); errno and the thread's last error saved
// and restored; no allocation, no throw, no logging. The C-runtime-table spin lock is held
// only around signal() calls (never while waiting for anything else).
#include <cerrno>
#include <csignal>
#include <cstdint>

#include "detail/platform.hpp"
#include "detail/state_windows.hpp"
#include "sigkit/siginfo.hpp"

namespace sigkit::detail {

constinit std::atomic<std::uintptr_t> crt_action[NSIG]{};
constinit std::atomic<void*> wake_event{nullptr};
constinit std::atomic<bool> main_waiting{false};
constinit std::atomic<void*> shutdown_event{nullptr};

namespace {

constinit std::atomic<bool> crt_table_busy{false};
constinit std::atomic<bool> console_handler_added{false};
constinit std::atomic<bool> fault_marker_added{false};

// CPU faults marked by the vectored exception handler, per faulting thread: the thread id, the
// signal the C runtime maps the exception to, and when. A thread has at most one fault in
// flight. A fault that a frame handler (__try/__except) dealt with leaves its mark behind; it
// counts only for a second, so that a later raise() on that thread is not taken for a fault.
// (Taking a real fault for a raise() costs nothing but one recorded delivery: the instruction
// faults again at once, and the new mark counts.)
struct fault_mark {
  std::atomic<DWORD> thread;
  std::atomic<int> signo;
  std::atomic<std::int64_t> when_ns;
};
constexpr std::int64_t kFaultMarkLifetimeNs = 1000000000;
constexpr int kFaultMarks = 16;
constinit fault_mark fault_marks[kFaultMarks]{};

static_assert(std::atomic<DWORD>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<void*>::is_always_lock_free);
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free);

// The signal the C runtime (mingw-w64's unhandled-exception filter, or MSVC's _XcptFilter)
// maps an exception code to; 0 for the others.
int signal_of_exception(DWORD code) noexcept {
  switch (code) {
    case EXCEPTION_ACCESS_VIOLATION:
      return SIGSEGV;
    case EXCEPTION_ILLEGAL_INSTRUCTION:
    case EXCEPTION_PRIV_INSTRUCTION:
      return SIGILL;
    case EXCEPTION_INT_DIVIDE_BY_ZERO:
    case EXCEPTION_INT_OVERFLOW:
    case EXCEPTION_FLT_DENORMAL_OPERAND:
    case EXCEPTION_FLT_DIVIDE_BY_ZERO:
    case EXCEPTION_FLT_INEXACT_RESULT:
    case EXCEPTION_FLT_INVALID_OPERATION:
    case EXCEPTION_FLT_OVERFLOW:
    case EXCEPTION_FLT_STACK_CHECK:
    case EXCEPTION_FLT_UNDERFLOW:
      return SIGFPE;
    default:
      return 0;
  }
}

// Runs first for every exception of the process (vectored handlers come before any frame
// handler and before the unhandled-exception filter that calls the C runtime's handler). It
// only notes "this thread faulted with that signal" and lets the exception go on.
LONG WINAPI mark_cpu_fault(EXCEPTION_POINTERS* exception) noexcept {
  if (exception == nullptr || exception->ExceptionRecord == nullptr) {
    return EXCEPTION_CONTINUE_SEARCH;
  }
  const int signo = signal_of_exception(exception->ExceptionRecord->ExceptionCode);
  if (signo == 0) return EXCEPTION_CONTINUE_SEARCH;
  const DWORD self = ::GetCurrentThreadId();
  for (auto& mark : fault_marks) {  // this thread's mark, else a free one
    DWORD owner = mark.thread.load(std::memory_order_acquire);
    if (owner == self || (owner == 0 && mark.thread.compare_exchange_strong(
                                            owner, self, std::memory_order_acq_rel))) {
      mark.when_ns.store(monotonic_ns(), std::memory_order_relaxed);
      mark.signo.store(signo, std::memory_order_release);
      break;
    }
  }
  return EXCEPTION_CONTINUE_SEARCH;
}

// True (and the mark cleared) if the calling thread is inside a CPU fault that the C runtime
// maps to `signo`.
bool take_fault_mark(int signo) noexcept {
  const DWORD self = ::GetCurrentThreadId();
  for (auto& mark : fault_marks) {
    if (mark.thread.load(std::memory_order_acquire) != self) continue;
    const bool fault =
        mark.signo.load(std::memory_order_acquire) == signo &&
        monotonic_ns() - mark.when_ns.load(std::memory_order_relaxed) < kFaultMarkLifetimeNs;
    mark.signo.store(0, std::memory_order_relaxed);
    mark.thread.store(0, std::memory_order_release);
    return fault;
  }
  return false;
}

using crt_handler = void(__cdecl*)(int);

crt_handler to_handler(std::uintptr_t value) noexcept {
  return reinterpret_cast<crt_handler>(value);  // NOLINT: the table keeps handler addresses
}

// The one-shot re-install: the C runtime reset `signo` to SIG_DFL before calling us; put back
// what sigkit last installed (normally sigkit_crt_handler; a disposition that signal() set
// meanwhile otherwise).
void reinstall(int signo) noexcept {
  lock_crt_table();
  static_cast<void>(::signal(signo, to_handler(crt_action[signo].load(std::memory_order_acquire))));
  unlock_crt_table();
}

// True if the C runtime's action of `signo` is sigkit_crt_handler now: installs it and looks
// at what was there, which it puts back if that was something else. No window at all in the
// usual case (it is ours). Async-signal-safe as the rest of this file.
bool crt_action_is_ours(int signo) noexcept {
  lock_crt_table();
  const crt_handler previous = ::signal(signo, &sigkit_crt_handler);
  const bool ours = previous == &sigkit_crt_handler;
  if (!ours && previous != SIG_ERR) static_cast<void>(::signal(signo, previous));
  unlock_crt_table();
  return ours;
}

// Sends the wakeup byte to the user's socket, as CPython's trip_signal does on Windows.
void send_wakeup_byte(int signo) noexcept {
  const std::uint64_t word = wakeup_word.load(std::memory_order_acquire);
  if ((word & kWakeupNone) == kWakeupNone) return;
  const auto value = static_cast<std::uint32_t>(word & kWakeupNone);
  const auto socket = static_cast<SOCKET>(value);
  const char byte = static_cast<char>(static_cast<unsigned char>(signo));
  if (::send(socket, &byte, 1, 0) == 1) return;
  const int err = ::WSAGetLastError();
  if (err == WSAEWOULDBLOCK) {
    if ((word & kWakeupWarn) != 0) record_wakeup_error(static_cast<int>(value), err);
    return;
  }
  record_wakeup_error(static_cast<int>(value), err);
}

void wake_main_thread() noexcept {
  if (!main_waiting.load(std::memory_order_seq_cst)) return;
  if (void* event = wake_event.load(std::memory_order_acquire)) ::SetEvent(event);
}

// The console control events, as the C runtime maps them: Ctrl+C is SIGINT, every other
// event SIGBREAK.
bool console_delivery(DWORD event, int& signo, int& code) noexcept {
  switch (event) {
    case CTRL_C_EVENT:
      signo = SIGINT;
      code = ctrl_c_event;
      return true;
    case CTRL_BREAK_EVENT:
      signo = SIGBREAK;
      code = ctrl_break_event;
      return true;
    case CTRL_CLOSE_EVENT:
      signo = SIGBREAK;
      code = ctrl_close_event;
      return true;
    case CTRL_LOGOFF_EVENT:
      signo = SIGBREAK;
      code = ctrl_logoff_event;
      return true;
    case CTRL_SHUTDOWN_EVENT:
      signo = SIGBREAK;
      code = ctrl_shutdown_event;
      return true;
    default:
      return false;
  }
}

}  // namespace

void lock_crt_table() noexcept {
  while (crt_table_busy.exchange(true, std::memory_order_acquire)) ::SwitchToThread();
}

void unlock_crt_table() noexcept { crt_table_busy.store(false, std::memory_order_release); }

void ensure_console_handler() noexcept {
  if (console_handler_added.exchange(true, std::memory_order_acq_rel)) return;
  if (::SetConsoleCtrlHandler(&sigkit_console_handler, TRUE) == 0) {
    console_handler_added.store(false, std::memory_order_release);  // try again next time
  }
}

void ensure_fault_marker() noexcept {
  if (fault_marker_added.exchange(true, std::memory_order_acq_rel)) return;
  if (::AddVectoredExceptionHandler(0, &mark_cpu_fault) == nullptr) {  // after the others
    fault_marker_added.store(false, std::memory_order_release);
  }
}

void throttle(int /*signo*/, void* /*context*/) noexcept {
  // Windows has no signal masks, so nothing can hold further deliveries back: a full queue
  // counts them as dropped (dropped_deliveries()), as POSIX does in threads other than main.
}

void announce_delivery(int signo) noexcept {
  wake_main_thread();
  send_wakeup_byte(signo);
}

void wake_shutdown_thread() noexcept {
  if (void* event = shutdown_event.load(std::memory_order_acquire)) ::SetEvent(event);
}

std::int64_t monotonic_ns() noexcept {
  LARGE_INTEGER now{};
  LARGE_INTEGER frequency{};
  ::QueryPerformanceCounter(&now);
  ::QueryPerformanceFrequency(&frequency);
  const std::int64_t ticks = now.QuadPart;
  const std::int64_t hz = frequency.QuadPart;
  return ticks / hz * 1000000000 + ticks % hz * 1000000000 / hz;
}

void end_process_by_signal(int signo) noexcept {
  // What Windows does with an unhandled Ctrl+C or Ctrl+Break (and what a console close ends
  // with), and otherwise the C runtime's SIG_DFL: exit code 3. TerminateProcess, not
  // ExitProcess: no DLL detach and no loader lock, so it works even if every thread is stuck.
  const UINT code = signo == SIGINT || signo == SIGBREAK ? STATUS_CONTROL_C_EXIT : 3U;
  ::TerminateProcess(::GetCurrentProcess(), code);
  ::ExitProcess(code);  // not reached: TerminateProcess does not return for this process
}

// ---- the OS-level handlers ----------------------------------------------------------------

void __cdecl sigkit_crt_handler(int signo) {
  const int saved_errno = errno;
  const DWORD saved_error = ::GetLastError();
  if (signo > 0 && signo < NSIG) {
    if ((signo == SIGSEGV || signo == SIGILL || signo == SIGFPE) && take_fault_mark(signo)) {
      // A real fault cannot be deferred: returning would run the faulting instruction again
      // forever. The C runtime has reset the action to SIG_DFL; leave it so and return: the
      // fault recurs and ends the process with the exception's code (0xC0000005...).
      errno = saved_errno;
      ::SetLastError(saved_error);
      return;
    }
    reinstall(signo);
    siginfo info;
    info.signo = signo;
    info.code = raised;
    info.pid = ::GetCurrentProcessId();
    record_delivery(signo, info, nullptr);
  }
  errno = saved_errno;
  ::SetLastError(saved_error);
}

BOOL WINAPI sigkit_console_handler(DWORD event) {
  int signo = 0;
  int code = 0;
  if (!console_delivery(event, signo, code)) return FALSE;
  // Only while sigkit's handler is the signal's action; otherwise the C runtime's console
  // handler (called next) carries out SIG_IGN, SIG_DFL or a foreign handler, as in Python.
  if (!crt_action_is_ours(signo)) return FALSE;
  siginfo info;
  info.signo = signo;
  info.code = code;
  info.pid = 0;  // the console does not say who pressed Ctrl+C or called GenerateConsoleCtrlEvent
  record_delivery(signo, info, nullptr);
  if (code == ctrl_close_event || code == ctrl_logoff_event || code == ctrl_shutdown_event) {
    // Windows ends the process as soon as a handler returns from these events (and at the
    // latest after its time limit, about 5 s for a close): hold the event so that the program
    // can finish; the process ends when it returns from main or when the limit passes.
    ::Sleep(INFINITE);
  }
  return TRUE;
}

}  // namespace sigkit::detail
