// tests/cli/docs_tool_test.cpp - sigkit(1) and the bash, zsh and fish completions that the
// build generates from the tool's CLI11 definitions: the page renders without a groff warning,
// each script loads in its shell and completes commands, options, signal names and pids, and
// all of them name every command and option that --help names (so that they cannot drift).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"

#if !defined(SIGKIT_TOOL_PATH) || !defined(SIGKIT_DOCS_DIR) || !defined(SIGKIT_SOURCE_DIR) || \
    !defined(SIGKIT_BINARY_DIR)
#error "SIGKIT_TOOL_PATH, SIGKIT_DOCS_DIR, SIGKIT_SOURCE_DIR and SIGKIT_BINARY_DIR are needed"
#endif

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTool = SIGKIT_TOOL_PATH;
const std::string kDocs = SIGKIT_DOCS_DIR;
const std::string kSource = SIGKIT_SOURCE_DIR;

struct result {
  int status = -1;
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

result run(const std::vector<std::string>& argv) {
  sigkit_cli_test::child_process p = sigkit_cli_test::spawn_exec(argv);
  result r;
  r.status = p.finish(sigkit_cli_test::milliseconds(30000));
  r.out = p.out;
  r.err = p.err;
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// The commands `sigkit --help` lists.
std::vector<std::string> help_commands() {
  const auto help = run({kTool, "--help"});
  std::vector<std::string> commands;
  bool in_list = false;
  for (const auto& line : lines(help.out)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_list = true;
      continue;
    }
    if (in_list && line.rfind("  ", 0) == 0) {
      std::istringstream words(line);
      std::string name;
      words >> name;
      commands.push_back(name);
    } else if (in_list && !line.empty()) {
      break;
    }
  }
  return commands;
}

// The long options `sigkit COMMAND --help` lists ("--json", "--signal", ...).
std::set<std::string> help_options(const std::string& command) {
  const auto help = run({kTool, command, "--help"});
  std::set<std::string> options;
  const std::regex option(R"((^|[ ,])(--[a-z][a-z-]*))");
  bool in_options = false;
  for (const auto& line : lines(help.out)) {
    if (line.rfind("Options:", 0) == 0) {
      in_options = true;
      continue;
    }
    if (in_options && line.rfind("  -", 0) == 0) {
      const std::string names = line.substr(0, line.find("  ", 2));
      for (std::sregex_iterator it(names.begin(), names.end(), option), end; it != end; ++it) {
        options.insert((*it)[2]);
      }
    } else if (in_options && !line.empty() && line.rfind("  ", 0) != 0) {
      break;
    }
  }
  return options;
}

std::string bash_complete(const std::string& words, bool with_bash_completion = true) {
  const std::string script =
      std::string(with_bash_completion ? "source /usr/share/bash-completion/bash_completion\n"
                                       : "") +
      "source '" + kDocs + "/sigkit.bash'\n" + "COMP_WORDS=(" + words +
      ")\n"
      "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
      "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
      "_sigkit sigkit \"${COMP_WORDS[-1]}\" \"${COMP_WORDS[-2]}\"\n"
      "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
  const auto r = run({"/bin/bash", "--norc", "-c", script});
  EXPECT_TRUE(r.ok()) << r.err;
  return r.out;
}

std::string zsh_complete(const std::string& line) {
  const auto r = run({"/usr/bin/zsh", "-f", kSource + "/tests/cli/zsh_complete.zsh", kDocs, line});
  EXPECT_TRUE(r.ok()) << r.status << r.err;
  return r.out;
}

std::string fish_complete(const std::string& line) {
  const auto r = run({"/usr/bin/fish", "--no-config", "-c",
                      "source '" + kDocs + "/sigkit.fish'; complete -C'" + line + "'"});
  EXPECT_TRUE(r.ok()) << r.err;
  std::string names;
  for (const auto& l : lines(r.out)) {
    names += l.substr(0, l.find('\t')) + "\n";
  }
  return names;
}

bool has_line(const std::string& text, const std::string& line) {
  const auto all = lines(text);
  return std::find(all.begin(), all.end(), line) != all.end();
}

// ---- the man page ---------------------------------------------------------------------------

TEST(DocsToolTest, ManPageRendersWithoutWarnings) {
  for (const char* warnings : {"--warnings", "--warnings=w"}) {
    const auto r = run({"/usr/bin/env", "MANWIDTH=80", "man", warnings, "-l", kDocs + "/sigkit.1"});
    ASSERT_TRUE(r.ok()) << "man-db and groff are needed (scripts/bootstrap.sh): " << r.err;
    EXPECT_EQ(r.err, "") << warnings;
    EXPECT_THAT(r.out, HasSubstr("EXIT STATUS"));
    for (const auto& l : lines(r.out)) {
      EXPECT_LE(l.size(), 80U * 3) << l;  // UTF-8 hyphens take 3 bytes; no runaway line
    }
  }
}

TEST(DocsToolTest, ManPageHasASectionPerCommandAndEveryOption) {
  std::string page = read_file(kDocs + "/sigkit.1");
  page = std::regex_replace(page, std::regex(R"(\\-)"), "-");
  const auto commands = help_commands();
  ASSERT_GE(commands.size(), 7U);
  for (const auto& c : commands) {
    EXPECT_THAT(page, HasSubstr("\n.SS " + c + "\n")) << c;
    for (const auto& o : help_options(c)) {
      if (o != "--help") {
        EXPECT_THAT(page, HasSubstr("\\fB" + o + "\\fR")) << c << " " << o;
      }
    }
  }
  EXPECT_THAT(page, Not(HasSubstr(".SS __generate")));  // hidden
  EXPECT_THAT(page, Not(HasSubstr("\\fBsigkit __generate")));
}

TEST(DocsToolTest, ManPageListsEveryExitStatus) {
  // Every `inline constexpr int exit_... = N;` of commands.hpp has its entry.
  const std::string header = read_file(kSource + "/cli/include/sigkit_cli/commands.hpp");
  const std::regex constant(R"(inline constexpr int (exit_\w+) = (\d+);)");
  const std::string page = read_file(kDocs + "/sigkit.1");
  int found = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), constant), end; it != end; ++it) {
    EXPECT_THAT(page, HasSubstr("\n.B " + (*it)[2].str() + "\n")) << (*it)[1];
    ++found;
  }
  EXPECT_GE(found, 7);
}

TEST(DocsToolTest, GeneratedFilesMatchTheTool) {
  // What the build installed is what the tool writes now.
  for (const auto& [kind, file] :
       std::vector<std::pair<std::string, std::string>>{{"man", "sigkit.1"},
                                                        {"bash", "sigkit.bash"},
                                                        {"zsh", "_sigkit"},
                                                        {"fish", "sigkit.fish"}}) {
    const auto r = run({kTool, "__generate", kind});
    ASSERT_TRUE(r.ok()) << r.err;
    std::string path = kDocs;
    path += '/';
    path += file;
    EXPECT_EQ(r.out, read_file(path)) << kind;
  }
  const auto bad = run({kTool, "__generate", "troff"});
  EXPECT_EQ(WEXITSTATUS(bad.status), 2);
}

// ---- bash -----------------------------------------------------------------------------------

TEST(DocsToolTest, BashCompletionLoadsAndCompletes) {
  const auto r = run({"/bin/bash", "--norc", "-c",
                      "source /usr/share/bash-completion/bash_completion; source '" + kDocs +
                          "/sigkit.bash'; complete -p sigkit"});
  ASSERT_TRUE(r.ok()) << "bash-completion is needed (scripts/bootstrap.sh): " << r.err;
  EXPECT_EQ(r.out, "complete -F _sigkit sigkit\n");
  for (const bool with_package : {true, false}) {
    const std::string all = bash_complete("sigkit ''", with_package);
    for (const auto& c : help_commands()) {
      EXPECT_TRUE(has_line(all, c)) << c << "\n" << all;
    }
    EXPECT_EQ(bash_complete("sigkit se", with_package), "send\n");
    EXPECT_EQ(bash_complete("sigkit send TE", with_package), "TERM\n");
    EXPECT_EQ(bash_complete("sigkit send sigte", with_package), "SIGTERM\n");
    EXPECT_EQ(bash_complete("sigkit trace --signal US", with_package), "USR1\nUSR2\n");
    EXPECT_EQ(bash_complete("sigkit trace --signal '!CHLD,WI'", with_package), "!CHLD,WINCH\n");
    EXPECT_TRUE(has_line(bash_complete("sigkit list RTMIN+", with_package), "RTMIN+1"));
    EXPECT_TRUE(
        has_line(bash_complete("sigkit send TERM ''", with_package), std::to_string(::getpid())));
    EXPECT_TRUE(has_line(bash_complete("sigkit trace -- slee", with_package), "sleep"));
    EXPECT_TRUE(has_line(bash_complete("sigkit run --timeout 1s slee", with_package), "sleep"));
    EXPECT_TRUE(has_line(bash_complete("sigkit run -s TERM -k 1 slee", with_package), "sleep"));
    // timeout has GNU timeout's grammar: its synopsis says DURATION comes before COMMAND.
    EXPECT_EQ(bash_complete("sigkit timeout -s TE", with_package), "TERM\n");
    EXPECT_TRUE(has_line(bash_complete("sigkit timeout -k 1 5 slee", with_package), "sleep"));
    EXPECT_FALSE(has_line(bash_complete("sigkit timeout slee", with_package), "sleep"));
  }
}

TEST(DocsToolTest, BashCompletesEveryOption) {
  for (const auto& c : help_commands()) {
    const std::string offered = bash_complete("sigkit " + c + " --");
    for (const auto& o : help_options(c)) {
      EXPECT_TRUE(has_line(offered, o)) << c << " " << o << "\n" << offered;
    }
  }
}

// ---- zsh ------------------------------------------------------------------------------------

TEST(DocsToolTest, ZshCompletionLoadsAndCompletes) {
  const auto r = run({"/usr/bin/zsh", "-f", "-c",
                      "fpath=('" + kDocs +
                          "' $fpath); autoload -Uz compinit; compinit -u -D; "
                          "print -r -- ${_comps[sigkit]}"});
  ASSERT_TRUE(r.ok()) << "zsh is needed (scripts/bootstrap.sh): " << r.err;
  EXPECT_EQ(r.out, "_sigkit\n");
  const std::string all = zsh_complete("sigkit ");
  for (const auto& c : help_commands()) {
    EXPECT_TRUE(has_line(all, c)) << c << "\n" << all;
  }
  EXPECT_EQ(zsh_complete("sigkit send TE"), "TERM\n");
  EXPECT_EQ(zsh_complete("sigkit trace --signal US"), "USR1\nUSR2\n");
  EXPECT_TRUE(has_line(zsh_complete("sigkit trace -- slee"), "sleep"));
  EXPECT_TRUE(has_line(zsh_complete("sigkit timeout 5 slee"), "sleep"));
  EXPECT_TRUE(has_line(zsh_complete("sigkit send TERM "), std::to_string(::getpid())));
}

TEST(DocsToolTest, ZshCompletesEveryOption) {
  for (const auto& c : help_commands()) {
    const std::string offered = zsh_complete("sigkit " + c + " --");
    for (const auto& o : help_options(c)) {
      EXPECT_TRUE(has_line(offered, o)) << c << " " << o << "\n" << offered;
    }
  }
}

// ---- fish -----------------------------------------------------------------------------------

TEST(DocsToolTest, FishCompletionLoadsAndCompletes) {
  const auto r = run({"/usr/bin/fish", "--no-config", "-c",
                      "source '" + kDocs + "/sigkit.fish'; and complete -c sigkit | count"});
  ASSERT_TRUE(r.ok()) << "fish is needed (scripts/bootstrap.sh): " << r.err;
  EXPECT_GT(std::stoi(r.out), 10);
  const std::string all = fish_complete("sigkit ");
  for (const auto& c : help_commands()) {
    EXPECT_TRUE(has_line(all, c)) << c << "\n" << all;
  }
  EXPECT_EQ(fish_complete("sigkit send TE"), "TERM\n");
  EXPECT_EQ(fish_complete("sigkit trace --signal US"), "USR1\nUSR2\n");
  EXPECT_TRUE(has_line(fish_complete("sigkit trace -- slee"), "sleep"));
  EXPECT_TRUE(has_line(fish_complete("sigkit timeout -k 1 5 slee"), "sleep"));
  EXPECT_TRUE(has_line(fish_complete("sigkit send TERM "), std::to_string(::getpid())));
  EXPECT_FALSE(has_line(fish_complete("sigkit decode "), std::to_string(::getpid())));
}

TEST(DocsToolTest, FishCompletesEveryOption) {
  for (const auto& c : help_commands()) {
    const std::string offered = fish_complete("sigkit " + c + " --");
    for (const auto& o : help_options(c)) {
      EXPECT_TRUE(has_line(offered, o)) << c << " " << o << "\n" << offered;
    }
  }
}

// ---- installed where the shells and man look ---------------------------------------------

TEST(DocsToolTest, CmakeInstallPutsThemInTheUsualPlaces) {
  char dir[] = "/tmp/sigkit-install-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string prefix = dir;
  const auto r = run({"/usr/bin/env", "cmake", "--install", SIGKIT_BINARY_DIR, "--prefix", prefix});
  ASSERT_TRUE(r.ok()) << r.err;
  for (const char* file :
       {"bin/sigkit", "share/man/man1/sigkit.1", "share/bash-completion/completions/sigkit",
        "share/zsh/site-functions/_sigkit", "share/fish/vendor_completions.d/sigkit.fish"}) {
    EXPECT_EQ(::access((prefix + "/" + file).c_str(), R_OK), 0) << file;
  }
  const auto page =
      run({"/usr/bin/env", "MANPATH=" + prefix + "/share/man", "man", "-w", "sigkit"});
  EXPECT_EQ(page.out, prefix + "/share/man/man1/sigkit.1\n") << page.err;
  static_cast<void>(run({"/bin/rm", "-rf", prefix}));
}

}  // namespace
