// What the OS-level handler (src/signal_context.cpp) may and may not do: it allocates nothing,
// it preserves errno, and it keeps working when its wakeup write fails. The allocation check
// interposes malloc and friends in this executable (not under the sanitizers, which own malloc;
// there TSan's "signal-unsafe call inside of a signal" check covers the same ground).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>

#include <gtest/gtest.h>

#include "sigkit/sigkit.hpp"
#include "support/test_support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(SIGKIT_TEST_TSAN)
#define SIGKIT_TEST_OWNS_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIGKIT_TEST_OWNS_MALLOC 0
#else
#define SIGKIT_TEST_OWNS_MALLOC 1
#endif
#else
#define SIGKIT_TEST_OWNS_MALLOC 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int> g_allocations{0};
}  // namespace

#if SIGKIT_TEST_OWNS_MALLOC
extern "C" {
// glibc's own allocator entry points, which the interposed functions forward to.
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void __libc_free(void* p);
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

void* malloc(std::size_t size) {  // NOLINT(cert-dcl58-cpp)
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {  // NOLINT(cert-dcl58-cpp)
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {  // NOLINT(cert-dcl58-cpp)
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return __libc_realloc(p, size);
}
void free(void* p) {  // NOLINT(cert-dcl58-cpp)
  if (g_counting.load(std::memory_order_relaxed) && p != nullptr) g_allocations.fetch_add(1);
  __libc_free(p);
}
}
#endif

namespace {

TEST(SignalContextTest, RecordingADeliveryAllocatesNothing) {
#if !SIGKIT_TEST_OWNS_MALLOC
  GTEST_SKIP() << "the sanitizer owns malloc; TSan checks signal-unsafe calls instead";
#endif
  std::atomic<int> plain{0};
  std::atomic<int> queued{0};
  sigkit::signal(SIGUSR1, [&plain](int) { plain.fetch_add(1); });
  sigkit::signal(SIGRTMIN, [&queued](const sigkit::siginfo&) { queued.fetch_add(1); });
  sigkit_test::pipe_pair wakeup;
  sigkit::set_wakeup_fd(wakeup.write_end);

  // Only raw system calls run inside the window, and sigkit's OS-level handler inside them.
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 200; ++i) {
    static_cast<void>(::raise(SIGUSR1));
    sigval v{};
    v.sival_int = i;
    ::sigqueue(::getpid(), SIGRTMIN, v);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0) << "the OS-level handler allocated or freed memory";

  // Nothing ran yet; the checkpoint (normal context, where allocation is fine) runs it all.
  EXPECT_EQ(plain.load(), 0);
  EXPECT_EQ(queued.load(), 0);
  sigkit::check_signals();
  EXPECT_EQ(plain.load(), 1);
  EXPECT_EQ(queued.load(), 200);
  EXPECT_EQ(sigkit::dropped_deliveries(SIGRTMIN), 0U);
}

TEST(SignalContextTest, HandlerPreservesErrnoEvenWhenItsWakeupWriteFails) {
  std::atomic<int> calls{0};
  sigkit::signal(SIGUSR1, [&calls](int) { calls.fetch_add(1); });
  sigkit_test::stderr_capture capture;  // before the close: it must not reuse the fd numbers
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  sigkit::set_wakeup_fd(fds[1]);
  ::close(fds[1]);  // the handler's write now fails with EBADF
  ::close(fds[0]);
  errno = ENOTTY;
  static_cast<void>(::raise(SIGUSR1));
  EXPECT_EQ(errno, ENOTTY) << "the OS-level handler spoiled errno";
  sigkit::check_signals();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(capture.text().find("sigkit: cannot write to the signal wakeup fd"), std::string::npos);
  sigkit::set_wakeup_fd(-1);
}

}  // namespace
