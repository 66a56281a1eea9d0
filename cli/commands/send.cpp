// cli/commands/send.cpp - `sigkit send`: race-free through a pidfd, or queued with a value.
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <ostream>
#include <system_error>

#include "sigkit/send.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

// A pidfd that is closed when it goes out of scope.
class pidfd_guard {
 public:
  explicit pidfd_guard(pid_t pid) : fd_(sigkit::pidfd_open(pid)) {}
  ~pidfd_guard() { ::close(fd_); }
  pidfd_guard(const pidfd_guard&) = delete;
  pidfd_guard& operator=(const pidfd_guard&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string describe(const std::system_error& e) {
  switch (e.code().value()) {
    case ESRCH:
      return "no such process";
    case EPERM:
      return "permission denied";
    case EAGAIN:
      return "the receiver's queue of signals is full";
    default:
      return e.code().message();
  }
}

}  // namespace

int send_command(const send_options& options, std::ostream& out, std::ostream& err) {
  // Signal 0 sends nothing: it checks that the process exists and may be signalled (kill -0).
  const bool check_only = options.signal == "0";
  const int signo = check_only ? 0 : parse_signal(options.signal).number();
  const std::string name = check_only ? std::string("signal 0") : signal_name(signo);
  if (check_only && options.value) {
    throw cli_error("--value needs a signal to queue, not 0", exit_usage);
  }
  std::vector<pid_t> pids;
  pids.reserve(options.pids.size());
  for (const auto& text : options.pids) {
    pids.push_back(parse_pid(text));
  }
  int status = exit_ok;
  auto results = nlohmann::ordered_json::array();
  for (const pid_t pid : pids) {
    nlohmann::ordered_json result;
    result["pid"] = pid;
    result["signal"] = check_only ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(name);
    result["number"] = signo;
    result["value"] = options.value ? nlohmann::ordered_json(*options.value) : nullptr;
    result["method"] = check_only ? "check" : options.value ? "sigqueue" : "pidfd";
    result["ok"] = true;
    result["error"] = nullptr;
    try {
      if (options.value) {
        sigkit::sigqueue(pid, signo, *options.value);
      } else {
        const pidfd_guard pidfd(pid);
        sigkit::pidfd_send_signal(pidfd.get(), signo);
      }
    } catch (const std::system_error& e) {
      err << fmt::format("sigkit: cannot send {} to process {}: {}\n", name, pid, describe(e));
      status = exit_error;
      result["ok"] = false;
      result["error"] = describe(e);
    }
    results.push_back(std::move(result));
  }
  err.flush();
  if (options.json) {
    out << results.dump(2) << '\n';
    out.flush();
  }
  return status;
}

}  // namespace sigkit::cli
