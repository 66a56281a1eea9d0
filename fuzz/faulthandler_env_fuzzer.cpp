// fuzz/faulthandler_env_fuzzer.cpp - sigkit::faulthandler::options_from_environment_value:
// the value of SIGKIT_FAULTHANDLER (comma-separated words, spaces around them ignored).
//
// Invariants:
// - it never throws, and sets only the format and all_threads (fd, path, hang_timeout and the
//   signals stay enable()'s defaults);
// - the last format word and the last thread word win: appending ",json", ",text",
//   ",all-threads" or ",current-thread" sets that and keeps the other setting;
// - words that are not settings change nothing: "on," in front, ",yes" or an unknown word
//   after;
// - the result round-trips: its settings written as words parse to the same options.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sigkit/faulthandler.hpp"

namespace {

namespace fh = sigkit::faulthandler;

std::string describe(const fh::options& o) {
  return std::string(o.format == fh::report_format::json ? "json" : "text") +
         (o.all_threads ? ",all-threads" : ",current-thread");
}

bool same(const fh::options& a, const fh::options& b) {
  return a.format == b.format && a.all_threads == b.all_threads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = sigkit_fuzz::as_text(data, size);
  const fh::options o = fh::options_from_environment_value(value);
  const fh::options defaults;
  SIGKIT_FUZZ_CHECK(o.fd == defaults.fd && o.path == defaults.path &&
                        o.hang_timeout == defaults.hang_timeout && o.signals == defaults.signals,
                    value, describe(o));
  const std::string text(value);
  for (const std::string& other :
       {"on," + text, text + ",yes", text + ",", text + ",no-such-word", describe(o)}) {
    const fh::options p = fh::options_from_environment_value(other);
    SIGKIT_FUZZ_CHECK(
        same(p, o), value,
        describe(o) + ", \"" + sigkit_fuzz::escaped(other) + "\" gives " + describe(p));
  }
  const fh::options json = fh::options_from_environment_value(text + ",json");
  const fh::options plain = fh::options_from_environment_value(text + ", text ");
  const fh::options all = fh::options_from_environment_value(text + ",all-threads");
  const fh::options one = fh::options_from_environment_value(text + ",\tcurrent-thread");
  SIGKIT_FUZZ_CHECK(json.format == fh::report_format::json && json.all_threads == o.all_threads &&
                        plain.format == fh::report_format::text &&
                        plain.all_threads == o.all_threads && all.all_threads &&
                        all.format == o.format && !one.all_threads && one.format == o.format,
                    value, describe(o));
  return 0;
}
