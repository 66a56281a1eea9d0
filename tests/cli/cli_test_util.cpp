#include "cli_test_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sigkit/handler.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/signal_set.hpp"

namespace sigkit_cli_test {
namespace {

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
}

// Reads what is available (non-blocking) into `text`; false on EOF.
bool read_some(int fd, std::string& text) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n != 0;  // 0: EOF; -1/EAGAIN: open
  }
}

child_process fork_with_pipes(const std::function<void()>& in_child) {
  int out[2];
  int err[2];
  make_pipe(out);
  make_pipe(err);
  static_cast<void>(std::fflush(nullptr));
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    in_child();
    ::_exit(99);
  }
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  child_process child;
  child.pid = pid;
  child.out_fd = out[0];
  child.err_fd = err[0];
  return child;
}

}  // namespace

child_process::child_process(child_process&& other) noexcept
    : pid(other.pid),
      out_fd(other.out_fd),
      err_fd(other.err_fd),
      out(std::move(other.out)),
      err(std::move(other.err)) {
  other.pid = -1;
  other.out_fd = -1;
  other.err_fd = -1;
}

child_process::~child_process() {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd >= 0) {
    ::close(out_fd);
  }
  if (err_fd >= 0) {
    ::close(err_fd);
  }
}

bool child_process::wait_for_text(std::string_view needle, milliseconds timeout, bool from_out) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    read_some(out_fd, out);
    read_some(err_fd, err);
    if ((from_out ? out : err).find(needle) != std::string::npos) {
      return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    ::poll(fds, 2, 10);
  }
}

int child_process::finish(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  int status = -1;
  bool reaped = false;
  while (!reaped || out_open || err_open) {
    if (out_open) {
      out_open = read_some(out_fd, out);
    }
    if (err_open) {
      err_open = read_some(err_fd, err);
    }
    if (!reaped) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        reaped = true;
        pid = -1;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (!reaped) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        pid = -1;
        return -1;
      }
      break;  // exited, but a grandchild still holds the pipes
    }
    pollfd fds[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
    ::poll(fds, 2, 10);
  }
  return status;
}

namespace {

// In a forked child: run `body` under an alarm() watchdog and _exit with its result.
[[noreturn]] void finish_child(const std::function<int()>& body, unsigned watchdog_s) {
  ::alarm(watchdog_s);
  int rc = 99;
  try {
    rc = body();
  } catch (...) {
    rc = 99;
  }
  static_cast<void>(std::fflush(nullptr));
  ::_exit(rc);
}

}  // namespace

child_process spawn(const std::function<int()>& body, unsigned watchdog_s) {
  return fork_with_pipes([&] { finish_child(body, watchdog_s); });
}

child_process spawn_exec(const std::vector<std::string>& argv) { return spawn_exec_with(argv, {}); }

child_process spawn_exec_with(const std::vector<std::string>& argv,
                              const std::function<void()>& before_exec) {
  return fork_with_pipes([&] {
    if (before_exec) {
      before_exec();
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv's signature
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  });
}

int run_forked(const std::function<int()>& body, unsigned watchdog_s) {
  static_cast<void>(std::fflush(nullptr));
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) finish_child(body, watchdog_s);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw std::runtime_error("waitpid failed");
    }
  }
  return status;
}

child_process start_status_subject() {
  child_process subject = spawn(
      []() -> int {
        sigkit::signal(SIGINT, SIG_IGN);
        sigkit::signal(SIGUSR1, sigkit::handler([](int) {}));
        static_cast<void>(sigkit::block({SIGUSR1}));  // inherited by the thread below
        // glibc starts a thread with every signal blocked and restores the creator's mask
        // only once it runs: wait for that, or /proc may still show the transient mask.
        static std::atomic<bool> worker_running{false};
        std::thread worker([] {
          worker_running.store(true);
          for (;;) {
            ::pause();
          }
        });
        worker.detach();
        while (!worker_running.load()) {
          ::usleep(1000);  // bounded by the alarm() watchdog
        }
        // Blocked after the worker exists: the worker keeps SIGUSR2 unblocked.
        static_cast<void>(sigkit::block({SIGUSR2}));
        std::printf("subject ready\n");
        static_cast<void>(std::fflush(stdout));
        for (;;) {
          ::pause();
        }
      },
      60);
  if (!subject.wait_for_text("subject ready", milliseconds(10000), true)) {
    throw std::runtime_error("the status subject did not start");
  }
  return subject;
}

bool is_zombie_or_gone(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) {
    return true;
  }
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0) {
      return line.find('Z') != std::string::npos;
    }
  }
  return true;
}

int count_zombie_children() {
  int zombies = 0;
  const std::string self = std::to_string(::getpid());
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    return 0;
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string text;
    if (!stat || !std::getline(stat, text)) {
      continue;
    }
    // pid (comm) state ppid ...; comm may contain spaces, so parse after the last ')'.
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) {
      continue;
    }
    std::istringstream rest(text.substr(paren + 1));
    std::string state;
    std::string ppid;
    rest >> state >> ppid;
    if (ppid == self && state == "Z") {
      ++zombies;
    }
  }
  ::closedir(dir);
  return zombies;
}

}  // namespace sigkit_cli_test
