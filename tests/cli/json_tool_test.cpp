// tests/cli/json_tool_test.cpp - `--json` across the commands: every output parses, and the
// same things have the same names (a signal in a catalogue: "number" + "name"; a delivery or
// a send: "signal" + "number").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"

#ifndef SIGKIT_TOOL_PATH
#error "SIGKIT_TOOL_PATH must name the built sigkit binary"
#endif

namespace {

using sigkit_cli_test::child_process;
using sigkit_cli_test::milliseconds;
using ::testing::HasSubstr;
using json = nlohmann::ordered_json;

const std::string kTool = SIGKIT_TOOL_PATH;

child_process start_tool(std::vector<std::string> args) {
  args.insert(args.begin(), kTool);
  return sigkit_cli_test::spawn_exec(args);
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(json::parse(line));  // throws (fails the test) if it does not parse
  }
  return lines;
}

void expect_keys(const json& object, const std::vector<std::string>& keys) {
  ASSERT_TRUE(object.is_object()) << object.dump();
  std::vector<std::string> got;
  for (const auto& [key, value] : object.items()) {
    got.push_back(key);
  }
  EXPECT_EQ(got, keys) << object.dump();
}

TEST(JsonToolTest, SendReportsEveryPid) {
  child_process sleeper = sigkit_cli_test::spawn_exec({"/bin/sleep", "30"});
  auto p = start_tool({"send", "--json", "USR1", std::to_string(sleeper.pid), "2147483647"});
  EXPECT_EQ(p.finish(), 1 << 8);
  EXPECT_EQ(p.err, "sigkit: cannot send SIGUSR1 to process 2147483647: no such process\n");
  const auto doc = json::parse(p.out);
  ASSERT_EQ(doc.size(), 2U);
  expect_keys(doc[0], {"pid", "signal", "number", "value", "method", "ok", "error"});
  EXPECT_EQ(doc[0].at("pid"), sleeper.pid);
  EXPECT_EQ(doc[0].at("signal"), "SIGUSR1");
  EXPECT_EQ(doc[0].at("number"), SIGUSR1);
  EXPECT_TRUE(doc[0].at("value").is_null());
  EXPECT_EQ(doc[0].at("method"), "pidfd");
  EXPECT_EQ(doc[0].at("ok"), true);
  EXPECT_TRUE(doc[0].at("error").is_null());
  EXPECT_EQ(doc[1].at("ok"), false);
  EXPECT_EQ(doc[1].at("error"), "no such process");
  const int status = sleeper.finish();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
}

TEST(JsonToolTest, SendCheckAndQueue) {
  auto check = start_tool({"send", "--json", "0", std::to_string(::getpid())});
  EXPECT_EQ(check.finish(), 0);
  const auto c = json::parse(check.out);
  EXPECT_TRUE(c.at(0).at("signal").is_null());
  EXPECT_EQ(c.at(0).at("number"), 0);
  EXPECT_EQ(c.at(0).at("method"), "check");

  child_process waiter = start_tool({"wait", "RTMIN+2", "--json", "--timeout", "10s"});
  ASSERT_TRUE(waiter.wait_for_text("ready pid=", milliseconds(10000))) << waiter.err;
  auto queue =
      start_tool({"send", "--json", "RTMIN+2", std::to_string(waiter.pid), "--value", "-3"});
  const pid_t sender = queue.pid;
  EXPECT_EQ(queue.finish(), 0) << queue.err;
  const auto q = json::parse(queue.out);
  EXPECT_EQ(q.at(0).at("method"), "sigqueue");
  EXPECT_EQ(q.at(0).at("value"), -3);
  EXPECT_EQ(q.at(0).at("signal"), "SIGRTMIN+2");
  EXPECT_EQ(waiter.finish(), 0);
  const auto got = json_lines(waiter.out);
  ASSERT_EQ(got.size(), 1U);
  expect_keys(got[0], {"signal", "number", "pid", "uid", "code", "value"});
  EXPECT_EQ(got[0].at("signal"), q.at(0).at("signal"));
  EXPECT_EQ(got[0].at("number"), q.at(0).at("number"));
  EXPECT_EQ(got[0].at("pid"), sender);
  EXPECT_EQ(got[0].at("value"), -3);
}

TEST(JsonToolTest, CatalogueShapes) {
  auto list = start_tool({"list", "--json", "TERM"});
  EXPECT_EQ(list.finish(), 0);
  const auto l = json::parse(list.out);
  expect_keys(l.at(0), {"number", "name", "action", "description"});
  auto decode = start_tool({"decode", "--json", "0x4000"});
  EXPECT_EQ(decode.finish(), 0);
  const auto d = json::parse(decode.out);
  expect_keys(d.at(0), {"number", "name"});
  EXPECT_EQ(d.at(0).at("name"), l.at(0).at("name"));
  EXPECT_EQ(d.at(0).at("number"), l.at(0).at("number"));
  auto status = start_tool({"status", "--json", "--sample", "0", std::to_string(::getpid())});
  EXPECT_EQ(status.finish(), 0);
  const auto s = json::parse(status.out);
  EXPECT_EQ(s.at(0).at("pid"), ::getpid());
  EXPECT_TRUE(s.at(0).at("blocked").is_array());
}

TEST(JsonToolTest, TraceRecordsShareTheDeliveryNames) {
  auto trace = start_tool({"trace", "--json", "--", "sh", "-c", "kill -USR1 $$"});
  const int status = trace.finish();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
  const auto records = json_lines(trace.out);
  ASSERT_EQ(records.size(), 2U) << trace.out;
  expect_keys(records[0], {"event", "time", "pid", "tid", "comm", "signal", "number", "code",
                           "origin", "sender", "hint", "value", "address", "status", "fd",
                           "outcome", "core", "handled", "detail"});
  EXPECT_EQ(records[0].at("signal"), "SIGUSR1");
  EXPECT_EQ(records[0].at("number"), SIGUSR1);
  expect_keys(records[1], {"event", "time", "pid", "comm", "exit_code", "signal", "core"});
  EXPECT_THAT(records[1].at("time").get<std::string>(), HasSubstr("T"));
}

}  // namespace
