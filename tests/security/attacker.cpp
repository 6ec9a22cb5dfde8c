#include "tests/security/attacker.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace schemac::test {

namespace fs = std::filesystem;

std::string claims_for(const std::string& user, const std::string& org) {
  return fmt::format(R"({{"sub":"{}","role":"authenticated","organization_id":"{}"}})", user, org);
}

namespace {
std::string connect_as_authenticator(const TestDatabase& tdb) {
  Db admin = tdb.connect();
  // Cluster-wide, and the suite's tests run in parallel: tolerate a concurrent creation.
  admin.exec(
      "DO $$ BEGIN CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD 'authenticator'; "
      "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
  admin.exec("GRANT anon, authenticated TO authenticator");
  return tdb.url() + " user=authenticator password=authenticator";
}
}  // namespace

Attacker::Attacker(const TestDatabase& tdb) : db_(connect_as_authenticator(tdb), "attacker") {}

pqxx::result Attacker::request(const std::string& role, const std::string& claims, const std::string& sql) {
  return as_role(db_, role, claims, sql);
}

void Attacker::session(const std::string& role, const std::string& claims, const std::string& sql) {
  db_.exec("SET ROLE " + quote_ident(role));
  db_.exec(fmt::format("SELECT set_config('request.jwt.claims', {}, false)", quote_literal(claims)));
  try {
    db_.exec(sql);
  } catch (...) {
    db_.exec("RESET ROLE");
    throw;
  }
  db_.exec("RESET ROLE");
}

std::string Attacker::refused(const std::string& role, const std::string& claims, const std::string& sql) {
  try {
    request(role, claims, sql);
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate();
  }
  return "no error";
}

std::string saas_schema_with_target(const std::string& target, const std::string& tag) {
  auto dir = fs::path(temp_path("saas_" + tag));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& f : fs::directory_iterator(source_path("examples/saas/schema"))) {
    auto text = read_file(f.path().string());
    if (f.path().filename() == "00_project.toml") {
      auto at = text.find("target  = \"postgres\"");
      REQUIRE(at != std::string::npos);
      text.replace(at, std::string("target  = \"postgres\"").size(), fmt::format("target = \"{}\"", target));
    }
    std::ofstream(dir / f.path().filename()) << text;
  }
  return dir.string();
}

void prepare_like_supabase(Db& db) {
  db.exec(read_file(source_path("tests/supabase_like.sql")));
  db.exec(
      "GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role");
}

SaasUnderAttack::SaasUnderAttack(const std::string& target) : admin(tdb.connect()) {
  std::string schema = source_path("examples/saas/schema");
  if (target == "supabase") {
    prepare_like_supabase(admin);
    schema = saas_schema_with_target("supabase", tdb.name());
  }
  apply_schema(schema, tdb.url());
  if (target == "supabase") fs::remove_all(schema);
  admin.exec(fmt::format(
      "INSERT INTO organizations (id, name, slug) VALUES ('{0}', 'Acme', 'acme'), ('{1}', 'Globex', 'globex');"
      "INSERT INTO api_keys (organization_id, name, key_hash) VALUES ('{0}', 'ci', 'h-a1'), ('{1}', 'globex', 'h-b1');"
      "INSERT INTO webhooks (organization_id, url, events, secret) VALUES "
      "('{0}', 'https://a.test/hook', ARRAY['created'], 's-a'), ('{1}', 'https://b.test/hook', ARRAY['created'], "
      "'s-b')",
      kOrgA, kOrgB));
}

}  // namespace schemac::test
