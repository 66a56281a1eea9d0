// fuzz/proc_stat_fuzzer.cpp - sigkit::cli::detail::parse_proc_stat: the state letter and the
// process group from /proc/PID/stat (`sigkit run --init` walks /proc with it).
//
// Invariants, for a text that parses:
// - the state is the character two after the last ')', and the process group is the value of
//   the fifth field ("PID (NAME) STATE PPID PGRP ..."), a pid_t that is not negative;
// - the name cannot change the result: whatever is put between "(" and the last ")" (a name
//   may hold spaces, parentheses and digits) gives the same state and group.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../cli/commands/run_detail.hpp"
#include "fuzz_support.hpp"

namespace {

struct parsed {
  bool ok = false;
  char state = 0;
  pid_t pgrp = 0;
  friend bool operator==(const parsed&, const parsed&) = default;
};

parsed parse(std::string_view text) {
  parsed p;
  p.ok = sigkit::cli::detail::parse_proc_stat(text, p.state, p.pgrp);
  return p;
}

std::string describe(const parsed& p) {
  return p.ok ? "state '" + sigkit_fuzz::escaped(std::string(1, p.state)) + "' group " +
                    std::to_string(p.pgrp)
              : std::string("rejected");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sigkit_fuzz::as_text(data, size);
  const parsed p = parse(text);
  if (!p.ok) {
    return 0;
  }
  const std::size_t paren = text.rfind(')');
  SIGKIT_FUZZ_CHECK(
      paren != std::string_view::npos && paren + 2 < text.size() && p.state == text[paren + 2],
      text, describe(p));
  // The fifth field: after the state, skip one field (the parent's pid).
  std::string_view rest = text.substr(paren + 2);
  for (int skip = 0; skip < 2; ++skip) {
    rest.remove_prefix(rest.find(' ') + 1);
  }
  long long field = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), field);
  SIGKIT_FUZZ_CHECK(ec == std::errc{} && field == p.pgrp && p.pgrp >= 0, text,
                    describe(p) + ", the field reads " + std::string(rest.substr(0, 24)));

  const std::string after(text.substr(paren));  // ")" and what follows
  for (const std::string& name : {std::string(), std::string(") 1 2 3 ("), std::string(text)}) {
    const std::string other = "4242 (" + name + after;
    const parsed q = parse(other);
    SIGKIT_FUZZ_CHECK(q == p, text,
                      describe(p) + ", with another name: " + describe(q) + " for \"" +
                          sigkit_fuzz::escaped(other.substr(0, 200)) + "\"");
  }
  return 0;
}
