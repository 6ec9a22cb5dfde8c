// apply --format json: a deploy system reads one event per line on stdout,
// each step started and finished, retries and the failure named.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/process.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
using nlohmann::json;

namespace {

// stdout only: the human progress on stderr is not part of the stream.
std::vector<json> events_of(const std::string& args, const std::string& url, int& code) {
  std::string out;
  code = run_command(fmt::format("{} {} --database-url {} 2>/dev/null", SCHEMAC_BIN, args, shell_quote(url)), out);
  std::vector<json> events;
  std::stringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) events.push_back(json::parse(line));  // throws on anything but JSON lines
  return events;
}

}  // namespace

TEST_CASE("apply --format json: the plan, every step started and finished, then applied: nothing to apply next") {
  TestDatabase tdb;
  int code = -1;
  auto events = events_of(
      "apply --format json --auto-approve --no-cache --schema " + source_path("examples/saas/schema"), tdb.url(), code);
  REQUIRE(code == 0);
  REQUIRE(events.size() > 3);
  CHECK(events.front().at("event") == "plan");
  CHECK(events.front().at("schemac_version") == SCHEMAC_VERSION);
  const std::size_t steps = events.front().at("steps");
  std::map<std::size_t, int> started, finished;
  for (const auto& e : events) {
    CHECK(e.at("at").get<std::string>().size() == 24);  // 2026-12-03T17:00:00.000Z
    if (e.at("event") == "started") {
      ++started[e.at("step")];
      CHECK(e.at("of") == steps);
      CHECK_FALSE(e.at("lock").get<std::string>().empty());
    }
    if (e.at("event") == "finished") {
      CHECK(started.count(e.at("step")));  // after its start
      ++finished[e.at("step")];
      CHECK(e.at("seconds").get<double>() >= 0);
    }
  }
  CHECK(started.size() == steps);
  CHECK(finished.size() == steps);
  CHECK(events.back().at("event") == "applied");
  CHECK(events.back().at("statements") == steps);

  auto again = events_of(
      "apply --format json --auto-approve --no-cache --schema " + source_path("examples/saas/schema"), tdb.url(), code);
  CHECK(code == 0);
  REQUIRE(again.size() == 2);
  CHECK(again[0].at("event") == "plan");
  CHECK(again[1].at("event") == "nothing_to_apply");
}

TEST_CASE("apply --format json: a lock held elsewhere shows as retried events, then failed with its SQLSTATE") {
  TestDatabase tdb;
  PendingChangeBehindLock pending(tdb);
  auto& blocker = pending.blocker;
  int code = -1;
  auto events = events_of("apply --format json --auto-approve --no-cache --lock-timeout 100ms --retries 2 --schema " +
                              source_path("examples/saas/schema"),
                          tdb.url(), code);
  blocker.exec("ROLLBACK");
  CHECK(code == 1);
  std::vector<json> retried, failed;
  for (const auto& e : events) {
    if (e.at("event") == "retried") retried.push_back(e);
    if (e.at("event") == "failed") failed.push_back(e);
  }
  REQUIRE(retried.size() == 2);
  CHECK(retried[0].at("reason") == "lock_timeout");
  CHECK(retried[0].at("attempt") == 1);
  CHECK(retried[1].at("attempt") == 2);
  CHECK(retried[1].at("of") == 2);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].at("sqlstate") == "55P03");
  CHECK(failed[0].at("message").get<std::string>().find("LOCK TABLE api_keys IN ACCESS SHARE MODE") !=
        std::string::npos);
  CHECK(events.back().at("event") == "failed");
}
