// schemac audit (issue 10): run as a user runs it, against the seed audit's
// database (every problem the seed lists is found), against what
// examples/saas produces (nothing is found), and against one table per rule.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

// (subject, code) of each finding, from --format json.
std::set<std::pair<std::string, std::string>> findings(const std::string& url, int& code) {
  auto run = run_schemac("audit --format json", url);
  code = run.code;
  INFO(run.out);
  auto json = nlohmann::json::parse(run.out, nullptr, false);
  REQUIRE_FALSE(json.is_discarded());
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : json.at("findings"))
    out.insert({f.at("subject").get<std::string>(), f.at("code").get<std::string>()});
  return out;
}

}  // namespace

TEST_CASE("audit of the seed audit's database finds every problem the seed lists") {
  TestDatabase database;
  auto db = database.connect();
  load_seed_audit(db);
  int code = 0;
  const auto found = findings(database.url(), code);
  CHECK(code == 2);
  // The seed's numbered problems, each as the finding that names it.
  const std::set<std::pair<std::string, std::string>> seed = {
      // 1. updated_at columns, no trigger keeps them
      {"public.api_keys", "updated-at-not-maintained"},
      {"public.webhooks", "updated-at-not-maintained"},
      // 2. hard deletes on the critical tables
      {"public.api_keys", "no-soft-delete"},
      {"public.webhooks", "no-soft-delete"},
      {"public.automation_rules", "no-soft-delete"},
      // 4 and 8. idx_api_keys_active (organization_id, revoked): every row, the wrong key
      {"public.api_keys", "index-boolean-key"},
      // 5. ownership policies where tenant isolation is meant, auth.uid() per row
      {"public.api_keys", "ownership-policy"},
      {"public.webhooks", "ownership-policy"},
      {"public.api_keys", "auth-call-per-row"},
      // 6. no checks
      {"public.api_keys", "no-checks"},
      {"public.webhooks", "no-checks"},
      {"public.outbox", "no-checks"},
      // 7. no audit trail on what holds secrets or configuration
      {"public.api_keys", "no-audit-trail"},
      {"public.webhooks", "no-audit-trail"},
      {"public.automation_rules", "no-audit-trail"},
      // 9. timestamps without defaults
      {"public.api_keys", "timestamp-without-default"},
      // 10. the service role's WITH CHECK (true)
      {"public.organizations", "broad-service-role-policy"},
  };
  for (const auto& f : seed) {
    INFO(f.first << " " << f.second);
    CHECK(found.count(f));
  }
  // Problem 3 (indexes built without CONCURRENTLY) leaves nothing in the
  // catalog to find: schemac plan builds every index CONCURRENTLY.
}

TEST_CASE("audit of what examples/saas produces finds nothing") {
  TestDatabase database;
  apply_schema(source_path("examples/saas/schema"), database.url());
  auto run = run_schemac("audit", database.url());
  INFO(run.out);
  CHECK(run.code == 0);
  CHECK(run.out.find("No findings") != std::string::npos);
}

TEST_CASE("audit: each rule on the table that breaks it, and not on its fixed twin") {
  TestDatabase database;
  auto db = database.connect();
  db.exec(R"sql(
    DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
    END $$;
    CREATE TABLE tenants (id int PRIMARY KEY);
    ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tenants_read ON tenants FOR SELECT TO authenticated
      USING (id = current_setting('app.tenant')::int);
    CREATE TABLE events (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, at timestamp NOT NULL,
                         n int CHECK (n > 0));
    CREATE INDEX events_by_at ON events (at, tenant_id);
    CREATE INDEX events_by_at_again ON events (at, tenant_id);
    ALTER TABLE events ADD CONSTRAINT events_n_small CHECK (n < 100) NOT VALID;
    CREATE TABLE notes (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, body int);
    CREATE INDEX notes_by_tenant ON notes (tenant_id);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    CREATE POLICY notes_all ON notes TO authenticated USING (true);
    GRANT SELECT ON events, notes TO authenticated;
    CREATE TABLE dupes (id int, v int);
    INSERT INTO dupes VALUES (1, 1), (2, 1);
  )sql");
  // A unique index built CONCURRENTLY over duplicates fails and stays, INVALID.
  CHECK_THROWS(db.exec("CREATE UNIQUE INDEX CONCURRENTLY dupes_v ON dupes (v)"));
  db.exec("CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT current_user::text'");
  db.exec(
      "CREATE FUNCTION whoami_pinned() RETURNS text LANGUAGE sql SECURITY DEFINER "
      "SET search_path = pg_catalog, pg_temp AS 'SELECT current_user::text'");
  int code = 0;
  const auto found = findings(database.url(), code);
  CHECK(code == 2);
  for (const auto& [subject, rule] : std::set<std::pair<std::string, std::string>>{
           {"public.events", "timestamp-without-time-zone"},
           {"public.events", "index-duplicate"},
           {"public.events", "tenant-column-not-first"},
           {"public.events", "tenant-without-index"},
           {"public.events", "fk-without-index"},
           {"public.events", "not-valid-constraint"},
           {"public.events", "rls-disabled"},
           {"public.notes", "broad-policy"},
           {"public.dupes", "index-invalid"},
           {"public.whoami()", "definer-search-path"},
       }) {
    INFO(subject << " " << rule);
    CHECK(found.count({subject, rule}));
  }
  // The fixed twins: an index leading with the tenant column supports its key,
  // RLS on, a pinned definer.
  CHECK_FALSE(found.count({"public.notes", "tenant-without-index"}));
  CHECK_FALSE(found.count({"public.notes", "fk-without-index"}));
  CHECK_FALSE(found.count({"public.notes", "rls-disabled"}));
  CHECK_FALSE(found.count({"public.whoami_pinned()", "definer-search-path"}));
}
