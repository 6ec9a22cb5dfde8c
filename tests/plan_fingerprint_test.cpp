// A plan's fingerprint (what apply records and a saved plan is checked by) is
// computed a step at a time; it must stay the hash of the whole plan's JSON,
// or plans saved by an earlier schemac would no longer match their history.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "compiler/deploy/plan_file.hpp"
#include "compiler/hash.hpp"

using namespace schemac;

TEST_CASE("the fingerprint fed a step at a time is the hash of the whole plan's JSON and its starting point") {
  Plan plan;
  plan.search_path = {"public", "we\"ird"};
  plan.unmanaged_tables = {"public.\"steps\":[]"};  // the text the frame is split at, as a value
  plan.lock_timeout = "2s";
  for (int i = 0; i < 3; ++i) {
    Step s;
    s.table = "public.t" + std::to_string(i);
    s.summary = "create index \"x\"\n— ünïcode";
    s.sql = "CREATE INDEX CONCURRENTLY \"x\" ON \"public\".\"t\" (a)";
    s.hazards = {"index-build"};
    s.origin = {{"schema/t.toml", 3, 1}, "audited"};
    plan.steps.push_back(s);
  }
  const ObjectHashes before = {{"table public.t0", "0123"}, {"index public.x", "4567"}};
  SavedPlan saved;
  saved.plan = plan;
  saved.before = before;
  const auto written = nlohmann::json::parse(write_saved_plan(saved, ""));
  // The file holds the plan's JSON as one tree: the definition of the fingerprint.
  CHECK(written.at("fingerprint") == hash_text(written.at("plan").dump() + written.at("objects_before").dump()));
  CHECK(plan_fingerprint(plan, before) == written.at("fingerprint"));
  // And it changes with any step.
  plan.steps[1].sql += " WHERE a > 0";
  CHECK(plan_fingerprint(plan, before) != written.at("fingerprint"));
  // A plan with no steps has "steps":[] where the frame is split.
  plan.steps.clear();
  saved.plan = plan;
  const auto empty = nlohmann::json::parse(write_saved_plan(saved, ""));
  CHECK(plan_fingerprint(plan, before) == hash_text(empty.at("plan").dump() + empty.at("objects_before").dump()));
}
