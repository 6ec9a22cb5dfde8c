#include "compiler/catalog/introspect.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {
std::size_t queries_to_read(Db& db, int tables) {
  db.exec("DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app");
  for (int i = 0; i < tables; ++i)
    db.exec(fmt::format(
        "CREATE TABLE app.t{0} (id uuid PRIMARY KEY, org uuid NOT NULL, n int CHECK (n > 0), note text DEFAULT 'x');"
        "CREATE INDEX t{0}_org ON app.t{0} (org) WHERE n > 1;"
        "ALTER TABLE app.t{0} ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY p{0} ON app.t{0} USING (org IS NOT NULL);"
        "CREATE TRIGGER tr{0} BEFORE UPDATE ON app.t{0} FOR EACH ROW EXECUTE FUNCTION "
        "suppress_redundant_updates_trigger()",
        i));
  Db reader(db.url());
  auto before = reader.query_count();
  auto catalog = read_catalog(reader, {{"app"}, {}, {}});
  REQUIRE(catalog.tables.size() == static_cast<std::size_t>(tables));
  for (const auto& t : catalog.tables) {
    CHECK(t.columns.size() == 4);
    CHECK(t.indexes.size() == 2);
    CHECK(t.constraints.size() == 2);
    CHECK(t.policies.size() == 1);
    CHECK(t.triggers.size() == 1);
    CHECK(t.rls_enabled);
  }
  return reader.query_count() - before;
}
}  // namespace

TEST_CASE("the catalog reader's query count does not grow with the number of tables") {
  TestDatabase tdb;
  Db db = tdb.connect();
  auto few = queries_to_read(db, 2);
  auto many = queries_to_read(db, 60);
  CHECK(few == many);
  CHECK(few <= 23);  // 22, and one that asks whether queries may run ahead on a second connection
}

TEST_CASE("the catalog reader deparses what PostgreSQL stores") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(
      "CREATE TABLE public.docs (id int PRIMARY KEY, price numeric CHECK (price > 0), status text DEFAULT 'draft', "
      "deleted_at timestamptz); CREATE INDEX docs_live ON docs (status DESC) WHERE deleted_at IS NULL;"
      "ALTER TABLE docs ADD CONSTRAINT docs_status CHECK (status IN ('draft', 'published')) NOT VALID");
  Db reader(tdb.url());
  auto catalog = read_catalog(reader, {{"public"}, {}, {}});
  const auto* t = catalog.table({"public", "docs"});
  REQUIRE(t);
  CHECK(*t->column("status")->default_expr == "'draft'::text");
  CHECK(t->constraint("docs_price_check")->definition == "CHECK ((price > (0)::numeric))");
  CHECK(t->constraint("docs_status")->validated == false);
  CHECK(t->constraint("docs_status")->definition == "CHECK ((status = ANY (ARRAY['draft'::text, 'published'::text])))");
  CHECK(t->index("docs_live")->definition ==
        "CREATE INDEX docs_live ON public.docs USING btree (status DESC) WHERE (deleted_at IS NULL)");
  CHECK(t->index("docs_pkey")->backs_constraint);
}

TEST_CASE("inside a transaction that changed something, the catalog reader sees its changes: nothing is read ahead") {
  // Outside one, triggers, policies, grants and pg_depend are read on a
  // second connection (queries_ahead.hpp), which could not see these.
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec("BEGIN");
  db.exec(
      "CREATE TABLE public.fresh (id int PRIMARY KEY, org int); ALTER TABLE fresh ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY fresh_org ON fresh USING (org IS NOT NULL);"
      "CREATE TRIGGER fresh_same BEFORE UPDATE ON fresh FOR EACH ROW EXECUTE FUNCTION "
      "suppress_redundant_updates_trigger(); GRANT SELECT ON fresh TO PUBLIC;"
      "CREATE VIEW fresh_orgs AS SELECT org FROM fresh");
  const auto inside = read_catalog(db, {{"public"}, {}, {}});
  db.exec("ROLLBACK");
  const auto* t = inside.table({"public", "fresh"});
  REQUIRE(t);
  CHECK(t->policies.size() == 1);
  CHECK(t->triggers.size() == 1);
  CHECK(t->grants.count("public") == 1);
  const auto* view = inside.object("view public.fresh_orgs");
  REQUIRE(view);
  CHECK(view->depends_on == std::vector<std::string>{table_key({"public", "fresh"})});

  // Committed, the same catalog read ahead.
  db.exec(
      "CREATE TABLE public.fresh (id int PRIMARY KEY, org int); CREATE POLICY fresh_org ON fresh USING (org IS NOT "
      "NULL); CREATE VIEW fresh_orgs AS SELECT org FROM fresh");
  const auto outside = read_catalog(db, {{"public"}, {}, {}});
  REQUIRE(outside.table({"public", "fresh"}));
  CHECK(outside.table({"public", "fresh"})->policies.size() == 1);
  REQUIRE(outside.object("view public.fresh_orgs"));
  CHECK(outside.object("view public.fresh_orgs")->depends_on ==
        std::vector<std::string>{table_key({"public", "fresh"})});
}

TEST_CASE("a role allowed one connection reads the whole catalog: what would run ahead runs on its own connection") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const std::string role = "one_conn_" + tdb.name();
  db.exec(fmt::format("CREATE ROLE {} LOGIN PASSWORD 'one' CONNECTION LIMIT 1", quote_ident(role)));
  db.exec(
      "CREATE TABLE public.fresh (id int PRIMARY KEY, org int); ALTER TABLE fresh ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY fresh_org ON fresh USING (org IS NOT NULL);"
      "CREATE TRIGGER fresh_same BEFORE UPDATE ON fresh FOR EACH ROW EXECUTE FUNCTION "
      "suppress_redundant_updates_trigger(); CREATE VIEW fresh_orgs AS SELECT org FROM fresh");
  db.exec(fmt::format("GRANT SELECT ON fresh TO {}", quote_ident(role)));
  {
    Db limited(tdb.url() + " user=" + role + " password=one");
    // The second connection is refused (too many connections for the role).
    const auto cat = read_catalog(limited, {{"public"}, {}, {}});
    const auto* t = cat.table({"public", "fresh"});
    REQUIRE(t);
    CHECK(t->policies.size() == 1);
    CHECK(t->triggers.size() == 1);
    CHECK(t->grants.count(role) == 1);
    REQUIRE(cat.object("view public.fresh_orgs"));
    CHECK(cat.object("view public.fresh_orgs")->depends_on == std::vector<std::string>{table_key({"public", "fresh"})});
  }
  db.exec(fmt::format("DROP OWNED BY {}; DROP ROLE {}", quote_ident(role), quote_ident(role)));
}
