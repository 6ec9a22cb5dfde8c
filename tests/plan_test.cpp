#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "compiler/deploy/apply.hpp"
#include "compiler/render.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

TEST_CASE("examples/saas: plan, apply, and a second plan is empty (target postgres)") {
  TestDatabase tdb;
  auto first = plan_for(source_path("examples/saas/schema"), tdb.url());
  CHECK(first.plan.steps.size() > 50);
  Db db = tdb.connect();
  std::stringstream log;
  apply_plan(db, first.plan, {"", -1, false, true}, log);
  auto second = plan_for(source_path("examples/saas/schema"), tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
}

TEST_CASE("the plan for the same input is byte-identical across runs") {
  TestDatabase tdb;
  auto a = plan_for(source_path("examples/saas/schema"), tdb.url());
  auto b = plan_for(source_path("examples/saas/schema"), tdb.url());
  CHECK(render_sql(a.plan) == render_sql(b.plan));
  CHECK(render_text(a.plan) == render_text(b.plan));
  CHECK(render_json(a.plan) == render_json(b.plan));
}

TEST_CASE("the sql plan runs as it is under psql -v ON_ERROR_STOP=1, and converges") {
  TestDatabase tdb;
  auto plan = plan_for(source_path("examples/saas/schema"), tdb.url());
  auto file = fs::temp_directory_path() / fmt::format("schemac_plan_{}.sql", tdb.name());
  {
    std::ofstream out(file);
    out << render_sql(plan.plan);
  }
  std::string output;
  int rc =
      run_command(fmt::format("psql -X -q -v ON_ERROR_STOP=1 -d {} -f {} 2>&1", tdb.name(), file.string()), output);
  fs::remove(file);
  INFO(output);
  CHECK(rc == 0);
  CHECK(plan_for(source_path("examples/saas/schema"), tdb.url()).plan.empty());
}

namespace {
// A database prepared the way Supabase's is: auth schema and functions, the API
// roles, and default privileges that grant every new public table to them.
void prepare_like_supabase(Db& db) {
  db.exec(read_file(source_path("tests/supabase_like.sql")));
  db.exec(
      "CREATE TABLE auth.users (id uuid PRIMARY KEY);"
      "GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role");
}

std::string supabase_copy_of_saas() {
  auto dir = fs::temp_directory_path() / fmt::format("schemac_supabase_{}", getpid());
  fs::remove_all(dir);
  fs::copy(source_path("examples/saas/schema"), dir, fs::copy_options::recursive);
  auto project = dir / "00_project.toml";
  auto text = read_file(project.string());
  auto at = text.find("target  = \"postgres\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("target  = \"postgres\"").size(), "target  = \"supabase\"");
  std::ofstream(project) << text;
  return dir.string();
}
}  // namespace

TEST_CASE("examples/saas with target supabase on a database prepared like Supabase's") {
  TestDatabase tdb;
  Db db = tdb.connect();
  prepare_like_supabase(db);
  auto schema = supabase_copy_of_saas();
  auto first = plan_for(schema, tdb.url());
  for (const auto& s : first.plan.steps) {
    // Supabase owns the auth schema and the roles: schemac never touches them.
    CHECK(s.sql.find("auth.jwt()\n RETURNS") == std::string::npos);
    CHECK(s.sql.find("CREATE ROLE") == std::string::npos);
  }
  std::stringstream log;
  apply_plan(db, first.plan, {"", -1, false, true}, log);
  auto second = plan_for(schema, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  // Supabase's default privileges granted the audit trail to every API role; schemac took them back.
  CHECK(db.query("SELECT 1 FROM information_schema.role_table_grants WHERE table_name = 'audit_trail' "
                 "AND grantee IN ('anon', 'service_role')")
            .empty());
  db.exec("INSERT INTO organizations (id, name, slug) VALUES ('00000000-0000-0000-0000-00000000000a', 'Acme', 'acme')");
  db.exec(
      "INSERT INTO api_keys (organization_id, name, key_hash) VALUES ('00000000-0000-0000-0000-00000000000a', 'k', "
      "'h')");
  Db api = tdb.connect();
  auto claims =
      R"({"sub":"11111111-1111-1111-1111-11111111111a","organization_id":"00000000-0000-0000-0000-00000000000a"})";
  CHECK(as_role(api, "authenticated", claims, "SELECT id FROM api_keys").size() == 1);
  as_role(api, "authenticated", claims, "DELETE FROM api_keys");
  CHECK(db.query("SELECT 1 FROM api_keys WHERE deleted_at IS NOT NULL").size() == 1);
  fs::remove_all(schema);
}

TEST_CASE(
    "an undeclared index, check, trigger and policy on a declared table are dropped; undeclared tables are left "
    "alone") {
  TestDatabase tdb;
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  Db db = tdb.connect();
  db.exec(
      "CREATE INDEX idx_api_keys_org ON api_keys (organization_id, revoked);"
      "ALTER TABLE api_keys ADD CONSTRAINT stale_check CHECK (true);"
      "CREATE POLICY \"Users can view their org's API keys\" ON api_keys FOR SELECT USING (true);"
      "CREATE TRIGGER stale_trigger BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION "
      "suppress_redundant_updates_trigger();"
      "CREATE TABLE legacy_notes (id int)");
  auto plan = plan_for(source_path("examples/saas/schema"), tdb.url()).plan;
  std::vector<std::string> summaries;
  for (const auto& s : plan.steps) summaries.push_back(s.summary);
  INFO(render_text(plan));
  CHECK(std::count(summaries.begin(), summaries.end(), "drop undeclared index idx_api_keys_org") == 1);
  CHECK(std::count(summaries.begin(), summaries.end(), "drop undeclared check stale_check") == 1);
  CHECK(std::count(summaries.begin(), summaries.end(), "drop undeclared policy Users can view their org's API keys") ==
        1);
  CHECK(std::count(summaries.begin(), summaries.end(), "drop undeclared trigger stale_trigger") == 1);
  CHECK(plan.unmanaged_tables == std::vector<std::string>{"public.legacy_notes"});
  std::stringstream log;
  apply_plan(db, plan, {"", -1, false, true}, log);
  CHECK(plan_for(source_path("examples/saas/schema"), tdb.url()).plan.empty());
  CHECK(db.query("SELECT 1 FROM pg_tables WHERE tablename = 'legacy_notes'").size() == 1);
}

TEST_CASE("missing indexes and checks on an existing table are built concurrently and added NOT VALID") {
  TestDatabase tdb;
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  Db db = tdb.connect();
  db.exec("DROP INDEX idx_api_keys_hash; ALTER TABLE api_keys DROP CONSTRAINT api_keys_name_not_empty");
  auto plan = plan_for(source_path("examples/saas/schema"), tdb.url()).plan;
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[0].sql.find("ADD CONSTRAINT \"api_keys_name_not_empty\" CHECK (length(trim(name)) > 0) NOT VALID") !=
        std::string::npos);
  CHECK(plan.steps[1].sql.find("VALIDATE CONSTRAINT \"api_keys_name_not_empty\"") != std::string::npos);
  CHECK(plan.steps[1].group != plan.steps[0].group);
  CHECK(plan.steps[2].sql.rfind("CREATE INDEX CONCURRENTLY \"idx_api_keys_hash\"", 0) == 0);
  CHECK_FALSE(plan.steps[2].transactional);
  std::stringstream log;
  apply_plan(db, plan, {"", -1, false, true}, log);
  CHECK(plan_for(source_path("examples/saas/schema"), tdb.url()).plan.empty());
}

TEST_CASE("every construct of the language converges: plan, apply, empty plan, and nested claims isolate tenants") {
  TestDatabase tdb;
  const auto schema = source_path("tests/schemas/everything");
  apply_schema(schema, tdb.url());
  auto second = plan_for(schema, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  Db db = tdb.connect();
  db.exec(
      "INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'a'), "
      "('00000000-0000-0000-0000-00000000000b', 'b');"
      "INSERT INTO billing.invoices (organization_id, number, email) VALUES "
      "('00000000-0000-0000-0000-00000000000a', 'A-1', 'x@a.test'), ('00000000-0000-0000-0000-00000000000b', 'B-1', "
      "'y@b.test')");
  auto claims =
      R"({"sub":"11111111-1111-1111-1111-11111111111a","app_metadata":{"org_id":"00000000-0000-0000-0000-00000000000a"}})";
  Db api = tdb.connect();
  auto rows = as_role(api, "support_agent", claims, "SELECT number FROM billing.invoices");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0].as<std::string>() == "A-1");
  // The restrictive policy forbids edits of paid invoices, on top of tenant isolation.
  db.exec("UPDATE billing.invoices SET status = 'paid' WHERE number = 'A-1'");
  CHECK(as_role(api, "authenticated", claims, "UPDATE billing.invoices SET amount = 1 RETURNING id").empty());
  // The audit log moved to the billing schema and records the tenant.
  CHECK(db.query("SELECT 1 FROM billing.audit_log WHERE tenant_id = '00000000-0000-0000-0000-00000000000a'").size() >=
        2);
}

TEST_CASE("the normalization cache: an unchanged schema needs no scratch database, a changed table only itself") {
  TestDatabase tdb;
  auto cache = fs::temp_directory_path() / fmt::format("schemac_cache_{}", getpid());
  fs::remove_all(cache);
  auto schema = fs::temp_directory_path() / fmt::format("schemac_cache_schema_{}", getpid());
  fs::remove_all(schema);
  fs::copy(source_path("examples/saas/schema"), schema, fs::copy_options::recursive);
  auto plan = [&] {
    Diagnostics diags;
    PlanRequest request;
    request.schema_path = schema.string();
    request.database_url = tdb.url();
    request.cache_dir = cache.string();
    auto outcome = plan_against_database(request, diags);
    INFO(diags.render());
    REQUIRE(outcome.has_value());
    return std::move(*outcome);
  };
  auto cold = plan();
  CHECK(cold.normalize_stats.scratch_database_used);
  CHECK(cold.normalize_stats.tables_materialized == 8);  // 6 declared, the audit trail, soft_delete's queue
  auto warm = plan();
  CHECK_FALSE(warm.normalize_stats.scratch_database_used);
  CHECK(warm.normalize_stats.tables_from_cache == 8);
  // After apply the live tables match their remembered normalized forms: nothing is even read from the cache.
  Db db = tdb.connect();
  std::stringstream log;
  apply_plan(db, warm.plan, {"", -1, false, true}, log);
  auto in_sync = plan();
  CHECK(in_sync.plan.empty());
  CHECK(in_sync.normalize_stats.tables_in_sync == 8);
  CHECK(in_sync.normalize_stats.tables_from_cache == 0);
  CHECK_FALSE(in_sync.normalize_stats.scratch_database_used);
  // Change one table: only it (and the table its foreign keys reference) is materialized.
  auto file = schema / "outbox.toml";
  std::ofstream(file, std::ios::app) << "\n[tables.outbox.indexes.idx_outbox_recipient]\ncolumns = [\"recipient\"]\n";
  auto changed = plan();
  CHECK(changed.normalize_stats.scratch_database_used);
  CHECK(changed.normalize_stats.tables_materialized == 2);  // outbox and organizations
  CHECK(changed.normalize_stats.tables_in_sync == 7);
  REQUIRE(changed.plan.steps.size() == 1);
  CHECK(changed.plan.steps[0].summary == "create index idx_outbox_recipient");
  fs::remove_all(cache);
  fs::remove_all(schema);
}

TEST_CASE("examples/seed-audit: from the database the audit found to the one it recommends, rows and all") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(read_file(source_path("examples/seed-audit/before.sql")));
  auto count_rows = [&] {
    return db
        .query(
            "SELECT (SELECT count(*) FROM organizations) + (SELECT count(*) FROM people) + "
            "(SELECT count(*) FROM api_keys) + (SELECT count(*) FROM webhooks) + "
            "(SELECT count(*) FROM automation_rules) + (SELECT count(*) FROM outbox)")[0][0]
        .as<long long>();
  };
  const auto rows = count_rows();
  auto first = plan_for(source_path("examples/saas/schema"), tdb.url());
  CHECK(first.plan.hazards().count("deletes-data") == 0);
  std::stringstream log;
  apply_plan(db, first.plan, {"", -1, false, true}, log);
  auto second = plan_for(source_path("examples/saas/schema"), tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  CHECK(count_rows() == rows);
  // The weak policies, the broad service-role policy and the old indexes are gone; every index is valid.
  CHECK(db.query("SELECT 1 FROM pg_policies WHERE policyname LIKE 'Users can view%' OR policyname = "
                 "'Service role can insert organizations'")
            .empty());
  CHECK(db.query("SELECT 1 FROM pg_indexes WHERE indexname IN ('idx_api_keys_org', 'idx_api_keys_active', "
                 "'idx_webhooks_org', 'idx_people_org')")
            .empty());
  CHECK(db.query("SELECT 1 FROM pg_index WHERE NOT indisvalid").empty());
  // Tenants are isolated by the JWT claim.
  Db api = tdb.connect();
  auto acme =
      R"({"sub":"11111111-1111-1111-1111-11111111111a","organization_id":"00000000-0000-0000-0000-00000000000a"})";
  CHECK(as_role(api, "authenticated", acme, "SELECT id FROM api_keys").size() == 200);
  CHECK(as_role(api, "authenticated", acme, "SELECT id FROM people").size() == 50);
  CHECK(as_role(api, "authenticated", acme,
                "SELECT 1 FROM api_keys WHERE organization_id <> '00000000-0000-0000-0000-00000000000a'")
            .empty());
}

TEST_CASE("apply refuses a blocking hazard that was not allowed, with exit 3 and a list, and runs nothing") {
  TestDatabase tdb;
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  Db db = tdb.connect();
  db.exec("ALTER TABLE api_keys ADD COLUMN legacy text");
  std::string out;
  const std::string base = fmt::format("{} apply --schema {} --database-url \"{}\" --auto-approve --no-cache 2>&1",
                                       SCHEMAC_BIN, source_path("examples/saas/schema"), tdb.url());
  CHECK(run_command(base, out) == 3);
  CHECK(out.find("deletes-data  (allow with --allow-hazard deletes-data)") != std::string::npos);
  CHECK(db.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'legacy'").size() == 1);
  auto allowed = base;
  allowed.insert(allowed.find(" 2>&1"), " --allow-hazard deletes-data");
  CHECK(run_command(allowed, out) == 0);
  CHECK(db.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'legacy'").empty());
}

TEST_CASE("apply retries a transaction that hit lock_timeout, and names the blocker when retries run out") {
  TestDatabase tdb;
  // Another session holds a lock on api_keys for the whole attempt.
  PendingChangeBehindLock pending(tdb);
  auto& blocker = pending.blocker;
  std::string out;
  int code = run_command(
      fmt::format("{} apply --schema {} --database-url \"{}\" --auto-approve --no-cache --lock-timeout 100ms "
                  "--retries 2 2>&1",
                  SCHEMAC_BIN, source_path("examples/saas/schema"), tdb.url()),
      out);
  blocker.exec("ROLLBACK");
  INFO(out);
  CHECK(code == 1);
  CHECK(out.find("lock_timeout (100ms) waiting on public.api_keys; retry 1/2") != std::string::npos);
  CHECK(out.find("retry 2/2") != std::string::npos);
  CHECK(out.find("was not granted within lock_timeout 100ms after 2 retries") != std::string::npos);
  CHECK(out.find("LOCK TABLE api_keys IN ACCESS SHARE MODE") != std::string::npos);
  // Once the blocker is gone, running apply again converges.
  CHECK(run_command(fmt::format("{} apply --schema {} --database-url \"{}\" --auto-approve --no-cache 2>&1",
                                SCHEMAC_BIN, source_path("examples/saas/schema"), tdb.url()),
                    out) == 0);
  CHECK(plan_for(source_path("examples/saas/schema"), tdb.url()).plan.empty());
}

TEST_CASE("a concurrent index build that fails leaves no INVALID index behind") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(
      "CREATE TABLE codes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), code text NOT NULL);"
      "INSERT INTO codes (code) VALUES ('a'), ('a'), ('b')");
  auto schema = write_temp("codes.toml", R"toml([project]
target = "postgres"
[tables.codes.columns]
id   = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
code = { type = "text", unique = true }
)toml");
  auto plan = plan_for(schema, tdb.url()).plan;
  std::stringstream log;
  std::string message;
  try {
    apply_plan(db, plan, {"", -1, false, true}, log);
  } catch (const ApplyError& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("build the unique index for codes_code_key") != std::string::npos);
  CHECK(message.find("could not create unique index") != std::string::npos);
  CHECK(db.query("SELECT 1 FROM pg_class WHERE relname = 'codes_code_key'").empty());
  // Once the duplicate is gone, the same declarations apply and converge.
  db.exec("DELETE FROM codes WHERE ctid = (SELECT min(ctid) FROM codes WHERE code = 'a')");
  apply_schema(schema, tdb.url());
  CHECK(plan_for(schema, tdb.url()).plan.empty());
  fs::remove(schema);
}

TEST_CASE("one apply at a time: a second one fails at once with a clear message, or waits with --wait") {
  TestDatabase tdb;
  auto plan = plan_for(source_path("examples/saas/schema"), tdb.url()).plan;
  Db other = tdb.connect();
  other.exec(fmt::format("SELECT pg_advisory_lock({})", kApplyLockKey));
  Db db = tdb.connect();
  std::stringstream log;
  std::string message;
  try {
    apply_plan(db, plan, {"", -1, false, true}, log);
  } catch (const ApplyError& e) {
    message = e.what();
  }
  CHECK(message.find("another schemac apply is running against this database") != std::string::npos);
  CHECK(db.query("SELECT 1 FROM pg_tables WHERE tablename = 'api_keys'").empty());  // nothing ran
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.exec(fmt::format("SELECT pg_advisory_unlock({})", kApplyLockKey));
  });
  apply_plan(db, plan, {"", -1, true, true}, log);  // --wait
  release.join();
  CHECK(db.query("SELECT 1 FROM pg_tables WHERE tablename = 'api_keys'").size() == 1);
}

TEST_CASE("target postgres creates the auth schema and its functions only where something calls them") {
  TestDatabase tdb;
  const std::string plain =
      "[project]\ntarget = \"postgres\"\n[tables.ledger.columns]\nid = { type = \"integer\", primary_key = true }\n";
  auto without = write_temp(tdb.name() + "_plain.toml", plain);
  auto with = write_temp(tdb.name() + "_auth.toml",
                         plain + "created_by = { type = \"uuid\", nullable = true, default = \"auth.uid()\" }\n");
  auto mentions_auth = [](const Plan& plan) {
    for (const auto& s : plan.steps)
      if (s.summary == "create schema auth" || s.summary.find("function auth.") != std::string::npos) return true;
    return false;
  };
  CHECK_FALSE(mentions_auth(plan_for(without, tdb.url()).plan));
  apply_schema(without, tdb.url());
  Db db = tdb.connect();
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'auth'") == "0");
  // A default that calls auth.uid() needs it.
  CHECK(mentions_auth(plan_for(with, tdb.url()).plan));
  apply_schema(with, tdb.url());
  CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'uid' AND pronamespace = 'auth'::regnamespace") == "1");
  CHECK(plan_for(with, tdb.url()).plan.empty());
  fs::remove(without);
  fs::remove(with);
}
