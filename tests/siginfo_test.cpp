// Tests for sigkit/siginfo.hpp: siginfo, from_native and code_name.
#include "sigkit/siginfo.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <type_traits>

namespace {

using sigkit::siginfo;

// Blocks `signo` in this thread for the lifetime of the object (raw OS calls, so these tests
// depend only on siginfo.hpp).
class raw_block {
 public:
  explicit raw_block(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~raw_block() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  raw_block(const raw_block&) = delete;
  raw_block& operator=(const raw_block&) = delete;

 private:
  sigset_t old_{};
};

siginfo_t raw_wait(int signo) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  const timespec timeout{10, 0};
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  EXPECT_EQ(::sigtimedwait(&set, &info, &timeout), signo);
  return info;
}

static_assert(std::is_default_constructible_v<siginfo>);
static_assert(std::is_trivially_copyable_v<siginfo>);

// The members API.md fixes.
static_assert(std::is_same_v<decltype(siginfo::signo), int>);
static_assert(std::is_same_v<decltype(siginfo::code), int>);
static_assert(std::is_same_v<decltype(siginfo::error), int>);
static_assert(std::is_same_v<decltype(siginfo::pid), pid_t>);
static_assert(std::is_same_v<decltype(siginfo::uid), uid_t>);
static_assert(std::is_same_v<decltype(siginfo::status), int>);
static_assert(std::is_same_v<decltype(siginfo::band), long>);
static_assert(std::is_same_v<decltype(siginfo::value), sigval>);

TEST(SiginfoTest, DefaultIsZero) {
  const siginfo info;
  EXPECT_EQ(info.signo, 0);
  EXPECT_EQ(info.code, 0);
  EXPECT_EQ(info.error, 0);
  EXPECT_EQ(info.pid, 0);
  EXPECT_EQ(info.uid, 0U);
  EXPECT_EQ(info.status, 0);
  EXPECT_EQ(info.band, 0);
  EXPECT_EQ(info.value.sival_int, 0);
}

TEST(SiginfoTest, FromNativeCopiesQueueFields) {
  siginfo_t native;
  std::memset(&native, 0, sizeof native);
  native.si_signo = SIGUSR1;
  native.si_code = SI_QUEUE;
  native.si_errno = 5;
  native.si_pid = 1234;
  native.si_uid = 567;
  native.si_value.sival_int = -42;
  const siginfo info = siginfo::from_native(native);
  EXPECT_EQ(info.signo, SIGUSR1);
  EXPECT_EQ(info.code, SI_QUEUE);
  EXPECT_EQ(info.error, 5);
  EXPECT_EQ(info.pid, 1234);
  EXPECT_EQ(info.uid, 567U);
  EXPECT_EQ(info.value.sival_int, -42);
}

TEST(SiginfoTest, FromNativeCopiesPointerPayload) {
  siginfo_t native;
  std::memset(&native, 0, sizeof native);
  int target = 0;
  native.si_signo = SIGRTMIN;
  native.si_code = SI_QUEUE;
  native.si_value.sival_ptr = &target;
  EXPECT_EQ(siginfo::from_native(native).value.sival_ptr, &target);
}

TEST(SiginfoTest, FromNativeCopiesChildFields) {
  siginfo_t native;
  std::memset(&native, 0, sizeof native);
  native.si_signo = SIGCHLD;
  native.si_code = CLD_EXITED;
  native.si_pid = 4321;
  native.si_uid = 1000;
  native.si_status = 7;
  const siginfo info = siginfo::from_native(native);
  EXPECT_EQ(info.signo, SIGCHLD);
  EXPECT_EQ(info.code, CLD_EXITED);
  EXPECT_EQ(info.pid, 4321);
  EXPECT_EQ(info.uid, 1000U);
  EXPECT_EQ(info.status, 7);
}

TEST(SiginfoTest, FromNativeCopiesBand) {
  siginfo_t native;
  std::memset(&native, 0, sizeof native);
  native.si_signo = SIGIO;
  native.si_code = POLL_IN;
  native.si_band = 0x41;
  const siginfo info = siginfo::from_native(native);
  EXPECT_EQ(info.signo, SIGIO);
  EXPECT_EQ(info.code, POLL_IN);
  EXPECT_EQ(info.band, 0x41);
}

TEST(SiginfoTest, FromRealKill) {
  const raw_block blocked(SIGUSR1);
  ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
  const siginfo_t native = raw_wait(SIGUSR1);
  const siginfo info = siginfo::from_native(native);
  EXPECT_EQ(info.signo, SIGUSR1);
  EXPECT_EQ(info.code, SI_USER);
  EXPECT_EQ(info.pid, ::getpid());
  EXPECT_EQ(info.uid, ::getuid());
  EXPECT_EQ(info.error, 0);
  // On Linux si_band shares storage with the sender's pid (and uid).
  EXPECT_EQ(info.band, native.si_band);
}

TEST(SiginfoTest, FromRealSigqueue) {
  const raw_block blocked(SIGRTMIN + 1);
  sigval value{};
  value.sival_int = 987654;
  ASSERT_EQ(::sigqueue(::getpid(), SIGRTMIN + 1, value), 0);
  const siginfo info = siginfo::from_native(raw_wait(SIGRTMIN + 1));
  EXPECT_EQ(info.signo, SIGRTMIN + 1);
  EXPECT_EQ(info.code, SI_QUEUE);
  EXPECT_EQ(info.pid, ::getpid());
  EXPECT_EQ(info.uid, ::getuid());
  EXPECT_EQ(info.value.sival_int, 987654);
}

TEST(SiginfoTest, FromRealChildExit) {
  const raw_block blocked(SIGCHLD);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(7);
  const siginfo info = siginfo::from_native(raw_wait(SIGCHLD));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(info.signo, SIGCHLD);
  EXPECT_EQ(info.code, CLD_EXITED);
  EXPECT_EQ(info.pid, child);
  EXPECT_EQ(info.uid, ::getuid());
  EXPECT_EQ(info.status, 7);
}

TEST(SiginfoTest, CodeNamesOfSenders) {
  EXPECT_EQ(sigkit::code_name(SIGUSR1, SI_USER), "SI_USER");
  EXPECT_EQ(sigkit::code_name(SIGUSR1, SI_QUEUE), "SI_QUEUE");
  EXPECT_EQ(sigkit::code_name(SIGUSR1, SI_KERNEL), "SI_KERNEL");
  EXPECT_EQ(sigkit::code_name(SIGUSR1, SI_TKILL), "SI_TKILL");
  EXPECT_EQ(sigkit::code_name(SIGALRM, SI_TIMER), "SI_TIMER");
  EXPECT_EQ(sigkit::code_name(SIGRTMIN, SI_MESGQ), "SI_MESGQ");
  EXPECT_EQ(sigkit::code_name(SIGRTMIN, SI_ASYNCIO), "SI_ASYNCIO");
  EXPECT_EQ(sigkit::code_name(SIGIO, SI_SIGIO), "SI_SIGIO");
}

TEST(SiginfoTest, CodeNamesOfChildEvents) {
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_EXITED), "CLD_EXITED");
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_KILLED), "CLD_KILLED");
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_DUMPED), "CLD_DUMPED");
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_TRAPPED), "CLD_TRAPPED");
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_STOPPED), "CLD_STOPPED");
  EXPECT_EQ(sigkit::code_name(SIGCHLD, CLD_CONTINUED), "CLD_CONTINUED");
}

TEST(SiginfoTest, CodeNameOfUnknownCodeIsTheNumber) {
  EXPECT_EQ(std::string(sigkit::code_name(SIGUSR1, 12345)), "12345");
  EXPECT_EQ(std::string(sigkit::code_name(SIGUSR1, -77)), "-77");
  EXPECT_EQ(std::string(sigkit::code_name(SIGCHLD, 4242)), "4242");
}

}  // namespace
