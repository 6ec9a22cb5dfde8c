// Declarations in SQL beside TOML, and objects PostgreSQL prints whole,
// planned against a real database the way users meet them.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "compiler/deploy/apply.hpp"
#include "compiler/render.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

namespace {

// A schema folder of the given files in the temporary directory.
std::string folder(const std::string& name, const std::map<std::string, std::string>& files) {
  const auto dir = temp_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [file, text] : files) std::ofstream(fs::path(dir) / file) << text;
  return dir;
}

void apply_outcome(const PlanOutcome& outcome, const std::string& url) {
  Db db(url);
  std::stringstream log;
  apply_plan(db, outcome.plan, {"", -1, false, true}, log);
}

const Step* step_with(const Plan& plan, const std::string& sql_start) {
  for (const auto& s : plan.steps)
    if (s.sql.rfind(sql_start, 0) == 0) return &s;
  return nullptr;
}

const char* kProjects = R"toml(
[project]
target = "postgres"

[tables.projects]
soft_delete = true
touch_updated_at = true
rls = true
[tables.projects.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
name = { type = "text" }
stage = { type = "stage" }
)toml";

const char* kProjectsSql = R"sql(-- the enum the TOML column uses, and a view over the TOML table
CREATE TYPE stage AS ENUM ('idea', 'building', 'live');

CREATE VIEW live_projects WITH (security_invoker = true) AS
  SELECT id, name FROM projects WHERE stage = 'live' AND deleted_at IS NULL;

CREATE FUNCTION project_count() RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) FROM projects $$;
)sql";

}  // namespace

TEST_CASE("a TOML table with flags and its enum, view and function in SQL: applied, converged, origins kept") {
  TestDatabase tdb;
  const auto dir = folder("mixed", {{"schema.toml", kProjects}, {"objects.sql", kProjectsSql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  // Ordered by dependency: the enum before the table that uses it, the view after.
  const auto* type = step_with(first.plan, "CREATE TYPE \"public\".\"stage\"");
  const auto* table = step_with(first.plan, "CREATE TABLE \"public\".\"projects\"");
  const auto* view = step_with(first.plan, "CREATE OR REPLACE VIEW \"public\".\"live_projects\"");
  REQUIRE(type);
  REQUIRE(table);
  REQUIRE(view);
  CHECK(type < table);
  CHECK(table < view);
  // The "why" line names the statement that declared it.
  CHECK(type->origin.describe() == fmt::format("declared at {}/objects.sql:2:1", dir));
  CHECK(view->origin.describe() == fmt::format("declared at {}/objects.sql:4:1", dir));
  apply_outcome(first, tdb.url());
  auto second = plan_for(dir, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());

  // The view works the way the API calls it, flags included: soft-deleted rows are hidden.
  Db db = tdb.connect();
  db.exec("INSERT INTO projects (name, stage) VALUES ('a', 'live'), ('b', 'idea')");
  CHECK(db.scalar("SELECT count(*) FROM live_projects") == "1");
  CHECK(db.scalar("SELECT project_count()") == "2");

  // A new enum value goes where it belongs, in its own transaction.
  auto with_value = std::string(kProjectsSql);
  with_value.replace(with_value.find("'building'"), 10, "'building', 'testing'");
  const auto dir2 = folder("mixed2", {{"schema.toml", kProjects}, {"objects.sql", with_value}});
  auto third = plan_for(dir2, tdb.url());
  INFO(render_text(third.plan));
  REQUIRE(third.plan.steps.size() == 1);
  CHECK(third.plan.steps[0].sql == "ALTER TYPE \"public\".\"stage\" ADD VALUE IF NOT EXISTS 'testing' BEFORE 'live'");
  apply_outcome(third, tdb.url());
  CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = "
                  "'public.stage'::regtype") == "idea,building,testing,live");
  CHECK(plan_for(dir2, tdb.url()).plan.empty());
}

TEST_CASE("an undeclared view is kept and listed, and created again when a column under it changes type") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const char* toml = R"toml(
[project]
target = "postgres"
[tables.items.columns]
id = { type = "bigint", primary_key = true }
price = { type = "integer" }
)toml";
  const auto dir = folder("kept", {{"schema.toml", toml}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  db.exec("CREATE VIEW cheap AS SELECT id, price FROM items WHERE price < 10; COMMENT ON VIEW cheap IS 'kept'");
  auto same = plan_for(dir, tdb.url());
  CHECK(same.plan.empty());
  CHECK(same.plan.unmanaged_objects == std::vector<std::string>{"view public.cheap"});

  std::string wider = toml;
  wider.replace(wider.find("\"integer\""), 9, "\"bigint\"");
  const auto dir2 = folder("kept2", {{"schema.toml", wider}});
  auto change = plan_for(dir2, tdb.url());
  INFO(render_text(change.plan));
  const auto* drop = step_with(change.plan, "DROP VIEW \"public\".\"cheap\"");
  const auto* type = step_with(change.plan, "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"price\" TYPE bigint");
  const auto* again = step_with(change.plan, "CREATE OR REPLACE VIEW \"public\".\"cheap\"");
  REQUIRE(drop);
  REQUIRE(type);
  REQUIRE(again);
  CHECK(drop < type);
  CHECK(type < again);
  apply_outcome(change, tdb.url());
  CHECK(db.scalar("SELECT obj_description('public.cheap'::regclass, 'pg_class')") == "kept");
  CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.cheap'::regclass "
                  "AND attname = 'price'") == "bigint");
  CHECK(plan_for(dir2, tdb.url()).plan.empty());
}

TEST_CASE("undeclared_objects = drop: an undeclared function is a blocking drop, named in the summary") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const char* toml = R"toml(
[project]
target = "postgres"
undeclared_objects = "drop"
[tables.items.columns]
id = { type = "bigint", primary_key = true }
)toml";
  const auto dir = folder("dropping", {{"schema.toml", toml}});
  db.exec("CREATE FUNCTION public.helper() RETURNS int LANGUAGE sql AS 'SELECT 1'");
  auto plan = plan_for(dir, tdb.url());
  const auto* drop = step_with(plan.plan, "DROP FUNCTION \"public\".\"helper\"()");
  REQUIRE(drop);
  CHECK(drop->drops_kind == "function");
  CHECK(hazard_blocks(kDropsUndeclared));
  CHECK(std::find(drop->hazards.begin(), drop->hazards.end(), kDropsUndeclared) != drop->hazards.end());
  CHECK(render_text(plan.plan).find("drops 1 function that no file declares") != std::string::npos);
}

TEST_CASE("a trigger declared on auth.users (outside project.schemas) is created, and the table's own triggers kept") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(
      "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);"
      "CREATE FUNCTION auth.audit_signup() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
      "CREATE TRIGGER supabase_own AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.audit_signup()");
  const char* sql = R"sql(CREATE TABLE profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  email text
);

CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ BEGIN INSERT INTO public.profiles (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END $$;

CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
)sql";
  const auto dir = folder("auth_trigger", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"app.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  const auto* trigger = step_with(first.plan, "CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users");
  REQUIRE(trigger);
  CHECK(trigger->origin.describe() == fmt::format("declared at {}/app.sql:10:1", dir));
  CHECK(std::find(first.plan.unmanaged_objects.begin(), first.plan.unmanaged_objects.end(),
                  "trigger supabase_own on auth.users") != first.plan.unmanaged_objects.end());
  apply_outcome(first, tdb.url());
  auto second = plan_for(dir, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  db.exec("INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com')");
  CHECK(db.scalar("SELECT email FROM public.profiles") == "a@example.com");
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal") ==
        "2");
}

TEST_CASE("an enum label removed: the type is swapped, blocking until allowed, and rows keep their labels") {
  TestDatabase tdb;
  const char* before = R"sql(CREATE TYPE stage AS ENUM ('idea', 'old', 'live');
CREATE TABLE projects (id bigint PRIMARY KEY, stage stage NOT NULL DEFAULT 'idea', history stage[]);
)sql";
  const auto dir = folder("enum_before", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", before}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  Db db = tdb.connect();
  db.exec("INSERT INTO projects VALUES (1, 'live', '{idea,live}'), (2, 'idea', NULL)");

  std::string after = before;
  after.replace(after.find("'idea', 'old', 'live'"), 21, "'idea', 'live'");
  const auto dir2 = folder("enum_after", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", after}});
  auto swap = plan_for(dir2, tdb.url());
  INFO(render_text(swap.plan));
  const auto hazards = swap.plan.hazards();
  CHECK(hazards.count("enum-value-removed"));
  CHECK(hazard_blocks("enum-value-removed"));
  REQUIRE(step_with(swap.plan, "ALTER TYPE \"public\".\"stage\" RENAME TO \"stage__schemac_old\""));
  REQUIRE(
      step_with(swap.plan, "ALTER TABLE \"public\".\"projects\" ALTER COLUMN \"history\" TYPE \"public\".\"stage\"[]"));
  apply_outcome(swap, tdb.url());
  CHECK(db.scalar("SELECT string_agg(stage::text || ':' || coalesce(history::text, '-'), ' ' ORDER BY id) FROM "
                  "projects") == "live:{idea,live} idea:-");
  CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = "
                  "'public.stage'::regtype") == "idea,live");
  CHECK(db.scalar("SELECT count(*) FROM pg_type WHERE typname = 'stage__schemac_old'") == "0");
  auto second = plan_for(dir2, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
}

TEST_CASE(
    "comments on indexes, constraints, triggers and policies: set and removed as SQL declares, kept on TOML tables") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const char* sql = R"sql(
CREATE TABLE notes (id int PRIMARY KEY, body text CONSTRAINT body_short CHECK (length(body) < 100));
CREATE INDEX notes_body_idx ON notes (body);
CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER notes_keep BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION keep();
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_all ON notes USING (true);
COMMENT ON INDEX notes_body_idx IS 'search';
COMMENT ON CONSTRAINT body_short ON notes IS 'short notes';
COMMENT ON TRIGGER notes_keep ON notes IS 'keeps';
COMMENT ON POLICY notes_all ON notes IS 'everyone';
)sql";
  const char* toml = R"toml(
[project]
target = "postgres"
[tables.items.columns]
id = { type = "bigint", primary_key = true }
)toml";
  const auto dir = folder("comments", {{"schema.toml", toml}, {"notes.sql", sql}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  auto comment = [&](const std::string& expr) { return db.scalar("SELECT " + expr).value_or("(none)"); };
  CHECK(comment("obj_description('public.notes_body_idx'::regclass, 'pg_class')") == "search");
  CHECK(comment("obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conname = 'body_short'") ==
        "short notes");
  CHECK(comment("obj_description(oid, 'pg_trigger') FROM pg_trigger WHERE tgname = 'notes_keep'") == "keeps");
  CHECK(comment("obj_description(oid, 'pg_policy') FROM pg_policy WHERE polname = 'notes_all'") == "everyone");
  CHECK(plan_for(dir, tdb.url()).plan.empty());

  // A comment set by hand on a TOML table's index is left alone; on a SQL
  // table, changed and removed as the declarations say.
  db.exec("COMMENT ON INDEX items_pkey IS 'by hand'");
  std::string changed = sql;
  changed.replace(changed.find("'search'"), 8, "'full text'");
  changed.erase(changed.find("COMMENT ON TRIGGER"),
                changed.find("COMMENT ON POLICY") - changed.find("COMMENT ON TRIGGER"));
  const auto dir2 = folder("comments2", {{"schema.toml", toml}, {"notes.sql", changed}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  REQUIRE(plan.plan.steps.size() == 2);
  CHECK(step_with(plan.plan, "COMMENT ON INDEX \"public\".\"notes_body_idx\" IS 'full text'"));
  CHECK(step_with(plan.plan, "COMMENT ON TRIGGER \"notes_keep\" ON \"public\".\"notes\" IS NULL"));
  apply_outcome(plan, tdb.url());
  CHECK(plan_for(dir2, tdb.url()).plan.empty());
  CHECK(comment("obj_description('public.items_pkey'::regclass, 'pg_class')") == "by hand");
}

TEST_CASE("a domain over a table's row type: after that table, before the table that uses it, by pg_depend") {
  TestDatabase tdb;
  // By name the using table would come first; only the dependencies order it.
  const char* sql = R"sql(CREATE TABLE z_rows (street text);
CREATE DOMAIN address AS z_rows;
CREATE TABLE a_people (id bigint PRIMARY KEY, home address);
CREATE FUNCTION a_home(p a_people) RETURNS address LANGUAGE sql AS $$ SELECT p.home $$;
)sql";
  const auto dir = folder("row_domain", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  const auto* base = step_with(first.plan, "CREATE TABLE \"public\".\"z_rows\"");
  const auto* domain = step_with(first.plan, "CREATE DOMAIN \"public\".\"address\"");
  const auto* uses = step_with(first.plan, "CREATE TABLE \"public\".\"a_people\"");
  const auto* function = step_with(first.plan, "CREATE OR REPLACE FUNCTION public.a_home");
  REQUIRE(base);
  REQUIRE(domain);
  REQUIRE(uses);
  REQUIRE(function);
  CHECK(base < domain);
  CHECK(domain < uses);
  CHECK(uses < function);
  apply_outcome(first, tdb.url());
  auto second = plan_for(dir, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
}

TEST_CASE("foreign keys to a unique index the same plan builds are added after it, from a new and an existing table") {
  TestDatabase tdb;
  const char* before = R"sql(CREATE TABLE parents (id bigint PRIMARY KEY, tenant text NOT NULL);
CREATE TABLE others (id bigint PRIMARY KEY, parent_id bigint, tenant text);
)sql";
  const auto dir =
      folder("fk_index_before", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", before}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  Db db = tdb.connect();
  db.exec("INSERT INTO parents VALUES (1, 'a'); INSERT INTO others VALUES (1, 1, 'a')");

  const std::string after = std::string(before) +
                            R"sql(CREATE UNIQUE INDEX parents_id_tenant ON parents (tenant, id);
CREATE TABLE children (id bigint PRIMARY KEY, parent_id bigint, tenant text,
  FOREIGN KEY (parent_id, tenant) REFERENCES parents (id, tenant));
ALTER TABLE others ADD CONSTRAINT others_parent FOREIGN KEY (parent_id, tenant) REFERENCES parents (id, tenant);
)sql";
  const auto dir2 =
      folder("fk_index_after", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", after}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  const auto* index = step_with(plan.plan, "CREATE UNIQUE INDEX CONCURRENTLY \"parents_id_tenant\"");
  const auto* child_fk = step_with(plan.plan, "ALTER TABLE \"public\".\"children\" ADD CONSTRAINT");
  const auto* other_fk = step_with(plan.plan, "ALTER TABLE \"public\".\"others\" ADD CONSTRAINT \"others_parent\"");
  REQUIRE(index);
  REQUIRE(child_fk);
  REQUIRE(other_fk);
  CHECK(index < child_fk);
  CHECK(index < other_fk);
  apply_outcome(plan, tdb.url());
  auto second = plan_for(dir2, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
}

TEST_CASE(
    "a unique key replaced while foreign keys use it: they are dropped and added again around it, then validated") {
  TestDatabase tdb;
  const char* toml = "[project]\ntarget = \"postgres\"\nundeclared_tables = \"drop\"\n";
  const char* notes = R"sql(
CREATE TABLE notes (id integer PRIMARY KEY, case_id integer CONSTRAINT notes_case REFERENCES cases (id) ON DELETE CASCADE);
)sql";
  const auto dir = folder("fk_key_before", {{"schemac.toml", toml},
                                            {"s.sql", std::string("CREATE TABLE cases (id integer NOT NULL, name text, "
                                                                  "CONSTRAINT cases_id_key UNIQUE (id));") +
                                                          notes}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  Db db = tdb.connect();
  db.exec("INSERT INTO cases VALUES (1, 'a'); INSERT INTO notes VALUES (1, 1)");

  // The unique constraint becomes a primary key: the old one is dropped as undeclared.
  const auto dir2 =
      folder("fk_key_pk", {{"schemac.toml", toml},
                           {"s.sql", std::string("CREATE TABLE cases (id integer PRIMARY KEY, name text);") + notes}});
  auto pk = plan_for(dir2, tdb.url());
  INFO(render_text(pk.plan));
  const auto* drop_fk = step_with(pk.plan, "ALTER TABLE \"public\".\"notes\" DROP CONSTRAINT \"notes_case\"");
  const auto* drop_key = step_with(pk.plan, "ALTER TABLE \"public\".\"cases\" DROP CONSTRAINT \"cases_id_key\"");
  const auto* add_fk = step_with(pk.plan, "ALTER TABLE \"public\".\"notes\" ADD CONSTRAINT \"notes_case\"");
  const auto* validate = step_with(pk.plan, "ALTER TABLE \"public\".\"notes\" VALIDATE CONSTRAINT \"notes_case\"");
  REQUIRE(drop_fk);
  REQUIRE(drop_key);
  REQUIRE(add_fk);
  REQUIRE(validate);
  CHECK(drop_fk < drop_key);
  CHECK(drop_key < add_fk);
  CHECK(add_fk < validate);
  // One transaction: the foreign key is never missing.
  CHECK(drop_fk->group == drop_key->group);
  CHECK(add_fk->group == drop_key->group);
  CHECK(add_fk->sql.find("ON DELETE CASCADE NOT VALID") != std::string::npos);
  apply_outcome(pk, tdb.url());
  auto second = plan_for(dir2, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());

  // The primary key itself changes (it now includes a column): the same, around the swap.
  const auto dir3 = folder("fk_key_include", {{"schemac.toml", toml},
                                              {"s.sql", std::string("CREATE TABLE cases (id integer, name text, "
                                                                    "PRIMARY KEY (id) INCLUDE (name));") +
                                                            notes}});
  auto include = plan_for(dir3, tdb.url());
  INFO(render_text(include.plan));
  const auto* drop_again = step_with(include.plan, "ALTER TABLE \"public\".\"notes\" DROP CONSTRAINT \"notes_case\"");
  REQUIRE(drop_again);
  apply_outcome(include, tdb.url());
  auto third = plan_for(dir3, tdb.url());
  INFO(render_text(third.plan));
  CHECK(third.plan.empty());
  db.exec("DELETE FROM cases");
  CHECK(db.scalar("SELECT count(*) FROM notes") == "0");  // ON DELETE CASCADE kept
}

TEST_CASE(
    "a SQL table's checks and defaults are sent as written: the live catalog prints what a direct CREATE prints") {
  TestDatabase tdb;
  const char* toml = "[project]\ntarget = \"postgres\"\n";
  const auto dir = folder("written_before", {{"schemac.toml", toml},
                                             {"s.sql",
                                              "CREATE TABLE orders (id integer PRIMARY KEY, status "
                                              "varchar(10) NOT NULL);"}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());

  // `IN` on a varchar column prints with casts that print otherwise once parsed again.
  const std::string body =
      "(id integer PRIMARY KEY, status varchar(10) NOT NULL, kind varchar(10) DEFAULT 'a'::varchar(10) || 'b' "
      "CHECK (kind IN ('ab', 'cd')), CONSTRAINT check_valid_status CHECK (status IN ('pending', 'shipped')))";
  const auto dir2 = folder("written_after", {{"schemac.toml", toml}, {"s.sql", "CREATE TABLE orders " + body + ";"}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  const auto* check = step_with(plan.plan, "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"check_valid_status\"");
  const auto* unnamed = step_with(plan.plan, "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"orders_kind_check\"");
  REQUIRE(check);
  REQUIRE(unnamed);
  CHECK(check->sql.find("CHECK (status IN ('pending', 'shipped'))") != std::string::npos);
  CHECK(unnamed->sql.find("CHECK (kind IN ('ab', 'cd'))") != std::string::npos);
  apply_outcome(plan, tdb.url());
  auto second = plan_for(dir2, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());

  // The same statement run directly: the catalog prints the same.
  Db db = tdb.connect();
  db.exec("CREATE SCHEMA direct; CREATE TABLE direct.orders " + body);
  auto printed = [&](const std::string& schema) {
    return db.scalar(
        "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint "
        "WHERE contype = 'c' AND conrelid = '" +
        schema + ".orders'::regclass");
  };
  auto defaults = [&](const std::string& schema) {
    return db.scalar("SELECT string_agg(pg_get_expr(adbin, adrelid), '; ') FROM pg_attrdef WHERE adrelid = '" + schema +
                     ".orders'::regclass");
  };
  CHECK(printed("public") == printed("direct"));
  CHECK(defaults("public") == defaults("direct"));
}

TEST_CASE("ALTER FUNCTION ... SECURITY DEFINER without a pinned search_path is refused, the database untouched") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const std::string create = "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n";
  const auto dir = folder("definer", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                                      {"f.sql", create + "ALTER FUNCTION public.f() SECURITY DEFINER;\n"}});
  auto run = run_schemac("apply --auto-approve --schema " + dir, tdb.url());
  INFO(run.out);
  CHECK(run.code == 1);
  CHECK(
      run.out.find("f.sql:1:1: error: function public.f(): a SECURITY DEFINER function without a pinned search_path") !=
      std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'f'") == "0");
  // Pinned in the same ALTER: accepted.
  const auto pinned =
      folder("definer2", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                          {"f.sql", create + "ALTER FUNCTION public.f() SECURITY DEFINER SET search_path = pg_catalog, "
                                             "pg_temp;\n"}});
  CHECK(run_schemac("apply --auto-approve --schema " + pinned, tdb.url()).code == 0);
  CHECK(db.scalar("SELECT prosecdef FROM pg_proc WHERE proname = 'f'") == "t");
}
