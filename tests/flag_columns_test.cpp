// touch_updated_at and soft_delete keeping columns of other names (real
// schemas have last_update and removed_at), exercised the way an API layer
// calls them: SET LOCAL ROLE authenticated with request.jwt.claims.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

const std::string kSchema = std::string(kOrganizationTenancy) + R"toml(
[audit]
table = "audit_trail"

[tables.organizations.columns]
id = { type = "uuid", primary_key = true }

[tables.notes]
tenant_scoped = true
audited = true
touch_updated_at = "last_update"
soft_delete = "removed_at"
[tables.notes.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
title = { type = "text", unique = true }
last_update = { type = "timestamp", default = "now()" }
)toml";

const std::string kOrg = "00000000-0000-0000-0000-00000000000a";
const std::string kUser = "11111111-1111-1111-1111-11111111111a";
const std::string kClaims = fmt::format(R"({{"sub":"{}","role":"authenticated","organization_id":"{}"}})", kUser, kOrg);

}  // namespace

TEST_CASE("touch_updated_at and soft_delete name their columns: kept, hidden and audited as the defaults are") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  Db api = tdb.connect();
  const auto dir = schema_folder("flag_columns", {{"schema.toml", kSchema}});
  apply_schema(dir, tdb.url());
  // No updated_at or deleted_at added next to the named columns.
  CHECK(admin.scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = "
                     "'public.notes'::regclass AND attnum > 0 AND NOT attisdropped") ==
        "id,title,last_update,organization_id,removed_at");
  CHECK(plan_for(dir, tdb.url()).plan.empty());

  admin.exec(fmt::format("INSERT INTO organizations VALUES ('{}')", kOrg));
  admin.exec(
      fmt::format("INSERT INTO notes (organization_id, title, last_update) VALUES ('{}', 'a', '2000-01-01')", kOrg));
  const std::string note_id = admin.scalar("SELECT id::text FROM notes").value_or("");

  as_role(api, "authenticated", kClaims, "UPDATE notes SET title = 'b'");
  CHECK(admin.scalar("SELECT last_update > '2001-01-01' FROM notes") == "t");

  // DELETE marks removed_at; the row stays, hidden, and its title is free again.
  as_role(api, "authenticated", kClaims, "DELETE FROM notes");
  CHECK(admin.scalar("SELECT removed_at IS NOT NULL FROM notes") == "t");
  CHECK(as_role(api, "authenticated", kClaims, "SELECT id FROM notes").empty());
  as_role(api, "authenticated", kClaims,
          fmt::format("INSERT INTO notes (organization_id, title) VALUES ('{}', 'b')", kOrg));
  CHECK(admin.scalar("SELECT count(*) FROM notes") == "2");

  // The audit trail calls the mark a DELETE, by the JWT's sub.
  auto actions = admin.query(fmt::format(
      "SELECT string_agg(action, ',' ORDER BY changed_at, action DESC), min(changed_by::text) FROM audit_trail "
      "WHERE record_id = '{}'",
      note_id));
  CHECK(actions[0][0].as<std::string>() == "INSERT,UPDATE,DELETE");
  CHECK(actions[0][1].as<std::string>() == kUser);
}

TEST_CASE("a DELETE soft-deletes exactly the rows it names in a table with a two-column key and a named column") {
  // soft_delete_mark() finds the queued rows by their key columns' values
  // alone: with two key columns (and the column soft deletes set named
  // removed_at, so the trigger's arguments start with '' and that column),
  // each row must be matched by both.
  TestDatabase tdb;
  Db admin = tdb.connect();
  Db api = tdb.connect();
  const auto dir =
      schema_folder("soft_delete_two_column_key", {{"schema.toml", std::string(kOrganizationTenancy) + R"toml(
[tables.organizations.columns]
id = { type = "uuid", primary_key = true }

[tables.shelves]
tenant_scoped = true
soft_delete = "removed_at"
primary_key = ["aisle", "slot"]
[tables.shelves.columns]
aisle = { type = "integer" }
slot = { type = "text" }
label = { type = "text" }
)toml"}});
  apply_schema(dir, tdb.url());
  admin.exec(fmt::format("INSERT INTO organizations VALUES ('{}')", kOrg));
  // (1,'a') (1,'b') (2,'a') (2,'b'): a DELETE of aisle 1 slot 'a' and aisle 2 slot 'b'
  // must not mark (1,'b') or (2,'a'), which share one key column each with them.
  admin.exec(
      fmt::format("INSERT INTO shelves (organization_id, aisle, slot, label) SELECT '{}', a, s, a || s "
                  "FROM generate_series(1, 2) a, unnest(ARRAY['a', 'b']) s",
                  kOrg));
  as_role(api, "authenticated", kClaims, "DELETE FROM shelves WHERE (aisle, slot) IN ((1, 'a'), (2, 'b'))");
  CHECK(admin.scalar("SELECT string_agg(label, ',' ORDER BY label) FROM shelves WHERE removed_at IS NOT NULL") ==
        "1a,2b");
  CHECK(admin.scalar("SELECT count(*) FROM shelves") == "4");
  CHECK(admin.scalar("SELECT count(*) FROM soft_delete_queue") == "0");
  auto left = as_role(api, "authenticated", kClaims, "SELECT label FROM shelves ORDER BY label");
  REQUIRE(left.size() == 2);
  CHECK(left[0][0].as<std::string>() == "1b");
  CHECK(left[1][0].as<std::string>() == "2a");
}
