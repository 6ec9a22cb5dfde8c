// Finding 6: a foreign key between tenant_scoped tables carries the tenancy
// column, so a tenant can neither point a row at another tenant's row nor use
// the key's error to learn which ids exist.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {
// Organizations and a tenant_scoped projects table, target postgres.
const std::string kProjects = R"toml([project]
target = "postgres"
[tables.organizations]
rls = true
[tables.organizations.columns]
id = { type = "uuid", primary_key = true }
[tables.projects]
tenant_scoped = true
[tables.projects.columns]
id = { type = "uuid", primary_key = true }
)toml";
}  // namespace

TEST_CASE("a tenant cannot point a foreign key at another tenant's row, nor probe for its existence") {
  SaasUnderAttack s;
  Attacker a(s.tdb);
  const auto claims = claims_for(kUserA, kOrgA);
  const auto theirs = s.scalar(fmt::format("SELECT id FROM webhooks WHERE organization_id = '{}'", kOrgB));
  const auto mine = s.scalar(fmt::format("SELECT id FROM webhooks WHERE organization_id = '{}'", kOrgA));
  const auto insert = [&](const std::string& webhook) {
    return fmt::format(
        "INSERT INTO public.automation_rules (organization_id, name, trigger_event, webhook_id) VALUES ('{}', 'r', "
        "'created', '{}')",
        kOrgA, webhook);
  };
  // Another tenant's webhook and one that does not exist answer alike.
  CHECK(a.refused("authenticated", claims, insert(theirs)) == "23503");
  CHECK(a.refused("authenticated", claims, insert("99999999-9999-9999-9999-999999999999")) == "23503");
  CHECK(a.refused("authenticated", claims, insert(mine)) == "no error");
  // Not even service_role (which bypasses RLS) can join two tenants' rows.
  Db service = s.tdb.connect();
  CHECK_THROWS_AS(as_role(service, "service_role", "{}", insert(theirs)), pqxx::sql_error);
  // ON DELETE SET NULL clears the reference only, never the tenancy column.
  s.admin.exec(fmt::format("DELETE FROM webhooks WHERE id = '{}'", mine));
  CHECK(s.scalar("SELECT organization_id::text || ':' || coalesce(webhook_id::text, 'null') FROM automation_rules") ==
        kOrgA + ":null");
}

TEST_CASE("an existing foreign key becomes tenant-consistent online, and rows that break it are reported") {
  TestDatabase tdb;
  Db db = tdb.connect();
  // As an earlier schemac (or a hand-written migration) left it: project_id alone.
  db.exec(fmt::format(
      "CREATE TABLE organizations (id uuid PRIMARY KEY);"
      "CREATE TABLE projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations ON DELETE "
      "CASCADE);"
      "CREATE TABLE tasks (id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations ON DELETE "
      "CASCADE, project_id uuid NOT NULL REFERENCES projects (id));"
      "INSERT INTO organizations VALUES ('{0}'), ('{1}');"
      "INSERT INTO projects VALUES ('a0000000-0000-0000-0000-000000000001', '{0}'), "
      "('b0000000-0000-0000-0000-000000000001', '{1}');"
      "INSERT INTO tasks SELECT gen_random_uuid(), '{0}', 'a0000000-0000-0000-0000-000000000001' FROM "
      "generate_series(1, 100);"
      // A's task on B's project.
      "INSERT INTO tasks VALUES ('c0000000-0000-0000-0000-000000000001', '{0}', "
      "'b0000000-0000-0000-0000-000000000001')",
      kOrgA, kOrgB));
  auto schema = write_temp(tdb.name() + ".toml", kProjects + R"toml([tables.tasks]
tenant_scoped = true
[tables.tasks.columns]
id = { type = "uuid", primary_key = true }
project_id = { type = "uuid", references = "projects(id)" }
)toml");
  auto plan = run_schemac("plan --schema " + schema, tdb.url());
  INFO(plan.out);
  // The key it needs is built without blocking writes; the foreign key is added NOT VALID, then validated.
  const auto unique_at = plan.out.find(
      "CREATE UNIQUE INDEX CONCURRENTLY \"projects_organization_id_id_key\" ON \"public\".\"projects\" "
      "(\"organization_id\", \"id\")");
  const auto fk_at = plan.out.find(
      "ALTER TABLE \"public\".\"tasks\" ADD CONSTRAINT \"tasks_project_id_fkey\" FOREIGN KEY (\"organization_id\", "
      "\"project_id\") REFERENCES \"public\".\"projects\" (\"organization_id\", \"id\") NOT VALID");
  const auto validate_at = plan.out.find("VALIDATE CONSTRAINT \"tasks_project_id_fkey\"");
  CHECK(unique_at != std::string::npos);
  CHECK(fk_at != std::string::npos);
  CHECK(validate_at != std::string::npos);
  CHECK(unique_at < fk_at);
  CHECK(fk_at < validate_at);

  auto r = run_schemac("apply --schema " + schema + " --auto-approve --quiet", tdb.url());
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find("1 row of public.tasks violate tasks_project_id_fkey (key c0000000-0000-0000-0000-000000000001)") !=
        std::string::npos);
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'tasks_project_id_fkey'") == "f");
  // New rows are checked already.
  CHECK_THROWS(db.exec(fmt::format(
      "INSERT INTO tasks VALUES (gen_random_uuid(), '{}', 'b0000000-0000-0000-0000-000000000001')", kOrgA)));
  db.exec("UPDATE tasks SET project_id = 'a0000000-0000-0000-0000-000000000001'");
  CHECK(run_schemac("apply --schema " + schema + " --auto-approve --quiet", tdb.url()).code == 0);
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'tasks_project_id_fkey'") == "t");
  CHECK(db.scalar("SELECT count(*) FROM tasks") == "101");
  CHECK(run_schemac("plan --schema " + schema + " --detailed-exitcode", tdb.url()).code == 0);
}

TEST_CASE("a new table's tenant-consistent key to an existing table waits for the unique key it needs") {
  TestDatabase tdb;
  const std::string v1 = kProjects;
  auto p1 = write_temp(tdb.name() + "_v1.toml", v1);
  auto p2 = write_temp(tdb.name() + "_v2.toml", v1 + R"toml([tables.comments]
tenant_scoped = true
[tables.comments.columns]
id = { type = "uuid", primary_key = true }
project_id = { type = "uuid", references = "projects", on_delete = "cascade" }
)toml");
  REQUIRE(run_schemac("apply --schema " + p1 + " --auto-approve --quiet", tdb.url()).code == 0);
  auto r = run_schemac("apply --schema " + p2 + " --auto-approve --quiet", tdb.url());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(run_schemac("plan --schema " + p2 + " --detailed-exitcode", tdb.url()).code == 0);
}
