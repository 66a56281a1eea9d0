// Runs the Windows example (ctrl_c.exe) as a user would, on a console of the test's own,
// and sends it real Ctrl+C events (GenerateConsoleCtrlEvent to the console's process group).
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr DWORD kStatusControlCExit = 0xC000013AU;

// This test program swallows the Ctrl+C events it sends to the example (both share the
// console, hence the process group 0).
BOOL WINAPI swallow_ctrl_c(DWORD event) { return event == CTRL_C_EVENT ? TRUE : FALSE; }

// ctrl_c.exe, next to this program.
std::string example_path() {
  char self[MAX_PATH] = {};
  const DWORD n = ::GetModuleFileNameA(nullptr, self, MAX_PATH);
  std::string path(self, n);
  return path.substr(0, path.find_last_of("\\/") + 1) + "ctrl_c.exe";
}

// The example, started on this process's console with its stdout and stderr on a pipe.
class example {
 public:
  explicit example(const std::string& arguments) {
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE write_end = nullptr;
    if (::CreatePipe(&read_end_, &write_end, &inherit, 0) == 0) {
      throw std::runtime_error("CreatePipe failed");
    }
    ::SetHandleInformation(read_end_, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOA startup{};
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = nullptr;
    startup.hStdOutput = write_end;
    startup.hStdError = write_end;
    std::string command = "\"" + example_path() + "\" " + arguments;
    PROCESS_INFORMATION info{};
    const BOOL created = ::CreateProcessA(nullptr, command.data(), nullptr, nullptr, TRUE, 0,
                                          nullptr, nullptr, &startup, &info);
    ::CloseHandle(write_end);
    if (created == 0) throw std::runtime_error("cannot start " + command);
    ::CloseHandle(info.hThread);
    process_ = info.hProcess;
    start_ = clock_type::now();
    reader_ = std::thread([this] {
      char buffer[512];
      DWORD got = 0;
      while (::ReadFile(read_end_, buffer, sizeof buffer, &got, nullptr) != 0 && got > 0) {
        const std::lock_guard lock(mutex_);
        output_.append(buffer, got);
      }
      eof_.store(true);
    });
  }
  ~example() {
    if (::WaitForSingleObject(process_, 0) == WAIT_TIMEOUT) ::TerminateProcess(process_, 99);
    ::WaitForSingleObject(process_, INFINITE);
    reader_.join();
    ::CloseHandle(process_);
    ::CloseHandle(read_end_);
  }
  example(const example&) = delete;
  example& operator=(const example&) = delete;

  std::string output() const {
    const std::lock_guard lock(mutex_);
    return output_;
  }

  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = clock_type::now() + timeout;
    while (output().find(text) == std::string::npos) {
      if (clock_type::now() > deadline) return false;
      ::Sleep(5);
    }
    return true;
  }

  // The exit code, or STILL_ACTIVE if it did not end within `timeout`; then all its output.
  DWORD finish(std::chrono::milliseconds timeout) {
    ::WaitForSingleObject(process_, static_cast<DWORD>(timeout.count()));
    DWORD code = STILL_ACTIVE;
    ::GetExitCodeProcess(process_, &code);
    elapsed_ = clock_type::now() - start_;
    const auto deadline = clock_type::now() + 5s;
    while (code != STILL_ACTIVE && !eof_.load() && clock_type::now() < deadline) ::Sleep(5);
    return code;
  }

  std::chrono::duration<double> elapsed() const { return elapsed_; }

 private:
  HANDLE process_ = nullptr;
  HANDLE read_end_ = nullptr;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string output_;
  std::atomic<bool> eof_{false};
  clock_type::time_point start_;
  std::chrono::duration<double> elapsed_{};
};

class CtrlCExampleTest : public testing::Test {
 protected:
  void SetUp() override {
    // A console of our own (Wine starts a headless process without one), shared with the
    // example; this program ignores the events it sends.
    ::FreeConsole();
    ASSERT_NE(::AllocConsole(), 0);
    ASSERT_NE(::SetConsoleCtrlHandler(&swallow_ctrl_c, TRUE), 0);
  }
  static void ctrl_c() { ASSERT_NE(::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0), 0); }
};

TEST_F(CtrlCExampleTest, RunsAllItsStepsWithoutCtrlC) {
  example p("3 10");
  EXPECT_EQ(p.finish(20000ms), 0U);
  EXPECT_NE(p.output().find("all 3 steps done"), std::string::npos) << p.output();
}

TEST_F(CtrlCExampleTest, TheFirstCtrlCFinishesTheStepAndExitsCleanly) {
  example p("1000 300");
  ASSERT_TRUE(p.wait_for_output("step 2...", 20000ms)) << p.output();
  ctrl_c();
  EXPECT_EQ(p.finish(20000ms), 0U) << p.output();
  const std::string out = p.output();
  EXPECT_NE(out.find("Ctrl+C: finishing this step"), std::string::npos) << out;
  const auto stopped = out.find("stopped cleanly after ");
  ASSERT_NE(stopped, std::string::npos) << out;
  // The step that was running when Ctrl+C came was finished, and nothing after it began.
  const int steps = std::stoi(out.substr(stopped + 22));
  EXPECT_GE(steps, 2);
  EXPECT_NE(out.find("step " + std::to_string(steps) + " done"), std::string::npos) << out;
  EXPECT_EQ(out.find("step " + std::to_string(steps + 1) + "..."), std::string::npos) << out;
}

TEST_F(CtrlCExampleTest, TheSecondCtrlCEndsItAtOnceWithStatusControlCExit) {
  example p("1000 8000");  // one step takes 8 s
  ASSERT_TRUE(p.wait_for_output("step 1...", 20000ms)) << p.output();
  ctrl_c();
  ASSERT_TRUE(p.wait_for_output("finishing this step", 10000ms)) << p.output();
  ctrl_c();
  EXPECT_EQ(p.finish(20000ms), kStatusControlCExit) << p.output();
  EXPECT_LT(p.elapsed().count(), 7.5);  // well before the step's end
  EXPECT_EQ(p.output().find("step 1 done"), std::string::npos) << p.output();
  EXPECT_EQ(p.output().find("stopped cleanly"), std::string::npos) << p.output();
}

}  // namespace
