// Tests through the syscall seam (src/posix/detail/syscalls.hpp): errors a real OS cannot be
// made to produce on demand (EINTR, EAGAIN, EBADF, ENOSYS, ...), and the arguments sigkit
// passes down.
#include "detail/syscalls.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/time.h>
#include <unistd.h>
#include "support/test_support.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "sigkit/sigkit.hpp"

namespace {

using seconds_d = std::chrono::duration<double>;
using sigkit::detail::real_syscalls;
using sigkit::detail::scoped_syscall;
using sigkit::detail::sys;
using sigkit::detail::syscall_table;
using std::chrono::steady_clock;

struct handler_error : std::runtime_error {
  handler_error() : std::runtime_error("handler_error") {}
};

// State shared with the fakes (plain functions, so namespace scope).
std::atomic<int> g_calls{0};
std::atomic<long long> g_first_timeout_ns{-1};
std::atomic<long long> g_second_timeout_ns{-1};
std::atomic<int> g_arg_int{0};
std::atomic<int> g_arg_int2{0};
std::atomic<unsigned> g_arg_unsigned{0};
std::atomic<bool> g_arg_null{false};
std::atomic<long long> g_value_sec{0};
std::atomic<long long> g_value_usec{0};
std::atomic<long long> g_interval_sec{0};
std::atomic<long long> g_interval_usec{0};

long long to_ns(const timespec* ts) {
  return ts == nullptr ? -2 : static_cast<long long>(ts->tv_sec) * 1000000000LL + ts->tv_nsec;
}

void record_timeout(const timespec* ts) {
  const int n = g_calls++;
  if (n == 0) g_first_timeout_ns = to_ns(ts);
  if (n == 1) g_second_timeout_ns = to_ns(ts);
}

template <class F>
int system_errno(F&& f) {
  return sigkit_test::errno_of<std::system_error>(std::forward<F>(f));
}

template <class F>
int itimer_errno(F&& f) {
  return sigkit_test::errno_of<sigkit::itimer_error>(std::forward<F>(f));
}

// ---- fakes -----------------------------------------------------------------------------

int sigtimedwait_eintr_then_real(const sigset_t* set, siginfo_t* info, const timespec* ts) {
  const int n = g_calls.load();
  record_timeout(ts);
  if (n == 0) {
    errno = EINTR;
    return -1;
  }
  return real_syscalls().sigtimedwait(set, info, ts);
}

int sigtimedwait_slow_eintr_then_eagain(const sigset_t*, siginfo_t*, const timespec* ts) {
  const int n = g_calls.load();
  record_timeout(ts);
  if (n == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    errno = EINTR;
    return -1;
  }
  errno = EAGAIN;
  return -1;
}

int sigtimedwait_always_slow_eintr(const sigset_t*, siginfo_t*, const timespec* ts) {
  record_timeout(ts);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  errno = EINTR;
  return -1;
}

int sigtimedwait_eagain(const sigset_t*, siginfo_t*, const timespec* ts) {
  record_timeout(ts);
  errno = EAGAIN;
  return -1;
}

int sigtimedwait_efault(const sigset_t*, siginfo_t*, const timespec* ts) {
  record_timeout(ts);
  errno = EFAULT;
  return -1;
}

// Raises SIGUSR2 (which has a sigkit handler) the first time, as if it had interrupted the
// wait, and fails with EINTR; then behaves as the real call.
int sigtimedwait_raise_then_real(const sigset_t* set, siginfo_t* info, const timespec* ts) {
  const int n = g_calls.load();
  record_timeout(ts);
  if (n == 0) {
    static_cast<void>(::raise(SIGUSR2));
    errno = EINTR;
    return -1;
  }
  return real_syscalls().sigtimedwait(set, info, ts);
}

int sigwaitinfo_eintr_then_real(const sigset_t* set, siginfo_t* info) {
  if (g_calls++ == 0) {
    errno = EINTR;
    return -1;
  }
  return real_syscalls().sigwaitinfo(set, info);
}

int sigwaitinfo_raise_then_real(const sigset_t* set, siginfo_t* info) {
  if (g_calls++ == 0) {
    static_cast<void>(::raise(SIGUSR2));
    errno = EINTR;
    return -1;
  }
  return real_syscalls().sigwaitinfo(set, info);
}

int sigwaitinfo_ebadf(const sigset_t*, siginfo_t*) {
  ++g_calls;
  errno = EBADF;
  return -1;
}

int sigwaitinfo_eagain(const sigset_t*, siginfo_t*) {
  ++g_calls;
  errno = EAGAIN;
  return -1;
}

// Functions that *return* the error number leave errno alone; set it to something else to
// catch an implementation that reads errno instead.
int sigwait_einval(const sigset_t*, int*) {
  ++g_calls;
  errno = EPERM;
  return EINVAL;
}

int pthread_sigmask_einval(int, const sigset_t*, sigset_t*) {
  ++g_calls;
  errno = EPERM;
  return EINVAL;
}

int pthread_kill_esrch(pthread_t, int) {
  ++g_calls;
  errno = EPERM;
  return ESRCH;
}

int sigpending_efault(sigset_t*) {
  ++g_calls;
  errno = EFAULT;
  return -1;
}

int setitimer_efault(int, const itimerval*, itimerval*) {
  ++g_calls;
  errno = EFAULT;
  return -1;
}

int getitimer_efault(int, itimerval*) {
  ++g_calls;
  errno = EFAULT;
  return -1;
}

int setitimer_record(int which, const itimerval* value, itimerval* old) {
  ++g_calls;
  g_arg_int = which;
  g_value_sec = value->it_value.tv_sec;
  g_value_usec = value->it_value.tv_usec;
  g_interval_sec = value->it_interval.tv_sec;
  g_interval_usec = value->it_interval.tv_usec;
  if (old != nullptr) {
    old->it_value = timeval{3, 250000};
    old->it_interval = timeval{0, 500000};
  }
  return 0;
}

unsigned alarm_record(unsigned seconds) {
  ++g_calls;
  g_arg_unsigned = seconds;
  return 17;
}

int raise_enomem(int sig) {
  ++g_calls;
  g_arg_int = sig;
  errno = ENOMEM;
  return -1;
}

int pidfd_send_signal_enosys(int fd, int sig, siginfo_t* info, unsigned flags) {
  ++g_calls;
  g_arg_int = fd;
  g_arg_int2 = sig;
  g_arg_null = info == nullptr;
  g_arg_unsigned = flags;
  errno = ENOSYS;
  return -1;
}

int pidfd_send_signal_eperm(int, int, siginfo_t*, unsigned) {
  ++g_calls;
  errno = EPERM;
  return -1;
}

int pidfd_open_enosys(pid_t pid, unsigned flags) {
  ++g_calls;
  g_arg_int = pid;
  g_arg_unsigned = flags;
  errno = ENOSYS;
  return -1;
}

int sigqueue_eagain(pid_t pid, int sig, const sigval value) {
  ++g_calls;
  g_arg_int = pid;
  g_arg_int2 = sig;
  g_arg_unsigned = static_cast<unsigned>(value.sival_int);
  errno = EAGAIN;
  return -1;
}

int sigaction_eperm(int, const struct sigaction*, struct sigaction*) {
  ++g_calls;
  errno = EPERM;
  return -1;
}

// ---- the seam itself -------------------------------------------------------------------

TEST(SyscallSeamTest, ScopedSyscallReplacesAndRestores) {
  EXPECT_EQ(sys.sigtimedwait, real_syscalls().sigtimedwait);
  {
    const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eagain);
    EXPECT_EQ(sys.sigtimedwait, &sigtimedwait_eagain);
  }
  EXPECT_EQ(sys.sigtimedwait, real_syscalls().sigtimedwait);
}

// ---- sigtimedwait ----------------------------------------------------------------------

TEST(SyscallSeamTest, SigtimedwaitResumesAfterEintr) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eintr_then_real);
  const auto info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(5));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR1);
  EXPECT_EQ(g_calls, 2);
}

TEST(SyscallSeamTest, SigtimedwaitResumesWithTheRemainingTime) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_slow_eintr_then_eagain);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(1.0)), std::nullopt);
  EXPECT_EQ(g_calls, 2);
  EXPECT_EQ(g_first_timeout_ns, 1000000000LL);
  // 300 ms went by inside the first call.
  EXPECT_LE(g_second_timeout_ns, 700000000LL);
  EXPECT_GE(g_second_timeout_ns, 400000000LL);
}

TEST(SyscallSeamTest, SigtimedwaitEagainIsATimeout) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eagain);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(3)), std::nullopt);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, SigtimedwaitZeroTimeoutPassesZero) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eagain);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(0)), std::nullopt);
  EXPECT_EQ(g_first_timeout_ns, 0);
}

TEST(SyscallSeamTest, SigtimedwaitTinyTimeoutRoundsUpToOneNanosecond) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eagain);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(1e-12)), std::nullopt);
  EXPECT_EQ(g_first_timeout_ns, 1);
}

TEST(SyscallSeamTest, SigtimedwaitTimeoutRoundsUp) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_eagain);
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(2.5)), std::nullopt);
  EXPECT_EQ(g_first_timeout_ns, 2500000000LL);
}

TEST(SyscallSeamTest, SigtimedwaitDeadlinePassingDuringEintrIsATimeout) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_always_slow_eintr);
  const auto start = steady_clock::now();
  EXPECT_EQ(sigkit::sigtimedwait({SIGUSR1}, seconds_d(0.2)), std::nullopt);
  EXPECT_GE(g_calls, 1);
  EXPECT_LE(g_calls, 10);  // it stops retrying once the deadline has passed
  EXPECT_LT(std::chrono::duration<double>(steady_clock::now() - start).count(), 2.0);
}

TEST(SyscallSeamTest, SigtimedwaitOtherErrorIsSystemError) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_efault);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(1))); }),
            EFAULT);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, SigtimedwaitEintrRunsHandlersThenResumes) {
  std::atomic<int> handled{0};
  sigkit::signal(SIGUSR2, [&](int) { ++handled; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_raise_then_real);
  const auto info = sigkit::sigtimedwait({SIGUSR1}, seconds_d(5));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signo, SIGUSR1);
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(g_calls, 2);
}

TEST(SyscallSeamTest, SigtimedwaitEintrHandlerExceptionPropagates) {
  sigkit::signal(SIGUSR2, [](int) { throw handler_error(); });
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_raise_then_real);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(5))), handler_error);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, SigtimedwaitArgumentErrorsComeBeforeTheSystemCall) {
  const scoped_syscall guard(&syscall_table::sigtimedwait, &sigtimedwait_efault);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({}, seconds_d(1))), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(sigkit::sigtimedwait({SIGUSR1}, seconds_d(-1))),
               std::invalid_argument);
  EXPECT_EQ(g_calls, 0);
}

// ---- sigwaitinfo / sigwait -------------------------------------------------------------

TEST(SyscallSeamTest, SigwaitinfoResumesAfterEintr) {
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const scoped_syscall guard(&syscall_table::sigwaitinfo, &sigwaitinfo_eintr_then_real);
  EXPECT_EQ(sigkit::sigwaitinfo({SIGUSR1}).signo, SIGUSR1);
  EXPECT_EQ(g_calls, 2);
}

TEST(SyscallSeamTest, SigwaitinfoEintrRunsHandlersThenResumes) {
  std::atomic<int> handled{0};
  sigkit::signal(SIGUSR2, [&](int) { ++handled; });
  sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(::raise(SIGUSR1), 0);
  const scoped_syscall guard(&syscall_table::sigwaitinfo, &sigwaitinfo_raise_then_real);
  EXPECT_EQ(sigkit::sigwaitinfo({SIGUSR1}).signo, SIGUSR1);
  EXPECT_EQ(handled, 1);
}

TEST(SyscallSeamTest, SigwaitinfoEintrHandlerExceptionPropagates) {
  sigkit::signal(SIGUSR2, [](int) { throw handler_error(); });
  const scoped_syscall guard(&syscall_table::sigwaitinfo, &sigwaitinfo_raise_then_real);
  EXPECT_THROW(static_cast<void>(sigkit::sigwaitinfo({SIGUSR1})), handler_error);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, SigwaitinfoOtherErrorsAreSystemErrors) {
  {
    const scoped_syscall guard(&syscall_table::sigwaitinfo, &sigwaitinfo_ebadf);
    EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::sigwaitinfo({SIGUSR1})); }), EBADF);
  }
  {
    const scoped_syscall guard(&syscall_table::sigwaitinfo, &sigwaitinfo_eagain);
    EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::sigwaitinfo({SIGUSR1})); }), EAGAIN);
  }
  EXPECT_EQ(g_calls, 2);
}

TEST(SyscallSeamTest, SigwaitErrorComesFromTheReturnValue) {
  const scoped_syscall guard(&syscall_table::sigwait, &sigwait_einval);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::sigwait({SIGUSR1})); }), EINVAL);
  EXPECT_EQ(g_calls, 1);
}

// ---- masks -----------------------------------------------------------------------------

TEST(SyscallSeamTest, PthreadSigmaskErrorComesFromTheReturnValue) {
  const scoped_syscall guard(&syscall_table::pthread_sigmask, &pthread_sigmask_einval);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1})); }),
            EINVAL);
  EXPECT_GE(g_calls, 1);
}

TEST(SyscallSeamTest, SigpendingError) {
  const scoped_syscall guard(&syscall_table::sigpending, &sigpending_efault);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::sigpending()); }), EFAULT);
  EXPECT_EQ(g_calls, 1);
}

// ---- timers ----------------------------------------------------------------------------

TEST(SyscallSeamTest, SetitimerErrorIsItimerError) {
  const scoped_syscall guard(&syscall_table::setitimer, &setitimer_efault);
  EXPECT_EQ(itimer_errno([] { sigkit::setitimer(ITIMER_REAL, seconds_d(1)); }), EFAULT);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, GetitimerErrorIsItimerError) {
  const scoped_syscall guard(&syscall_table::getitimer, &getitimer_efault);
  EXPECT_EQ(itimer_errno([] { static_cast<void>(sigkit::getitimer(ITIMER_REAL)); }), EFAULT);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, SetitimerRoundsUpToWholeMicroseconds) {
  const scoped_syscall guard(&syscall_table::setitimer, &setitimer_record);
  const sigkit::itimer_value old =
      sigkit::setitimer(ITIMER_VIRTUAL, seconds_d(1e-9), seconds_d(1.0000001));
  EXPECT_EQ(g_arg_int, ITIMER_VIRTUAL);
  EXPECT_EQ(g_value_sec, 0);
  EXPECT_EQ(g_value_usec, 1) << "a tiny time must not become 0 (which disarms)";
  EXPECT_EQ(g_interval_sec, 1);
  EXPECT_EQ(g_interval_usec, 1);
  EXPECT_DOUBLE_EQ(old.delay.count(), 3.25);
  EXPECT_DOUBLE_EQ(old.interval.count(), 0.5);
}

TEST(SyscallSeamTest, SetitimerPassesExactValues) {
  const scoped_syscall guard(&syscall_table::setitimer, &setitimer_record);
  sigkit::setitimer(ITIMER_REAL, seconds_d(2.5), seconds_d(0));
  EXPECT_EQ(g_value_sec, 2);
  EXPECT_EQ(g_value_usec, 500000);
  EXPECT_EQ(g_interval_sec, 0);
  EXPECT_EQ(g_interval_usec, 0);
  sigkit::setitimer(ITIMER_REAL, seconds_d(0), seconds_d(0));
  EXPECT_EQ(g_value_sec, 0);
  EXPECT_EQ(g_value_usec, 0);
}

TEST(SyscallSeamTest, SetitimerArgumentErrorsComeBeforeTheSystemCall) {
  const scoped_syscall guard(&syscall_table::setitimer, &setitimer_record);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(std::numeric_limits<double>::quiet_NaN())),
               std::invalid_argument);
  EXPECT_THROW(sigkit::setitimer(ITIMER_REAL, seconds_d(std::numeric_limits<double>::infinity())),
               std::out_of_range);
  EXPECT_EQ(g_calls, 0);
}

TEST(SyscallSeamTest, AlarmPassesSecondsAndReturnsThePrevious) {
  const scoped_syscall guard(&syscall_table::alarm, &alarm_record);
  EXPECT_EQ(sigkit::alarm(std::chrono::seconds(5)), std::chrono::seconds(17));
  EXPECT_EQ(g_arg_unsigned, 5U);
  EXPECT_EQ(sigkit::alarm(std::chrono::seconds(UINT_MAX)), std::chrono::seconds(17));
  EXPECT_EQ(g_arg_unsigned, UINT_MAX);
  EXPECT_THROW(sigkit::alarm(std::chrono::seconds(-1)), std::invalid_argument);
  EXPECT_EQ(g_calls, 2);
}

// ---- sending ---------------------------------------------------------------------------

TEST(SyscallSeamTest, RaiseErrorUsesErrno) {
  const scoped_syscall guard(&syscall_table::raise, &raise_enomem);
  EXPECT_EQ(system_errno([] { sigkit::raise_signal(SIGUSR1); }), ENOMEM);
  EXPECT_EQ(g_arg_int, SIGUSR1);
}

TEST(SyscallSeamTest, PthreadKillErrorComesFromTheReturnValue) {
  const scoped_syscall guard(&syscall_table::pthread_kill, &pthread_kill_esrch);
  EXPECT_EQ(system_errno([] { sigkit::pthread_kill(::pthread_self(), SIGUSR1); }), ESRCH);
  EXPECT_EQ(g_calls, 1);
}

TEST(SyscallSeamTest, PthreadKillZeroThreadIsCheckedBeforeTheSystemCall) {
  const scoped_syscall guard(&syscall_table::pthread_kill, &pthread_kill_esrch);
  EXPECT_THROW(sigkit::pthread_kill(pthread_t{}, SIGUSR1), std::invalid_argument);
  EXPECT_EQ(g_calls, 0);
}

TEST(SyscallSeamTest, PidfdSendSignalEnosys) {
  const scoped_syscall guard(&syscall_table::pidfd_send_signal, &pidfd_send_signal_enosys);
  EXPECT_EQ(system_errno([] { sigkit::pidfd_send_signal(42, SIGUSR2, 0); }), ENOSYS);
  EXPECT_EQ(g_arg_int, 42);
  EXPECT_EQ(g_arg_int2, SIGUSR2);
  EXPECT_TRUE(g_arg_null) << "sigkit sends no siginfo";
  EXPECT_EQ(g_arg_unsigned, 0U);
}

TEST(SyscallSeamTest, PidfdSendSignalPassesFlags) {
  const scoped_syscall guard(&syscall_table::pidfd_send_signal, &pidfd_send_signal_enosys);
  EXPECT_EQ(system_errno([] { sigkit::pidfd_send_signal(7, 0, 4); }), ENOSYS);
  EXPECT_EQ(g_arg_unsigned, 4U);
}

TEST(SyscallSeamTest, PidfdSendSignalEperm) {
  const scoped_syscall guard(&syscall_table::pidfd_send_signal, &pidfd_send_signal_eperm);
  EXPECT_EQ(system_errno([] { sigkit::pidfd_send_signal(3, SIGUSR1); }), EPERM);
}

TEST(SyscallSeamTest, PidfdOpenEnosys) {
  const scoped_syscall guard(&syscall_table::pidfd_open, &pidfd_open_enosys);
  EXPECT_EQ(system_errno([] { static_cast<void>(sigkit::pidfd_open(::getpid())); }), ENOSYS);
  EXPECT_EQ(g_arg_int, ::getpid());
  EXPECT_EQ(g_arg_unsigned, 0U);
}

TEST(SyscallSeamTest, SigqueueEagainAndArguments) {
  const scoped_syscall guard(&syscall_table::sigqueue, &sigqueue_eagain);
  EXPECT_EQ(system_errno([] { sigkit::sigqueue(1234, SIGRTMIN, 99); }), EAGAIN);
  EXPECT_EQ(g_arg_int, 1234);
  EXPECT_EQ(g_arg_int2, SIGRTMIN);
  EXPECT_EQ(g_arg_unsigned, 99U);
}

// ---- dispositions ----------------------------------------------------------------------

TEST(SyscallSeamTest, SiginterruptSigactionFailure) {
  const scoped_syscall guard(&syscall_table::sigaction, &sigaction_eperm);
  EXPECT_EQ(system_errno([] { sigkit::siginterrupt(SIGUSR1, true); }), EPERM);
  EXPECT_GE(g_calls, 1);
}

TEST(SyscallSeamTest, SiginterruptRangeIsCheckedBeforeTheSystemCall) {
  const scoped_syscall guard(&syscall_table::sigaction, &sigaction_eperm);
  EXPECT_THROW(sigkit::siginterrupt(0, true), std::invalid_argument);
  EXPECT_THROW(sigkit::siginterrupt(NSIG, true), std::invalid_argument);
  EXPECT_EQ(g_calls, 0);
}

}  // namespace
