// The plan a reviewer reads in a pull request (plan --format markdown) and
// who can do what after an authorization change, checked against what the
// roles can then really do, called as the API calls them.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A notes table each user reads by ownership; then the same table tenant_scoped.

const char* kOrganizations = R"toml(
[tables.organizations]
rls = true
[tables.organizations.columns]
id = { type = "uuid", primary_key = true }
)toml";

const char* kOwnNotes = R"toml(
[tables.notes]
rls = true
grants = { authenticated = ["select", "insert", "update", "delete"] }
[tables.notes.columns]
id              = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
organization_id = { type = "uuid" }
user_id         = { type = "uuid", nullable = true }
body            = { type = "text" }
[tables.notes.policies.own_notes]
for   = "select"
to    = ["authenticated"]
using = "user_id = (select auth.uid())"
)toml";

const char* kTenantNotes = R"toml(
[tables.notes]
tenant_scoped = true
grants = { authenticated = ["select", "insert", "update", "delete"] }
[tables.notes.columns]
id      = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
user_id = { type = "uuid", nullable = true }
body    = { type = "text" }
)toml";

const char* kClaimsAlice =
    R"({"sub": "00000000-0000-0000-0000-0000000000a1", "role": "authenticated", "organization_id": "00000000-0000-0000-0000-00000000000a"})";

}  // namespace

TEST_CASE("the seed-audit migration as a pull-request comment: overview, hazards, who can do what, one comment") {
  TestDatabase tdb;
  Db db = tdb.connect();
  load_seed_audit(db);
  const auto saved = temp_path("seed_audit_review.plan.json");
  auto r = run_schemac("plan --no-cache --format markdown --schema " + source_path("examples/saas/schema"), tdb.url());
  INFO(r.out);
  REQUIRE(r.code == 0);
  // GitHub refuses a comment over 65,536 characters.
  CHECK(r.out.size() <= 65000);
  CHECK(r.out.rfind("### schemac plan\n\n**Plan: ", 0) == 0);
  // Blocking hazards first, with what to do.
  CHECK(has(r.out,
            "> [!CAUTION]\n> **Apply stops at these hazards** until each is allowed with `--allow-hazard`:\n"
            "> - **`drops-undeclared`** on `public.api_keys`"));
  CHECK(has(r.out, "Declare them to keep them (`schemac import` writes them out)"));
  // A row per table: its changes, its strongest lock and for how long.
  for (const auto* table : {"api_keys", "automation_rules", "organizations", "outbox", "people", "webhooks"})
    CHECK(has(r.out, fmt::format("| `public.{}` |", table)));
  CHECK(has(r.out, "| ACCESS EXCLUSIVE, brief |"));
  // The seed's ownership policy on people becomes tenant isolation; the
  // membership subquery on api_keys too.
  CHECK(has(r.out,
            "| `public.people` | `authenticated` | select | own rows by created_by | **rows of the caller's "
            "organization, not deleted** |"));
  CHECK(has(r.out,
            "| `public.api_keys` | `authenticated` | select | rows whose organization_id is one of the "
            "caller's in public.people | **rows of the caller's organization, not deleted** |"));
  CHECK(has(r.out,
            "| `public.audit_trail` | `authenticated` | select | no table | **rows of the caller's "
            "organization** |"));
  // Each table's steps folded, with its SQL; the runtime functions' long bodies cut to fit.
  CHECK(has(r.out, "<details><summary><b><code>public.api_keys</code></b>: "));
  CHECK(has(r.out, "```sql\n"));
  CHECK(has(r.out,
            "are cut to fit one comment (65000 characters at most); the whole plan is `schemac "
            "plan --format sql`"));

  // Smaller than the plan: the SQL goes first, and the comment says where the whole plan is.
  auto folded = run_schemac("plan --no-cache --format markdown --markdown-limit 20000 --out " + saved + " --schema " +
                                source_path("examples/saas/schema"),
                            tdb.url());
  INFO(folded.out);
  REQUIRE(folded.code == 0);
  CHECK(folded.out.size() <= 20000);
  CHECK(!has(folded.out, "```sql"));
  CHECK(has(folded.out,
            "left out to fit one comment (20000 characters at most); the whole plan, SQL included, is "
            "the saved plan `" +
                saved + "`"));
  CHECK(has(folded.out, "> - **`drops-undeclared`**"));
}

TEST_CASE("a policy change shows who can do what before and after, and the roles then get exactly that") {
  TestDatabase tdb;
  const auto own = schema_folder(
      "review_own_notes",
      {{"00_project.toml", kOrganizationTenancy}, {"organizations.toml", kOrganizations}, {"notes.toml", kOwnNotes}});
  const auto tenant = schema_folder("review_tenant_notes", {{"00_project.toml", kOrganizationTenancy},
                                                            {"organizations.toml", kOrganizations},
                                                            {"notes.toml", kTenantNotes}});
  apply_schema(own, tdb.url());
  Db db = tdb.connect();
  db.exec(
      "INSERT INTO organizations VALUES ('00000000-0000-0000-0000-00000000000a'), "
      "('00000000-0000-0000-0000-00000000000b')");
  db.exec(
      "INSERT INTO notes (organization_id, user_id, body) VALUES "
      "('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000a1', 'alice'), "
      "('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000a2', 'alice''s colleague'), "
      "('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000000b1', 'another organization')");

  auto text = run_schemac("plan --no-cache --schema " + tenant, tdb.url());
  INFO(text.out);
  REQUIRE(text.code == 0);
  CHECK(has(text.out, "Who can do what (rows each role reaches, before -> after):\n\n  public.notes\n"));
  CHECK(has(text.out, "    authenticated select: own rows by user_id -> rows of the caller's organization\n"));
  CHECK(has(text.out,
            "    authenticated insert, update, delete: none (row level security, no policy) -> rows of the caller's "
            "organization\n"));
  auto md = run_schemac("plan --no-cache --format markdown --schema " + tenant, tdb.url());
  CHECK(has(md.out,
            "| `public.notes` | `authenticated` | select | own rows by user_id | **rows of the caller's "
            "organization** |"));

  // Before: alice reads her own note only, and may not insert.
  auto before = as_role(db, "authenticated", kClaimsAlice, "SELECT body FROM notes ORDER BY body");
  REQUIRE(before.size() == 1);
  CHECK(before[0][0].as<std::string>() == "alice");
  CHECK_THROWS(
      as_role(db, "authenticated", kClaimsAlice,
              "INSERT INTO notes (organization_id, body) VALUES ('00000000-0000-0000-0000-00000000000a', 'x')"));
  apply_schema(tenant, tdb.url());
  // After: every row of her organization, none of the other; she may insert into her own.
  auto after = as_role(db, "authenticated", kClaimsAlice, "SELECT body FROM notes ORDER BY body");
  REQUIRE(after.size() == 2);
  CHECK(after[0][0].as<std::string>() == "alice");
  CHECK(after[1][0].as<std::string>() == "alice's colleague");
  as_role(db, "authenticated", kClaimsAlice,
          "INSERT INTO notes (organization_id, body) VALUES ('00000000-0000-0000-0000-00000000000a', 'new')");
  // Nothing left to change, and nothing to say about access.
  auto again = run_schemac("plan --no-cache --detailed-exitcode --schema " + tenant, tdb.url());
  CHECK(again.code == 0);
  CHECK(!has(again.out, "Who can do what"));
}
