// fuzz/trace_record_json_fuzzer.cpp - the records of `sigkit trace` (format_text, format_json
// in cli/commands/trace_record.cpp), built from arbitrary names, command lines and numbers.
//
// Input: 16 bytes of numbers (signal, code, pids, value, address, outcome, origin, flags),
// then NUL-separated strings: the receiver's name, the sender's name, the sender's arguments.
// Invariants:
// - format_json gives one line that parses back as JSON, with the same pid, tid, signal
//   number and name, code name, value, address (hex), outcome and origin names, sender pid and
//   uid and as many command line arguments; names that are not UTF-8 become U+FFFD, never an
//   exception;
// - format_text gives one line of valid UTF-8 without control characters, ending with the
//   outcome's words;
// - the same for an exit record.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sigkit_cli/commands.hpp"
#include "sigkit_cli/trace.hpp"

namespace {

using namespace sigkit::cli::tracing;  // NOLINT(google-build-using-namespace)
using json = nlohmann::json;

bool clean_line(const std::string& text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  try {
    static_cast<void>(json(text).dump());  // strict: throws on invalid UTF-8
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sigkit_fuzz::as_text(data, size);
  if (size < 16) return 0;
  const auto byte = [&](std::size_t i) { return data[i]; };
  signal_record r;
  r.time_ns = static_cast<std::int64_t>(byte(0)) * 86'400'000'000'000LL + byte(1) * 1'000'003;
  r.signo = 1 + byte(2) % 64;
  r.code = static_cast<std::int8_t>(byte(3));
  r.pid = 1 + byte(4) * 256 + byte(5);
  r.tid = byte(6) % 2 == 0 ? r.pid : r.pid + 1 + byte(6);
  r.result = static_cast<outcome>(byte(7) % 10);
  r.from = static_cast<origin>(byte(8) % 6);
  const std::uint8_t flags = byte(9);
  if (flags & 1U) r.value = static_cast<std::int8_t>(byte(10)) * 1000003;
  if (flags & 2U) r.address = static_cast<std::uint64_t>(byte(11)) << (byte(12) % 57);
  if (flags & 4U) r.child_status = byte(13);
  if (flags & 8U) r.fd = byte(14);
  r.core = (flags & 16U) != 0;
  r.also_handled = (flags & 32U) != 0;
  if (flags & 64U) r.detail = "blocked in every thread";
  const auto strings = sigkit_fuzz::split(input.substr(16), '\0');
  r.comm = std::string(strings[0]);
  if (flags & 128U) {
    r.sender_pid = 2 + byte(15);
    r.sender_uid = byte(15);
    if (strings.size() > 1) {
      process_info sender;
      sender.pid = *r.sender_pid;
      sender.comm = std::string(strings[1]);
      sender.state = byte(15) % 3 == 0 ? 'Z' : 'S';
      for (std::size_t i = 2; i < strings.size(); ++i) sender.cmdline.emplace_back(strings[i]);
      r.sender = sender;
      r.sender_parent = process_info{1, std::string(strings[1]), 'S', 0, {}};
    }
  }

  const std::string text = format_text(r);
  SIGKIT_FUZZ_CHECK(clean_line(text), input, sigkit_fuzz::escaped(text));
  const std::string line = format_json(r);
  SIGKIT_FUZZ_CHECK(line.find('\n') == std::string::npos, input, line);
  const json j = json::parse(line);  // throws (a crash) if it does not parse
  SIGKIT_FUZZ_CHECK(j.at("event") == "signal" && j.at("pid") == r.pid && j.at("tid") == r.tid &&
                        j.at("number") == r.signo &&
                        j.at("signal") == sigkit::cli::signal_name(r.signo) &&
                        j.at("code") == describe_code(r.signo, *r.code) &&
                        j.at("outcome") == to_string(r.result) &&
                        j.at("origin") == to_string(r.from) && j.at("core") == r.core,
                    input, line);
  SIGKIT_FUZZ_CHECK(r.value ? j.at("value") == *r.value : j.at("value").is_null(), input, line);
  if (r.address) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(*r.address));
    SIGKIT_FUZZ_CHECK(j.at("address") == std::string(hex), input, line);
  }
  if (r.sender_pid) {
    SIGKIT_FUZZ_CHECK(
        j.at("sender").at("pid") == *r.sender_pid && j.at("sender").at("uid") == *r.sender_uid,
        input, line);
    const std::size_t args = r.sender ? r.sender->cmdline.size() : 0;
    SIGKIT_FUZZ_CHECK(args == 0 ? j.at("sender").at("cmdline").is_null()
                                : j.at("sender").at("cmdline").size() == args,
                      input, line);
  } else {
    SIGKIT_FUZZ_CHECK(j.at("sender").is_null(), input, line);
  }

  exit_record e{r.time_ns, r.pid, r.comm, std::nullopt, 0, r.core};
  if (flags & 1U) {
    e.signo = r.signo;
  } else {
    e.exit_code = byte(10);
  }
  const std::string exit_text = format_text(e);
  SIGKIT_FUZZ_CHECK(clean_line(exit_text), input, sigkit_fuzz::escaped(exit_text));
  const json x = json::parse(format_json(e));
  SIGKIT_FUZZ_CHECK(x.at("event") == "exit" && x.at("pid") == e.pid &&
                        (e.signo != 0 ? x.at("signal") == sigkit::cli::signal_name(e.signo)
                                      : x.at("exit_code") == *e.exit_code),
                    input, format_json(e));
  return 0;
}
