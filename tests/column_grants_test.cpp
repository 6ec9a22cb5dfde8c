// Column privileges (GRANT UPDATE (display_name) ON profiles TO authenticated),
// declared in TOML and in SQL, planned against a real database and used the
// way an API layer uses them: as the authenticated role, with JWT claims.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "compiler/render.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

const char* kProfiles = R"toml(
[project]
target = "postgres"

[tables.profiles]
rls = true
grants = { authenticated = ["select"] }
[tables.profiles.columns]
id = { type = "uuid", primary_key = true }
display_name = { type = "text", grants = { authenticated = ["update"] } }
bio = "text"
is_admin = { type = "boolean", default = "false" }
[tables.profiles.policies.read]
for = "select"
to = ["authenticated"]
using = "true"
[tables.profiles.policies.edit_own]
for = "update"
to = ["authenticated"]
using = "id = (select auth.uid())"
)toml";

const std::string kUser = "11111111-1111-1111-1111-11111111111b";
const std::string kClaims = fmt::format(R"({{"sub":"{}","role":"authenticated"}})", kUser);

bool denied(Db& api, const std::string& sql) {
  try {
    as_role(api, "authenticated", kClaims, sql);
    return false;
  } catch (const std::exception& e) {
    return std::string(e.what()).find("permission denied") != std::string::npos;
  }
}

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("column grants in TOML: the API role updates only the granted column, and the plan keeps it so") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  Db api = tdb.connect();
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cg_reporting') THEN CREATE ROLE cg_reporting; "
      "END IF; END $$");
  const auto dir = schema_folder("column_grants", {{"schema.toml", kProfiles}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  REQUIRE(step_starting(first.plan,
                        "GRANT UPDATE (\"display_name\") ON TABLE \"public\".\"profiles\" TO "
                        "\"authenticated\""));
  apply_outcome(first, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());

  admin.exec(fmt::format("INSERT INTO profiles (id, display_name, bio) VALUES ('{}', 'a', '')", kUser));
  CHECK(as_role(api, "authenticated", kClaims, "UPDATE profiles SET display_name = 'b' RETURNING id").size() == 1);
  CHECK(denied(api, "UPDATE profiles SET is_admin = true"));
  CHECK(denied(api, "UPDATE profiles SET bio = 'x'"));
  CHECK(admin.scalar("SELECT is_admin::text FROM profiles") == "false");

  // By hand: a table-wide UPDATE and a column INSERT for the API role, a
  // column grant to a role no declaration names. The plan takes the first two
  // back, REVOKE UPDATE on the table takes display_name's with it, so that one
  // is granted again after it; the other role's grant is left alone.
  admin.exec("GRANT UPDATE ON profiles TO authenticated");
  admin.exec("GRANT INSERT (is_admin) ON profiles TO authenticated");
  admin.exec("GRANT SELECT (id, display_name) ON profiles TO cg_reporting");
  auto drift = plan_for(dir, tdb.url());
  INFO(render_text(drift.plan));
  const auto* table_revoke = step_starting(drift.plan, "REVOKE UPDATE ON TABLE \"public\".\"profiles\"");
  const auto* column_revoke =
      step_starting(drift.plan, "REVOKE INSERT (\"is_admin\") ON TABLE \"public\".\"profiles\" FROM \"authenticated\"");
  const auto* regrant = step_starting(drift.plan, "GRANT UPDATE (\"display_name\") ON TABLE");
  REQUIRE(table_revoke);
  REQUIRE(column_revoke);
  REQUIRE(regrant);
  CHECK(table_revoke < regrant);
  CHECK(std::find(regrant->hazards.begin(), regrant->hazards.end(), "authz-change") != regrant->hazards.end());
  CHECK(step_containing(drift.plan, "cg_reporting") == nullptr);
  apply_outcome(drift, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK(as_role(api, "authenticated", kClaims, "UPDATE profiles SET display_name = 'c' RETURNING id").size() == 1);
  CHECK(denied(api, "UPDATE profiles SET is_admin = true"));
  CHECK(admin.scalar("SELECT has_column_privilege('cg_reporting', 'public.profiles', 'display_name', 'SELECT')") ==
        "t");

  // The grant moves to bio: display_name's is revoked, bio's granted.
  const auto moved =
      schema_folder("column_grants_moved",
                    {{"schema.toml",
                      with(with(kProfiles,
                                "display_name = { type = \"text\", grants = { authenticated = "
                                "[\"update\"] } }",
                                "display_name = \"text\""),
                           "bio = \"text\"", "bio = { type = \"text\", grants = { authenticated = [\"update\"] } }")}});
  auto move = plan_for(moved, tdb.url());
  INFO(render_text(move.plan));
  CHECK(step_starting(move.plan, "REVOKE UPDATE (\"display_name\") ON TABLE"));
  CHECK(step_starting(move.plan, "GRANT UPDATE (\"bio\") ON TABLE"));
  apply_outcome(move, tdb.url());
  CHECK(plan_for(moved, tdb.url()).plan.empty());
  CHECK(denied(api, "UPDATE profiles SET display_name = 'd'"));
  CHECK(as_role(api, "authenticated", kClaims, "UPDATE profiles SET bio = 'hi' RETURNING id").size() == 1);
}

TEST_CASE("column grants in SQL: GRANT and REVOKE on columns are declared, exact for the roles they name") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cg_reporting') THEN CREATE ROLE cg_reporting; "
      "END IF; END $$");
  const std::string table = "CREATE TABLE accounts (id integer PRIMARY KEY, email text, plan text, secret text);\n";
  const auto dir = schema_folder(
      "column_grants_sql", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                            {"accounts.sql", table + "GRANT SELECT (id, email, plan), UPDATE (email) ON accounts TO "
                                                     "cg_reporting;\n"}});
  apply_schema(dir, tdb.url());
  auto converged = plan_for(dir, tdb.url());
  INFO(render_text(converged.plan));
  CHECK(converged.plan.empty());
  auto privilege = [&](const std::string& column, const std::string& p) {
    return admin.scalar(
        fmt::format("SELECT has_column_privilege('cg_reporting', 'public.accounts', '{}', '{}')", column, p));
  };
  CHECK(privilege("email", "UPDATE") == "t");
  CHECK(privilege("plan", "SELECT") == "t");
  CHECK(privilege("secret", "SELECT") == "f");
  CHECK(privilege("plan", "UPDATE") == "f");

  // The file stops granting UPDATE: revoked, and nothing else changes.
  const auto narrower =
      schema_folder("column_grants_sql2",
                    {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                     {"accounts.sql", table + "GRANT SELECT (id, email, plan) ON accounts TO cg_reporting;\n"}});
  auto revoke = plan_for(narrower, tdb.url());
  INFO(render_text(revoke.plan));
  REQUIRE(revoke.plan.steps.size() == 1);
  CHECK(revoke.plan.steps[0].sql == "REVOKE UPDATE (\"email\") ON TABLE \"public\".\"accounts\" FROM \"cg_reporting\"");
  apply_outcome(revoke, tdb.url());
  CHECK(plan_for(narrower, tdb.url()).plan.empty());
  CHECK(privilege("email", "UPDATE") == "f");
  CHECK(privilege("email", "SELECT") == "t");
}
