// tests/faulthandler/fixture_runner.cpp - see fixture_runner.hpp.
#include "fixture_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sigkit_fh_test {
namespace {

double now_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// SIGKILL to the child and to the process group it made for itself (setpgid in both parent and
// child, so the group exists before the parent can get here). Never any other group: if the
// child's group is not its own (yet), only the child is killed.
void kill_child_and_its_group(pid_t pid) {
  if (::getpgid(pid) == pid && pid != ::getpgrp()) ::killpg(pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

}  // namespace

run_result run_program(const std::vector<std::string>& argv, const run_options& options) {
  int out_pipe[2];
  int err_pipe[2];
  int in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  run_result result;
  const double start = now_seconds();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) ::setpgid(pid, pid);  // as the child does: no window before its group exists
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a runaway child can be killed with everything it made
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    for (const auto& [name, value] : options.env) ::setenv(name.c_str(), value.c_str(), 1);
    for (const auto& name : options.unset_env) ::unsetenv(name.c_str());
    ::dup2(in_pipe[0], 0);
    if (options.discard_stdout) {
      const int null_fd = ::open("/dev/null", O_WRONLY);
      ::dup2(null_fd, 1);
    } else {
      ::dup2(out_pipe[1], 1);
    }
    ::dup2(err_pipe[1], 2);
    for (const auto& [child_fd, parent_fd] : options.fds) ::dup2(parent_fd, child_fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT
    args.push_back(nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(in_pipe[0]);
  if (!options.stdin_text.empty()) {
    static_cast<void>(::write(in_pipe[1], options.stdin_text.data(), options.stdin_text.size()));
  }
  ::close(in_pipe[1]);
  const double deadline = start + options.timeout_seconds;
  bool out_open = true;
  bool err_open = true;
  char buffer[65536];
  while (out_open || err_open) {
    const double left = deadline - now_seconds();
    if (left <= 0) {
      result.timed_out = true;
      kill_child_and_its_group(pid);
      break;
    }
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                     {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  // The pipes are closed (or the deadline passed): wait for the process itself.
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.status = status;
      break;
    }
    if (now_seconds() > deadline + 1) {
      result.timed_out = true;
      kill_child_and_its_group(pid);
    }
    timespec pause{0, 1'000'000};
    ::nanosleep(&pause, nullptr);
  }
  result.seconds = now_seconds() - start;
  if (::getpgrp() != pid) ::killpg(pid, SIGKILL);  // anything the child left in its own group
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  return result;
}

std::string describe(const run_result& r) {
  std::string text;
  if (r.timed_out) text = "timed out; ";
  if (WIFEXITED(r.status)) return text + "exited " + std::to_string(WEXITSTATUS(r.status));
  if (WIFSIGNALED(r.status)) {
    text += "killed by signal " + std::to_string(WTERMSIG(r.status));
    if (WCOREDUMP(r.status)) text += " (core dumped)";
    return text;
  }
  return text + "status " + std::to_string(r.status);
}

int repetitions(int normal, int stress) {
  const char* value = std::getenv("SIGKIT_FH_STRESS");  // NOLINT(concurrency-mt-unsafe)
  return value != nullptr && *value != '\0' ? stress : normal;
}

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

temp_dir::temp_dir() {
  char pattern[] = "/tmp/sigkit-fh-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace sigkit_fh_test
