#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "tests/test_database.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/deploy/apply.hpp"
#include "tests/process.hpp"

namespace schemac::test {

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  auto stamp = std::chrono::steady_clock::now().time_since_epoch().count() % 100000000;
  name_ = fmt::format("schemac_test_{}_{}_{}", getpid(), stamp, counter++);
  Db admin("");
  admin.exec(fmt::format("CREATE DATABASE {}", quote_ident(name_)));
  url_ = Db::with_database("", name_);
}

TestDatabase::~TestDatabase() {
  try {
    Db admin("");
    admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name_)));
  } catch (const std::exception&) {
  }
}

PlanOutcome plan_for(const std::string& schema_path, const std::string& url) {
  Diagnostics diags;
  PlanRequest request;
  request.schema_path = schema_path;
  request.database_url = url;
  auto outcome = plan_against_database(request, diags);
  INFO(diags.render());
  REQUIRE(outcome.has_value());
  return std::move(*outcome);
}

void apply_schema(const std::string& schema_path, const std::string& url) {
  apply_outcome(plan_for(schema_path, url), url);
}

void apply_outcome(const PlanOutcome& outcome, const std::string& url) {
  Db db(url);
  std::stringstream log;
  apply_plan(db, outcome.plan, {"", -1, false, true}, log);
}

const Step* step_starting(const Plan& plan, const std::string& sql_start) {
  for (const auto& s : plan.steps)
    if (s.sql.rfind(sql_start, 0) == 0) return &s;
  return nullptr;
}

const Step* step_containing(const Plan& plan, const std::string& text) {
  for (const auto& s : plan.steps)
    if (s.sql.find(text) != std::string::npos) return &s;
  return nullptr;
}

std::string schema_folder(const std::string& name, const std::map<std::string, std::string>& files) {
  const auto dir = temp_path(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [file, text] : files) std::ofstream(std::filesystem::path(dir) / file) << text;
  return dir;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / fmt::format("schemac_{}_{}", getpid(), name)).string();
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

PendingChangeBehindLock::PendingChangeBehindLock(const TestDatabase& tdb) : blocker(tdb.connect()) {
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  tdb.connect().exec("ALTER TABLE api_keys DROP CONSTRAINT api_keys_name_not_empty");
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE api_keys IN ACCESS SHARE MODE");
}

CliRun run_schemac(const std::string& args, const std::string& url, const std::string& env) {
  CliRun r{0, {}};
  r.code = run_command(fmt::format("{} {} {} --database-url {} 2>&1", env, SCHEMAC_BIN, args, shell_quote(url)), r.out);
  return r;
}

void load_seed_audit(Db& db, long per_org) {
  db.exec(read_file(source_path("examples/seed-audit/before.sql")));
  if (per_org <= 0) return;
  db.exec(
      fmt::format("INSERT INTO api_keys (organization_id, name, key_hash, revoked, created_at, updated_at) "
                  "SELECT o.id, 'bulk ' || g, md5(g::text), g % 7 = 0, now(), now() FROM organizations o, "
                  "generate_series(1, {}) g",
                  per_org));
  db.exec(
      fmt::format("INSERT INTO outbox (organization_id, channel, recipient, created_at, updated_at) "
                  "SELECT o.id, 'email', 'bulk' || g || '@example.test', now(), now() FROM organizations o, "
                  "generate_series(1, {}) g",
                  per_org));
  db.exec("VACUUM ANALYZE");
}

pqxx::result as_role(Db& db, const std::string& role, const std::string& claims_json, const std::string& sql) {
  db.exec("BEGIN");
  try {
    db.exec("SET LOCAL ROLE " + quote_ident(role));
    db.exec(fmt::format("SELECT set_config('request.jwt.claims', {}, true)", quote_literal(claims_json)));
    auto r = db.query(sql);
    db.exec("COMMIT");
    return r;
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

std::string source_path(const std::string& relative) {
  return std::string(SOURCE_DIR) + "/" + relative;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace schemac::test
