// What the audit trail records, checked row by row for the statement shapes
// the static SQL of audit_changes() must get right; and an audit table made
// before the numbered key, which keeps its uuid key.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

namespace {

// Columns named like every alias audit_changes() uses (x, s, r, n, o, p, j,
// k, t, part, moved): a whole-row reference written `x` instead of `x.*`
// records the column x instead of the row.
const std::string kSchema = std::string(kOrganizationTenancy) + R"toml(
[tables.organizations.columns]
id = { type = "uuid", primary_key = true }

[tables.shapes]
tenant_scoped = true
audited = true
soft_delete = true
[tables.shapes.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
x = { type = "integer" }
s = { type = "text", nullable = true }
r = { type = "text", nullable = true }
n = { type = "integer", nullable = true }
o = { type = "text", nullable = true }
p = { type = "text", nullable = true }
j = { type = "jsonb", nullable = true }
k = { type = "text", nullable = true }
t = { type = "text", nullable = true }
part = { type = "integer", nullable = true }
moved = { type = "boolean", nullable = true }

[tables.plain]
audited = true
[tables.plain.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
x = { type = "integer" }
)toml";

const std::string kOrgA = "00000000-0000-0000-0000-00000000000a";
const std::string kOrgB = "00000000-0000-0000-0000-00000000000b";
const std::string kUser = "11111111-1111-1111-1111-11111111111a";
const std::string kClaimsA =
    fmt::format(R"({{"sub":"{}","role":"authenticated","organization_id":"{}"}})", kUser, kOrgA);

std::string project(const std::string& name, const std::string& toml) {
  const auto dir = temp_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "schema.toml") << toml;
  return dir;
}

// A fresh database with kSchema applied, and the owner's connection.
struct Applied {
  explicit Applied(const std::string& name) { apply_schema(project(name, kSchema), tdb.url()); }
  TestDatabase tdb;
  Db admin = tdb.connect();
};

}  // namespace

TEST_CASE("the audit trail records every column of every row, whatever the columns are called") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  Db api = tdb.connect();
  const auto dir = project("audit_trail_shapes", kSchema);
  apply_schema(dir, tdb.url());
  admin.exec(fmt::format("INSERT INTO organizations VALUES ('{}'), ('{}')", kOrgA, kOrgB));
  // A multi-row INSERT, as the API writes it: 50 rows.
  as_role(api, "authenticated", kClaimsA,
          fmt::format("INSERT INTO shapes (organization_id, x, s, r, n, o, p, j, k, t, part, moved) "
                      "SELECT '{}', g, 's' || g, 'r' || g, g * 10, 'o', 'p', jsonb_build_object('g', g), 'k', 't', "
                      "g % 3, g % 2 = 0 FROM generate_series(1, 50) g",
                      kOrgA));
  const std::string every_column =
      "SELECT count(*) FROM audit_trail a JOIN shapes z ON z.id = a.record_id WHERE a.action = 'INSERT' AND "
      "a.new_data = to_jsonb(z.*) AND a.tenant_id = z.organization_id AND a.changed_by = '" +
      kUser + "'";
  CHECK(admin.scalar(every_column) == "50");
  CHECK(admin.scalar("SELECT count(DISTINCT new_data ->> 'x') FROM audit_trail WHERE action = 'INSERT'") == "50");

  // A multi-row UPDATE: each record pairs a row's own old and new values.
  as_role(api, "authenticated", kClaimsA, "UPDATE shapes SET x = x + 1000, s = NULL WHERE x <= 20");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE action = 'UPDATE'") == "20");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE action = 'UPDATE' AND (new_data->>'x')::int = "
                     "(old_data->>'x')::int + 1000 AND old_data->>'s' = 's' || (old_data->>'x') AND "
                     "new_data->'s' = 'null' AND (old_data->>'n')::int = 10 * (old_data->>'x')::int AND "
                     "old_data->>'id' = record_id::text AND new_data->>'id' = record_id::text") == "20");

  // A soft delete of several rows is recorded as DELETE, with old and new values.
  as_role(api, "authenticated", kClaimsA, "DELETE FROM shapes WHERE x BETWEEN 41 AND 50");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE action = 'DELETE' AND old_data->'deleted_at' = 'null' "
                     "AND new_data->>'deleted_at' IS NOT NULL AND old_data->>'x' = new_data->>'x'") == "10");

  // The owner moves three rows to organization B: a DELETE for A with the old
  // values only, an INSERT for B with the new values only, per row.
  admin.exec(fmt::format("UPDATE shapes SET organization_id = '{}', o = 'moved' WHERE x BETWEEN 21 AND 23", kOrgB));
  CHECK(admin.scalar(fmt::format("SELECT count(*) FROM audit_trail WHERE action = 'DELETE' AND tenant_id = '{}' AND "
                                 "new_data IS NULL AND old_data->>'o' = 'o'",
                                 kOrgA)) == "3");
  CHECK(admin.scalar(fmt::format("SELECT count(*) FROM audit_trail WHERE action = 'INSERT' AND tenant_id = '{}' AND "
                                 "old_data IS NULL AND new_data->>'o' = 'moved'",
                                 kOrgB)) == "3");

  // A hard delete (the owner bypasses row level security), and a table
  // without tenants, whose records carry no tenant.
  admin.exec("DELETE FROM shapes WHERE x BETWEEN 24 AND 25");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE action = 'DELETE' AND new_data IS NULL AND "
                     "old_data->>'x' IN ('24', '25')") == "2");
  admin.exec("INSERT INTO plain (x) SELECT g FROM generate_series(1, 5) g");
  admin.exec("UPDATE plain SET x = -x");
  admin.exec("DELETE FROM plain WHERE x < -3");
  CHECK(admin.scalar("SELECT string_agg(action || ':' || coalesce(old_data->>'x', '') || '>' || "
                     "coalesce(new_data->>'x', ''), ',' ORDER BY id) FROM audit_trail WHERE table_name = 'plain' AND "
                     "tenant_id IS NULL") ==
        "INSERT:>1,INSERT:>2,INSERT:>3,INSERT:>4,INSERT:>5,UPDATE:1>-1,UPDATE:2>-2,UPDATE:3>-3,UPDATE:4>-4,UPDATE:5>-5,"
        "DELETE:-4>,DELETE:-5>");

  // The same statements again in this session run the plans PL/pgSQL kept:
  // a column added meanwhile (by another session) is recorded too.
  Db other = tdb.connect();
  other.exec("ALTER TABLE plain ADD COLUMN added text DEFAULT 'new'");
  admin.exec("INSERT INTO plain (x) VALUES (6)");
  CHECK(admin.scalar("SELECT new_data->>'added' FROM audit_trail WHERE table_name = 'plain' AND action = 'INSERT' "
                     "AND new_data->>'x' = '6'") == "new");
}

TEST_CASE("an audit table made with a uuid key keeps it: the plan changes only its record index, online") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  // The audit table as schemac made it before its rows were numbered.
  admin.exec(
      "CREATE TABLE public.audit_trail (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), table_schema text NOT NULL, "
      "table_name text NOT NULL, record_id uuid NOT NULL, action text NOT NULL CONSTRAINT audit_trail_action_check "
      "CHECK (action IN ('INSERT', 'UPDATE', 'DELETE')), old_data jsonb, new_data jsonb, changed_by uuid, "
      "changed_at timestamptz NOT NULL DEFAULT now(), tenant_id uuid)");
  admin.exec("CREATE INDEX audit_trail_record_idx ON public.audit_trail (table_name, record_id)");
  admin.exec("CREATE INDEX audit_trail_changed_at_idx ON public.audit_trail USING brin (changed_at)");
  admin.exec(
      "INSERT INTO public.audit_trail (table_schema, table_name, record_id, action) VALUES ('public', 'old', "
      "gen_random_uuid(), 'INSERT')");
  const auto dir = project("audit_trail_uuid_key", kSchema);
  auto outcome = plan_for(dir, tdb.url());
  for (const auto& step : outcome.plan.steps) {
    INFO(step.sql);
    CHECK(step.sql.find("\"audit_trail\" ALTER COLUMN \"id\"") == std::string::npos);
    CHECK(step.sql.find("DROP TABLE") == std::string::npos);
  }
  const Step* index = step_containing(outcome.plan, "\"audit_trail_record_id_idx\"");
  REQUIRE(index != nullptr);
  CHECK(index->sql.find("CONCURRENTLY") != std::string::npos);
  const Step* old_index = step_containing(outcome.plan, "\"audit_trail_record_idx\"");
  REQUIRE(old_index != nullptr);
  CHECK(old_index->sql.find("DROP INDEX CONCURRENTLY") != std::string::npos);
  apply_outcome(outcome, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK(admin.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                     "'public.audit_trail'::regclass AND attname = 'id'") == "uuid");
  admin.exec(fmt::format("INSERT INTO organizations VALUES ('{}')", kOrgA));
  admin.exec(fmt::format("INSERT INTO shapes (organization_id, x) VALUES ('{}', 1)", kOrgA));
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE table_name = 'shapes' AND id IS NOT NULL") == "1");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail") == "2");
}

TEST_CASE("a new audit table numbers its rows, in the order they were written") {
  Applied a("audit_trail_numbered");
  auto& admin = a.admin;
  CHECK(admin.scalar("SELECT format_type(atttypid, atttypmod) || ' ' || attidentity::text FROM pg_attribute WHERE "
                     "attrelid = 'public.audit_trail'::regclass AND attname = 'id'") == "bigint a");
  admin.exec("INSERT INTO plain (x) VALUES (1)");
  admin.exec("UPDATE plain SET x = 2");
  CHECK(admin.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_trail") == "INSERT,UPDATE");
  // Nobody writes an id of their choosing, the owner included.
  CHECK_THROWS_AS(admin.exec("INSERT INTO audit_trail (id, table_schema, table_name, record_id, action) VALUES (1, "
                             "'public', 'plain', gen_random_uuid(), 'INSERT')"),
                  pqxx::sql_error);
}

TEST_CASE("a bulk update after one-row updates in the same session pairs its rows with a plan made for its size") {
  Applied a("audit_trail_kept_plan");
  auto& tdb = a.tdb;
  auto& admin = a.admin;
  admin.exec("INSERT INTO plain (x) SELECT g FROM generate_series(1, 30000) g");
  // An API's session: one-row updates, enough for PostgreSQL to keep a
  // generic plan of the audit INSERT, made for one row.
  Db session = tdb.connect();
  for (int i = 1; i <= 12; ++i) session.exec(fmt::format("UPDATE plain SET x = x WHERE x = {}", i));
  // The same session's bulk update. With the kept plan's nested loop it
  // compared 30,000 rows with 30,000 (minutes); paired by a hash join it takes
  // a second or two. The timeout only keeps a regression from hanging the suite.
  session.exec("SET statement_timeout = '60s'");
  session.exec("UPDATE plain SET x = x + 1");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail WHERE action = 'UPDATE' AND (new_data->>'x')::int = "
                     "(old_data->>'x')::int + 1") == "30000");
}

TEST_CASE("audit_changes() writes only to the project's audit table: a trigger naming another is refused") {
  Applied a("audit_trail_other_table");
  auto& admin = a.admin;
  admin.exec("CREATE TABLE public.elsewhere (LIKE public.audit_trail)");
  // The owner (only it may attach the function) points a trigger elsewhere.
  admin.exec(
      "CREATE TRIGGER hand_made AFTER INSERT ON public.plain REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
      "EXECUTE FUNCTION public.audit_changes('id', '', '', 'public', 'elsewhere')");
  std::string message;
  try {
    admin.exec("INSERT INTO plain (x) VALUES (1)");
  } catch (const pqxx::sql_error& e) {
    message = e.what();
  }
  CHECK(message.find("names another audit table or tenancy column than public.audit_trail") != std::string::npos);
  admin.exec("DROP TRIGGER hand_made ON public.plain");
  // A tenancy column other than the project's is refused the same way.
  admin.exec(
      "CREATE TRIGGER hand_made AFTER INSERT ON public.plain REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
      "EXECUTE FUNCTION public.audit_changes('id', 'x', '', 'public', 'audit_trail')");
  CHECK_THROWS_AS(admin.exec("INSERT INTO plain (x) VALUES (2)"), pqxx::sql_error);
  admin.exec("DROP TRIGGER hand_made ON public.plain");
  admin.exec("INSERT INTO plain (x) VALUES (3)");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail") == "1");
  CHECK(admin.scalar("SELECT count(*) FROM elsewhere") == "0");
}

TEST_CASE("upserts, MERGE, COPY and multi-row key changes: each row recorded once, as what happened to it") {
  Applied a("audit_trail_statement_shapes");
  auto& admin = a.admin;
  admin.exec(
      "INSERT INTO plain (id, x) VALUES ('00000000-0000-0000-0000-000000000001', 1), "
      "('00000000-0000-0000-0000-000000000002', 2)");
  // INSERT ... ON CONFLICT DO UPDATE: one row inserted, one updated.
  admin.exec(
      "INSERT INTO plain (id, x) VALUES ('00000000-0000-0000-0000-000000000002', 20), "
      "('00000000-0000-0000-0000-000000000003', 3) ON CONFLICT (id) DO UPDATE SET x = excluded.x");
  // MERGE: one row updated, one deleted, one inserted.
  admin.exec(
      "MERGE INTO plain p USING (VALUES ('00000000-0000-0000-0000-000000000001'::uuid, 10), "
      "('00000000-0000-0000-0000-000000000003'::uuid, -1), ('00000000-0000-0000-0000-000000000004'::uuid, 4)) "
      "AS v(id, x) ON p.id = v.id WHEN MATCHED AND v.x < 0 THEN DELETE WHEN MATCHED THEN UPDATE SET x = v.x "
      "WHEN NOT MATCHED THEN INSERT (id, x) VALUES (v.id, v.x)");
  // COPY fires the insert trigger like an INSERT.
  admin.exec("COPY plain (x) FROM PROGRAM 'seq 100 102'");
  auto history = [&](const std::string& id) {
    return admin
        .scalar(fmt::format("SELECT string_agg(action || ':' || coalesce(old_data->>'x', '') || '>' || "
                            "coalesce(new_data->>'x', ''), ',' ORDER BY id) FROM audit_trail WHERE record_id = '{}'",
                            id))
        .value_or("");
  };
  CHECK(history("00000000-0000-0000-0000-000000000001") == "INSERT:>1,UPDATE:1>10");
  CHECK(history("00000000-0000-0000-0000-000000000002") == "INSERT:>2,UPDATE:2>20");
  CHECK(history("00000000-0000-0000-0000-000000000003") == "INSERT:>3,DELETE:3>");
  CHECK(history("00000000-0000-0000-0000-000000000004") == "INSERT:>4");
  CHECK(admin.scalar("SELECT string_agg(new_data->>'x', ',' ORDER BY id) FROM audit_trail WHERE (new_data->>'x')::int "
                     ">= 100 AND action = 'INSERT'") == "100,101,102");
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail") == "10");
  // A multi-row UPDATE that changes keys is refused whole: nothing changes, nothing is recorded.
  CHECK_THROWS_AS(admin.exec("UPDATE plain SET id = gen_random_uuid(), x = x + 1"), pqxx::sql_error);
  CHECK(admin.scalar("SELECT count(*) FROM audit_trail") == "10");
  CHECK(admin.scalar("SELECT sum(x) FROM plain") == "337");
}
