// sigkit::faulthandler in-process: Python's test_faulthandler ported (enable/disable, the
// report's layout, dump_traceback, dump_traceback_later, register_signal, the environment
// variable), the guarantees of the fatal path (death by the original signal, the hang guard,
// a fault inside the reporter) and the coexistence with sigkit's own handlers. Everything
// that dies runs in a forked child (sigkit_test::run_in_child) with a watchdog. These run in
// every preset, sanitizers included; tests/faulthandler/ has the acceptance tests on
// separate fixture programs.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "faulthandler/detail/faulthandler_state.hpp"
#include "sigkit/sigkit.hpp"
#include "support/test_support.hpp"

#ifdef SIGKIT_TEST_TSAN
// ThreadSanitizer handles SIGSEGV, SIGBUS, SIGFPE and SIGILL itself by default (it reports
// them and exits 66); the crash reporter needs them, as the asan-ubsan preset's ASAN_OPTIONS
// (handle_segv=0 ...) give them to it under AddressSanitizer. TSAN_OPTIONS still overrides.
extern "C" const char* __tsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0";
}
#endif

namespace {

namespace fh = sigkit::faulthandler;
constexpr int kSaRestorer = 0x04000000;  // glibc's own flag (not in its headers)
using namespace std::chrono_literals;

// A temporary file for a report (a pipe could fill up while the child writes).
class report_file {
 public:
  report_file() {
    char path[] = "/tmp/sigkit-fh-report-XXXXXX";
    fd_ = ::mkstemp(path);
    if (fd_ < 0) throw std::runtime_error("mkstemp failed");
    path_ = path;
  }
  ~report_file() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  report_file(const report_file&) = delete;
  report_file& operator=(const report_file&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string text() const {
    std::string out;
    char buffer[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(fd_, buffer, sizeof buffer, at);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Memory shared with a forked child.
template <class T>
class shared {
 public:
  shared() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    value_ = new (p) T{};
  }
  ~shared() { ::munmap(value_, sizeof(T)); }
  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_ = nullptr;
};

bool killed_by(int status, int signo) { return WIFSIGNALED(status) && WTERMSIG(status) == signo; }

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

const std::regex kFrameLine(R"(  #\d+ 0x[0-9a-f]+ \S+\+0x[0-9a-f]+)");

// (UBSan would stop these before the CPU faults: it checks null stores and divisions; TSan
// would report threads faulting at once as racing stores to address 0.)
__attribute__((noinline, no_sanitize("undefined"), no_sanitize_thread)) void null_dereference() {
  volatile int* volatile p = nullptr;
  *p = 1;
}

volatile int g_zero = 0;
__attribute__((noinline, no_sanitize("undefined"))) int divide_by_zero() { return 10 / g_zero; }

// ---- Python parity: enable, disable, is_enabled
// ---------------------------------------------------

TEST(FaulthandlerTest, IsOffUntilEnabledAndOffAfterDisable) {
  EXPECT_FALSE(fh::is_enabled());
  fh::enable();
  EXPECT_TRUE(fh::is_enabled());
  fh::enable();  // again: still enabled
  EXPECT_TRUE(fh::is_enabled());
  fh::disable();
  EXPECT_FALSE(fh::is_enabled());
  fh::disable();  // again: nothing happens
  EXPECT_FALSE(fh::is_enabled());
}

void foreign_siginfo_handler(int, siginfo_t*, void*) {}

TEST(FaulthandlerTest, DisableRestoresExactlyThePreviousAction) {
  struct sigaction foreign {};
  foreign.sa_sigaction = &foreign_siginfo_handler;
  foreign.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  ::sigemptyset(&foreign.sa_mask);
  ::sigaddset(&foreign.sa_mask, SIGUSR2);
  ::sigaddset(&foreign.sa_mask, SIGRTMIN + 2);
  ASSERT_EQ(::sigaction(SIGSEGV, &foreign, nullptr), 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGFPE, &ignore, nullptr), 0);
  struct sigaction before_segv {};
  struct sigaction before_fpe {};
  struct sigaction before_abrt {};
  ::sigaction(SIGSEGV, nullptr, &before_segv);
  ::sigaction(SIGFPE, nullptr, &before_fpe);
  ::sigaction(SIGABRT, nullptr, &before_abrt);
  fh::enable();
  struct sigaction during {};
  ::sigaction(SIGSEGV, nullptr, &during);
  EXPECT_NE(during.sa_sigaction, before_segv.sa_sigaction);
  EXPECT_NE(during.sa_flags & SA_ONSTACK, 0);
  fh::disable();
  auto same = [](const struct sigaction& a, const struct sigaction& b) {
    if ((a.sa_flags & ~kSaRestorer) != (b.sa_flags & ~kSaRestorer)) return false;
    if (a.sa_sigaction != b.sa_sigaction) return false;
#ifdef SIGKIT_TEST_TSAN
    // TSan's sigaction interceptor reports a full sa_mask after any SIG_DFL round trip (a
    // plain sigaction(SIG_DFL) read back shows it, without sigkit): masks are compared in
    // the other presets.
    return true;
#endif
    for (int s = 1; s < NSIG; ++s) {
      if (::sigismember(&a.sa_mask, s) != ::sigismember(&b.sa_mask, s)) return false;
    }
    return true;
  };
  struct sigaction after {};
  ::sigaction(SIGSEGV, nullptr, &after);
  EXPECT_TRUE(same(before_segv, after));
  ::sigaction(SIGFPE, nullptr, &after);
  EXPECT_TRUE(same(before_fpe, after));
  ::sigaction(SIGABRT, nullptr, &after);
  EXPECT_TRUE(same(before_abrt, after));
  EXPECT_TRUE(std::get_terminate() != nullptr);
}

TEST(FaulthandlerTest, DisableLeavesAHandlerInstalledSinceAlone) {
  fh::enable();
  struct sigaction foreign {};
  foreign.sa_sigaction = &foreign_siginfo_handler;
  foreign.sa_flags = SA_SIGINFO;
  ::sigemptyset(&foreign.sa_mask);
  ASSERT_EQ(::sigaction(SIGBUS, &foreign, nullptr), 0);
  fh::disable();
  struct sigaction after {};
  ::sigaction(SIGBUS, nullptr, &after);
  EXPECT_EQ(after.sa_sigaction, &foreign_siginfo_handler);
}

TEST(FaulthandlerTest, BadArgumentsThrow) {
  using sigkit_test::errno_of;
  EXPECT_EQ(errno_of<std::system_error>([] { fh::enable(-1); }), EBADF);
  EXPECT_EQ(errno_of<std::system_error>([] { fh::enable(987); }), EBADF);
  EXPECT_FALSE(fh::is_enabled());
  fh::options o;
  o.hang_timeout = std::chrono::duration<double>(std::nan(""));
  EXPECT_THROW(fh::enable(o), std::invalid_argument);
  o.hang_timeout = std::chrono::duration<double>(-0.001);
  EXPECT_THROW(fh::enable(o), std::invalid_argument);
  o.hang_timeout = std::chrono::duration<double>(std::numeric_limits<double>::infinity());
  EXPECT_THROW(fh::enable(o), std::out_of_range);
  o.hang_timeout = 1s;
  o.signals = {};
  EXPECT_THROW(fh::enable(o), std::invalid_argument);
  o.signals = {SIGUSR1};
  EXPECT_THROW(fh::enable(o), std::invalid_argument);
  EXPECT_FALSE(fh::is_enabled());

  EXPECT_EQ(errno_of<std::system_error>([] { fh::dump_traceback(-1); }), EBADF);
  EXPECT_THROW(fh::dump_traceback_later(0s), std::invalid_argument);
  EXPECT_THROW(fh::dump_traceback_later(-1s), std::invalid_argument);
  EXPECT_THROW(fh::dump_traceback_later(std::chrono::duration<double>(std::nan(""))),
               std::invalid_argument);
  EXPECT_THROW(fh::dump_traceback_later(
                   std::chrono::duration<double>(std::numeric_limits<double>::infinity())),
               std::out_of_range);
  EXPECT_EQ(errno_of<std::system_error>([] { fh::dump_traceback_later(1s, false, -1); }), EBADF);

  for (const int bad : {0, -1, NSIG, SIGKILL, SIGSTOP, SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL}) {
    EXPECT_THROW(fh::register_signal(bad), std::invalid_argument) << bad;
  }
  EXPECT_THROW(fh::register_signal(fh::internal_signal()), std::invalid_argument);
  EXPECT_EQ(errno_of<std::system_error>([] { fh::register_signal(32); }), EINVAL);
  EXPECT_EQ(errno_of<std::system_error>([] { fh::register_signal(SIGUSR1, -1); }), EBADF);
  EXPECT_THROW(fh::unregister(0), std::invalid_argument);
  EXPECT_THROW(fh::unregister(NSIG), std::invalid_argument);
  EXPECT_FALSE(fh::unregister(SIGUSR1));
  EXPECT_THROW(fh::set_internal_signal(SIGUSR1), std::invalid_argument);
  EXPECT_THROW(fh::set_internal_signal(SIGRTMIN + 1), std::logic_error);  // in use by now
}

TEST(FaulthandlerTest, CancelWithoutScheduleDoesNothing) {
  fh::cancel_dump_traceback_later();  // bpo-37933
  fh::cancel_dump_traceback_later();
}

// ---- dump_traceback
// --------------------------------------------------------------------------------

TEST(FaulthandlerTest, DumpTracebackWritesTheCallingThread) {
  report_file out;
  fh::dump_traceback(out.fd(), false);
  const std::string text = out.text();
  const std::regex layout(
      R"(^Current thread 0x[0-9a-f]+ \(most recent call first\):\n  #0 0x[0-9a-f]+ \S+\+0x[0-9a-f]+\n)");
  EXPECT_TRUE(std::regex_search(text, layout)) << text;
  EXPECT_EQ(count(text, "Thread 0x"), 0U) << text;
  EXPECT_NE(text.find("\nModules (base, build-id, path):\n"), std::string::npos) << text;
  // The test itself is on the stack: frames of this executable follow sigkit's own.
  char self[4096] = {};
  ASSERT_GT(::readlink("/proc/self/exe", self, sizeof self - 1), 0);
  EXPECT_GE(count(text, std::string(" ") + self + "+0x"), 2U) << text;
  std::smatch m;
  std::size_t frames = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kFrameLine);
       it != std::sregex_iterator(); ++it) {
    ++frames;
  }
  EXPECT_GE(frames, 4U);
}

TEST(FaulthandlerTest, DumpTracebackOfAllThreadsCausesNoEintr) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::atomic<int> result{-2};
  std::atomic<int> error{0};
  std::atomic<bool> reading{false};
  std::thread reader([&] {
    char c = 0;
    reading = true;
    const ssize_t n = ::read(fds[0], &c, 1);
    error = n < 0 ? errno : 0;
    result = static_cast<int>(n);
  });
  while (!reading) std::this_thread::yield();
  std::this_thread::sleep_for(50ms);  // into read()
  report_file out;
  fh::dump_traceback(out.fd(), true);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  reader.join();
  EXPECT_EQ(result.load(), 1) << "read() was interrupted: " << std::strerror(error);
  const std::string text = out.text();
  EXPECT_EQ(count(text, "Current thread 0x"), 1U) << text;
#ifndef SIGKIT_TEST_TSAN
  EXPECT_GE(count(text, "\nThread 0x"), 1U) << text;
#endif
  ::close(fds[0]);
  ::close(fds[1]);
}

// ---- the fatal path
// ------------------------------------------------------------------------------

struct fatal_case {
  const char* name;
  int signo;
  void (*trigger)();
  const char* description;
};

TEST(FaulthandlerDeathTest, FatalSignalsAreReportedThenKillTheProcess) {
  const fatal_case cases[] = {
      {"null pointer", SIGSEGV, [] { null_dereference(); }, "Segmentation fault"},
      {"division by zero", SIGFPE, [] { static_cast<void>(divide_by_zero()); },
       "Floating point exception"},
      {"abort", SIGABRT, [] { std::abort(); }, "Aborted"},
      {"raise SIGBUS", SIGBUS, [] { static_cast<void>(::raise(SIGBUS)); }, "Bus error"},
      {"raise SIGILL", SIGILL, [] { static_cast<void>(::raise(SIGILL)); }, "Illegal instruction"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    report_file out;
    const int status = sigkit_test::run_in_child([&] {
      fh::enable(out.fd(), false);
      c.trigger();
      return 0;
    });
    EXPECT_TRUE(killed_by(status, c.signo)) << sigkit_test::describe_status(status);
    const std::string text = out.text();
    const std::string first = text.substr(0, text.find('\n'));
    EXPECT_EQ(first.rfind(std::string("Fatal signal: ") + c.description + " (SIG", 0), 0U) << text;
    EXPECT_NE(first.find(sigkit::signum(c.signo).name()), std::string::npos) << first;
    EXPECT_TRUE(std::regex_search(
        text, std::regex(R"(\n\nCurrent thread 0x[0-9a-f]+ \(most recent call first\):\n  #0 0x)")))
        << text;
  }
}

TEST(FaulthandlerDeathTest, AllThreadsFalseListsOnlyTheCrashingThread) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    std::thread idle([] { ::pause(); });
    idle.detach();
    fh::enable(out.fd(), false);
    null_dereference();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(count(out.text(), "Current thread 0x"), 1U);
  EXPECT_EQ(count(out.text(), "Thread 0x"), 0U) << out.text();
}

TEST(FaulthandlerDeathTest, AllThreadsListsTheOtherThreads) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    std::atomic<bool> started{false};
    std::thread idle([&started] {
      started = true;
      for (;;) ::pause();
    });
    while (!started) std::this_thread::yield();
    std::this_thread::sleep_for(20ms);
    fh::enable(out.fd(), true);
    null_dereference();
    idle.join();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(count(out.text(), "Current thread 0x"), 1U);
#ifndef SIGKIT_TEST_TSAN
  EXPECT_EQ(count(out.text(), "\nThread 0x"), 1U) << out.text();
#endif
}

TEST(FaulthandlerDeathTest, ReportToAFileOpenedWhenTheCrashHappens) {
  report_file placeholder;  // a name that exists; the report must append to it
  const int status = sigkit_test::run_in_child([&] {
    fh::options o;
    o.path = placeholder.path();
    o.all_threads = false;
    fh::enable(o);
    for (int fd = 3; fd < 64; ++fd) ::close(fd);  // a daemon closing every descriptor
    null_dereference();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(placeholder.text().rfind("Fatal signal: Segmentation fault (SIGSEGV)", 0), 0U)
      << placeholder.text();
}

TEST(FaulthandlerDeathTest, JsonLinesReport) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    fh::options o;
    o.fd = out.fd();
    o.format = fh::report_format::json;
    fh::enable(o);
    null_dereference();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV));
  const std::string text = out.text();
  EXPECT_EQ(text.rfind("{\"type\":\"report\",\"version\":1,\"kind\":\"fatal\"", 0), 0U) << text;
  EXPECT_NE(text.find("\"name\":\"SIGSEGV\""), std::string::npos);
  EXPECT_NE(text.find("{\"type\":\"frame\",\"tid\":"), std::string::npos);
  EXPECT_NE(text.find("\n{\"type\":\"end\"}\n"), std::string::npos) << text;
  EXPECT_EQ(count(text, "\n"), count(text, "}\n")) << "every line is one JSON object";
}

TEST(FaulthandlerDeathTest, UncaughtExceptionNamesItsTypeAndWhat) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    fh::enable(out.fd(), false);
    std::thread([] { throw std::runtime_error("boom"); }).join();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGABRT)) << sigkit_test::describe_status(status);
  EXPECT_NE(out.text().find("Fatal signal: Aborted (SIGABRT)"), std::string::npos) << out.text();
  EXPECT_NE(out.text().find("\nUncaught exception: std::runtime_error: boom\n"), std::string::npos)
      << out.text();
}

TEST(FaulthandlerDeathTest, LongExceptionTextIsTruncatedAt500Characters) {
  // (run_in_child catches what its body throws: the exception escapes a thread instead)
  report_file out2;
  const int status2 = sigkit_test::run_in_child([&] {
    fh::enable(out2.fd(), false);
    std::thread([] { throw std::length_error(std::string(1000, 'x')); }).join();
    return 0;
  });
  EXPECT_TRUE(killed_by(status2, SIGABRT));
  EXPECT_NE(out2.text().find(": " + std::string(500, 'x') + "...\n"), std::string::npos)
      << out2.text();
  EXPECT_EQ(out2.text().find(std::string(501, 'x')), std::string::npos);
}

// The chained handler's shared record.
struct chained_record {
  std::atomic<int> calls;
  std::atomic<int> code;
  std::atomic<std::uintptr_t> address;
};
chained_record* g_record = nullptr;

void recording_handler(int, siginfo_t* info, void*) {
  g_record->calls.fetch_add(1);
  g_record->code = info->si_code;
  g_record->address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGSEGV, &dfl, nullptr);  // and return: the fault recurs and kills
}

TEST(FaulthandlerDeathTest, AChainedHandlerSeesTheOriginalSiginfo) {
  shared<chained_record> record;
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    g_record = &*record;
    struct sigaction previous {};
    previous.sa_sigaction = &recording_handler;
    previous.sa_flags = SA_SIGINFO;
    ::sigemptyset(&previous.sa_mask);
    ::sigaction(SIGSEGV, &previous, nullptr);
    fh::enable(out.fd(), false);
    volatile std::uintptr_t address = 0x18;         // the optimiser must not see the constant
    *reinterpret_cast<volatile int*>(address) = 1;  // NOLINT(performance-no-int-to-ptr)
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(record->calls.load(), 1);
  EXPECT_EQ(record->code.load(), SEGV_MAPERR);
  EXPECT_EQ(record->address.load(), 0x18U);
  EXPECT_NE(out.text().find("Fatal signal: Segmentation fault (SIGSEGV) at address 0x18"),
            std::string::npos)
      << out.text();
}

// ---- with sigkit's own handlers (Part 1)
// ------------------------------------------------------------

TEST(FaulthandlerDeathTest, ACpuFaultWithASigkitHandlerBeneathStillKills) {
  report_file out;
  shared<std::atomic<int>> calls;
  const int status = sigkit_test::run_in_child([&] {
    sigkit::signal(SIGSEGV, [&calls](int) { calls->fetch_add(1); });
    fh::enable(out.fd(), false);
    null_dereference();
    sigkit::check_signals();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(calls->load(), 0);
  EXPECT_NE(out.text().find("Fatal signal: Segmentation fault (SIGSEGV)"), std::string::npos);
}

TEST(FaulthandlerDeathTest, ASentSegvWithASigkitHandlerBeneathIsDeferred) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    int calls = 0;
    sigkit::signal(SIGSEGV, [&calls](int) { ++calls; });
    fh::enable(out.fd(), false);
    static_cast<void>(::raise(SIGSEGV));  // kill-sent: Part 1 defers it
    if (calls != 0) return 1;
    sigkit::check_signals();
    if (calls != 1) return 2;
    return sigkit::getsignal(SIGSEGV).is_callable() ? 0 : 3;
  });
  EXPECT_EQ(status, 0) << sigkit_test::describe_status(status);
  EXPECT_EQ(out.text(), "") << "a deferred signal is not a crash";
}

// Which handler the OS has for `signo` right now.
void* os_handler_of(int signo) {
  struct sigaction now {};
  ::sigaction(signo, nullptr, &now);
  return (now.sa_flags & SA_SIGINFO) != 0 ? reinterpret_cast<void*>(now.sa_sigaction)
                                          : reinterpret_cast<void*>(now.sa_handler);
}

TEST(FaulthandlerTest, SigkitSignalAfterEnableWorksBeneathTheCrashReporter) {
  fh::enable();
  void* const reporter = os_handler_of(SIGSEGV);
  int calls = 0;
  const sigkit::handler h([&calls](int) { ++calls; });
  EXPECT_TRUE(sigkit::signal(SIGSEGV, h).is_default());
  EXPECT_EQ(os_handler_of(SIGSEGV), reporter) << "the crash reporter stays the OS action";
  EXPECT_TRUE(sigkit::getsignal(SIGSEGV) == h) << "getsignal() reports Python's layer";
  static_cast<void>(::raise(SIGSEGV));  // sent, not a fault: deferred (Part 1)
  EXPECT_EQ(calls, 0);
  sigkit::check_signals();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sigkit::testing::inject(sigkit::siginfo{SIGSEGV, SI_USER, 0, 1, 0, 0, 0, {}}));
  sigkit::check_signals();
  EXPECT_EQ(calls, 2);
  // Subscribers run beneath it too.
  int subscribed = 0;
  {
    auto subscription = sigkit::subscribe({SIGSEGV}, [&subscribed](int) { ++subscribed; });
    EXPECT_EQ(os_handler_of(SIGSEGV), reporter);
    static_cast<void>(::raise(SIGSEGV));
    sigkit::check_signals();
    EXPECT_EQ(subscribed, 1);
    EXPECT_EQ(calls, 2) << "the subscriber handled it";
  }
  EXPECT_TRUE(sigkit::getsignal(SIGSEGV) == h);
  // disable(): the OS gets what the registry installed meanwhile (sigkit's handler).
  fh::disable();
  EXPECT_NE(os_handler_of(SIGSEGV), reporter);
  EXPECT_TRUE(sigkit::getsignal(SIGSEGV) == h);
  static_cast<void>(::raise(SIGSEGV));
  sigkit::check_signals();
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(sigkit::signal(SIGSEGV, SIG_DFL) == h);
  EXPECT_EQ(os_handler_of(SIGSEGV), reinterpret_cast<void*>(SIG_DFL));
}

TEST(FaulthandlerTest, DisableGivesBackWhatTheRegistrySetWhileEnabled) {
  fh::enable();
  sigkit::signal(SIGFPE, SIG_IGN);
  EXPECT_TRUE(sigkit::getsignal(SIGFPE).is_ignore());
  {
    const sigkit::scoped_handler scoped(SIGFPE, [](int) {});
    EXPECT_TRUE(sigkit::getsignal(SIGFPE).is_callable());
  }
  EXPECT_TRUE(sigkit::getsignal(SIGFPE).is_ignore());
  fh::disable();
  EXPECT_EQ(os_handler_of(SIGFPE), reinterpret_cast<void*>(SIG_IGN));
  EXPECT_TRUE(sigkit::getsignal(SIGFPE).is_ignore());
}

TEST(FaulthandlerDeathTest, ACpuFaultAfterSigkitSignalStillReportsAndKills) {
  report_file out;
  shared<std::atomic<int>> calls;
  const int status = sigkit_test::run_in_child([&] {
    fh::enable(out.fd(), false);
    sigkit::signal(SIGSEGV, [&calls](int) { calls->fetch_add(1); });
    null_dereference();
    sigkit::check_signals();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(calls->load(), 0) << "a CPU fault is not deferred";
  EXPECT_EQ(out.text().rfind("Fatal signal: Segmentation fault (SIGSEGV)", 0), 0U) << out.text();
}

// ---- the hang guard and a fault inside the reporter -------------------------------------------

struct hang_record {
  std::atomic<std::uintptr_t> alarm_handler;  // SIGALRM's action, seen inside the report
  std::atomic<long> alarm_left_s;             // what remained of alarm(30) then
  std::atomic<std::int64_t> fault_ns;         // CLOCK_MONOTONIC just before the fault
};
hang_record* g_hang = nullptr;

void count_alarm(int) {}

void record_alarm_state(int phase) {
  if (phase != 0) return;
  struct sigaction now {};
  ::sigaction(SIGALRM, nullptr, &now);
  g_hang->alarm_handler = reinterpret_cast<std::uintptr_t>(now.sa_handler);
  itimerval left{};
  ::getitimer(ITIMER_REAL, &left);
  g_hang->alarm_left_s = left.it_value.tv_sec;
}

std::int64_t monotonic_now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

TEST(FaulthandlerDeathTest, AHangingReportStillEndsInTheOriginalSignal) {
  shared<hang_record> record;
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    g_hang = &*record;
    struct sigaction alarm_action {};
    alarm_action.sa_handler = &count_alarm;
    ::sigemptyset(&alarm_action.sa_mask);
    ::sigaction(SIGALRM, &alarm_action, nullptr);
    ::alarm(30);
    fh::options o;
    o.fd = out.fd();
    o.all_threads = false;
    o.hang_timeout = 1s;
    fh::enable(o);
    sigkit::detail::fh::test_hook_callback.store(&record_alarm_state);
    sigkit::detail::fh::test_hook_mode.store(1);  // the report blocks after its first line
    record->fault_ns = monotonic_now_ns();
    null_dereference();
    return 0;
  });
  const std::int64_t end_ns = monotonic_now_ns();
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  const double seconds = static_cast<double>(end_ns - record->fault_ns.load()) / 1e9;
  EXPECT_GE(seconds, 1.0);
  EXPECT_LE(seconds, 1.5) << "hang_timeout + 0.5 s";
  EXPECT_EQ(record->alarm_handler.load(), reinterpret_cast<std::uintptr_t>(&count_alarm))
      << "SIGALRM's handler changed";
  EXPECT_GE(record->alarm_left_s.load(), 25) << "alarm() was touched";
  EXPECT_NE(out.text().find("the report did not finish in time"), std::string::npos) << out.text();
}

TEST(FaulthandlerDeathTest, AFaultInsideTheReporterStillEndsInTheOriginalSignal) {
#ifdef SIGKIT_TEST_TSAN
  GTEST_SKIP() << "TSan runs the handler inside its own wrapper, which blocks the signal (it "
                  "does not pass SA_NODEFER on): a fault inside the report kills at once by "
                  "SIGSEGV; checked in the dev and asan-ubsan presets";
#endif
  shared<std::atomic<std::int64_t>> fault_ns;
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    fh::enable(out.fd(), false);
    sigkit::detail::fh::test_hook_mode.store(
        2);  // the report faults (SIGSEGV) after its first line
    *fault_ns = monotonic_now_ns();
    return divide_by_zero();  // the original signal: SIGFPE
  });
  const double seconds = static_cast<double>(monotonic_now_ns() - fault_ns->load()) / 1e9;
  EXPECT_TRUE(killed_by(status, SIGFPE)) << sigkit_test::describe_status(status);
  EXPECT_LE(seconds, 1.0);
  EXPECT_EQ(count(out.text(), "the reporter itself faulted"), 1U) << out.text();
  EXPECT_EQ(out.text().rfind("Fatal signal: Floating point exception (SIGFPE)", 0), 0U)
      << out.text();
}

// ---- stack overflow and concurrent crashes
// ---------------------------------------------------------

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int recurse(int n) {  // NOLINT(misc-no-recursion)
  volatile char frame[128];
  frame[0] = static_cast<char>(n);
  return recurse(n + 1) + frame[0];
}
#pragma GCC diagnostic pop

TEST(FaulthandlerDeathTest, StackOverflowInTheMainThreadAndInAThread) {
  for (const bool in_thread : {false, true}) {
    SCOPED_TRACE(in_thread ? "thread" : "main thread");
    report_file out;
    const int status = sigkit_test::run_in_child(
        [&] {
          fh::enable(out.fd(), false);
          if (in_thread) {
            std::thread([] {
              fh::prepare_thread();
              std::exit(recurse(0));
            }).join();
          }
          return recurse(0);
        },
        60s);
    EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
    const std::string text = out.text();
    EXPECT_NE(text.substr(0, text.find('\n')).find(": stack overflow"), std::string::npos)
        << text.substr(0, 2000);
    EXPECT_NE(text.find("frames folded, repeating the cycle of 1 frame above"), std::string::npos);
  }
}

TEST(FaulthandlerDeathTest, ThreadsCrashingTogetherGiveOneReport) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    fh::enable(out.fd(), true);
    std::atomic<int> arrived{0};
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&arrived] {
        arrived.fetch_add(1);
        while (arrived.load() < 4) {
        }
        null_dereference();
      });
    }
    for (auto& t : threads) t.join();
    return 0;
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(count(out.text(), "Fatal signal: "), 1U) << out.text();
#ifdef SIGKIT_TEST_TSAN
  // Under TSan the racing threads are slowed by its wrapper: how many reach their handler
  // before the first report ends varies. Still one report, and the right death.
  EXPECT_LE(count(out.text(), "Also faulting: "), 3U) << out.text();
#else
  EXPECT_EQ(count(out.text(), "Also faulting: "), 3U) << out.text();
#endif
}

// ---- dump_traceback_later
// --------------------------------------------------------------------------

std::string dump_later_in_child(const std::function<void(int fd)>& body,
                                int* status_out = nullptr) {
  report_file out;
  const int status = sigkit_test::run_in_child([&] {
    body(out.fd());
    return 0;
  });
  if (status_out != nullptr) *status_out = status;
  return out.text();
}

TEST(FaulthandlerTest, DumpTracebackLaterOnce) {
  const std::string text = dump_later_in_child([](int fd) {
    fh::dump_traceback_later(0.1s, false, fd);
    std::this_thread::sleep_for(400ms);
  });
  EXPECT_EQ(count(text, "Timeout (0:00:00.100000)!\n"), 1U) << text;
  EXPECT_EQ(text.rfind("Timeout (0:00:00.100000)!\n", 0), 0U) << text;
  EXPECT_EQ(count(text, "Current thread"), 0U) << "the watchdog is no user thread";
  EXPECT_GE(count(text, "\nThread 0x"), 1U) << text;
}

TEST(FaulthandlerTest, DumpTracebackLaterRepeat) {
  const std::string text = dump_later_in_child([](int fd) {
    fh::dump_traceback_later(0.1s, true, fd);
    std::this_thread::sleep_for(450ms);
    fh::cancel_dump_traceback_later();
  });
  EXPECT_GE(count(text, "Timeout (0:00:00.100000)!\n"), 3U) << text;
}

TEST(FaulthandlerTest, DumpTracebackLaterCancelled) {
  const std::string text = dump_later_in_child([](int fd) {
    fh::dump_traceback_later(0.2s, false, fd);
    fh::cancel_dump_traceback_later();
    std::this_thread::sleep_for(400ms);
  });
  EXPECT_EQ(text, "");
}

TEST(FaulthandlerTest, DumpTracebackLaterTwiceReplacesTheFirst) {
  const std::string text = dump_later_in_child([](int fd) {
    fh::dump_traceback_later(30s, false, fd);
    fh::dump_traceback_later(0.1s, false, fd);
    std::this_thread::sleep_for(400ms);
    fh::cancel_dump_traceback_later();
  });
  EXPECT_EQ(count(text, "Timeout (0:00:00.100000)!"), 1U) << text;
  EXPECT_EQ(count(text, "Timeout (0:00:30"), 0U) << text;
}

TEST(FaulthandlerTest, DumpTracebackLaterExitEndsTheProcessWithStatus1) {
  int status = 0;
  const std::string text = dump_later_in_child(
      [](int fd) {
        fh::dump_traceback_later(0.1s, false, fd, true);
        std::this_thread::sleep_for(5s);
      },
      &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
      << sigkit_test::describe_status(status);
  EXPECT_EQ(count(text, "Timeout (0:00:00.100000)!"), 1U) << text;
}

// ---- register_signal / unregister
// ------------------------------------------------------------------

std::atomic<int> g_plain_calls{0};
void plain_handler(int) { g_plain_calls.fetch_add(1); }

TEST(FaulthandlerTest, RegisteredSignalDumpsAndTheProcessLivesOn) {
  report_file out;
  fh::register_signal(SIGUSR1, out.fd(), false);
  EXPECT_EQ(::raise(SIGUSR1), 0);
  const std::string text = out.text();
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(^Current thread 0x[0-9a-f]+ \(most recent call first\):\n  #0 )")))
      << text;
  EXPECT_TRUE(fh::unregister(SIGUSR1));
  EXPECT_FALSE(fh::unregister(SIGUSR1));
  struct sigaction now {};
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL) << "unregister restores the action before";
}

TEST(FaulthandlerTest, RegisteredSignalChainsToThePreviousHandlerOnlyWhenAsked) {
  struct sigaction plain {};
  plain.sa_handler = &plain_handler;
  ::sigemptyset(&plain.sa_mask);
  ::sigaction(SIGUSR2, &plain, nullptr);
  report_file out;
  fh::register_signal(SIGUSR2, out.fd(), false, false);
  static_cast<void>(::raise(SIGUSR2));
  EXPECT_EQ(g_plain_calls.load(), 0);
  fh::register_signal(SIGUSR2, out.fd(), false, true);
  static_cast<void>(::raise(SIGUSR2));
  EXPECT_EQ(g_plain_calls.load(), 1);
  EXPECT_EQ(count(out.text(), "Current thread 0x"), 2U);
  EXPECT_TRUE(fh::unregister(SIGUSR2));
  struct sigaction now {};
  ::sigaction(SIGUSR2, nullptr, &now);
  EXPECT_EQ(now.sa_handler, &plain_handler);
}

TEST(FaulthandlerTest, RegisteredSignalChainsToADeferredSigkitHandler) {
  int calls = 0;
  sigkit::signal(SIGUSR1, [&calls](int) { ++calls; });
  report_file out;
  fh::register_signal(SIGUSR1, out.fd(), false, true);
  static_cast<void>(::raise(SIGUSR1));
  EXPECT_EQ(count(out.text(), "Current thread 0x"), 1U) << "dumped at once, in the handler";
  EXPECT_TRUE(sigkit_test::checkpoint_until([&calls] { return calls == 1; }));
  EXPECT_TRUE(fh::unregister(SIGUSR1));
}

TEST(FaulthandlerTest, DeliveriesOfTheInternalSignalThatAreNotSigkitsGoToThePreviousHandler) {
  const int internal = fh::internal_signal();
  EXPECT_EQ(internal, SIGRTMAX - 3);
  struct sigaction plain {};
  plain.sa_handler = &plain_handler;
  ::sigemptyset(&plain.sa_mask);
  ::sigaction(internal, &plain, nullptr);
  fh::enable();
  EXPECT_EQ(fh::internal_signal(), internal);
  sigval value{};
  value.sival_int = 7;
  ASSERT_EQ(::sigqueue(::getpid(), internal, value), 0);
  EXPECT_TRUE(sigkit_test::checkpoint_until([] { return g_plain_calls.load() == 1; }));
}

// ---- the environment variable
// ----------------------------------------------------------------------

TEST(FaulthandlerTest, EnvironmentValueWords) {
  auto o = fh::options_from_environment_value("1");
  EXPECT_EQ(o.format, fh::report_format::text);
  EXPECT_TRUE(o.all_threads);
  o = fh::options_from_environment_value("json,current-thread");
  EXPECT_EQ(o.format, fh::report_format::json);
  EXPECT_FALSE(o.all_threads);
  o = fh::options_from_environment_value(" json , all-threads ,text");
  EXPECT_EQ(o.format, fh::report_format::text);
  EXPECT_TRUE(o.all_threads);
  o = fh::options_from_environment_value(",,unknown-word,");
  EXPECT_EQ(o.format, fh::report_format::text);
}

TEST(FaulthandlerTest, EnvironmentVariableEnablesAtInterpreterStart) {
  struct variant {
    const char* value;
    bool enabled;
  };
  for (const auto& v : {variant{"", false}, variant{"1", true}, variant{"json", true}}) {
    SCOPED_TRACE(v.value);
    const int status = sigkit_test::run_in_child([&v] {
      ::setenv("SIGKIT_FAULTHANDLER", v.value, 1);
      return sigkit::run_main([] { return fh::is_enabled() ? 10 : 20; });
    });
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == (v.enabled ? 10 : 20))
        << sigkit_test::describe_status(status);
  }
  const int unset = sigkit_test::run_in_child([] {
    ::unsetenv("SIGKIT_FAULTHANDLER");
    sigkit::install_default_handlers();
    return fh::is_enabled() ? 10 : 20;
  });
  EXPECT_TRUE(WIFEXITED(unset) && WEXITSTATUS(unset) == 20);
}

TEST(FaulthandlerDeathTest, EnvironmentVariableReportFile) {
  report_file out;
  const int status = sigkit_test::run_in_child([&out] {
    ::setenv("SIGKIT_FAULTHANDLER", "json,current-thread", 1);
    ::setenv("SIGKIT_FAULTHANDLER_FILE", out.path().c_str(), 1);
    return sigkit::run_main([] {
      null_dereference();
      return 0;
    });
  });
  EXPECT_TRUE(killed_by(status, SIGSEGV)) << sigkit_test::describe_status(status);
  EXPECT_EQ(out.text().rfind("{\"type\":\"report\"", 0), 0U) << out.text();
}

// ---- alternate stacks ---------------------------------------------------------------------------

TEST(FaulthandlerTest, PrepareThreadGivesAnAlternateStackFreedAtThreadExit) {
  void* seen = nullptr;
  std::size_t size = 0;
  std::thread([&] {
    fh::prepare_thread();
    stack_t now{};
    ::sigaltstack(nullptr, &now);
    seen = now.ss_sp;
    size = now.ss_size;
    fh::prepare_thread();  // again: kept
    ::sigaltstack(nullptr, &now);
    EXPECT_EQ(now.ss_sp, seen);
  }).join();
  ASSERT_NE(seen, nullptr);
  EXPECT_GE(size, 64U * 1024);
  // Unmapped when the thread ended: msync on it fails with ENOMEM.
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the page that held the stack
  void* start = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(seen) & ~(page - 1));
  EXPECT_EQ(::msync(start, page, MS_ASYNC), -1);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(FaulthandlerTest, ALargeEnoughAlternateStackIsKept) {
  std::vector<char> mine(std::size_t{1024} * 1024);
  stack_t own{};
  own.ss_sp = mine.data();
  own.ss_size = mine.size();
  ASSERT_EQ(::sigaltstack(&own, nullptr), 0);
  fh::prepare_thread();
  stack_t now{};
  ::sigaltstack(nullptr, &now);
  EXPECT_EQ(now.ss_sp, mine.data());
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  ::sigaltstack(&off, nullptr);
}

}  // namespace
