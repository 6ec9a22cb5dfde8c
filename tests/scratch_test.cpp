// Normalizing many tables in two scratch databases at once (scratch.cpp):
// the plan is byte for byte the one a single database gives, and a half that
// cannot stand alone falls back to one database.
#include "compiler/scratch.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "compiler/desired.hpp"
#include "compiler/render.hpp"
#include "schema/compile.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

constexpr int kTables = 320;  // over the 300 from which two databases are used

const char* kOrganizations = R"toml(
[tables.organizations]
rls = true
[tables.organizations.columns]
id   = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
name = "text"
)toml";

std::map<std::string, std::string> flagged_tables() {
  std::map<std::string, std::string> files = {{"00_project.toml", kOrganizationTenancy},
                                              {"organizations.toml", kOrganizations}};
  for (int i = 0; i < kTables; ++i)
    files[fmt::format("t{:03}.toml", i)] = fmt::format(R"toml(
[tables.t{0:03}]
tenant_scoped    = true
soft_delete      = true
audited          = true
touch_updated_at = true
[tables.t{0:03}.columns]
id   = {{ type = "uuid", primary_key = true, default = "gen_random_uuid()" }}
name = {{ type = "text", check = "length(name) > 0" }}
qty  = {{ type = "integer", default = 0 }}
[tables.t{0:03}.indexes]
t{0:03}_name = {{ columns = ["organization_id", "name"] }}
)toml",
                                                       i);
  return files;
}

std::optional<PlanOutcome> plan(const std::string& folder, const std::string& url,
                                std::optional<std::string> dev_url = std::nullopt) {
  Diagnostics diags;
  // No cache and no record: every table is materialized.
  auto outcome = plan_against_database({folder, url, std::move(dev_url), "", false}, diags);
  INFO(diags.render());
  CHECK(diags.empty());
  return outcome;
}

}  // namespace

TEST_CASE("320 flagged tables are normalized in two scratch databases, and plan exactly as in one") {
  TestDatabase tdb;
  TestDatabase dev;  // --dev-url: one database, in a transaction rolled back
  const auto folder = schema_folder("two_scratch_databases", flagged_tables());
  auto two = plan(folder, tdb.url());
  REQUIRE(two.has_value());
  CHECK(two->normalize_stats.scratch_databases == 2);
  CHECK(two->normalize_stats.tables_materialized ==
        kTables + 3);  // organizations, the audit trail, soft_delete's queue
  auto one = plan(folder, tdb.url(), dev.url());
  REQUIRE(one.has_value());
  CHECK(one->normalize_stats.scratch_databases == 1);
  CHECK(render_sql(two->plan) == render_sql(one->plan));
  // Applied, the database is what both halves normalized to: nothing left to plan.
  apply_outcome(*two, tdb.url());
  auto again = plan(folder, tdb.url());
  REQUIRE(again.has_value());
  CHECK(again->normalize_stats.scratch_databases == 2);
  CHECK(render_text(again->plan) == "No changes: the database matches the declarations.\n");
}

TEST_CASE("a half that cannot stand alone (a policy reads a table no foreign key names) falls back to one database") {
  TestDatabase tdb;
  std::map<std::string, std::string> files = {{"00_project.toml", "[project]\ntarget = \"postgres\"\n"}};
  for (int i = 0; i < kTables; ++i)
    files[fmt::format("t{:03}.toml", i)] = fmt::format(
        "[tables.t{0:03}]\n[tables.t{0:03}.columns]\nid = {{ type = \"integer\", primary_key = true }}\n", i);
  // t000 is in the first half; the table its policy reads, in the second.
  files["t000.toml"] = R"toml(
[tables.t000]
rls = true
[tables.t000.columns]
id = { type = "integer", primary_key = true }
[tables.t000.policies.t000_if_listed]
for   = "select"
to    = ["authenticated"]
using = "EXISTS (SELECT 1 FROM t319 WHERE t319.id = t000.id)"
)toml";
  const auto folder = schema_folder("half_falls_back", files);
  auto outcome = plan(folder, tdb.url());
  REQUIRE(outcome.has_value());
  CHECK(outcome->normalize_stats.scratch_databases == 1);
  CHECK(step_starting(outcome->plan, "CREATE POLICY \"t000_if_listed\"") != nullptr);
}

TEST_CASE(
    "the scratch database creates a foreign key with its table after the table it references and a cycle's key after "
    "both") {
  // Declared (and sorted) so that each table comes before the one it references:
  // a -> b -> c, and x <-> y.
  const char* toml = R"toml(
[project]
target = "postgres"
[tables.a.columns]
id   = { type = "integer", primary_key = true }
b_id = { type = "integer", references = "b(id)" }
[tables.b.columns]
id   = { type = "integer", primary_key = true }
c_id = { type = "integer", references = "c(id)" }
[tables.c.columns]
id = { type = "integer", primary_key = true }
[tables.x.columns]
id   = { type = "integer", primary_key = true }
y_id = { type = "integer", references = "y(id)" }
[tables.y.columns]
id   = { type = "integer", primary_key = true }
x_id = { type = "integer", references = "x(id)" }
)toml";
  const auto folder = schema_folder("scratch_key_order", {{"schema.toml", toml}});
  Diagnostics diags;
  auto compiled = compile_schema(folder, diags);
  REQUIRE(compiled);
  const auto script = scratch_script(desired_state(std::move(*compiled)), {});
  auto created_at = [&](const std::string& table) {
    for (std::size_t i = 0; i < script.size(); ++i)
      if (script[i].sql.starts_with("CREATE TABLE \"public\".\"" + table + "\"")) return i;
    FAIL("no CREATE TABLE for " << table);
    return script.size();
  };
  CHECK(created_at("c") < created_at("b"));
  CHECK(created_at("b") < created_at("a"));
  CHECK(script[created_at("a")].sql.find("REFERENCES \"public\".\"b\"") != std::string::npos);
  CHECK(script[created_at("b")].sql.find("REFERENCES \"public\".\"c\"") != std::string::npos);
  std::vector<std::string> added;
  for (const auto& st : script)
    if (st.sql.starts_with("ALTER TABLE") && st.sql.find("FOREIGN KEY") != std::string::npos) added.push_back(st.sql);
  REQUIRE(added.size() == 1);  // the cycle's second key
  CHECK(added.front().find("REFERENCES \"public\".\"y\"") != std::string::npos);
  CHECK(created_at("x") < created_at("y"));

  // Normalized this way, the plan makes the database that plans nothing more.
  TestDatabase tdb;
  auto outcome = plan(folder, tdb.url());
  REQUIRE(outcome.has_value());
  apply_outcome(*outcome, tdb.url());
  auto again = plan(folder, tdb.url());
  REQUIRE(again.has_value());
  CHECK(render_text(again->plan) == "No changes: the database matches the declarations.\n");
}
