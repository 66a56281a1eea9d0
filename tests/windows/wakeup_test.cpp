// Windows: set_wakeup_fd() with a Winsock socket (Python: signal.set_wakeup_fd(sock.fileno())).
#include "sigkit/wakeup.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "sigkit/dispatch.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "support/windows_test_support.hpp"

namespace {

using sigkit_windows_test::socket_pair;

constexpr int kWsaENotSock = 10038;

TEST(WakeupSocketTest, GetsOneByteWithTheSignalNumberPerDelivery) {
  socket_pair pair;
  EXPECT_EQ(sigkit::set_wakeup_fd(pair.writer_fd()), -1);
  sigkit::signal(SIGTERM, [](int) {});
  sigkit::signal(SIGBREAK, [](int) {});
  ASSERT_EQ(::raise(SIGTERM), 0);
  ASSERT_EQ(::raise(SIGBREAK), 0);
  std::string bytes = pair.receive();
  if (bytes.size() < 2) bytes += pair.receive();
  EXPECT_EQ(bytes, std::string({static_cast<char>(SIGTERM), static_cast<char>(SIGBREAK)}));
  sigkit::check_signals();
}

TEST(WakeupSocketTest, CtrlCWritesFromTheConsolesThread) {
  sigkit_windows_test::own_console();
  socket_pair pair;
  sigkit::set_wakeup_fd(pair.writer_fd());
  sigkit::signal(SIGINT, [](int) {});
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  EXPECT_EQ(pair.receive(std::chrono::milliseconds(10000)),
            std::string(1, static_cast<char>(SIGINT)));
  sigkit::check_signals();
}

TEST(WakeupSocketTest, OnlySignalsWithASigkitHandlerWrite) {
  socket_pair pair;
  sigkit::set_wakeup_fd(pair.writer_fd());
  sigkit::signal(SIGTERM, SIG_IGN);
  sigkit::raise_signal(SIGTERM);
  EXPECT_EQ(pair.receive(std::chrono::milliseconds(200)), "");
}

TEST(WakeupSocketTest, ReturnsTheOldOneAndMinusOneDisables) {
  socket_pair a;
  socket_pair b;
  EXPECT_EQ(sigkit::set_wakeup_fd(a.writer_fd()), -1);
  EXPECT_EQ(sigkit::set_wakeup_fd(b.writer_fd()), a.writer_fd());
  EXPECT_EQ(sigkit::get_wakeup_fd(), b.writer_fd());
  EXPECT_EQ(sigkit::set_wakeup_fd(-1), b.writer_fd());
  EXPECT_EQ(sigkit::set_wakeup_fd(-1), -1);
  sigkit::signal(SIGTERM, [](int) {});
  sigkit::raise_signal(SIGTERM);
  EXPECT_EQ(b.receive(std::chrono::milliseconds(200)), "");
}

TEST(WakeupSocketTest, RefusesWhatIsNotASocket) {
  for (const int fd : {0, 1, 2, 12345}) {  // C runtime fds and a number that is nothing
    try {
      sigkit::set_wakeup_fd(fd);
      ADD_FAILURE() << fd << " was accepted";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), kWsaENotSock) << fd << ": " << e.what();
    }
  }
  int closed = 0;
  {
    socket_pair pair;
    closed = pair.writer_fd();
  }
  EXPECT_THROW(sigkit::set_wakeup_fd(closed), std::system_error);
  EXPECT_THROW(sigkit::set_wakeup_fd(-2), std::invalid_argument);
  EXPECT_EQ(sigkit::get_wakeup_fd(), -1);
}

TEST(WakeupSocketTest, MainThreadOnly) {
  socket_pair pair;
  bool refused = false;
  std::thread([&] {
    try {
      sigkit::set_wakeup_fd(pair.writer_fd());
    } catch (const std::invalid_argument&) {
      refused = true;
    }
  }).join();
  EXPECT_TRUE(refused);
}

TEST(WakeupSocketTest, AFullBufferIsReportedOnlyWhenAskedFor) {
  socket_pair pair;
  pair.fill();
  sigkit::signal(SIGTERM, [](int) {});
  sigkit::set_wakeup_fd(pair.writer_fd(), /*warn_on_full_buffer=*/false);
  testing::internal::CaptureStderr();
  sigkit::raise_signal(SIGTERM);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  sigkit::set_wakeup_fd(pair.writer_fd(), /*warn_on_full_buffer=*/true);
  testing::internal::CaptureStderr();
  sigkit::raise_signal(SIGTERM);
  const std::string report = testing::internal::GetCapturedStderr();
  EXPECT_EQ(report.find("sigkit: cannot send to the signal wakeup fd " +
                        std::to_string(pair.writer_fd()) + ": "),
            0U)
      << report;
  EXPECT_NE(report.find("(10035)"), std::string::npos) << report;  // WSAEWOULDBLOCK
}

TEST(WakeupSocketTest, OtherSendErrorsAreAlwaysReported) {
  auto* pair = new socket_pair;
  sigkit::signal(SIGTERM, [](int) {});
  sigkit::set_wakeup_fd(pair->writer_fd(), /*warn_on_full_buffer=*/false);
  const int fd = pair->writer_fd();
  delete pair;  // closes the socket sigkit still sends to
  testing::internal::CaptureStderr();
  sigkit::raise_signal(SIGTERM);
  const std::string report = testing::internal::GetCapturedStderr();
  EXPECT_EQ(report.find("sigkit: cannot send to the signal wakeup fd " + std::to_string(fd)), 0U)
      << report;
  sigkit::set_wakeup_fd(-1);
}

}  // namespace
