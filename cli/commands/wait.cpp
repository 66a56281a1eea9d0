// cli/commands/wait.cpp - `sigkit wait`: block the signals, then accept them one by one.
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "sigkit/mask.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/wait.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

void print_delivery(const siginfo& info, bool as_json, std::ostream& out) {
  const std::string name = signal_name(info.signo);
  if (as_json) {
    nlohmann::ordered_json j;
    j["signal"] = name;
    j["number"] = info.signo;
    j["pid"] = info.pid;
    j["uid"] = info.uid;
    j["code"] = code_name(info.signo, info.code);
    j["value"] = info.value.sival_int;
    out << j.dump() << '\n';
  } else {
    out << fmt::format("{} pid={} uid={} code={} value={}\n", name, info.pid, info.uid,
                       code_name(info.signo, info.code), info.value.sival_int);
  }
  out.flush();
}

}  // namespace

int wait_command(const wait_options& options, std::ostream& out, std::ostream& err) {
  signal_set set;
  for (const auto& text : options.signals) {
    const signum s = parse_signal(text);
    if (s == SIGKILL || s == SIGSTOP) {
      throw cli_error(
          fmt::format("cannot wait for {}: it can be neither blocked nor caught", s.name()),
          exit_usage);
    }
    try {
      set.insert(s);
    } catch (const std::invalid_argument&) {
      throw cli_error(fmt::format("cannot wait for {}: the C library reserves it", s.name()),
                      exit_usage);
    }
  }
  if (set.empty()) {
    throw cli_error("no signal to wait for", exit_usage);
  }
  if (options.count < 1) {
    throw cli_error(fmt::format("invalid count {} (must be at least 1)", options.count),
                    exit_usage);
  }
  std::optional<std::chrono::duration<double>> timeout;
  if (options.timeout) {
    const duration_value d = parse_duration(*options.timeout);
    if (!d.forever) {
      timeout = d.seconds();  // forever: no timeout
    }
  }

  // Blocked before anything else can exist: the tool has no other thread, so the signals
  // stay pending until sigwaitinfo/sigtimedwait accepts them.
  static_cast<void>(sigkit::block(set));
  err << "ready pid=" << ::getpid() << std::endl;

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (int received = 0; received < options.count; ++received) {
    if (timeout) {
      const std::chrono::duration<double> elapsed = clock::now() - start;
      const auto remaining = std::max(*timeout - elapsed, std::chrono::duration<double>::zero());
      const auto info = sigkit::sigtimedwait(set, remaining);
      if (!info) {
        return exit_timed_out;
      }
      print_delivery(*info, options.json, out);
    } else {
      print_delivery(sigkit::sigwaitinfo(set), options.json, out);
    }
  }
  return exit_ok;
}

}  // namespace sigkit::cli
