// cli/commands/trace_record.cpp - `sigkit trace`: one delivery as a line of text or JSON.
#include <fmt/format.h>

#include <array>
#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>

#include "sigkit/siginfo.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace sigkit::cli::tracing {
namespace {

using json = nlohmann::ordered_json;

struct code_entry {
  int signo;
  int code;
  const char* name;
};

// The si_codes sigkit::code_name leaves as numbers (values from the Linux ABI, so that the
// table does not depend on which ones the C library names).
constexpr std::array<code_entry, 28> kMoreCodes{{
    {SIGTRAP, 1, "TRAP_BRKPT"},  {SIGTRAP, 2, "TRAP_TRACE"},   {SIGTRAP, 3, "TRAP_BRANCH"},
    {SIGTRAP, 4, "TRAP_HWBKPT"}, {SIGILL, 1, "ILL_ILLOPC"},    {SIGILL, 2, "ILL_ILLOPN"},
    {SIGILL, 3, "ILL_ILLADR"},   {SIGILL, 4, "ILL_ILLTRP"},    {SIGILL, 5, "ILL_PRVOPC"},
    {SIGILL, 6, "ILL_PRVREG"},   {SIGILL, 7, "ILL_COPROC"},    {SIGILL, 8, "ILL_BADSTK"},
    {SIGFPE, 4, "FPE_FLTOVF"},   {SIGFPE, 5, "FPE_FLTUND"},    {SIGFPE, 6, "FPE_FLTRES"},
    {SIGFPE, 7, "FPE_FLTINV"},   {SIGFPE, 8, "FPE_FLTSUB"},    {SIGSEGV, 3, "SEGV_BNDERR"},
    {SIGSEGV, 4, "SEGV_PKUERR"}, {SIGBUS, 4, "BUS_MCEERR_AR"}, {SIGBUS, 5, "BUS_MCEERR_AO"},
    {SIGIO, 1, "POLL_IN"},       {SIGIO, 2, "POLL_OUT"},       {SIGIO, 3, "POLL_MSG"},
    {SIGIO, 4, "POLL_ERR"},      {SIGIO, 5, "POLL_PRI"},       {SIGIO, 6, "POLL_HUP"},
    {SIGSYS, 1, "SYS_SECCOMP"},
}};

bool is_fault_signal(int signo) {
  return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
         signo == SIGTRAP;
}

std::string local_time(std::int64_t ns) {
  const auto seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  ::localtime_r(&seconds, &tm);
  return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (ns % 1'000'000'000) / 1000);
}

std::string utc_time(std::int64_t ns) {
  const auto seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ns % 1'000'000'000) / 1000);
}

// "4250 (kill -TERM 4242)", "4250 ([kworker/0:1])", "4250 (kill, exited)", "4250 (exited)".
std::string describe_process(pid_t pid, const std::optional<process_info>& p) {
  if (!p) {
    return fmt::format("{} (exited)", pid);
  }
  if (p->state == 'Z' || p->state == 'X') {
    return fmt::format("{} ({}, exited)", pid, quote_argument(p->comm));
  }
  if (p->cmdline.empty()) {
    return fmt::format("{} ([{}])", pid, quote_argument(p->comm));
  }
  return fmt::format("{} ({})", pid, format_cmdline(p->cmdline));
}

std::string child_status_text(const signal_record& r) {
  if (!r.child_status) {
    return {};
  }
  const bool by_signal = r.code && *r.code != CLD_EXITED;
  return by_signal ? signal_name(*r.child_status) : std::to_string(*r.child_status);
}

std::string outcome_text(const signal_record& r) {
  std::string text;
  switch (r.result) {
    case outcome::handled:
      text = "handled by a handler";
      break;
    case outcome::ignored:
      text = "ignored (SIG_IGN)";
      break;
    case outcome::ignored_by_default:
      text = "ignored (default action)";
      break;
    case outcome::stopped:
      text = "stopped the process";
      break;
    case outcome::continued:
      text = r.also_handled ? "continued the process, then handled by a handler"
                            : "continued the process";
      break;
    case outcome::terminated:
      text = r.core ? "terminated the process (core dumped)" : "terminated the process";
      break;
    case outcome::pending:
      text = "pending";
      break;
    case outcome::accepted:
      text = "accepted without a delivery (sigwaitinfo, sigtimedwait or signalfd)";
      break;
    case outcome::discarded:
      text = "discarded before delivery";
      break;
    case outcome::unknown:
      text = "outcome unknown";
      break;
  }
  if (!r.detail.empty()) {
    text += fmt::format(" ({})", r.detail);
  }
  return text;
}

// Names and arguments from /proc in JSON as `status --json` writes them: control characters,
// invisible controls and bytes that are not UTF-8 escaped (\xNN, \u{NNNN}), always valid UTF-8.
json text_json(const std::string& text) { return printable(text); }

json process_json(pid_t pid, const std::optional<process_info>& p) {
  json j;
  j["pid"] = pid;
  j["comm"] = p ? text_json(p->comm) : json(nullptr);
  auto args = json::array();
  if (p) {
    for (const auto& a : p->cmdline) {
      args.push_back(text_json(a));
    }
  }
  j["cmdline"] = args.empty() ? json(nullptr) : std::move(args);
  j["exited"] = !p || p->state == 'Z' || p->state == 'X';
  return j;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::handled:
      return "handled";
    case outcome::ignored:
      return "ignored";
    case outcome::ignored_by_default:
      return "ignored-by-default";
    case outcome::stopped:
      return "stopped";
    case outcome::continued:
      return "continued";
    case outcome::terminated:
      return "terminated";
    case outcome::pending:
      return "pending";
    case outcome::accepted:
      return "accepted";
    case outcome::discarded:
      return "discarded";
    case outcome::unknown:
      break;
  }
  return "unknown";
}

const char* to_string(origin o) noexcept {
  switch (o) {
    case origin::process:
      return "process";
    case origin::self:
      return "self";
    case origin::child:
      return "child";
    case origin::kernel:
      return "kernel";
    case origin::outside_namespace:
      return "outside-namespace";
    case origin::unknown:
      break;
  }
  return "unknown";
}

std::string describe_code(int signo, int code) {
  std::string name = sigkit::code_name(signo, code);
  if (name.empty() || (name[0] != '-' && (name[0] < '0' || name[0] > '9'))) {
    return name;
  }
  const int family = signo == SIGPOLL ? SIGIO : signo;
  for (const auto& e : kMoreCodes) {
    if (e.signo == family && e.code == code) {
      return e.name;
    }
  }
  return name;
}

bool code_names_sender(int signo, int code) noexcept {
  if (code == SI_USER || code == SI_QUEUE || code == SI_TKILL || code == SI_MESGQ) {
    return true;
  }
  return signo == SIGCHLD && code >= CLD_EXITED && code <= CLD_CONTINUED;
}

bool code_has_address(int signo, int code) noexcept {
  return is_fault_signal(signo) && code > 0 && code != SI_KERNEL;
}

bool code_has_value(int code) noexcept {
  return code == SI_QUEUE || code == SI_TIMER || code == SI_MESGQ || code == SI_ASYNCIO;
}

std::string format_text(const signal_record& r) {
  std::string line = local_time(r.time_ns);
  if (r.tid != 0 && r.tid != r.pid) {
    line += fmt::format(" {}/{}", r.pid, r.tid);
  } else {
    line += fmt::format(" {}", r.pid);
  }
  line += fmt::format(" ({}) {}", quote_argument(r.comm), signal_name(r.signo));
  if (r.code) {
    line += ' ' + describe_code(r.signo, *r.code);
  }
  switch (r.from) {
    case origin::process:
    case origin::child:
      line += r.from == origin::child ? " from child " : " from ";
      line += describe_process(r.sender_pid.value_or(0), r.sender);
      if (r.sender_uid) {
        line += fmt::format(" uid={}", *r.sender_uid);
      }
      if (r.sender_parent) {
        line += fmt::format(", child of {} ({})", r.sender_parent->pid,
                            quote_argument(r.sender_parent->comm));
      }
      break;
    case origin::self:
      line += " from itself";
      break;
    case origin::kernel:
      line += " from the kernel";
      break;
    case origin::outside_namespace:
      line += " from a process outside the pid namespace";
      if (r.sender_uid) {
        line += fmt::format(" uid={}", *r.sender_uid);
      }
      break;
    case origin::unknown:
      line += r.signo == SIGKILL ? " from an unknown sender" : " sender not known yet";
      break;
  }
  if (!r.hint.empty()) {
    line += fmt::format(" ({})", r.hint);
  }
  if (r.value) {
    line += fmt::format(" value={}", *r.value);
  }
  if (r.address) {
    line += fmt::format(" addr={:#x}", *r.address);
  }
  if (r.child_status) {
    line += " status=" + child_status_text(r);
  }
  if (r.fd) {
    line += fmt::format(" fd={}", *r.fd);
  }
  line += " -> " + outcome_text(r);
  return line;
}

std::string format_text(const exit_record& r) {
  std::string line =
      fmt::format("{} {} ({}) ", local_time(r.time_ns), r.pid, quote_argument(r.comm));
  if (r.signo != 0) {
    line += "killed by " + signal_name(r.signo) + (r.core ? " (core dumped)" : "");
  } else {
    line += fmt::format("exited with status {}", r.exit_code.value_or(0));
  }
  return line;
}

std::string format_json(const signal_record& r) {
  json j;
  j["event"] = "signal";
  j["time"] = utc_time(r.time_ns);
  j["pid"] = r.pid;
  j["tid"] = r.tid != 0 ? r.tid : r.pid;
  j["comm"] = text_json(r.comm);
  j["signal"] = signal_name(r.signo);
  j["number"] = r.signo;
  j["code"] = r.code ? json(describe_code(r.signo, *r.code)) : json(nullptr);
  j["origin"] = to_string(r.from);
  if (r.sender_pid) {
    json sender = process_json(*r.sender_pid, r.sender);
    sender["uid"] = r.sender_uid ? json(*r.sender_uid) : json(nullptr);
    sender["parent"] = r.sender_parent ? json{{"pid", r.sender_parent->pid},
                                              {"comm", text_json(r.sender_parent->comm)}}
                                       : json(nullptr);
    j["sender"] = std::move(sender);
  } else {
    j["sender"] = nullptr;
  }
  j["hint"] = r.hint.empty() ? json(nullptr) : json(r.hint);
  j["value"] = r.value ? json(*r.value) : json(nullptr);
  j["address"] = r.address ? json(fmt::format("{:#x}", *r.address)) : json(nullptr);
  j["status"] = r.child_status ? json(*r.child_status) : json(nullptr);
  j["fd"] = r.fd ? json(*r.fd) : json(nullptr);
  j["outcome"] = to_string(r.result);
  j["core"] = r.core;
  j["handled"] = r.result == outcome::handled || r.also_handled;
  j["detail"] = r.detail.empty() ? json(nullptr) : json(r.detail);
  return dump(j);
}

std::string format_json(const exit_record& r) {
  json j;
  j["event"] = "exit";
  j["time"] = utc_time(r.time_ns);
  j["pid"] = r.pid;
  j["comm"] = text_json(r.comm);
  j["exit_code"] = r.signo == 0 ? json(r.exit_code.value_or(0)) : json(nullptr);
  j["signal"] = r.signo != 0 ? json(signal_name(r.signo)) : json(nullptr);
  j["core"] = r.core;
  return dump(j);
}

}  // namespace sigkit::cli::tracing
