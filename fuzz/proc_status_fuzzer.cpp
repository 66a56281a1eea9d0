// fuzz/proc_status_fuzzer.cpp - sigkit::cli::parse_proc_status (/proc/PID/status), diagnose()
// and the JSON of `sigkit status --json`.
//
// The input is the status file of a process, optionally followed by those of its threads,
// separated by NUL bytes. Invariants:
// - a status that parses re-serialises to the same masks: writing Name, Pid and the five
//   masks back as /proc does and parsing that again gives the same fields;
// - a status that does not parse throws cli_error and nothing else;
// - diagnose() (with and without an earlier sample) only reports valid signals, each kind for
//   a signal in the mask it is about, with a message;
// - the JSON of `status --json` parses back, with the same pid, masks (hex and names), threads
//   and diagnoses, and the names as printable() makes them (any process can name itself with
//   bytes that are not UTF-8 or with control characters).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"

namespace {

using sigkit::cli::process_status;

std::optional<process_status> parse(std::string_view text) {
  try {
    return sigkit::cli::parse_proc_status(text);
  } catch (const sigkit::cli::cli_error&) {
    return std::nullopt;
  }
}

// The fields parse_proc_status reads, written back as /proc writes them.
std::string serialise(const process_status& p) {
  std::string text = fmt::format("Name:\t{}\n", p.name);
  if (p.pid != 0) {
    text += fmt::format("Pid:\t{}\n", p.pid);
  }
  text += fmt::format("SigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\n", p.pending,
                      p.shared_pending, p.blocked);
  text += fmt::format("SigIgn:\t{:016x}\nSigCgt:\t{:016x}\n", p.ignored, p.caught);
  return text;
}

std::string describe(const process_status& p) {
  return fmt::format(
      "name \"{}\" pid {} SigPnd {:x} ShdPnd {:x} SigBlk {:x} SigIgn {:x} SigCgt {:x}",
      sigkit_fuzz::escaped(p.name), p.pid, p.pending, p.shared_pending, p.blocked, p.ignored,
      p.caught);
}

bool same_fields(const process_status& a, const process_status& b) {
  return a.name == b.name && a.pid == b.pid && a.pending == b.pending &&
         a.shared_pending == b.shared_pending && a.blocked == b.blocked && a.ignored == b.ignored &&
         a.caught == b.caught;
}

nlohmann::json names_of(std::uint64_t mask) {
  auto names = nlohmann::json::array();
  for (const int s : sigkit::cli::mask_signals(mask)) {
    names.push_back(sigkit::cli::signal_name(s));
  }
  return names;
}

std::uint64_t bit(int signo) { return std::uint64_t{1} << (signo - 1); }

void check_diagnoses(std::string_view input, const process_status& p,
                     const std::vector<sigkit::cli::diagnosis>& findings) {
  std::vector<sigkit::cli::thread_status> threads = p.threads;
  if (threads.empty()) {
    threads.push_back({p.pid, p.name, p.pending, p.blocked});
  }
  std::uint64_t pending = p.pending | p.shared_pending;
  std::uint64_t blocked_everywhere = ~std::uint64_t{0};
  std::uint64_t blocked_in_main = 0;
  for (const auto& t : threads) {
    pending |= t.pending;
    blocked_everywhere &= t.blocked;
    blocked_in_main |= t.tid == p.pid ? t.blocked : 0;
  }
  for (const auto& d : findings) {
    const std::string what = d.kind + " " + std::to_string(d.signo) + ": " + d.message;
    SIGKIT_FUZZ_CHECK(d.signo >= 1 && d.signo < NSIG && d.signo <= 64 && !d.message.empty(), input,
                      what);
    const std::uint64_t b = bit(d.signo);
    if (d.kind == "caught-but-blocked") {
      SIGKIT_FUZZ_CHECK((p.caught & b) != 0 && (blocked_everywhere & b) != 0, input, what);
    } else if (d.kind == "blocked-in-some-threads") {
      SIGKIT_FUZZ_CHECK(
          (p.ignored & b) == 0 && (blocked_in_main & b) != 0 && (blocked_everywhere & b) == 0,
          input, what);
    } else if (d.kind == "ignored") {
      SIGKIT_FUZZ_CHECK((p.ignored & b) != 0 && (d.signo == SIGINT || d.signo == SIGTERM), input,
                        what);
    } else {
      SIGKIT_FUZZ_CHECK(d.kind == "pending" || d.kind == "pending-long", input, what);
      SIGKIT_FUZZ_CHECK((pending & b) != 0, input, what);
    }
  }
}

void check_json(std::string_view input, const process_status& p,
                const std::vector<sigkit::cli::diagnosis>& findings) {
  const std::string text = sigkit::cli::status_json_text(p, findings, true);
  const auto j = nlohmann::json::parse(text, nullptr, false);
  SIGKIT_FUZZ_CHECK(j.is_object(), input, "status JSON does not parse: " + text);
  SIGKIT_FUZZ_CHECK(j.value("pid", -1) == p.pid, input, text);
  SIGKIT_FUZZ_CHECK(j["name"] == sigkit::cli::printable(p.name), input, text);
  SIGKIT_FUZZ_CHECK(j.value("thread_count", std::size_t{0}) == p.threads.size(), input, text);
  const std::array<std::pair<const char*, std::uint64_t>, 5> masks{{{"SigPnd", p.pending},
                                                                    {"ShdPnd", p.shared_pending},
                                                                    {"SigBlk", p.blocked},
                                                                    {"SigIgn", p.ignored},
                                                                    {"SigCgt", p.caught}}};
  const std::array<const char*, 5> named{"pending", "shared_pending", "blocked", "ignored",
                                         "caught"};
  for (std::size_t i = 0; i < masks.size(); ++i) {
    const auto& [field, mask] = masks.at(i);
    SIGKIT_FUZZ_CHECK(j["masks"][field] == fmt::format("{:016x}", mask), input, text);
    SIGKIT_FUZZ_CHECK(j[named.at(i)] == names_of(mask), input, text);
  }
  SIGKIT_FUZZ_CHECK(j["threads"].is_array() && j["threads"].size() == p.threads.size(), input,
                    text);
  for (std::size_t i = 0; i < p.threads.size(); ++i) {
    const auto& t = j["threads"][i];
    SIGKIT_FUZZ_CHECK(t.value("tid", -1) == p.threads[i].tid &&
                          t["name"] == sigkit::cli::printable(p.threads[i].name) &&
                          t["blocked"] == names_of(p.threads[i].blocked) &&
                          t["pending"] == names_of(p.threads[i].pending),
                      input, t.dump());
  }
  SIGKIT_FUZZ_CHECK(j["diagnoses"].is_array() && j["diagnoses"].size() == findings.size(), input,
                    text);
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const auto& d = j["diagnoses"][i];
    SIGKIT_FUZZ_CHECK(d.value("kind", "") == findings[i].kind &&
                          d.value("signal", "") == sigkit::cli::signal_name(findings[i].signo) &&
                          d.value("message", "") == findings[i].message,
                      input, d.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  const auto files = sigkit_fuzz::split(input, '\0');
  if (files.size() > 33) {
    return 0;  // a process and at most 32 threads
  }
  auto process = parse(files[0]);
  if (!process) {
    return 0;
  }
  const auto again = parse(serialise(*process));
  SIGKIT_FUZZ_CHECK(again && same_fields(*again, *process), input,
                    "parsed: " + describe(*process) +
                        "\n  re-serialised and parsed: " + (again ? describe(*again) : "rejected"));

  for (std::size_t i = 1; i < files.size(); ++i) {
    const auto thread = parse(files[i]);
    if (!thread) {
      return 0;
    }
    const pid_t tid = thread->pid != 0 ? thread->pid : static_cast<pid_t>(i);
    process->threads.push_back({tid, thread->name, thread->pending, thread->blocked});
  }

  const auto once = sigkit::cli::diagnose(*process);
  check_diagnoses(input, *process, once);
  const auto twice = sigkit::cli::diagnose(*process, &*process, std::chrono::milliseconds(200));
  check_diagnoses(input, *process, twice);
  check_json(input, *process, twice);
  return 0;
}
