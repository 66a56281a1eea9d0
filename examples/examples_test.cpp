// Runs the example programs as a user would and checks what they print and how they exit.
// The paths of the built examples come from examples/CMakeLists.txt.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct temp_dir {
  temp_dir() {
    char name[] = "/tmp/sigkit-example-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = name;
  }
  ~temp_dir() { static_cast<void>(std::system(("rm -rf '" + path + "'").c_str())); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string path;
};

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// A child process with its stdout and stderr on pipes.
class process {
 public:
  explicit process(const std::vector<std::string>& argv) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    start_ = clock_type::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      // The test runner may have ignored signals; the examples start as from a shell.
      for (const int s : {SIGINT, SIGPIPE, SIGTERM}) ::signal(s, SIG_DFL);
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~process() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
    ::close(err_);
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until it contains `text` or the timeout passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (out_text_.find(text) == std::string::npos) {
      if (clock_type::now() >= deadline) return false;
      if (!read_some(out_, out_text_, 50)) return out_text_.find(text) != std::string::npos;
    }
    return true;
  }

  // Collects all output and the exit status; kills the child after `timeout`.
  int finish(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    bool out_open = true;
    bool err_open = true;
    while ((out_open || err_open) && clock_type::now() < deadline) {
      if (out_open) out_open = read_some(out_, out_text_, 20);
      if (err_open) err_open = read_some(err_, err_text_, 20);
    }
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (clock_type::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        timed_out_ = true;
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    reaped_ = true;
    elapsed_ = std::chrono::duration<double>(clock_type::now() - start_).count();
    return status;
  }

  const std::string& out() const { return out_text_; }
  const std::string& err() const { return err_text_; }
  double elapsed() const { return elapsed_; }
  bool timed_out() const { return timed_out_; }

 private:
  // Returns false at end of file.
  static bool read_some(int fd, std::string& into, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, timeout_ms);
    if (n <= 0) return true;
    char buf[4096];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      into.append(buf, static_cast<std::size_t>(got));
      return true;
    }
    return got < 0 && errno == EINTR;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  bool timed_out_ = false;
  double elapsed_ = 0;
  clock_type::time_point start_;
  std::string out_text_;
  std::string err_text_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- alarm_open ------------------------------------------------------------------------------

TEST(AlarmExampleTest, GivesUpOnABlockingOpenAfterTheAlarm) {
  const temp_dir dir;
  const std::string fifo = dir.path + "/device";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);  // no writer: open(O_RDONLY) blocks
  process p({SIGKIT_EXAMPLE_ALARM_OPEN, fifo, "1"});
  const int status = p.finish(20s);
  EXPECT_FALSE(p.timed_out());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << describe(status);
  EXPECT_GE(p.elapsed(), 0.9);
  EXPECT_LT(p.elapsed(), 5.0);
  EXPECT_EQ(p.out(),
            "Signal handler called with signal SIGALRM (" + std::to_string(SIGALRM) + ")\n");
  EXPECT_EQ(p.err(), "alarm_open: Couldn't open device!\n");
}

TEST(AlarmExampleTest, OpensADeviceThatIsReady) {
  process p({SIGKIT_EXAMPLE_ALARM_OPEN, "/dev/null", "5"});
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
  EXPECT_LT(p.elapsed(), 4.0);
  EXPECT_EQ(p.out(), "opened /dev/null\n");
  EXPECT_EQ(p.err(), "");
}

// ---- broken_pipe -------------------------------------------------------------------------------

TEST(BrokenPipeExampleTest, ExitsQuietlyWithStatusOneWhenHeadStopsReading) {
  const temp_dir dir;
  const std::string status_file = dir.path + "/status";
  const std::string err_file = dir.path + "/stderr";
  // sh reports the pipeline's status as head's, so the example's own status goes to a file.
  const std::string script = "{ \"$1\" 2>\"$2\"; echo $? >\"$3\"; } | head -n 1";
  process p({"/bin/sh", "-c", script, "sh", SIGKIT_EXAMPLE_BROKEN_PIPE, err_file, status_file});
  const int status = p.finish(30s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
  EXPECT_EQ(p.out(), "y\n");
  EXPECT_EQ(p.err(), "");
  EXPECT_EQ(read_file(status_file), "1\n") << "the example's exit status";
  EXPECT_EQ(read_file(err_file), "") << "the example wrote to stderr";
}

TEST(BrokenPipeExampleTest, WritesEverythingWhenTheReaderKeepsReading) {
  process p({"/bin/sh", "-c", "\"$1\" | wc -l", "sh", SIGKIT_EXAMPLE_BROKEN_PIPE});
  const int status = p.finish(30s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
  EXPECT_EQ(p.out(), "1000000\n");
  EXPECT_EQ(p.err(), "");
}

// ---- two_libraries -----------------------------------------------------------------------------

TEST(TwoLibrariesExampleTest, SharesSignalsFallsThroughAndRestoresExactly) {
  process p({SIGKIT_EXAMPLE_TWO_LIBRARIES});
  const int status = p.finish(20s);
  EXPECT_FALSE(p.timed_out());
  // Both components passed SIGTERM on: the default action, for real.
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe(status);
  const std::string& out = p.out();
  std::size_t at = 0;
  for (const char* line :
       {"before:   SIGUSR1 host_usr1_handler flags=0x10000000 mask={SIGUSR2}\n",
        "during:   SIGUSR1 sigkit", "job_runner: SIGUSR1 is not mine, passing it on\n",
        "logger: SIGUSR1 from pid ", "host handler calls: 0\n",
        "job_runner: SIGUSR1 is not mine, passing it on\n",
        "logger: log closed, passing SIGUSR1 on\n", "host handler calls: 1\n",
        "after:    SIGUSR1 host_usr1_handler flags=0x10000000 mask={SIGUSR2}\n",
        "restored exactly: yes\n", "job_runner: SIGTERM: finished job 3, passing it on\n",
        "logger: SIGTERM: flushed the log, passing it on\n"}) {
    const auto found = out.find(line, at);
    ASSERT_NE(found, std::string::npos) << "missing, in order: " << line << "\n" << out;
    at = found + 1;
  }
  EXPECT_EQ(out.find("not reached"), std::string::npos) << out;
  EXPECT_EQ(p.err(), "");
}

// ---- ctrl_c -----------------------------------------------------------------------------------
// The Windows build runs the same example on a console with real Ctrl+C events
// (examples_windows_test.cpp); here Ctrl+C is a SIGINT sent to the example's pid.

TEST(CtrlCExampleTest, RunsAllItsStepsWithoutCtrlC) {
  process p({SIGKIT_EXAMPLE_CTRL_C, "3", "10"});
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
  EXPECT_NE(p.out().find("all 3 steps done\n"), std::string::npos) << p.out();
}

TEST(CtrlCExampleTest, TheFirstCtrlCFinishesTheStepAndExitsCleanly) {
  process p({SIGKIT_EXAMPLE_CTRL_C, "1000", "300"});
  ASSERT_TRUE(p.wait_for_output("step 2...", 20s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status);
  const std::string& out = p.out();
  EXPECT_NE(out.find("Ctrl+C: finishing this step"), std::string::npos) << out;
  const auto stopped = out.find("stopped cleanly after ");
  ASSERT_NE(stopped, std::string::npos) << out;
  // The step that was running when Ctrl+C came was finished, and nothing after it began.
  const int steps = std::stoi(out.substr(stopped + 22));
  EXPECT_GE(steps, 2);
  EXPECT_NE(out.find("step " + std::to_string(steps) + " done\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("step " + std::to_string(steps + 1) + "..."), std::string::npos) << out;
}

TEST(CtrlCExampleTest, TheSecondCtrlCEndsItAtOnceBySigint) {
  process p({SIGKIT_EXAMPLE_CTRL_C, "1000", "8000"});  // one step takes 8 s
  ASSERT_TRUE(p.wait_for_output("step 1...", 20s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
  ASSERT_TRUE(p.wait_for_output("finishing this step", 10s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << describe(status);
  EXPECT_LT(p.elapsed(), 7.5);  // well before the step's end
  EXPECT_EQ(p.out().find("step 1 done"), std::string::npos) << p.out();
  EXPECT_EQ(p.out().find("stopped cleanly"), std::string::npos) << p.out();
}

// ---- http_server -------------------------------------------------------------------------------

#ifdef SIGKIT_EXAMPLE_HTTP_SERVER

std::string http_get(int port, const std::string& path);

// A minimal HTTP/1.1 client: GET / on 127.0.0.1:port, returns the raw response.
std::string http_get(int port) { return http_get(port, "/"); }

// The same for any path.
std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket failed";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {  // NOLINT
    ::close(fd);
    return std::string("connect failed: ") + std::strerror(errno);
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  static_cast<void>(::send(fd, request.data(), request.size(), MSG_NOSIGNAL));
  std::string response;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      response.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  return response;
}

int listening_port(const std::string& out) {
  const std::string prefix = "listening on http://127.0.0.1:";
  const auto pos = out.find(prefix);
  if (pos == std::string::npos) return -1;
  return std::atoi(out.c_str() + pos + prefix.size());
}

void check_clean_shutdown_on(int signo, const char* name) {
  process p({SIGKIT_EXAMPLE_HTTP_SERVER, "0", "127.0.0.1"});
  ASSERT_TRUE(p.wait_for_output("/\n", 20s)) << "the server did not start: " << p.out();
  const int port = listening_port(p.out());
  ASSERT_GT(port, 0) << p.out();
  for (int i = 0; i < 3; ++i) {
    const std::string response = http_get(port);
    EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0U) << response;
    EXPECT_NE(response.find("Hello from sigkit"), std::string::npos) << response;
  }
  ASSERT_EQ(::kill(p.pid(), signo), 0);  // that child only, never the process group
  const int status = p.finish(20s);
  EXPECT_FALSE(p.timed_out()) << "the server did not stop: " << p.out();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status) << "\n" << p.err();
  EXPECT_NE(p.out().find(std::string(name) + " received, shutting down\n"), std::string::npos)
      << p.out();
  EXPECT_NE(p.out().find("server stopped\n"), std::string::npos) << p.out();
  EXPECT_EQ(p.err(), "");
}

TEST(HttpServerExampleTest, ShutsDownCleanlyOnSigint) { check_clean_shutdown_on(SIGINT, "SIGINT"); }

TEST(HttpServerExampleTest, ShutsDownCleanlyOnSigterm) {
  check_clean_shutdown_on(SIGTERM, "SIGTERM");
}

#endif

// ---- graceful_server ---------------------------------------------------------------------------

#ifdef SIGKIT_EXAMPLE_GRACEFUL_SERVER

bool can_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT
  ::close(fd);
  return ok;
}

// Starts the server, checks that it answers, and starts one slow request in the background.
struct graceful_run {
  explicit graceful_run(int slow_ms, const char* grace = "0")
      : p({SIGKIT_EXAMPLE_GRACEFUL_SERVER, "0", grace}) {
    if (!p.wait_for_output("/\n", 20s)) return;
    port = listening_port(p.out());
    if (port <= 0) return;
    first = http_get(port);
    slow = std::thread(
        [this, slow_ms] { slow_response = http_get(port, "/slow?ms=" + std::to_string(slow_ms)); });
    std::this_thread::sleep_for(300ms);  // the slow request is in flight
  }
  ~graceful_run() {
    if (slow.joinable()) slow.join();
  }
  graceful_run(const graceful_run&) = delete;
  graceful_run& operator=(const graceful_run&) = delete;

  process p;
  int port = -1;
  std::string first;
  std::string slow_response;
  std::thread slow;
};

TEST(GracefulServerExampleTest, SigtermStopsAcceptingFinishesInFlightRequestsAndExitsZero) {
  graceful_run run(1500);
  ASSERT_GT(run.port, 0) << run.p.out();
  EXPECT_NE(run.first.find("Hello from sigkit"), std::string::npos) << run.first;
  ASSERT_EQ(::kill(run.p.pid(), SIGTERM), 0);
  ASSERT_TRUE(run.p.wait_for_output("request(s)\n", 10s)) << run.p.out();
  EXPECT_NE(run.p.out().find("SIGTERM received from pid " + std::to_string(::getpid()) +
                             ": draining 1 request(s)\n"),
            std::string::npos)
      << run.p.out();
  EXPECT_FALSE(can_connect(run.port)) << "still accepting after the stop";
  const int status = run.p.finish(20s);
  run.slow.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status) << run.p.err();
  EXPECT_EQ(run.slow_response.rfind("HTTP/1.1 200", 0), 0U) << run.slow_response;
  EXPECT_NE(run.slow_response.find("slow request done after 1500 ms"), std::string::npos);
  EXPECT_NE(run.p.out().find("drained, exiting\n"), std::string::npos) << run.p.out();
  EXPECT_EQ(run.p.err(), "");
}

TEST(GracefulServerExampleTest, ASecondSigtermDuringTheDrainEndsItBySigtermAtOnce) {
  graceful_run run(60000);
  ASSERT_GT(run.port, 0) << run.p.out();
  ASSERT_EQ(::kill(run.p.pid(), SIGTERM), 0);
  ASSERT_TRUE(run.p.wait_for_output("request(s)\n", 10s)) << run.p.out();
  const auto second = clock_type::now();
  ASSERT_EQ(::kill(run.p.pid(), SIGTERM), 0);
  const int status = run.p.finish(20s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe(status);
  EXPECT_LT(clock_type::now() - second, 5s);
  EXPECT_EQ(run.p.out().find("drained"), std::string::npos) << run.p.out();
}

TEST(GracefulServerExampleTest, ARequestThatNeverFinishesIsCutByTheGraceDeadline) {
  graceful_run run(600000, "1");
  ASSERT_GT(run.port, 0) << run.p.out();
  const auto first = clock_type::now();
  ASSERT_EQ(::kill(run.p.pid(), SIGTERM), 0);
  const int status = run.p.finish(20s);
  const auto elapsed = clock_type::now() - first;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe(status);
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 10s);
}

#endif

// ---- asio_server -------------------------------------------------------------------------------

#ifdef SIGKIT_EXAMPLE_ASIO_SERVER

// A line client of the example's upper-casing protocol.
class line_client {
 public:
  explicit line_client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT
    error_ = connected_ ? 0 : errno;
  }
  ~line_client() { ::close(fd_); }
  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  bool connected() const { return connected_; }
  int error() const { return error_; }

  // Sends `line` and returns the reply line (without its newline), or "" on EOF/timeout.
  std::string ask(const std::string& line) {
    const std::string out = line + "\n";
    static_cast<void>(::send(fd_, out.data(), out.size(), MSG_NOSIGNAL));
    std::string reply;
    char c = 0;
    while (::recv(fd_, &c, 1, 0) == 1 && c != '\n') reply += c;
    return reply;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  int error_ = 0;
};

int asio_server_port(const std::string& out) {
  const std::string prefix = "listening on 127.0.0.1:";
  const auto pos = out.find(prefix);
  return pos == std::string::npos
             ? -1
             : static_cast<int>(std::strtol(out.c_str() + pos + prefix.size(), nullptr, 10));
}

TEST(AsioServerExampleTest, SigtermStopsAcceptingAndFinishesOpenConnections) {
  process p({SIGKIT_EXAMPLE_ASIO_SERVER, "0", "20"});
  ASSERT_TRUE(p.wait_for_output(")\n", 20s)) << "the server did not start: " << p.out();
  const int port = asio_server_port(p.out());
  ASSERT_GT(port, 0) << p.out();
  line_client a(port);
  line_client b(port);
  ASSERT_TRUE(a.connected() && b.connected());
  EXPECT_EQ(a.ask("hello"), "HELLO");
  EXPECT_EQ(b.ask("world"), "WORLD");

  ASSERT_EQ(::kill(p.pid(), SIGTERM), 0);  // that child only, never the process group
  ASSERT_TRUE(p.wait_for_output("connection(s)\n", 10s)) << p.out();
  EXPECT_NE(p.out().find("SIGTERM from pid " + std::to_string(::getpid()) +
                         ": not accepting, finishing 2 open connection(s)\n"),
            std::string::npos)
      << p.out();
  const line_client late(port);
  EXPECT_FALSE(late.connected()) << "still accepting after SIGTERM";
  EXPECT_EQ(late.error(), ECONNREFUSED);

  // The open connections are still served until their clients are done.
  EXPECT_EQ(a.ask("still there"), "STILL THERE");
  EXPECT_EQ(a.ask("quit"), "bye");
  std::this_thread::sleep_for(200ms);
  int status = 0;
  EXPECT_EQ(::waitpid(p.pid(), &status, WNOHANG), 0) << "it exited with a connection open";
  EXPECT_EQ(b.ask("quit"), "bye");
  status = p.finish(20s);
  EXPECT_FALSE(p.timed_out());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status) << p.err();
  EXPECT_NE(p.out().find("served 2 connection(s)\n"), std::string::npos) << p.out();
  EXPECT_EQ(p.err(), "");
}

TEST(AsioServerExampleTest, ConnectionsStillOpenAfterTheGraceAreClosedAndItExitsOne) {
  process p({SIGKIT_EXAMPLE_ASIO_SERVER, "0", "1"});
  ASSERT_TRUE(p.wait_for_output(")\n", 20s)) << p.out();
  line_client idle(asio_server_port(p.out()));
  ASSERT_TRUE(idle.connected());
  EXPECT_EQ(idle.ask("x"), "X");
  const auto start = clock_type::now();
  ASSERT_EQ(::kill(p.pid(), SIGTERM), 0);
  const int status = p.finish(20s);
  const auto elapsed = clock_type::now() - start;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << describe(status) << p.err();
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 10s);
  EXPECT_NE(p.out().find("grace period over: closing 1 connection(s)\n"), std::string::npos)
      << p.out();
  EXPECT_EQ(idle.ask("anyone?"), "") << "the connection was closed";
}

TEST(AsioServerExampleTest, ABadArgumentGetsAUsageLine) {
  for (const char* bad : {"70000", "x", "-1"}) {
    process p({SIGKIT_EXAMPLE_ASIO_SERVER, bad});
    const int status = p.finish(20s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << bad << ": " << describe(status);
    EXPECT_EQ(p.err().rfind("usage: asio_server", 0), 0U) << p.err();
    EXPECT_EQ(p.out(), "");
  }
}

TEST(AsioServerExampleTest, CtrlCEndsItBySigint) {
  process p({SIGKIT_EXAMPLE_ASIO_SERVER, "0"});
  ASSERT_TRUE(p.wait_for_output(")\n", 20s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << describe(status);
  EXPECT_NE(p.err().find("KeyboardInterrupt"), std::string::npos) << p.err();
}

#endif

// ---- uv_loop -----------------------------------------------------------------------------------

#ifdef SIGKIT_EXAMPLE_UV_LOOP

TEST(UvLoopExampleTest, HandlersRunInTheLoopAndSigtermEndsItCleanly) {
  process p({SIGKIT_EXAMPLE_UV_LOOP});
  ASSERT_TRUE(p.wait_for_output(")\n", 20s)) << p.out();
  const std::string me = std::to_string(::getpid());
  ASSERT_EQ(::kill(p.pid(), SIGUSR1), 0);
  ASSERT_TRUE(p.wait_for_output("ticks so far\n", 10s)) << p.out();
  EXPECT_NE(p.out().find("SIGUSR1 from pid " + me + ": "), std::string::npos) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGHUP), 0);
  ASSERT_TRUE(p.wait_for_output("(SIGHUP from pid " + me + ")\n", 10s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGTERM), 0);
  const int status = p.finish(20s);
  EXPECT_FALSE(p.timed_out());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe(status) << p.err();
  EXPECT_NE(p.out().find("SIGTERM: closing the loop\nbye after "), std::string::npos) << p.out();
  EXPECT_EQ(p.err(), "");
}

TEST(UvLoopExampleTest, CtrlCEndsItBySigintThroughTheLoop) {
  process p({SIGKIT_EXAMPLE_UV_LOOP});
  ASSERT_TRUE(p.wait_for_output(")\n", 20s)) << p.out();
  ASSERT_EQ(::kill(p.pid(), SIGINT), 0);
  const int status = p.finish(20s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << describe(status);
  EXPECT_NE(p.err().find("KeyboardInterrupt"), std::string::npos) << p.err();
  EXPECT_EQ(p.out().find("bye"), std::string::npos) << p.out();
}

#endif

}  // namespace
