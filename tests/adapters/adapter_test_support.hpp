// tests/adapters/adapter_test_support.hpp - helpers shared by the event-loop adapters' tests.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sigkit/siginfo.hpp"
#include "sigkit/testing.hpp"
#include "support/test_support.hpp"

namespace sigkit_test {

/// Queues `signo` with `value` to this process, as sigqueue(2) does. Under TSan, which
/// coalesces queued real-time signals and may lose an asynchronous one (see
/// SKIP_QUEUED_DELIVERIES_UNDER_TSAN), the delivery is recorded with sigkit::testing::inject
/// instead, with the fields sigqueue would give it: the adapters' own code, which is what
/// these tests check under TSan, runs the same either way. From any thread.
inline void queue_to_self(int signo, int value) {
#ifdef SIGKIT_TEST_TSAN
  sigkit::siginfo info;
  info.signo = signo;
  info.code = SI_QUEUE;
  info.pid = ::getpid();
  info.uid = ::getuid();
  info.value.sival_int = value;
  ASSERT_TRUE(sigkit::testing::inject(info)) << "nothing of sigkit's takes signal " << signo;
#else
  sigval v{};
  v.sival_int = value;
  ASSERT_EQ(::sigqueue(::getpid(), signo, v), 0);
#endif
}

}  // namespace sigkit_test
