// faulthandler.cpp - sigkit::faulthandler in normal context: set-up, enable/disable,
// dump_traceback, register_signal. The handlers are in faulthandler_signal_context.cpp.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

#include "detail/action_keeper.hpp"
#include "faulthandler/detail/engine.hpp"
#include "faulthandler/detail/faulthandler_state.hpp"
#include "sigkit/faulthandler.hpp"

namespace sigkit::detail::fh {
namespace {

constexpr std::uint64_t bit(int signo) noexcept { return std::uint64_t{1} << (signo - 1); }

bool engine_ready = false;  // guarded by config_mutex
int chosen_internal = 0;    // guarded by config_mutex; 0: the default

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(std::error_code(err, std::system_category()), what);
}

std::size_t compute_altstack_size() noexcept {
  auto minimum = static_cast<std::size_t>(SIGSTKSZ);
#ifdef AT_MINSIGSTKSZ
  const unsigned long from_kernel = ::getauxval(AT_MINSIGSTKSZ);
  if (from_kernel > minimum) minimum = from_kernel;
#endif
  constexpr std::size_t kLeast = std::size_t{64} * 1024;
  std::size_t size = 4 * minimum;
  if (size < kLeast) size = kLeast;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  size *= 4;  // instrumented frames are larger (Abseil uses 5x under sanitizers)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  size *= 4;
#endif
#endif
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

void after_fork_in_child() noexcept {
  reset_after_fork();
  forget_watchdog_after_fork();
}

frame_trace warm_up_trace;

// Everything the handlers call runs once here, in normal context: libgcc's unwinder
// initialises itself on first use, and _dl_find_object, sigabbrev_np and sigdescr_np are
// resolved by the dynamic linker (lazy binding) before any handler needs them.
void warm_up() noexcept {
  capture_stack(nullptr, warm_up_trace);
  dl_find_object found{};
  static_cast<void>(::_dl_find_object(reinterpret_cast<void*>(&warm_up), &found));  // NOLINT
  static_cast<void>(::sigabbrev_np(SIGSEGV));
  static_cast<void>(::sigdescr_np(SIGSEGV));
  static_cast<void>(current_tid());
  static_cast<void>(monotonic_ns());
  static_cast<void>(::pthread_self());
}

// The action keeper (detail/action_keeper.hpp): while one of faulthandler's handlers is a
// signal's OS action, the registry's sigaction calls read and write the action beneath it.
bool keeps(int /*signo*/, const struct sigaction& os_now) noexcept {
  return installs(os_now, &sigkit_faulthandler_fatal_handler) ||
         installs(os_now, &sigkit_faulthandler_user_handler) ||
         installs(os_now, &sigkit_faulthandler_internal_handler);
}

int exchange_beneath(int signo, const struct sigaction* act, struct sigaction* old) noexcept {
  if (old != nullptr) to_sigaction(read_beneath(signo), *old);
  if (act != nullptr) set_beneath(signo, *act);
  return 0;
}

constexpr action_keeper kKeeper{&keeps, &exchange_beneath};

void install_internal_handler(int signo) {
  const os_action_guard guard;
  struct sigaction previous {};
  if (::sigaction(signo, nullptr, &previous) != 0) {
    throw_errno(errno, "faulthandler: cannot read the action of its internal signal");
  }
  if (installs(previous, &sigkit_faulthandler_internal_handler)) return;
  set_beneath(signo, previous);
  struct sigaction ours {};
  ours.sa_sigaction = &sigkit_faulthandler_internal_handler;
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;  // a request never causes EINTR
  ::sigemptyset(&ours.sa_mask);
  internal_signo.store(signo, std::memory_order_release);
  struct sigaction replaced {};
  if (::sigaction(signo, &ours, &replaced) != 0) {
    internal_signo.store(0, std::memory_order_release);
    throw_errno(errno, "faulthandler: cannot install the handler of its internal signal");
  }
  set_beneath(signo, replaced);
}

}  // namespace

os_action_guard::os_action_guard() noexcept { lock_os_actions(); }
os_action_guard::~os_action_guard() { unlock_os_actions(); }

std::mutex& config_mutex() {
  static std::mutex m;
  return m;
}

void check_fd(int fd, const char* function) {
  if (fd < 0 || ::fcntl(fd, F_GETFD) == -1) {
    throw_errno(EBADF, std::string("faulthandler: ") + function + ": bad file descriptor " +
                           std::to_string(fd));
  }
}

bool installs(const struct sigaction& action, void (*handler)(int, siginfo_t*, void*)) noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access)
  return (action.sa_flags & SA_SIGINFO) != 0 && action.sa_sigaction == handler;
}

void set_beneath(int signo, const struct sigaction& action) noexcept {
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);  // no handler of this thread reads it half-written
  beneath_action& b = beneath[signo];
  // A seqlock without fences (ThreadSanitizer has none): the fields are stored with release
  // after `seq` turned odd, so a reader that sees a new field also sees the odd `seq`.
  const std::uint32_t seq = b.seq.load(std::memory_order_relaxed);
  b.seq.store(seq + 1, std::memory_order_relaxed);
  // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
  b.handler.store((action.sa_flags & SA_SIGINFO) != 0
                      ? reinterpret_cast<std::uintptr_t>(action.sa_sigaction)
                      : reinterpret_cast<std::uintptr_t>(action.sa_handler),
                  std::memory_order_release);
  // NOLINTEND(cppcoreguidelines-pro-type-union-access)
  b.flags.store(action.sa_flags, std::memory_order_release);
  std::uint64_t mask = 0;
  for (int s = 1; s < NSIG && s <= 64; ++s) {
    if (::sigismember(&action.sa_mask, s) == 1) mask |= bit(s);
  }
  b.mask.store(mask, std::memory_order_release);
  b.seq.store(seq + 2, std::memory_order_release);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void ensure_engine() {
  const std::lock_guard lock(config_mutex());
  if (engine_ready) return;
  rtmin.store(SIGRTMIN, std::memory_order_release);
  rtmax.store(SIGRTMAX, std::memory_order_release);
  const ssize_t n = ::readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
  exe_path[n > 0 ? n : 0] = '\0';
  altstack_size.store(compute_altstack_size(), std::memory_order_release);
  warm_up();
  set_action_keeper(&kKeeper);
  install_internal_handler(chosen_internal != 0 ? chosen_internal : SIGRTMAX - 3);
  static_cast<void>(::pthread_atfork(nullptr, nullptr, &after_fork_in_child));
  engine_ready = true;
}

}  // namespace sigkit::detail::fh

namespace sigkit::faulthandler {
namespace fh = detail::fh;
namespace {

constexpr std::uint64_t bit(int signo) noexcept { return std::uint64_t{1} << (signo - 1); }

bool allowed_fatal(int s) noexcept {
  return s == SIGSEGV || s == SIGFPE || s == SIGABRT || s == SIGBUS || s == SIGILL ||
         s == SIGTRAP || s == SIGSYS;
}

bool python_fatal(int s) noexcept {
  return s == SIGSEGV || s == SIGFPE || s == SIGABRT || s == SIGBUS || s == SIGILL;
}

std::string describe(int s) { return signum(s).name(); }

std::int64_t to_ns(std::chrono::duration<double> d) {
  return static_cast<std::int64_t>(std::ceil(d.count() * 1e9));
}

// Installs the fatal handler for `s`; beneath it, what is there now.
void install_fatal(int s) {
  const fh::os_action_guard guard;
  struct sigaction current {};
  if (::sigaction(s, nullptr, &current) != 0) {
    fh::fatal_mask.fetch_and(~bit(s), std::memory_order_acq_rel);
    throw std::system_error(std::error_code(errno, std::system_category()),
                            "faulthandler: cannot read the action of " + describe(s));
  }
  if (fh::installs(current, &fh::sigkit_faulthandler_fatal_handler)) return;
  fh::set_beneath(s, current);
  struct sigaction ours {};
  ours.sa_sigaction = &fh::sigkit_faulthandler_fatal_handler;
  // SA_NODEFER: a fault inside the report reaches the handler again (which then ends the
  // process by the original signal) instead of killing it by whatever faulted.
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  ::sigemptyset(&ours.sa_mask);
  struct sigaction replaced {};
  if (::sigaction(s, &ours, &replaced) != 0) {
    fh::fatal_mask.fetch_and(~bit(s), std::memory_order_acq_rel);
    throw std::system_error(std::error_code(errno, std::system_category()),
                            "faulthandler: cannot install the handler of " + describe(s));
  }
  fh::set_beneath(s, replaced);
}

// Puts back the action beneath, if faulthandler's handler is still the one installed.
void restore_beneath(int s, void (*ours)(int, siginfo_t*, void*)) noexcept {
  const fh::os_action_guard guard;
  struct sigaction current {};
  if (::sigaction(s, nullptr, &current) != 0 || !fh::installs(current, ours)) return;
  struct sigaction previous {};
  fh::to_sigaction(fh::read_beneath(s), previous);
  ::sigaction(s, &previous, nullptr);
}

void set_output(const options& settings) {
  if (settings.path.empty()) {
    fh::out_has_path.store(false, std::memory_order_release);
    fh::out_fd.store(settings.fd, std::memory_order_release);
    return;
  }
  if (settings.path.size() >= fh::kPathMax) {
    throw std::invalid_argument("faulthandler: the report path is too long");
  }
  fh::out_has_path.store(false, std::memory_order_release);
  settings.path.copy(fh::out_path, settings.path.size());
  fh::out_path[settings.path.size()] = '\0';
  fh::out_has_path.store(true, std::memory_order_release);
}

}  // namespace

void enable(int fd, bool all_threads) {
  options settings;
  settings.fd = fd;
  settings.all_threads = all_threads;
  enable(settings);
}

void enable(const options& settings) {
  if (settings.path.empty()) fh::check_fd(settings.fd, "enable");
  const double hang = settings.hang_timeout.count();
  if (std::isnan(hang) || hang < 0) {
    throw std::invalid_argument("faulthandler: hang_timeout must be a non-negative duration");
  }
  if (std::isinf(hang) || hang > 1e9) {
    throw std::out_of_range("faulthandler: hang_timeout is too large");
  }
  if (settings.signals.empty()) {
    throw std::invalid_argument("faulthandler: enable() needs at least one signal");
  }
  std::uint64_t wanted = 0;
  for (const signum s : settings.signals) {
    if (!allowed_fatal(s.number())) {
      throw std::invalid_argument("faulthandler: " + s.name() +
                                  " is not a fatal signal it can report (SIGSEGV, SIGFPE, "
                                  "SIGABRT, SIGBUS, SIGILL, SIGTRAP, SIGSYS)");
    }
    wanted |= bit(s.number());
  }
  fh::ensure_engine();
  prepare_thread();
  const std::lock_guard lock(fh::config_mutex());
  set_output(settings);
  fh::out_format.store(
      static_cast<std::uint8_t>(settings.format == report_format::json ? fh::format_code::json
                                                                       : fh::format_code::text),
      std::memory_order_release);
  fh::fatal_all_threads.store(settings.all_threads, std::memory_order_release);
  fh::hang_timeout_ns.store(to_ns(settings.hang_timeout), std::memory_order_release);
  fh::arm_existing_threads();
  const std::uint64_t before = fh::fatal_mask.load(std::memory_order_acquire);
  for (int s = 1; s < NSIG; ++s) {
    if ((before & bit(s)) != 0 && (wanted & bit(s)) == 0) {
      fh::fatal_mask.fetch_and(~bit(s), std::memory_order_acq_rel);
      restore_beneath(s, &fh::sigkit_faulthandler_fatal_handler);
    }
  }
  for (int s = 1; s < NSIG; ++s) {
    if ((wanted & bit(s)) == 0) continue;
    fh::fatal_mask.fetch_or(bit(s), std::memory_order_acq_rel);  // before the OS can call it
    install_fatal(s);
  }
  fh::install_terminate_hook();
}

void disable() {
  const std::lock_guard lock(fh::config_mutex());
  const std::uint64_t mask = fh::fatal_mask.exchange(0, std::memory_order_acq_rel);
  for (int s = 1; s < NSIG; ++s) {
    if ((mask & bit(s)) != 0) restore_beneath(s, &fh::sigkit_faulthandler_fatal_handler);
  }
  if (mask != 0) fh::remove_terminate_hook();
}

bool is_enabled() noexcept { return fh::fatal_mask.load(std::memory_order_acquire) != 0; }

void dump_traceback(int fd, bool all_threads) {
  fh::check_fd(fd, "dump_traceback");
  fh::ensure_engine();
  const int signo = fh::internal_signo.load(std::memory_order_acquire);
  {
    // The internal signal's handler may have been replaced since: take it back (what
    // replaced it becomes the action beneath, which gets every delivery that is not ours).
    const std::lock_guard lock(fh::config_mutex());
    const fh::os_action_guard guard;
    struct sigaction current {};
    if (::sigaction(signo, nullptr, &current) == 0 &&
        !fh::installs(current, &fh::sigkit_faulthandler_internal_handler)) {
      fh::set_beneath(signo, current);
      struct sigaction ours {};
      ours.sa_sigaction = &fh::sigkit_faulthandler_internal_handler;
      ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
      ::sigemptyset(&ours.sa_mask);
      ::sigaction(signo, &ours, nullptr);
    }
  }
  const int self = fh::current_tid();
  const bool already_held = fh::report_owner.load(std::memory_order_acquire) == self;
  while (!fh::acquire_report_lock(self, 1'000'000'000LL)) {
  }
  fh::self_request_fd.store(fd, std::memory_order_release);
  fh::self_request_all_threads.store(all_threads, std::memory_order_release);
  fh::self_request_done.store(false, std::memory_order_release);
  fh::self_request_tid.store(self, std::memory_order_release);
  sigset_t one;
  sigset_t old;
  ::sigemptyset(&one);
  ::sigaddset(&one, signo);
  ::pthread_sigmask(SIG_UNBLOCK, &one, &old);
  // To itself: the handler runs before pthread_kill returns, and reads this thread's stack
  // from its signal frame.
  const int err = ::pthread_kill(::pthread_self(), signo);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (err == 0 && !fh::self_request_done.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < give_up) {
    timespec pause{0, 1'000'000};
    ::nanosleep(&pause, nullptr);  // a sanitizer may deliver it at its next interceptor
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  fh::self_request_tid.store(0, std::memory_order_release);
  if (!already_held) fh::release_report_lock();
  if (err != 0) {
    throw std::system_error(std::error_code(err, std::system_category()),
                            "faulthandler: dump_traceback cannot signal the calling thread");
  }
}

void register_signal(int signalnum, int fd, bool all_threads, bool chain) {
  if (signalnum < 1 || signalnum >= NSIG) {
    throw std::invalid_argument("signal number " + std::to_string(signalnum) +
                                " out of range [1; " + std::to_string(NSIG - 1) + "]");
  }
  if (signalnum == SIGKILL || signalnum == SIGSTOP) {
    throw std::invalid_argument("faulthandler: " + describe(signalnum) + " cannot be registered");
  }
  if (python_fatal(signalnum)) {
    throw std::invalid_argument("faulthandler: " + describe(signalnum) +
                                " cannot be registered, use enable() instead");
  }
  fh::check_fd(fd, "register_signal");
  fh::ensure_engine();
  if (signalnum == fh::internal_signo.load(std::memory_order_acquire)) {
    throw std::invalid_argument("faulthandler: " + describe(signalnum) +
                                " is sigkit's internal signal");
  }
  const std::lock_guard lock(fh::config_mutex());
  const fh::os_action_guard guard;
  struct sigaction current {};
  if (::sigaction(signalnum, nullptr, &current) != 0) {
    throw std::system_error(std::error_code(errno, std::system_category()),
                            "faulthandler: cannot register " + describe(signalnum));
  }
  fh::user_config[signalnum].fd.store(fd, std::memory_order_release);
  fh::user_config[signalnum].all_threads.store(all_threads, std::memory_order_release);
  fh::user_config[signalnum].chain.store(chain, std::memory_order_release);
  const bool ours = fh::installs(current, &fh::sigkit_faulthandler_user_handler);
  if (!ours) fh::set_beneath(signalnum, current);
  struct sigaction action {};
  action.sa_sigaction = &fh::sigkit_faulthandler_user_handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | (chain ? SA_NODEFER : 0);
  ::sigemptyset(&action.sa_mask);
  fh::user_mask.fetch_or(bit(signalnum), std::memory_order_acq_rel);
  struct sigaction replaced {};
  if (::sigaction(signalnum, &action, &replaced) != 0) {
    const int err = errno;
    fh::user_mask.fetch_and(~bit(signalnum), std::memory_order_acq_rel);
    throw std::system_error(std::error_code(err, std::system_category()),
                            "faulthandler: cannot register " + describe(signalnum));
  }
  if (!ours) fh::set_beneath(signalnum, replaced);
}

bool unregister(int signalnum) {
  if (signalnum < 1 || signalnum >= NSIG) {
    throw std::invalid_argument("signal number " + std::to_string(signalnum) +
                                " out of range [1; " + std::to_string(NSIG - 1) + "]");
  }
  const std::lock_guard lock(fh::config_mutex());
  const std::uint64_t before = fh::user_mask.fetch_and(~bit(signalnum), std::memory_order_acq_rel);
  if ((before & bit(signalnum)) == 0) return false;
  restore_beneath(signalnum, &fh::sigkit_faulthandler_user_handler);
  return true;
}

int internal_signal() noexcept {
  const int s = fh::internal_signo.load(std::memory_order_acquire);
  return s != 0 ? s : SIGRTMAX - 3;
}

void set_internal_signal(int signalnum) {
  if (signalnum < SIGRTMIN || signalnum > SIGRTMAX) {
    throw std::invalid_argument("faulthandler: the internal signal must be a real-time signal");
  }
  const std::lock_guard lock(fh::config_mutex());
  if (fh::engine_ready && signalnum != fh::internal_signo.load(std::memory_order_acquire)) {
    throw std::logic_error("faulthandler: the internal signal is already in use");
  }
  fh::chosen_internal = signalnum;
}

}  // namespace sigkit::faulthandler
