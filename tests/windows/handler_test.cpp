// Windows: signal(), getsignal(), scoped_handler and raise_signal() over the C runtime's
// table of seven signals (Python: signal.signal / getsignal / raise_signal on Windows).
#include "sigkit/handler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "detail/win32.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/send.hpp"
#include "sigkit/signal_set.hpp"
#include "support/windows_test_support.hpp"

namespace {

using sigkit_windows_test::checkpoint_until;

constexpr int kSeven[] = {SIGINT, SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK, SIGABRT};

std::atomic<int> foreign_calls{0};
void foreign_crt_handler(int) { foreign_calls.fetch_add(1); }

TEST(SignalTest, TheSevenSignalsTakeHandlersAndReportThem) {
  for (const int s : kSeven) {
    const sigkit::handler h = [](int) {};
    EXPECT_TRUE(sigkit::signal(s, h).is_default()) << s;
    EXPECT_TRUE(sigkit::getsignal(s) == h) << s;
    EXPECT_TRUE(sigkit::signal(s, SIG_IGN) == h) << s;
    EXPECT_TRUE(sigkit::getsignal(s).is_ignore()) << s;
    EXPECT_TRUE(sigkit::signal(s, SIG_DFL).is_ignore()) << s;
  }
}

TEST(SignalTest, OtherNumbersAreInvalidArgumentsBeforeTheThreadCheck) {
  // Python: ValueError("invalid signal value") before the main-thread check. The C runtime
  // would call its invalid-parameter handler for them: sigkit refuses them itself.
  for (const int n : {-1, 0, 1, 3, 6, 9, 13, 14, 20, NSIG, NSIG + 1, 64}) {
    EXPECT_THROW(sigkit::signal(n, [](int) {}), std::invalid_argument) << n;
    EXPECT_THROW(sigkit::getsignal(n), std::invalid_argument) << n;
  }
  std::string message;
  std::thread([&] {
    try {
      sigkit::signal(6, SIG_IGN);
    } catch (const std::invalid_argument& e) {
      message = e.what();
    }
  }).join();
  EXPECT_NE(message.find("invalid signal value"), std::string::npos) << message;
}

TEST(SignalTest, OnlyTheMainThreadSetsHandlers) {
  bool refused = false;
  std::thread([&] {
    try {
      sigkit::signal(SIGTERM, [](int) {});
    } catch (const std::invalid_argument&) {
      refused = true;
    }
  }).join();
  EXPECT_TRUE(refused);
  EXPECT_TRUE(sigkit::getsignal(SIGTERM).is_default());
  EXPECT_THROW(sigkit::signal(SIGTERM, sigkit::handler{}), std::invalid_argument);
}

TEST(SignalTest, RaiseIsDeferredToTheNextCheckpointOnTheMainThread) {
  int calls = 0;
  std::thread::id ran_on;
  sigkit::signal(SIGTERM, [&](int s) {
    EXPECT_EQ(s, SIGTERM);
    ++calls;
    ran_on = std::this_thread::get_id();
  });
  ASSERT_EQ(::raise(SIGTERM), 0);  // the C runtime's raise(): not a checkpoint
  EXPECT_EQ(calls, 0);             // recorded, not run
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  sigkit::raise_signal(SIGTERM);  // a checkpoint: it has run when this returns
  EXPECT_EQ(calls, 2);
}

TEST(SignalTest, TheHandlerStaysInstalledAfterEachDelivery) {
  // The C runtime resets a handler to SIG_DFL before it calls it; sigkit's puts itself back.
  int calls = 0;
  const sigkit::handler h = [&](int) { ++calls; };
  sigkit::signal(SIGABRT, h);
  for (int i = 0; i < 5; ++i) sigkit::raise_signal(SIGABRT);
  EXPECT_EQ(calls, 5);
  EXPECT_TRUE(sigkit::getsignal(SIGABRT) == h);
}

TEST(SignalTest, PendingSignalsRunInAscendingOrderOncePerCheckpoint) {
  std::vector<int> order;
  sigkit::signal(SIGTERM, [&](int s) { order.push_back(s); });
  sigkit::signal(SIGINT, [&](int s) { order.push_back(s); });
  sigkit::signal(SIGBREAK, [&](int s) { order.push_back(s); });
  ASSERT_EQ(::raise(SIGBREAK), 0);
  ASSERT_EQ(::raise(SIGTERM), 0);
  ASSERT_EQ(::raise(SIGTERM), 0);
  ASSERT_EQ(::raise(SIGINT), 0);
  sigkit::check_signals();
  EXPECT_EQ(order, (std::vector<int>{SIGINT, SIGTERM, SIGBREAK}));
}

TEST(SignalTest, AnExceptionPropagatesAndTheRestStayPending) {
  int term_calls = 0;
  sigkit::signal(SIGINT, [](int) { throw std::runtime_error("from the handler"); });
  sigkit::signal(SIGTERM, [&](int) { ++term_calls; });
  ASSERT_EQ(::raise(SIGTERM), 0);
  ASSERT_EQ(::raise(SIGINT), 0);
  EXPECT_THROW(sigkit::check_signals(), std::runtime_error);
  EXPECT_EQ(term_calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(term_calls, 1);
}

TEST(SignalTest, ARaiseInAnotherThreadRunsOnTheMainThread) {
  std::atomic<int> calls{0};
  std::thread::id ran_on;
  sigkit::signal(SIGTERM, [&](int) {
    ran_on = std::this_thread::get_id();
    calls.fetch_add(1);
  });
  std::thread([] { sigkit::raise_signal(SIGTERM); }).join();
  EXPECT_TRUE(checkpoint_until([&] { return calls.load() == 1; }));
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(SignalTest, SigIgnIgnoresAndSigDflEndsWithTheRuntimesExitCode) {
  sigkit::signal(SIGTERM, SIG_IGN);
  sigkit::raise_signal(SIGTERM);
  EXPECT_TRUE(sigkit::getsignal(SIGTERM).is_ignore());
  sigkit::signal(SIGTERM, SIG_DFL);
  // The C runtime's SIG_DFL: _exit(3), as Python's raise_signal shows on Windows.
  EXPECT_EXIT(sigkit::raise_signal(SIGTERM), testing::ExitedWithCode(3), "");
}

TEST(SignalTest, AForeignCRuntimeHandlerIsReportedAsNone) {
  foreign_calls.store(0);
  ASSERT_NE(::signal(SIGTERM, &foreign_crt_handler), SIG_ERR);
  EXPECT_TRUE(sigkit::getsignal(SIGTERM).empty());
  // Reading did not disturb it: a raise still reaches it.
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ(foreign_calls.load(), 1);
  // The C runtime reset it (one-shot); install it again, then replace it with sigkit's.
  ASSERT_NE(::signal(SIGTERM, &foreign_crt_handler), SIG_ERR);
  EXPECT_TRUE(sigkit::signal(SIGTERM, [](int) {}).empty());
  // Foreign code that replaces sigkit's handler owns the signal from then on.
  ASSERT_NE(::signal(SIGTERM, &foreign_crt_handler), SIG_ERR);
  EXPECT_TRUE(sigkit::getsignal(SIGTERM).empty());
}

TEST(ScopedHandlerTest, RestoresTheForeignHandlerExactly) {
  ASSERT_NE(::signal(SIGBREAK, &foreign_crt_handler), SIG_ERR);
  {
    int calls = 0;
    const sigkit::scoped_handler scoped(SIGBREAK, [&](int) { ++calls; });
    sigkit::raise_signal(SIGBREAK);
    EXPECT_EQ(calls, 1);
  }
  EXPECT_EQ(::signal(SIGBREAK, SIG_DFL), &foreign_crt_handler);
}

TEST(RaiseSignalTest, RefusesWhatTheRuntimeWouldNotRaise) {
  // Python on Windows: OSError(EINVAL) (the runtime's invalid-parameter handler suppressed).
  for (const int n : {-1, 0, 1, 6, 9, NSIG, 1000}) {
    try {
      sigkit::raise_signal(n);
      ADD_FAILURE() << "raise_signal(" << n << ") did not throw";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EINVAL) << n;
    }
  }
}

TEST(RaiseSignalDeathTest, AHandledSignalKeepsTheProcessAlive) {
  EXPECT_EXIT(
      {
        sigkit::signal(SIGABRT, [](int) {});
        sigkit::raise_signal(SIGABRT);
        std::exit(42);
      },
      testing::ExitedWithCode(42), "");
}

// An access violation that someone else handles (a frame handler, here a vectored handler
// registered after sigkit's) leaves sigkit's fault mark behind; a raise(SIGSEGV) a while
// later must still be deferred, not taken for a CPU fault.
LONG WINAPI continue_after_access_violation(EXCEPTION_POINTERS* exception) {
  return exception->ExceptionRecord->ExceptionCode == EXCEPTION_ACCESS_VIOLATION
             ? EXCEPTION_CONTINUE_EXECUTION
             : EXCEPTION_CONTINUE_SEARCH;
}

TEST(FaultTest, AFaultHandledElsewhereDoesNotSwallowALaterRaise) {
  int calls = 0;
  sigkit::signal(SIGSEGV, [&](int) { ++calls; });  // registers sigkit's fault marker first
  void* later = ::AddVectoredExceptionHandler(0, &continue_after_access_violation);
  ASSERT_NE(later, nullptr);
  ::RaiseException(EXCEPTION_ACCESS_VIOLATION, 0, 0, nullptr);  // marked, then continued
  ::RemoveVectoredExceptionHandler(later);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sigkit::raise_signal(SIGSEGV);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sigkit::getsignal(SIGSEGV).is_callable());
}

TEST(FaultDeathTest, ARealAccessViolationEndsTheProcessInsteadOfHanging) {
  // A CPU fault cannot be deferred (the instruction would run again forever): the process
  // ends with the exception's code, as without a handler; raise(SIGSEGV) stays deferred.
  EXPECT_EXIT(
      {
        int calls = 0;
        sigkit::signal(SIGSEGV, [&](int) { ++calls; });
        sigkit::raise_signal(SIGSEGV);
        if (calls != 1) std::exit(1);
        *static_cast<volatile int*>(nullptr) = 1;  // NOLINT: the fault under test
        std::exit(2);
      },
      testing::ExitedWithCode(static_cast<int>(0xC0000005U)), "");
}

TEST(FaultDeathTest, ARealDivisionByZeroEndsTheProcessInsteadOfHanging) {
  EXPECT_EXIT(
      {
        sigkit::signal(SIGFPE, [](int) {});
        volatile int dividend = 100;
        volatile int zero = 0;
        volatile int quotient = dividend / zero;
        static_cast<void>(quotient);
        std::exit(2);
      },
      testing::ExitedWithCode(static_cast<int>(0xC0000094U)), "");
}

}  // namespace
