// The normalized forms apply records in the database (compiler/recorded_forms.hpp):
// a runner with no cache plans an unchanged schema without a scratch database,
// and a stale, edited or drifted record only costs time.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

namespace {

struct FreshRunner {
  const std::string& url;
  std::string schema;
  int runs = 0;
  // A plan as a CI runner makes it: a cache directory nobody wrote yet.
  PlanOutcome plan(bool use_record = true) {
    const auto cache = temp_path(fmt::format("recorded_forms_cache_{}", ++runs));
    fs::remove_all(cache);
    PlanRequest request;
    request.schema_path = schema;
    request.database_url = url;
    request.cache_dir = cache;
    request.use_recorded_forms = use_record;
    Diagnostics diags;
    auto outcome = plan_against_database(request, diags);
    INFO(diags.render());
    REQUIRE(outcome.has_value());
    fs::remove_all(cache);
    return std::move(*outcome);
  }
};

}  // namespace

TEST_CASE("apply records the normalized forms: a fresh runner's no-op plan needs no scratch database") {
  TestDatabase tdb;
  const auto schema = temp_path("recorded_forms_schema");
  fs::remove_all(schema);
  fs::copy(source_path("examples/saas/schema"), schema, fs::copy_options::recursive);
  auto applied = run_schemac("apply --auto-approve --quiet --no-cache --schema " + schema, tdb.url());
  REQUIRE_MESSAGE(applied.code == 0, applied.out);
  Db db = tdb.connect();
  // 8 tables (6 declared, the audit trail, soft_delete's queue) and the runtime's functions.
  CHECK(std::stoi(*db.scalar("SELECT count(*) FROM schemac.normalized_forms WHERE declaration_key LIKE 't%'")) == 8);
  CHECK(std::stoi(*db.scalar("SELECT count(*) FROM schemac.normalized_forms WHERE declaration_key LIKE 'f%'")) > 0);

  FreshRunner runner{tdb.url(), schema};
  auto warm = runner.plan();
  CHECK(warm.plan.empty());
  CHECK_FALSE(warm.normalize_stats.scratch_database_used);
  CHECK(warm.normalize_stats.tables_in_sync == 8);
  CHECK(warm.normalize_stats.recorded_forms_used == 8);
  // The control: without the record the same runner materializes everything.
  auto unrecorded = runner.plan(false);
  CHECK(unrecorded.plan.empty());
  CHECK(unrecorded.normalize_stats.scratch_database_used);
  CHECK(unrecorded.normalize_stats.tables_materialized == 8);
  // The record is bookkeeping, never a user table: no plan step drops it.
  CHECK(warm.plan.unmanaged_tables.empty());

  SUBCASE("a table changed by hand no longer matches its record: the plan repairs it") {
    db.exec("DROP INDEX idx_api_keys_hash");
    auto drifted = runner.plan();
    CHECK(drifted.normalize_stats.scratch_database_used);
    CHECK(drifted.normalize_stats.tables_in_sync == 7);
    REQUIRE(drifted.plan.steps.size() == 1);
    CHECK(drifted.plan.steps[0].summary == "create index idx_api_keys_hash");
  }
  SUBCASE("a changed declaration misses its record: the plan has the change") {
    std::ofstream(fs::path(schema) / "outbox.toml", std::ios::app)
        << "\n[tables.outbox.indexes.idx_outbox_recipient]\ncolumns = [\"recipient\"]\n";
    auto changed = runner.plan();
    CHECK(changed.normalize_stats.tables_in_sync == 7);
    REQUIRE(changed.plan.steps.size() == 1);
    CHECK(changed.plan.steps[0].summary == "create index idx_outbox_recipient");
    // Applied from a saved plan (the deploy job's way), the record follows the new declaration.
    const auto saved = temp_path("recorded_forms.plan.json");
    REQUIRE(run_schemac("plan --no-cache --schema " + schema + " --out " + saved, tdb.url()).code == 0);
    auto deployed = run_schemac("apply --auto-approve --quiet " + saved, tdb.url());
    REQUIRE_MESSAGE(deployed.code == 0, deployed.out);
    auto after = runner.plan();
    CHECK(after.plan.empty());
    CHECK_FALSE(after.normalize_stats.scratch_database_used);
  }
  SUBCASE("an edited record costs a scratch database, never a wrong plan") {
    db.exec("UPDATE schemac.normalized_forms SET digest = 'edited'");
    auto edited = runner.plan();
    CHECK(edited.plan.empty());
    CHECK(edited.normalize_stats.scratch_database_used);
    CHECK(edited.normalize_stats.recorded_forms_used == 0);
    // A no-op apply writes the record again.
    REQUIRE(run_schemac("apply --auto-approve --quiet --no-cache --schema " + schema, tdb.url()).code == 0);
    CHECK_FALSE(runner.plan().normalize_stats.scratch_database_used);
  }
  SUBCASE("the API roles can neither read nor write the record") {
    const auto claims =
        R"({"sub": "00000000-0000-0000-0000-000000000001", "org_id": "00000000-0000-0000-0000-00000000000a"})";
    for (const char* role : {"anon", "authenticated"}) {
      INFO(role);
      for (const char* sql :
           {"SELECT * FROM schemac.normalized_forms", "UPDATE schemac.normalized_forms SET digest = 'x'"})
        try {
          as_role(db, role, claims, sql);
          FAIL("allowed: " << sql);
        } catch (const pqxx::sql_error& e) {
          CHECK(e.sqlstate() == "42501");
        }
    }
  }
  fs::remove_all(schema);
}
