// schemac init: the files it writes check, plan and apply as they are, and
// the example table behaves as its comments say, called as the API calls it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

namespace {

// init and check take no database.
CliRun offline(const std::string& args) {
  CliRun r{0, {}};
  r.code = run_command(fmt::format("{} {} 2>&1", SCHEMAC_BIN, args), r.out);
  return r;
}

}  // namespace

TEST_CASE("init writes a project that applies, converges, and isolates tenants as authenticated") {
  TestDatabase tdb;
  const auto dir = temp_path("init_project");
  fs::remove_all(dir);
  auto init = offline("init --schema-dir " + dir);
  INFO(init.out);
  REQUIRE(init.code == 0);
  CHECK(init.out.find("Wrote 00_project.toml, organizations.toml, projects.toml, schemac.schema.json in " + dir +
                      " (target postgres).") != std::string::npos);
  // Not over what is already there.
  auto again = offline("init --schema-dir " + dir);
  CHECK(again.code == 1);
  CHECK(again.out.find(dir + " already holds files; nothing was written") != std::string::npos);

  auto applied = run_schemac("apply --auto-approve --quiet --no-cache --schema " + dir, tdb.url());
  INFO(applied.out);
  REQUIRE(applied.code == 0);
  CHECK(run_schemac("plan --detailed-exitcode --no-cache --schema " + dir, tdb.url()).code == 0);

  Db db = tdb.connect();
  db.exec(
      "INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'A'), "
      "('00000000-0000-0000-0000-00000000000b', 'B')");
  db.exec(
      "INSERT INTO projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'a1'), "
      "('00000000-0000-0000-0000-00000000000b', 'b1')");
  const auto claims_a =
      R"({"sub": "00000000-0000-0000-0000-000000000001", "role": "authenticated", "organization_id": "00000000-0000-0000-0000-00000000000a"})";
  // tenant_scoped: only the caller's organization.
  auto seen = as_role(db, "authenticated", claims_a, "SELECT name FROM projects ORDER BY name");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0][0].as<std::string>() == "a1");
  // soft_delete: a DELETE marks the row, and the API no longer sees it.
  as_role(db, "authenticated", claims_a, "DELETE FROM projects WHERE name = 'a1'");
  CHECK(as_role(db, "authenticated", claims_a, "SELECT 1 FROM projects").empty());
  CHECK(db.scalar("SELECT deleted_at IS NOT NULL FROM projects WHERE name = 'a1'") == "t");
  // audited: the delete is in the trail; touch_updated_at: the mark moved updated_at.
  CHECK(db.scalar("SELECT count(*) FROM audit_trail WHERE table_name = 'projects'") == "3");
  CHECK(db.scalar("SELECT updated_at > created_at FROM projects WHERE name = 'a1'") == "t");
  fs::remove_all(dir);
}

TEST_CASE("init --target supabase writes a project that checks, with the claim under app_metadata") {
  const auto dir = temp_path("init_supabase");
  fs::remove_all(dir);
  REQUIRE(offline("init --target supabase --schema-dir " + dir).code == 0);
  CHECK(read_file(dir + "/00_project.toml").find("claim      = \"app_metadata.organization_id\"") != std::string::npos);
  auto checked = offline("check --schema " + dir);
  INFO(checked.out);
  CHECK(checked.code == 0);
  fs::remove_all(dir);
}
