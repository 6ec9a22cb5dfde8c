// What a reviewer reads of a plan, without a database: policy expressions in
// words, locks ranked, steps sorted by the kind of object they change, and a
// pull-request comment that always fits in one comment.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "compiler/review/access_matrix.hpp"
#include "compiler/review/change_kinds.hpp"
#include "compiler/review/locks.hpp"
#include "compiler/review/pull_request.hpp"

using namespace schemac;
using namespace schemac::review;

namespace {

Step step(std::string table, std::string sql, std::string lock = "none", std::vector<std::string> hazards = {}) {
  Step s;
  s.table = std::move(table);
  s.summary = "change " + sql.substr(0, 20);
  s.sql = std::move(sql);
  s.lock = std::move(lock);
  s.hazards = std::move(hazards);
  return s;
}

}  // namespace

TEST_CASE("policy expressions as PostgreSQL prints them, in words") {
  const std::string org = "organization_id";
  // schemac's tenant policy, as pg_get_expr prints it.
  CHECK(describe_rows("((organization_id = ((( SELECT auth.jwt() AS jwt) ->> 'organization_id'::text))::uuid) AND "
                      "(deleted_at IS NULL))",
                      org) == "rows of the caller's organization, not deleted");
  // The audit table's tenant column has another name; the claim says whose it is.
  CHECK(describe_rows("(tenant_id = ((( SELECT auth.jwt() AS jwt) ->> 'organization_id'::text))::uuid)", org) ==
        "rows of the caller's organization");
  CHECK(describe_rows("(user_id = ( SELECT auth.uid() AS uid))", org) == "own rows by user_id");
  CHECK(describe_rows("true", org) == "all rows");
  CHECK(describe_rows("false", org) == "no rows");
  // A membership subquery, broken over lines as pg_get_expr does.
  CHECK(describe_rows("(organization_id IN ( SELECT people.organization_id\n   FROM public.people\n  WHERE "
                      "(people.user_id = auth.uid())))",
                      org) == "rows whose organization_id is one of the caller's in public.people");
  // A live policy of pages (none a declaration could hold) is described, not a crash.
  std::string huge = "(qty > 0)";
  for (int i = 0; i < 20000; ++i) huge += " AND (qty > " + std::to_string(i) + ")";
  CHECK(describe_rows(huge, org).rfind("rows where qty > 0 and qty > 0 and ", 0) == 0);
  std::string long_term = "deleted_at IS NULL OR " + std::string(200000, 'x');
  CHECK(describe_rows(long_term, org).rfind("rows where deleted_at IS NULL OR xxx", 0) == 0);
  // Anything else is quoted, not guessed at; an AND inside a string literal splits nothing.
  CHECK(describe_rows("((status = 'open AND shut'::text) AND (archived = false))", org) ==
        "rows where status = 'open AND shut'::text and archived = false");
}

TEST_CASE("locks are ranked by PostgreSQL's mode, and say how long they are held") {
  auto lock = [](const char* text) { return summarize_lock(step("t", "x", text)); };
  CHECK(lock("ACCESS EXCLUSIVE (brief: blocks reads and writes while it waits and runs)").short_text() ==
        "ACCESS EXCLUSIVE, brief");
  CHECK(lock("ACCESS EXCLUSIVE while every row is rewritten").short_text() ==
        "ACCESS EXCLUSIVE, while every row is rewritten");
  CHECK(lock("SHARE ROW EXCLUSIVE on a and b (brief)").mode == "SHARE ROW EXCLUSIVE");
  CHECK(lock("SHARE on x (brief: blocks writes; nothing is built)").mode == "SHARE");
  CHECK(lock("SHARE UPDATE EXCLUSIVE (reads and writes continue)").short_text() ==
        "SHARE UPDATE EXCLUSIVE, reads and writes continue");
  CHECK(lock("none").short_text() == "none on existing tables");
  CHECK(lock("ACCESS EXCLUSIVE (brief)").strength > lock("SHARE ROW EXCLUSIVE (brief)").strength);
  CHECK(lock("SHARE ROW EXCLUSIVE (brief)").strength > lock("SHARE (brief)").strength);
  CHECK(lock("SHARE (brief)").strength > lock("SHARE UPDATE EXCLUSIVE").strength);
  CHECK(lock("ROW EXCLUSIVE (row locks)").strength > lock("none").strength);
}

TEST_CASE("steps are sorted by the kind of object they change, read from their statement") {
  auto kind = [](const char* sql) { return change_kind(step("t", sql)); };
  CHECK(kind(R"(CREATE TRIGGER "t_x_touch" BEFORE UPDATE ON "public"."x")") == "trigger");
  CHECK(kind(R"(ALTER TABLE "public"."x" ADD CONSTRAINT "c" CHECK (a > 0) NOT VALID)") == "constraint");
  CHECK(kind(R"(ALTER TABLE "public"."x" VALIDATE CONSTRAINT "c")") == "constraint");
  CHECK(kind(R"(ALTER TABLE "public"."x" ADD COLUMN "deleted_at" timestamptz)") == "column");
  CHECK(kind(R"(ALTER TABLE "public"."x" ALTER COLUMN "a" SET DEFAULT now())") == "column");
  CHECK(kind(R"(ALTER TABLE "public"."x" FORCE ROW LEVEL SECURITY)") == "row level security");
  CHECK(kind(R"(CREATE INDEX CONCURRENTLY "i" ON "public"."x" (a))") == "index");
  CHECK(kind(R"(DROP POLICY "Users can see rows" ON "public"."x")") == "policy");
  CHECK(kind(R"(REVOKE ALL ON "public"."x" FROM "anon")") == "privileges");
  CHECK(kind(R"(COMMENT ON TABLE "public"."x" IS 'a trigger, an index')") == "comment");
  CHECK(kind(R"(CREATE TABLE "public"."x" ("id" uuid))") == "table");
  // A quoted identifier named like a keyword is not the keyword.
  CHECK(kind(R"(ALTER TABLE "public"."policy" ADD COLUMN "index" int)") == "column");
}

TEST_CASE("the pull-request comment fits one comment, folding what it must, and says where the rest is") {
  Plan plan;
  // 2,000 tables, each with a column, a trigger and an index: far over 60,000 characters whole.
  for (int i = 0; i < 2000; ++i) {
    auto t = fmt::format("public.t{:04}", i);
    plan.steps.push_back(step(t, fmt::format(R"(ALTER TABLE "public"."t{:04}" ADD COLUMN "note" text)", i),
                              "ACCESS EXCLUSIVE (brief: blocks reads and writes while it waits and runs)"));
    plan.steps.push_back(step(t, fmt::format(R"(CREATE TRIGGER "t_{:04}_touch" BEFORE UPDATE)", i),
                              "SHARE ROW EXCLUSIVE (brief: blocks writes, not reads)"));
    plan.steps.push_back(step(t, fmt::format(R"(CREATE INDEX CONCURRENTLY "i{:04}" ON "public"."t{:04}" (a))", i, i),
                              "SHARE UPDATE EXCLUSIVE (reads and writes continue)", {"index-build"}));
  }
  plan.steps.front().hazards = {"deletes-data"};
  for (std::size_t limit : {60000u, 20000u, 8000u}) {
    CAPTURE(limit);
    const auto md = render_markdown(plan, {.limit = limit, .saved_plan_path = "plan.json"});
    CHECK(md.size() <= limit);
    CHECK(md.find("**Plan: 6000 steps on 2000 tables") != std::string::npos);
    // What blocks apply is never folded away.
    CHECK(md.find("> [!CAUTION]") != std::string::npos);
    CHECK(md.find("**`deletes-data`** on `public.t0000` (step 1)") != std::string::npos);
    CHECK(md.find("left out to fit one comment (" + fmt::format("{}", limit) +
                  " characters at most); the whole "
                  "plan, SQL included, is the saved plan `plan.json`") != std::string::npos);
    CHECK(md.find("```sql") == std::string::npos);
    CHECK(md.find("| `public.t0000` | 3 | 1 column, 1 index, 1 trigger | ACCESS EXCLUSIVE, brief | "
                  "**`deletes-data`** `index-build` |") != std::string::npos);
  }
  // The smallest keeps the overview's first rows and counts the rest.
  CHECK(render_markdown(plan, {.limit = 8000, .saved_plan_path = ""}).find(" more tables | | | | |") !=
        std::string::npos);
  // A small plan is shown whole: steps, and the SQL per table.
  Plan small;
  small.steps.push_back(step("public.x", R"(ALTER TABLE "public"."x" ADD COLUMN "note" text)",
                             "ACCESS EXCLUSIVE (brief: blocks reads and writes while it waits and runs)"));
  const auto whole = render_markdown(small);
  CHECK(whole.find("<details><summary><b><code>public.x</code></b>: 1 step, ACCESS EXCLUSIVE, brief</summary>") !=
        std::string::npos);
  CHECK(whole.find("```sql\n-- 1\nALTER TABLE \"public\".\"x\" ADD COLUMN \"note\" "
                   "text;\n```") != std::string::npos);
  CHECK(whole.find("left out") == std::string::npos);
  // A quoted identifier may hold what markdown and HTML would read: a pipe
  // splits no cell, a tag opens nothing.
  Plan odd;
  odd.steps.push_back(step("public.a|b<i>", R"(ALTER TABLE "public"."a|b<i>" ADD COLUMN "x" text)"));
  const auto escaped = render_markdown(odd);
  CHECK(escaped.find("| `public.a\\|b<i>` | 1 | 1 column |") != std::string::npos);
  CHECK(escaped.find("<summary><b><code>public.a|b&lt;i&gt;</code></b>") != std::string::npos);
}
