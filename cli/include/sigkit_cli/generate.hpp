// sigkit_cli/generate.hpp - the man page and the shell completions, written from the very
// CLI11 definitions that `--help` prints, so that they cannot drift from the tool.
//
// run_app() has a hidden subcommand, `sigkit __generate KIND [FILE]`, that hands its own app
// to generate_docs(); the build runs it to make the files `cmake --install` installs.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sigkit::cli {

/// The kinds generate_docs() writes: "man" (sigkit(1), roff), "bash", "zsh", "fish".
/// Thread safety: safe. Signal safety: not async-signal-safe.
std::vector<std::string> doc_kinds();

/// Writes the man page or completion script of `kind` for `app` (the tool's top-level app)
/// to `out`. Subcommands in the empty group (hidden) are left out.
/// Thread safety: safe. Signal safety: not async-signal-safe.
/// Errors: cli_error for an unknown kind.
void generate_docs(const CLI::App& app, const std::string& kind, std::ostream& out);

}  // namespace sigkit::cli
