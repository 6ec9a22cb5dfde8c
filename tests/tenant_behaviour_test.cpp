// The applied examples/saas schema, exercised the way an API layer (PostgREST)
// calls it: SET LOCAL ROLE plus request.jwt.claims, one transaction per request.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

const std::string kOrgA = "00000000-0000-0000-0000-00000000000a";
const std::string kOrgB = "00000000-0000-0000-0000-00000000000b";
const std::string kUserA = "11111111-1111-1111-1111-11111111111a";
const std::string kUserB = "11111111-1111-1111-1111-11111111111b";
const std::string kKeyA1 = "22222222-2222-2222-2222-2222222222a1";
const std::string kKeyA2 = "22222222-2222-2222-2222-2222222222a2";
const std::string kKeyB1 = "22222222-2222-2222-2222-2222222222b1";

std::string claims(const std::string& user, const std::string& org) {
  return fmt::format(R"({{"sub":"{}","role":"authenticated","organization_id":"{}"}})", user, org);
}

struct SaasDatabase {
  TestDatabase db;
  Db admin;  // superuser: sets up rows and looks behind RLS
  Db api;    // the API layer's connection

  SaasDatabase() : admin(db.connect()), api(db.connect()) {
    apply_schema(source_path("examples/saas/schema"), db.url());
    admin.exec(fmt::format(
        "INSERT INTO organizations (id, name, slug) VALUES ('{}', 'Acme', 'acme'), ('{}', 'Globex', 'globex')", kOrgA,
        kOrgB));
    admin.exec(
        fmt::format("INSERT INTO api_keys (id, organization_id, name, key_hash) VALUES "
                    "('{}', '{}', 'ci', 'h-a1'), ('{}', '{}', 'deploy', 'h-a2'), ('{}', '{}', 'globex key', 'h-b1')",
                    kKeyA1, kOrgA, kKeyA2, kOrgA, kKeyB1, kOrgB));
    admin.exec(fmt::format(
        "INSERT INTO people (organization_id, email) VALUES ('{}', 'ann@acme.test'), ('{}', 'bob@globex.test')", kOrgA,
        kOrgB));
  }

  pqxx::result as_a(const std::string& sql) { return as_role(api, "authenticated", claims(kUserA, kOrgA), sql); }
  pqxx::result as_b(const std::string& sql) { return as_role(api, "authenticated", claims(kUserB, kOrgB), sql); }
  long long count(const std::string& sql) { return admin.query(sql)[0][0].as<long long>(); }
};

std::string sqlstate_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate();
  } catch (const std::exception& e) {
    return std::string("not an SQL error: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a tenant sees only its own organization's rows") {
  SaasDatabase s;
  CHECK(s.as_a("SELECT id FROM api_keys").size() == 2);
  CHECK(s.as_b("SELECT id FROM api_keys").size() == 1);
  CHECK(s.as_a(fmt::format("SELECT id FROM api_keys WHERE id = '{}'", kKeyB1)).empty());
  auto orgs = s.as_a("SELECT id::text FROM organizations");
  REQUIRE(orgs.size() == 1);
  CHECK(orgs[0][0].as<std::string>() == kOrgA);
  CHECK(s.as_a("SELECT email FROM people").size() == 1);
}

TEST_CASE("a tenant updates and deletes only its own rows") {
  SaasDatabase s;
  auto updated = s.as_a("UPDATE api_keys SET name = 'renamed' RETURNING id");
  CHECK(updated.size() == 2);
  CHECK(s.count("SELECT count(*) FROM api_keys WHERE name = 'renamed'") == 2);
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}' AND name = 'globex key'", kKeyB1)) == 1);
  // Another organization's row is invisible, so deleting it by id does nothing.
  s.as_a(fmt::format("DELETE FROM api_keys WHERE id = '{}'", kKeyB1));
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}' AND deleted_at IS NULL", kKeyB1)) == 1);
  // Moving a row to another organization is refused by the policy's WITH CHECK.
  CHECK(sqlstate_of([&] {
          s.as_a(fmt::format("UPDATE api_keys SET organization_id = '{}' WHERE id = '{}'", kOrgB, kKeyA1));
        }) == "42501");
}

TEST_CASE("inserting a row for another organization fails") {
  SaasDatabase s;
  CHECK(sqlstate_of([&] {
          s.as_a(fmt::format("INSERT INTO api_keys (organization_id, name, key_hash) VALUES ('{}', 'sneaky', 'x')",
                             kOrgB));
        }) == "42501");
  CHECK(s.as_a(fmt::format(
                   "INSERT INTO api_keys (organization_id, name, key_hash) VALUES ('{}', 'mine', 'y') RETURNING id",
                   kOrgA))
            .size() == 1);
}

TEST_CASE("soft delete: DELETE, with and without RETURNING, keeps the row and hides it") {
  SaasDatabase s;
  SUBCASE("DELETE without RETURNING") {
    s.as_a(fmt::format("DELETE FROM api_keys WHERE id = '{}'", kKeyA1));
  }
  SUBCASE("DELETE ... RETURNING, as PostgREST sends it") {
    s.as_a(fmt::format(
        "WITH pgrst_source AS (DELETE FROM api_keys WHERE id = '{}' RETURNING 1) SELECT count(*) FROM pgrst_source",
        kKeyA1));
  }
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}' AND deleted_at IS NOT NULL", kKeyA1)) == 1);
  CHECK(s.as_a(fmt::format("SELECT id FROM api_keys WHERE id = '{}'", kKeyA1)).empty());
  CHECK(s.as_a("SELECT id FROM api_keys").size() == 1);
}

TEST_CASE("soft delete: UPDATE SET deleted_at = now(), with and without RETURNING, keeps the row and hides it") {
  SaasDatabase s;
  SUBCASE("without RETURNING") {
    s.as_a(fmt::format("UPDATE api_keys SET deleted_at = now() WHERE id = '{}'", kKeyA1));
  }
  SUBCASE("with RETURNING") {
    s.as_a(fmt::format("UPDATE api_keys SET deleted_at = now() WHERE id = '{}' RETURNING id, deleted_at", kKeyA1));
  }
  SUBCASE("PostgREST's PATCH shape") {
    s.as_a(
        fmt::format("WITH pgrst_source AS (UPDATE api_keys SET deleted_at = now() WHERE id = '{}' RETURNING 1) SELECT "
                    "count(*) FROM pgrst_source",
                    kKeyA1));
  }
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}' AND deleted_at IS NOT NULL", kKeyA1)) == 1);
  CHECK(s.as_a(fmt::format("SELECT id FROM api_keys WHERE id = '{}'", kKeyA1)).empty());
  // A deleted key no longer takes part in the live-only unique and partial indexes' rows.
  CHECK(s.count("SELECT count(*) FROM api_keys") == 3);
}

TEST_CASE("soft delete frees a unique value for reuse within the organization") {
  SaasDatabase s;
  CHECK(sqlstate_of([&] {
          s.as_a(fmt::format("INSERT INTO people (organization_id, email) VALUES ('{}', 'ann@acme.test')", kOrgA));
        }) == "23505");
  s.as_a("DELETE FROM people WHERE email = 'ann@acme.test'");
  s.as_a(fmt::format("INSERT INTO people (organization_id, email) VALUES ('{}', 'ann@acme.test')", kOrgA));
  CHECK(s.count("SELECT count(*) FROM people WHERE email = 'ann@acme.test'") == 2);
}

TEST_CASE("every insert, update and delete on an audited table leaves one audit row with the JWT's sub") {
  SaasDatabase s;
  auto before = s.count("SELECT count(*) FROM audit_trail");
  auto id = s.as_a(fmt::format(
      "INSERT INTO api_keys (organization_id, name, key_hash) VALUES ('{}', 'audit me', 'z') RETURNING id::text",
      kOrgA))[0][0]
                .as<std::string>();
  s.as_a(fmt::format("UPDATE api_keys SET name = 'audited' WHERE id = '{}'", id));
  s.as_a(fmt::format("DELETE FROM api_keys WHERE id = '{}'", id));
  auto rows = s.admin.query(
      fmt::format("SELECT action, changed_by::text, old_data->>'name', new_data->>'name', tenant_id::text, table_name "
                  "FROM audit_trail WHERE record_id = '{}' ORDER BY changed_at, action DESC",
                  id));
  CHECK(s.count("SELECT count(*) FROM audit_trail") == before + 3);
  REQUIRE(rows.size() == 3);
  std::vector<std::string> actions;
  for (const auto& r : rows) {
    actions.push_back(r[0].as<std::string>());
    CHECK(r[1].as<std::string>() == kUserA);
    CHECK(r[4].as<std::string>() == kOrgA);
    CHECK(r[5].as<std::string>() == "api_keys");
  }
  std::sort(actions.begin(), actions.end());
  CHECK(actions == std::vector<std::string>{"DELETE", "INSERT", "UPDATE"});
  auto update = s.admin.query(fmt::format(
      "SELECT old_data->>'name', new_data->>'name' FROM audit_trail WHERE record_id = '{}' AND action = 'UPDATE'", id));
  CHECK(update[0][0].as<std::string>() == "audit me");
  CHECK(update[0][1].as<std::string>() == "audited");
  auto deletion =
      s.admin.query(fmt::format("SELECT old_data->>'deleted_at', new_data->>'deleted_at' FROM audit_trail WHERE "
                                "record_id = '{}' AND action = 'DELETE'",
                                id));
  CHECK(deletion[0][0].is_null());
  CHECK(!deletion[0][1].is_null());
}

TEST_CASE("a bulk statement writes one audit row per changed row") {
  SaasDatabase s;
  auto before = s.count("SELECT count(*) FROM audit_trail WHERE action = 'UPDATE'");
  s.as_a("UPDATE api_keys SET revoked = true");
  CHECK(s.count("SELECT count(*) FROM audit_trail WHERE action = 'UPDATE'") == before + 2);
}

TEST_CASE("an update moves updated_at") {
  SaasDatabase s;
  auto stamp = [&](const std::string& id) {
    return s.admin.query(fmt::format("SELECT updated_at::text FROM api_keys WHERE id = '{}'", id))[0][0]
        .as<std::string>();
  };
  auto a1 = stamp(kKeyA1), a2 = stamp(kKeyA2);
  s.as_a(fmt::format("UPDATE api_keys SET name = 'touched' WHERE id = '{}'", kKeyA1));
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}' AND updated_at > '{}'", kKeyA1, a1)) == 1);
  CHECK(stamp(kKeyA2) == a2);
}

TEST_CASE("a tenant reads its own audit history, and can neither change nor delete it nor read another's") {
  SaasDatabase s;
  s.as_a(fmt::format("UPDATE api_keys SET name = 'a' WHERE id = '{}'", kKeyA1));
  s.as_b(fmt::format("UPDATE api_keys SET name = 'b' WHERE id = '{}'", kKeyB1));
  auto mine = s.as_a("SELECT DISTINCT tenant_id::text FROM audit_trail");
  REQUIRE(mine.size() == 1);
  CHECK(mine[0][0].as<std::string>() == kOrgA);
  CHECK(s.as_a(fmt::format("SELECT id FROM audit_trail WHERE record_id = '{}'", kKeyB1)).empty());
  CHECK(sqlstate_of([&] { s.as_a("UPDATE audit_trail SET action = 'INSERT'"); }) == "42501");
  CHECK(sqlstate_of([&] { s.as_a("DELETE FROM audit_trail"); }) == "42501");
  CHECK(sqlstate_of([&] { s.as_a("TRUNCATE audit_trail"); }) == "42501");
  CHECK(sqlstate_of([&] {
          s.as_a(
              "INSERT INTO audit_trail (table_schema, table_name, record_id, action) VALUES ('public', 'x', "
              "gen_random_uuid(), 'INSERT')");
        }) == "42501");
}

TEST_CASE("anon, without a grant, is refused before any policy runs") {
  SaasDatabase s;
  for (const char* table : {"api_keys", "people", "organizations", "audit_trail"})
    CHECK(sqlstate_of([&] { as_role(s.api, "anon", R"({"role":"anon"})", fmt::format("SELECT * FROM {}", table)); }) ==
          "42501");
}

TEST_CASE("service_role bypasses row level security: it sees every organization and purges for good") {
  SaasDatabase s;
  const std::string service = R"({"role":"service_role"})";
  CHECK(as_role(s.api, "service_role", service, "SELECT id FROM api_keys").size() == 3);
  as_role(s.api, "service_role", service, fmt::format("DELETE FROM api_keys WHERE id = '{}'", kKeyB1));
  CHECK(s.count(fmt::format("SELECT count(*) FROM api_keys WHERE id = '{}'", kKeyB1)) == 0);
  CHECK(s.count(fmt::format("SELECT count(*) FROM audit_trail WHERE record_id = '{}' AND action = 'DELETE'", kKeyB1)) ==
        1);
  // It may not read the audit trail (no grant), nor rewrite it.
  CHECK(sqlstate_of([&] { as_role(s.api, "service_role", service, "SELECT * FROM audit_trail"); }) == "42501");
  CHECK(sqlstate_of([&] { as_role(s.api, "service_role", service, "DELETE FROM audit_trail"); }) == "42501");
}
