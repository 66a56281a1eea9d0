// tests/faulthandler/fixture_runner.hpp - runs the crash fixtures and the sigkit tool as
// child processes (fork + exec, bounded by a deadline), for the faulthandler tests.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sigkit_fh_test {

struct run_options {
  std::vector<std::pair<std::string, std::string>> env;  ///< set in the child
  std::vector<std::string> unset_env;                    ///< removed in the child
  std::string cwd;                                       ///< "" : the test's
  bool discard_stdout = false;                           ///< stdout to /dev/null
  std::vector<std::pair<int, int>> fds;  ///< (child fd, parent fd) given to the child
  std::string stdin_text;                ///< written to the child's stdin
  double timeout_seconds = 20;           ///< then SIGKILL
};

struct run_result {
  int status = -1;  ///< raw wait status
  std::string out;
  std::string err;
  double seconds = 0;  ///< from fork to the child's end
  bool timed_out = false;
};

/// Runs argv[0] (a path) with arguments; collects stdout and stderr.
run_result run_program(const std::vector<std::string>& argv, const run_options& options = {});

/// "killed by SIGSEGV (core dumped)", "exited 3", "timed out".
std::string describe(const run_result& r);

/// How many times a repeated acceptance test runs: `normal` in ctest, `stress` when the
/// environment has SIGKIT_FH_STRESS (the faulthandler_stress target).
int repetitions(int normal, int stress);

std::size_t count(std::string_view text, std::string_view needle);
std::vector<std::string> lines_of(std::string_view text);
std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view text);

/// A fresh directory under /tmp, removed with its contents on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sigkit_fh_test
