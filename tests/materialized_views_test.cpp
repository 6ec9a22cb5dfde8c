// A materialized view whose query changes, planned against a real database:
// built beside the live one and swapped in, readable throughout, with its
// unique index (REFRESH ... CONCURRENTLY keeps working), grants and comment.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "compiler/render.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

const char* kTarget = "[project]\ntarget = \"postgres\"\n";

const char* kOrders = R"sql(
CREATE TABLE orders (id integer PRIMARY KEY, customer text NOT NULL, amount numeric NOT NULL);
CREATE MATERIALIZED VIEW totals AS
  SELECT customer, sum(amount) AS total FROM orders GROUP BY customer;
CREATE UNIQUE INDEX totals_customer ON totals (customer);
COMMENT ON MATERIALIZED VIEW totals IS 'per customer';
GRANT SELECT ON totals TO mv_reader;
)sql";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

bool has(const Step& s, const std::string& hazard) {
  return std::find(s.hazards.begin(), s.hazards.end(), hazard) != s.hazards.end();
}

}  // namespace

TEST_CASE("a materialized view with a new query is built beside the live one and swapped in, readable throughout") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mv_reader') THEN CREATE ROLE mv_reader; "
      "END IF; END $$");
  apply_schema(schema_folder("mv_before", {{"schemac.toml", kTarget}, {"orders.sql", kOrders}}), tdb.url());
  admin.exec("INSERT INTO orders SELECT g, 'c' || (g % 50), g FROM generate_series(1, 5000) g");
  admin.exec("REFRESH MATERIALIZED VIEW totals");

  // The new query counts orders too, and takes a while (pg_sleep stands for a big one).
  const auto dir =
      schema_folder("mv_after", {{"schemac.toml", kTarget},
                                 {"orders.sql", with(kOrders, "sum(amount) AS total FROM orders GROUP BY customer",
                                                     "sum(amount) AS total, count(*) AS n FROM orders, "
                                                     "LATERAL (SELECT pg_sleep(0.0005)) pause GROUP BY customer")}});
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  const auto* build = step_starting(plan.plan, "CREATE MATERIALIZED VIEW \"public\".\"totals_schemac_new\"");
  const auto* index = step_starting(plan.plan,
                                    "CREATE UNIQUE INDEX \"totals_customer_schemac_new\" ON "
                                    "\"public\".\"totals_schemac_new\" USING btree (customer)");
  const auto* drop = step_starting(plan.plan, "DROP MATERIALIZED VIEW \"public\".\"totals\"");
  const auto* rename = step_starting(plan.plan,
                                     "ALTER MATERIALIZED VIEW \"public\".\"totals_schemac_new\" RENAME TO "
                                     "\"totals\"");
  const auto* index_name = step_starting(plan.plan,
                                         "ALTER INDEX \"public\".\"totals_customer_schemac_new\" RENAME "
                                         "TO totals_customer");
  const auto* grant = step_starting(plan.plan, "GRANT SELECT ON TABLE \"public\".\"totals\" TO \"mv_reader\"");
  const auto* comment = step_starting(plan.plan, "COMMENT ON MATERIALIZED VIEW \"public\".\"totals\"");
  REQUIRE(build);
  REQUIRE(index);
  REQUIRE(drop);
  REQUIRE(rename);
  REQUIRE(index_name);
  REQUIRE(grant);
  REQUIRE(comment);
  // Built first, swapped last, grants and comment back: all in one transaction.
  CHECK(build < index);
  CHECK(index < drop);
  CHECK(drop < rename);
  CHECK(rename < grant);
  for (const auto* s : {index, drop, rename, index_name, grant, comment}) CHECK(s->group == build->group);
  CHECK_FALSE(has(*build, "refresh-concurrently-fails"));

  // While apply runs the new query, readers of totals get the old rows at once.
  auto apply =
      std::async(std::launch::async, [&] { return run_schemac("apply --auto-approve --schema " + dir, tdb.url()); });
  Db reader = tdb.connect();
  reader.exec("SET lock_timeout = '200ms'");
  int reads = 0;
  while (apply.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (admin.scalar("SELECT count(*) FROM pg_class WHERE relname = 'totals_schemac_new'") == "1") break;
    CHECK(reader.scalar("SELECT count(*) FROM totals") == "50");
    ++reads;
  }
  const auto result = apply.get();
  INFO(result.out);
  REQUIRE(result.code == 0);
  MESSAGE(reads << " reads of totals while the new query ran");
  CHECK(reads > 0);

  CHECK(admin.scalar("SELECT sum(n) FROM totals") == "5000");
  admin.exec("REFRESH MATERIALIZED VIEW CONCURRENTLY totals");  // its unique index is back, by its name
  CHECK(admin.scalar("SELECT count(*) FROM pg_class WHERE relname LIKE '%schemac_new%'") == "0");
  CHECK(admin.scalar("SELECT has_table_privilege('mv_reader', 'public.totals', 'SELECT')") == "t");
  CHECK(admin.scalar("SELECT obj_description('public.totals'::regclass, 'pg_class')") == "per customer");
  auto again = plan_for(dir, tdb.url());
  INFO(render_text(again.plan));
  CHECK(again.plan.empty());

  // A declaration without the unique index: the plan says REFRESH CONCURRENTLY will fail.
  const auto no_key = schema_folder(
      "mv_no_key", {{"schemac.toml", kTarget},
                    {"orders.sql", with(read_file(dir + "/orders.sql"),
                                        "CREATE UNIQUE INDEX totals_customer ON totals (customer);", "")}});
  auto loses = plan_for(no_key, tdb.url());
  INFO(render_text(loses.plan));
  const auto* drop_index = step_starting(loses.plan, "DROP INDEX CONCURRENTLY");
  REQUIRE(drop_index);
  CHECK(has(*drop_index, "refresh-concurrently-fails"));
}

TEST_CASE("a materialized view that a view reads is dropped and created again with it, grants kept") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mv_reader') THEN CREATE ROLE mv_reader; "
      "END IF; END $$");
  const std::string over =
      "CREATE VIEW big_totals AS SELECT customer FROM totals WHERE total > 10;\n"
      "GRANT SELECT ON big_totals TO mv_reader;\n";
  apply_schema(schema_folder("mv_dep_before", {{"schemac.toml", kTarget}, {"orders.sql", kOrders + over}}), tdb.url());
  const auto dir = schema_folder("mv_dep_after", {{"schemac.toml", kTarget},
                                                  {"orders.sql", with(kOrders + over, "sum(amount) AS total FROM",
                                                                      "sum(amount) AS total, max(id) AS last FROM")}});
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  CHECK(step_starting(plan.plan, "CREATE MATERIALIZED VIEW \"public\".\"totals_schemac_new\"") == nullptr);
  const auto* drop = step_starting(plan.plan, "DROP MATERIALIZED VIEW \"public\".\"totals\"");
  const auto* grant = step_starting(plan.plan, "GRANT SELECT ON TABLE \"public\".\"big_totals\" TO \"mv_reader\"");
  REQUIRE(drop);
  REQUIRE(grant);
  CHECK(grant->group == drop->group);  // nobody finds big_totals without its grant
  apply_outcome(plan, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK(admin.scalar("SELECT has_table_privilege('mv_reader', 'public.big_totals', 'SELECT')") == "t");
}
