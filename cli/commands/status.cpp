// cli/commands/status.cpp - `sigkit status` and `sigkit decode`: /proc/PID/status in words.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "sigkit/dispatch.hpp"
#include "sigkit_cli/commands.hpp"

namespace sigkit::cli {
namespace {

using json = nlohmann::ordered_json;

std::uint64_t bit(int signo) { return std::uint64_t{1} << (signo - 1); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<pid_t> list_tasks(pid_t pid) {
  std::vector<pid_t> tids;
  const std::string path = fmt::format("/proc/{}/task", pid);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) {
    return tids;
  }
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name(entry->d_name);
    long tid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (ec == std::errc{} && end == name.data() + name.size() && tid > 0) {
      tids.push_back(static_cast<pid_t>(tid));
    }
  }
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::string join_tids(const std::vector<pid_t>& tids) {
  constexpr std::size_t shown = 8;
  std::string text;
  for (std::size_t i = 0; i < tids.size() && i < shown; ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(tids[i]);
  }
  if (tids.size() > shown) {
    text += fmt::format(" and {} more", tids.size() - shown);
  }
  return text;
}

std::uint64_t any_thread_pending(const process_status& p) {
  std::uint64_t mask = p.shared_pending | p.pending;
  for (const auto& t : p.threads) {
    mask |= t.pending;
  }
  return mask;
}

json names_json(std::uint64_t mask) {
  auto array = json::array();
  for (const int s : mask_signals(mask)) {
    array.push_back(signal_name(s));
  }
  return array;
}

std::string hex(std::uint64_t mask) { return fmt::format("{:016x}", mask); }

json status_json(const process_status& p, const std::vector<diagnosis>& findings,
                 bool with_threads) {
  json j;
  j["pid"] = p.pid;
  j["name"] = printable(p.name);  // any process can rename itself: no raw bytes in JSON
  j["thread_count"] = p.threads.size();
  j["pending"] = names_json(p.pending);
  j["shared_pending"] = names_json(p.shared_pending);
  j["blocked"] = names_json(p.blocked);
  j["ignored"] = names_json(p.ignored);
  j["caught"] = names_json(p.caught);
  j["masks"] = json{{"SigPnd", hex(p.pending)},
                    {"ShdPnd", hex(p.shared_pending)},
                    {"SigBlk", hex(p.blocked)},
                    {"SigIgn", hex(p.ignored)},
                    {"SigCgt", hex(p.caught)}};
  if (with_threads) {
    auto threads = json::array();
    for (const auto& t : p.threads) {
      threads.push_back(json{{"tid", t.tid},
                             {"name", printable(t.name)},
                             {"blocked", names_json(t.blocked)},
                             {"pending", names_json(t.pending)}});
    }
    j["threads"] = std::move(threads);
  }
  auto diagnoses = json::array();
  for (const auto& d : findings) {
    diagnoses.push_back(
        json{{"kind", d.kind}, {"signal", signal_name(d.signo)}, {"message", d.message}});
  }
  j["diagnoses"] = std::move(diagnoses);
  return j;
}

void print_status(const process_status& p, const std::vector<diagnosis>& findings,
                  bool with_threads, std::ostream& out) {
  out << fmt::format("process {} ({}), {} thread{}\n", p.pid, printable(p.name), p.threads.size(),
                     p.threads.size() == 1 ? "" : "s");
  out << fmt::format("  pending:        {}\n", mask_names(p.pending));
  out << fmt::format("  shared pending: {}\n", mask_names(p.shared_pending));
  out << fmt::format("  blocked:        {}\n", mask_names(p.blocked));
  out << fmt::format("  ignored:        {}\n", mask_names(p.ignored));
  out << fmt::format("  caught:         {}\n", mask_names(p.caught));
  if (with_threads) {
    out << "  threads:\n";
    for (const auto& t : p.threads) {
      out << fmt::format("    {:>7} {:<16} blocked: {}\n", t.tid, printable(t.name),
                         mask_names(t.blocked));
      if (t.pending != 0) {
        out << fmt::format("    {:>7} {:<16} pending: {}\n", "", "", mask_names(t.pending));
      }
    }
  }
  if (findings.empty()) {
    out << "  diagnosis: nothing unusual\n";
  } else {
    out << "  diagnosis:\n";
    for (const auto& d : findings) {
      out << "  - " << d.message << '\n';
    }
  }
}

}  // namespace

std::optional<std::string> read_proc_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

process_status parse_proc_status(std::string_view text) {
  process_status p;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "Name") {
      p.name = std::string(value);
    } else if (key == "Pid") {
      p.pid = parse_pid(value);
    } else if (key == "SigPnd") {
      p.pending = parse_mask(value);
    } else if (key == "ShdPnd") {
      p.shared_pending = parse_mask(value);
    } else if (key == "SigBlk") {
      p.blocked = parse_mask(value);
    } else if (key == "SigIgn") {
      p.ignored = parse_mask(value);
    } else if (key == "SigCgt") {
      p.caught = parse_mask(value);
    }
  }
  return p;
}

std::string status_json_text(const process_status& status, const std::vector<diagnosis>& findings,
                             bool with_threads) {
  return status_json(status, findings, with_threads).dump(2);
}

process_status read_process_status(pid_t pid) {
  const std::string path = fmt::format("/proc/{}/status", pid);
  const auto text = read_proc_file(path);
  if (!text) {
    const int error = errno;
    if (error == ENOENT || error == ESRCH) {
      throw cli_error(fmt::format("no such process: {}", pid));
    }
    throw cli_error(fmt::format("cannot read {}: {}", path, std::strerror(error)));
  }
  process_status p = parse_proc_status(*text);
  p.pid = pid;
  for (const pid_t tid : list_tasks(pid)) {
    const auto task = read_proc_file(fmt::format("/proc/{}/task/{}/status", pid, tid));
    if (!task) {
      continue;  // the thread ended meanwhile
    }
    const process_status t = parse_proc_status(*task);
    p.threads.push_back(thread_status{tid, t.name, t.pending, t.blocked});
  }
  if (p.threads.empty()) {
    p.threads.push_back(thread_status{pid, p.name, p.pending, p.blocked});
  }
  return p;
}

std::vector<diagnosis> diagnose(const process_status& now, const process_status* earlier,
                                std::chrono::duration<double> interval) {
  std::vector<diagnosis> findings;
  std::vector<thread_status> threads = now.threads;
  if (threads.empty()) {
    threads.push_back(thread_status{now.pid, now.name, now.pending, now.blocked});
  }
  const std::size_t thread_count = threads.size();

  for (int s = 1; s < NSIG && s <= 64; ++s) {
    std::vector<pid_t> blocking;
    std::vector<pid_t> open;
    for (const auto& t : threads) {
      ((t.blocked & bit(s)) != 0 ? blocking : open).push_back(t.tid);
    }
    const bool caught = (now.caught & bit(s)) != 0;
    const bool ignored = (now.ignored & bit(s)) != 0;
    const std::string name = signal_name(s);

    if (caught && open.empty()) {
      findings.push_back(
          {"caught-but-blocked", s,
           fmt::format("{} is caught but blocked in {}: its handler runs only while a thread "
                       "waits with it unblocked (sigsuspend, ppoll, pselect, as shells do while "
                       "a command runs), else never",
                       name, thread_count == 1 ? "the only thread" : "every thread")});
    }
    // Worker threads that block everything while the main thread takes the signals are the
    // recommended design, not a problem. The trap is the reverse: the main thread blocks a
    // signal (to sigwait for it, or to keep it away) while some thread does not.
    const bool main_blocks = std::find(blocking.begin(), blocking.end(), now.pid) != blocking.end();
    if (!ignored && main_blocks && !open.empty()) {
      findings.push_back(
          {"blocked-in-some-threads", s,
           fmt::format("{} is blocked in {} of {} threads ({}, the main thread among them) "
                       "but not in {}: the kernel delivers it to a thread that does not block "
                       "it, so a sigwait/signalfd in a blocking thread will miss it",
                       name, blocking.size(), thread_count, join_tids(blocking), join_tids(open))});
    }
    if (ignored && (s == SIGINT || s == SIGTERM)) {
      findings.push_back(
          {"ignored", s,
           fmt::format("{} is ignored: {} will not stop this process. An ignored disposition "
                       "is inherited across fork and exec, so a parent probably set it (nohup, "
                       "a non-interactive shell starting a background job, a supervisor)",
                       name, s == SIGINT ? "Ctrl-C" : "kill (and most service managers)")});
    }
  }

  const std::uint64_t pending_now = any_thread_pending(now);
  const std::uint64_t pending_before = earlier != nullptr ? any_thread_pending(*earlier) : 0;
  for (const int s : mask_signals(pending_now)) {
    const std::string name = signal_name(s);
    std::vector<pid_t> where;
    for (const auto& t : threads) {
      if ((t.pending & bit(s)) != 0) {
        where.push_back(t.tid);
      }
    }
    const std::string scope = (now.shared_pending & bit(s)) != 0
                                  ? std::string("for the process")
                                  : fmt::format("for thread {}", join_tids(where));
    if ((pending_before & bit(s)) != 0) {
      findings.push_back(
          {"pending-long", s,
           fmt::format("{} has been pending {} for at least {:.3g}s: it is blocked where it "
                       "could be delivered and nobody accepts it (sigwait/signalfd)",
                       name, scope, interval.count())});
    } else {
      findings.push_back(
          {"pending", s,
           fmt::format("{} is pending {}: sent but not yet delivered (blocked)", name, scope)});
    }
  }
  return findings;
}

int status_command(const status_options& options, std::ostream& out, std::ostream& err) {
  std::vector<pid_t> pids;
  for (const auto& text : options.pids) {
    pids.push_back(parse_pid(text));
  }
  if (pids.empty()) {
    pids.push_back(::getppid());
  }
  const duration_value sample = parse_duration(options.sample);
  if (sample.forever) {
    throw cli_error(fmt::format("invalid sample interval {} (too long)", quote(options.sample)),
                    exit_usage);
  }
  const auto interval = sample.seconds();

  int status = exit_ok;
  std::vector<std::optional<process_status>> first(pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) {
    try {
      first[i] = read_process_status(pids[i]);
    } catch (const cli_error& e) {
      print_error(err, e.what());
      status = exit_error;
    }
  }
  const bool resample = interval.count() > 0 &&
                        std::any_of(first.begin(), first.end(),
                                    [](const auto& p) { return p && any_thread_pending(*p) != 0; });
  if (resample) {
    sigkit::sleep(interval);
  }

  auto array = json::array();
  for (std::size_t i = 0; i < pids.size(); ++i) {
    if (!first[i]) {
      continue;
    }
    process_status now = *first[i];
    if (resample) {
      try {
        now = read_process_status(pids[i]);
      } catch (const cli_error& e) {
        print_error(err, e.what());
        status = exit_error;
        continue;
      }
    }
    const auto findings = diagnose(now, resample ? &*first[i] : nullptr, interval);
    if (options.json) {
      array.push_back(status_json(now, findings, options.threads));
    } else {
      if (i > 0) {
        out << '\n';
      }
      print_status(now, findings, options.threads, out);
    }
  }
  if (options.json) {
    out << array.dump(2) << '\n';
  }
  out.flush();
  return status;
}

int decode_command(const decode_options& options, std::ostream& out) {
  const std::uint64_t mask = parse_mask(options.mask);
  if (options.json) {
    auto array = json::array();
    for (const int s : mask_signals(mask)) {
      array.push_back(json{{"number", s}, {"name", signal_name(s)}});
    }
    out << array.dump(2) << '\n';
  } else {
    for (const int s : mask_signals(mask)) {
      out << fmt::format("{:>3}  {}\n", s, signal_name(s));
    }
  }
  out.flush();
  return exit_ok;
}

}  // namespace sigkit::cli
