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
  const auto dir = schema_folder("mixed", {{"schema.toml", kProjects}, {"objects.sql", kProjectsSql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  // Ordered by dependency: the enum before the table that uses it, the view after.
  const auto* type = step_starting(first.plan, "CREATE TYPE \"public\".\"stage\"");
  const auto* table = step_starting(first.plan, "CREATE TABLE \"public\".\"projects\"");
  const auto* view = step_starting(first.plan, "CREATE OR REPLACE VIEW \"public\".\"live_projects\"");
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
  const auto dir2 = schema_folder("mixed2", {{"schema.toml", kProjects}, {"objects.sql", with_value}});
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
  const auto dir = schema_folder("kept", {{"schema.toml", toml}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  db.exec("CREATE VIEW cheap AS SELECT id, price FROM items WHERE price < 10; COMMENT ON VIEW cheap IS 'kept'");
  auto same = plan_for(dir, tdb.url());
  CHECK(same.plan.empty());
  CHECK(same.plan.unmanaged_objects == std::vector<std::string>{"view public.cheap"});

  std::string wider = toml;
  wider.replace(wider.find("\"integer\""), 9, "\"bigint\"");
  const auto dir2 = schema_folder("kept2", {{"schema.toml", wider}});
  auto change = plan_for(dir2, tdb.url());
  INFO(render_text(change.plan));
  const auto* drop = step_starting(change.plan, "DROP VIEW \"public\".\"cheap\"");
  const auto* type = step_starting(change.plan, "ALTER TABLE \"public\".\"items\" ALTER COLUMN \"price\" TYPE bigint");
  const auto* again = step_starting(change.plan, "CREATE OR REPLACE VIEW \"public\".\"cheap\"");
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
  const auto dir = schema_folder("dropping", {{"schema.toml", toml}});
  db.exec("CREATE FUNCTION public.helper() RETURNS int LANGUAGE sql AS 'SELECT 1'");
  auto plan = plan_for(dir, tdb.url());
  const auto* drop = step_starting(plan.plan, "DROP FUNCTION \"public\".\"helper\"()");
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
  const auto dir =
      schema_folder("auth_trigger", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"app.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  const auto* trigger = step_starting(first.plan, "CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users");
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
  const auto dir =
      schema_folder("enum_before", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", before}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  Db db = tdb.connect();
  db.exec("INSERT INTO projects VALUES (1, 'live', '{idea,live}'), (2, 'idea', NULL)");

  std::string after = before;
  after.replace(after.find("'idea', 'old', 'live'"), 21, "'idea', 'live'");
  const auto dir2 =
      schema_folder("enum_after", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", after}});
  auto swap = plan_for(dir2, tdb.url());
  INFO(render_text(swap.plan));
  const auto hazards = swap.plan.hazards();
  CHECK(hazards.count("enum-value-removed"));
  CHECK(hazard_blocks("enum-value-removed"));
  REQUIRE(step_starting(swap.plan, "ALTER TYPE \"public\".\"stage\" RENAME TO \"stage__schemac_old\""));
  REQUIRE(step_starting(swap.plan,
                        "ALTER TABLE \"public\".\"projects\" ALTER COLUMN \"history\" TYPE \"public\".\"stage\"[]"));
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
  const auto dir = schema_folder("comments", {{"schema.toml", toml}, {"notes.sql", sql}});
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
  const auto dir2 = schema_folder("comments2", {{"schema.toml", toml}, {"notes.sql", changed}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  REQUIRE(plan.plan.steps.size() == 2);
  CHECK(step_starting(plan.plan, "COMMENT ON INDEX \"public\".\"notes_body_idx\" IS 'full text'"));
  CHECK(step_starting(plan.plan, "COMMENT ON TRIGGER \"notes_keep\" ON \"public\".\"notes\" IS NULL"));
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
  const auto dir =
      schema_folder("row_domain", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  const auto* base = step_starting(first.plan, "CREATE TABLE \"public\".\"z_rows\"");
  const auto* domain = step_starting(first.plan, "CREATE DOMAIN \"public\".\"address\"");
  const auto* uses = step_starting(first.plan, "CREATE TABLE \"public\".\"a_people\"");
  const auto* function = step_starting(first.plan, "CREATE OR REPLACE FUNCTION public.a_home");
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
      schema_folder("fk_index_before", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", before}});
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
      schema_folder("fk_index_after", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"s.sql", after}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  const auto* index = step_starting(plan.plan, "CREATE UNIQUE INDEX CONCURRENTLY \"parents_id_tenant\"");
  const auto* child_fk = step_starting(plan.plan, "ALTER TABLE \"public\".\"children\" ADD CONSTRAINT");
  const auto* other_fk = step_starting(plan.plan, "ALTER TABLE \"public\".\"others\" ADD CONSTRAINT \"others_parent\"");
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
  const auto dir =
      schema_folder("fk_key_before", {{"schemac.toml", toml},
                                      {"s.sql", std::string("CREATE TABLE cases (id integer NOT NULL, name text, "
                                                            "CONSTRAINT cases_id_key UNIQUE (id));") +
                                                    notes}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());
  Db db = tdb.connect();
  db.exec("INSERT INTO cases VALUES (1, 'a'); INSERT INTO notes VALUES (1, 1)");

  // The unique constraint becomes a primary key: the old one is dropped as undeclared.
  const auto dir2 = schema_folder(
      "fk_key_pk", {{"schemac.toml", toml},
                    {"s.sql", std::string("CREATE TABLE cases (id integer PRIMARY KEY, name text);") + notes}});
  auto pk = plan_for(dir2, tdb.url());
  INFO(render_text(pk.plan));
  const auto* drop_fk = step_starting(pk.plan, "ALTER TABLE \"public\".\"notes\" DROP CONSTRAINT \"notes_case\"");
  const auto* drop_key = step_starting(pk.plan, "ALTER TABLE \"public\".\"cases\" DROP CONSTRAINT \"cases_id_key\"");
  const auto* add_fk = step_starting(pk.plan, "ALTER TABLE \"public\".\"notes\" ADD CONSTRAINT \"notes_case\"");
  const auto* validate = step_starting(pk.plan, "ALTER TABLE \"public\".\"notes\" VALIDATE CONSTRAINT \"notes_case\"");
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
  const auto dir3 = schema_folder("fk_key_include", {{"schemac.toml", toml},
                                                     {"s.sql", std::string("CREATE TABLE cases (id integer, name text, "
                                                                           "PRIMARY KEY (id) INCLUDE (name));") +
                                                                   notes}});
  auto include = plan_for(dir3, tdb.url());
  INFO(render_text(include.plan));
  const auto* drop_again =
      step_starting(include.plan, "ALTER TABLE \"public\".\"notes\" DROP CONSTRAINT \"notes_case\"");
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
  const auto dir = schema_folder("written_before", {{"schemac.toml", toml},
                                                    {"s.sql",
                                                     "CREATE TABLE orders (id integer PRIMARY KEY, status "
                                                     "varchar(10) NOT NULL);"}});
  apply_outcome(plan_for(dir, tdb.url()), tdb.url());

  // `IN` on a varchar column prints with casts that print otherwise once parsed again.
  const std::string body =
      "(id integer PRIMARY KEY, status varchar(10) NOT NULL, kind varchar(10) DEFAULT 'a'::varchar(10) || 'b' "
      "CHECK (kind IN ('ab', 'cd')), CONSTRAINT check_valid_status CHECK (status IN ('pending', 'shipped')))";
  const auto dir2 =
      schema_folder("written_after", {{"schemac.toml", toml}, {"s.sql", "CREATE TABLE orders " + body + ";"}});
  auto plan = plan_for(dir2, tdb.url());
  INFO(render_text(plan.plan));
  const auto* check =
      step_starting(plan.plan, "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"check_valid_status\"");
  const auto* unnamed =
      step_starting(plan.plan, "ALTER TABLE \"public\".\"orders\" ADD CONSTRAINT \"orders_kind_check\"");
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
  const auto dir = schema_folder("definer", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                                             {"f.sql", create + "ALTER FUNCTION public.f() SECURITY DEFINER;\n"}});
  auto run = run_schemac("apply --auto-approve --schema " + dir, tdb.url());
  INFO(run.out);
  CHECK(run.code == 1);
  CHECK(
      run.out.find("f.sql:1:1: error: function public.f(): a SECURITY DEFINER function without a pinned search_path") !=
      std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'f'") == "0");
  // Pinned in the same ALTER: accepted.
  const auto pinned = schema_folder(
      "definer2", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                   {"f.sql", create + "ALTER FUNCTION public.f() SECURITY DEFINER SET search_path = pg_catalog, "
                                      "pg_temp;\n"}});
  CHECK(run_schemac("apply --auto-approve --schema " + pinned, tdb.url()).code == 0);
  CHECK(db.scalar("SELECT prosecdef FROM pg_proc WHERE proname = 'f'") == "t");
}

namespace {

bool lists(const Plan& plan, const std::string& what) {
  return std::find(plan.unmanaged_objects.begin(), plan.unmanaged_objects.end(), what) != plan.unmanaged_objects.end();
}

}  // namespace

TEST_CASE("default privileges: FOR ROLE and SET ROLE, new tables lose what a REVOKE took, undeclared ones kept") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dp_reader') THEN CREATE ROLE dp_reader; "
      "END IF; IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dp_app') THEN CREATE ROLE dp_app; END IF; "
      "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dp_admin') THEN CREATE ROLE dp_admin; END IF; END $$");
  const auto me = *db.scalar("SELECT current_user");
  // What the database already has that no file declares.
  db.exec("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO dp_reader");
  db.exec("ALTER DEFAULT PRIVILEGES FOR ROLE dp_admin IN SCHEMA public GRANT UPDATE ON TABLES TO dp_reader");
  const std::string sql = R"sql(DO $$ BEGIN EXECUTE format('GRANT dp_admin TO %I', current_user); END $$;
SET ROLE dp_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO dp_app;
RESET ROLE;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dp_reader;
CREATE TABLE notes (id integer PRIMARY KEY, body text);
REVOKE SELECT ON notes FROM dp_reader;
)sql";
  const auto dir =
      schema_folder("default_privileges", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"app.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  // SET ROLE before it: the role's default privileges, said with FOR ROLE.
  const auto* admin = step_starting(first.plan,
                                    "ALTER DEFAULT PRIVILEGES FOR ROLE \"dp_admin\" IN SCHEMA \"public\" GRANT "
                                    "INSERT, SELECT ON TABLES TO \"dp_app\"");
  REQUIRE(admin);
  CHECK(admin->origin.describe() == fmt::format("declared at {}/app.sql:3:1", dir));
  CHECK(std::find(admin->hazards.begin(), admin->hazards.end(), "authz-change") != admin->hazards.end());
  CHECK_FALSE(admin->locks_existing);
  // Without FOR ROLE: the user who plans. In every schema, a REVOKE from the built-in default.
  const auto mine = fmt::format("ALTER DEFAULT PRIVILEGES FOR ROLE {}", quote_ident(me));
  const auto* functions = step_starting(first.plan, mine + " REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC");
  const auto* reader =
      step_starting(first.plan, mine + " IN SCHEMA \"public\" GRANT SELECT ON TABLES TO \"dp_reader\"");
  const auto* table = step_starting(first.plan, "CREATE TABLE \"public\".\"notes\"");
  REQUIRE(functions);
  REQUIRE(reader);
  REQUIRE(table);
  CHECK(reader < table);  // the new table gets the new default privileges...
  // ...and loses what the declarations revoked, in the same transaction.
  const auto* revoke = step_starting(first.plan, "REVOKE ALL ON TABLE \"public\".\"notes\" FROM \"dp_reader\"");
  REQUIRE(revoke);
  CHECK(revoke->group == table->group);
  // What no declaration speaks of is kept and listed.
  CHECK(step_starting(first.plan, mine + " IN SCHEMA \"public\" REVOKE") == nullptr);
  CHECK(step_starting(first.plan, "ALTER DEFAULT PRIVILEGES FOR ROLE \"dp_admin\" IN SCHEMA \"public\" REVOKE") ==
        nullptr);
  CHECK(lists(first.plan, "default privileges of role " + me + " in schema public on sequences to dp_reader"));
  CHECK(lists(first.plan, "default privileges of role dp_admin in schema public on tables to dp_reader"));

  apply_outcome(first, tdb.url());
  auto second = plan_for(dir, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  CHECK(db.scalar("SELECT has_table_privilege('dp_reader', 'public.notes', 'SELECT')") == "f");
  CHECK(db.scalar("SELECT string_agg(p, ',' ORDER BY p) FROM (SELECT a.privilege_type AS p FROM pg_default_acl d, "
                  "aclexplode(d.defaclacl) a WHERE d.defaclrole = 'dp_admin'::regrole AND d.defaclobjtype = 'r' "
                  "AND a.grantee = 'dp_app'::regrole) s") == "INSERT,SELECT");
  CHECK(db.scalar("SELECT count(*) FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE d.defaclnamespace = 0 AND "
                  "d.defaclobjtype = 'f' AND a.grantee = 0") == "0");
  // A table the owner creates now gets the declared default privileges.
  db.exec("CREATE TABLE public.later (id int)");
  CHECK(db.scalar("SELECT has_table_privilege('dp_reader', 'public.later', 'SELECT')") == "t");
  db.exec("DROP TABLE public.later");

  // The reader's default grant no longer declared: kept by default (never destroyed by omission)...
  std::string without = sql;
  without.erase(without.find("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dp_reader;\n"),
                std::string("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dp_reader;\n").size());
  const auto kept = schema_folder("default_privileges_kept",
                                  {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"app.sql", without}});
  auto third = plan_for(kept, tdb.url());
  INFO(render_text(third.plan));
  CHECK(step_starting(third.plan, mine + " IN SCHEMA \"public\" REVOKE") == nullptr);
  CHECK(lists(third.plan, "default privileges of role " + me + " in schema public on tables to dp_reader"));
  // ...and revoked, blocking until allowed, with undeclared_objects = "drop".
  const auto dropping = schema_folder(
      "default_privileges_drop",
      {{"schemac.toml", "[project]\ntarget = \"postgres\"\nundeclared_objects = \"drop\"\n"}, {"app.sql", without}});
  auto fourth = plan_for(dropping, tdb.url());
  INFO(render_text(fourth.plan));
  const auto* drop =
      step_starting(fourth.plan, mine + " IN SCHEMA \"public\" REVOKE SELECT ON TABLES FROM \"dp_reader\"");
  REQUIRE(drop);
  CHECK(drop->drops_kind == "default privilege grant");
  CHECK(std::find(drop->hazards.begin(), drop->hazards.end(), kDropsUndeclared) != drop->hazards.end());
}

TEST_CASE(
    "publications: Supabase's supabase_realtime gets the declared tables, a declared one follows its "
    "declaration, replica identity in SQL and TOML") {
  TestDatabase tdb;
  Db db = tdb.connect();
  // The platform's publication, with a table someone added by hand; another nobody declares.
  db.exec(
      "CREATE TABLE public.legacy (id int PRIMARY KEY); CREATE PUBLICATION supabase_realtime FOR TABLE public.legacy; "
      "CREATE PUBLICATION other_feed");
  const std::string toml = R"toml(
[project]
target = "postgres"

[tables.rooms]
replica_identity = "using index rooms_name_key"
[tables.rooms.columns]
id = { type = "bigint", primary_key = true }
name = { type = "text", unique = true }

[tables.messages]
[tables.messages.columns]
id = { type = "bigint", primary_key = true }
room_id = { type = "bigint", references = "rooms(id)" }
body = { type = "text" }
)toml";
  const std::string sql = R"sql(ALTER PUBLICATION supabase_realtime ADD TABLE messages;
ALTER TABLE messages REPLICA IDENTITY FULL;
CREATE PUBLICATION room_feed FOR TABLE rooms (id, name) WHERE (id > 0) WITH (publish = 'insert');
)sql";
  const auto dir = schema_folder("publications", {{"schema.toml", toml}, {"realtime.sql", sql}});
  auto first = plan_for(dir, tdb.url());
  INFO(render_text(first.plan));
  const auto* add =
      step_starting(first.plan, "ALTER PUBLICATION \"supabase_realtime\" ADD TABLE \"public\".\"messages\"");
  const auto* create =
      step_starting(first.plan,
                    "CREATE PUBLICATION \"room_feed\" FOR TABLE \"public\".\"rooms\" (\"id\", \"name\") "
                    "WHERE ((id > 0)) WITH (publish = 'insert', publish_via_partition_root = false)");
  const auto* messages = step_starting(first.plan, "CREATE TABLE \"public\".\"messages\"");
  REQUIRE(add);
  REQUIRE(create);
  REQUIRE(messages);
  CHECK(messages < add);
  CHECK(add->origin.describe() == fmt::format("declared at {}/realtime.sql:1:1", dir));
  // New tables get their replica identity as they are created.
  CHECK(step_starting(first.plan, "ALTER TABLE \"public\".\"messages\" REPLICA IDENTITY FULL"));
  CHECK(step_starting(first.plan, "ALTER TABLE \"public\".\"rooms\" REPLICA IDENTITY USING INDEX \"rooms_name_key\""));
  // Never dropped by omission: the hand-added table and the undeclared publication stay.
  CHECK(step_starting(first.plan, "ALTER PUBLICATION \"supabase_realtime\" DROP") == nullptr);
  CHECK(step_starting(first.plan, "DROP PUBLICATION") == nullptr);
  CHECK(lists(first.plan, "publication other_feed"));
  CHECK(lists(first.plan, "publication supabase_realtime table public.legacy"));
  CHECK(first.plan.not_planned.empty());

  apply_outcome(first, tdb.url());
  auto second = plan_for(dir, tdb.url());
  INFO(render_text(second.plan));
  CHECK(second.plan.empty());
  CHECK(db.scalar("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = "
                  "'supabase_realtime'") == "legacy,messages");
  CHECK(db.scalar("SELECT relreplident FROM pg_class WHERE oid = 'public.messages'::regclass") == "f");
  CHECK(db.scalar("SELECT relreplident FROM pg_class WHERE oid = 'public.rooms'::regclass") == "i");
  CHECK(db.scalar("SELECT pubinsert AND NOT pubupdate FROM pg_publication WHERE pubname = 'room_feed'") == "t");

  // Changed: the row filter, the options, the replica identity (an existing table: ACCESS EXCLUSIVE, briefly).
  std::string changed_sql = sql;
  changed_sql.replace(changed_sql.find("id > 0"), 6, "id > 10");
  changed_sql.replace(changed_sql.find("'insert'"), 8, "'insert, update'");
  changed_sql.replace(changed_sql.find("REPLICA IDENTITY FULL"), 21, "REPLICA IDENTITY DEFAULT");
  std::string changed_toml = toml;
  changed_toml.replace(changed_toml.find("\"using index rooms_name_key\""), 28, "\"full\"");
  const auto dir2 = schema_folder("publications2", {{"schema.toml", changed_toml}, {"realtime.sql", changed_sql}});
  auto third = plan_for(dir2, tdb.url());
  INFO(render_text(third.plan));
  const auto* drop_table = step_starting(third.plan, "ALTER PUBLICATION \"room_feed\" DROP TABLE \"public\".\"rooms\"");
  const auto* add_again =
      step_starting(third.plan,
                    "ALTER PUBLICATION \"room_feed\" ADD TABLE \"public\".\"rooms\" (\"id\", \"name\") WHERE "
                    "((id > 10))");
  const auto* options = step_starting(
      third.plan,
      "ALTER PUBLICATION \"room_feed\" SET (publish = 'insert, update', publish_via_partition_root = false)");
  const auto* full = step_starting(third.plan, "ALTER TABLE \"public\".\"rooms\" REPLICA IDENTITY FULL");
  REQUIRE(drop_table);
  REQUIRE(add_again);
  REQUIRE(options);
  REQUIRE(full);
  CHECK(drop_table->group == add_again->group);  // never out of the publication between two transactions
  CHECK(full->lock.starts_with("ACCESS EXCLUSIVE (brief"));
  // messages: declared in TOML without the key, and its SQL ALTER TABLE now says DEFAULT.
  CHECK(step_starting(third.plan, "ALTER TABLE \"public\".\"messages\" REPLICA IDENTITY DEFAULT"));
  apply_outcome(third, tdb.url());
  auto fourth = plan_for(dir2, tdb.url());
  INFO(render_text(fourth.plan));
  CHECK(fourth.plan.empty());
  CHECK(db.scalar("SELECT relreplident FROM pg_class WHERE oid = 'public.rooms'::regclass") == "f");
  CHECK(db.scalar("SELECT relreplident FROM pg_class WHERE oid = 'public.messages'::regclass") == "d");
  CHECK(db.scalar("SELECT prqual IS NOT NULL AND pg_get_expr(prqual, prrelid) = '(id > 10)' FROM pg_publication_rel "
                  "WHERE prrelid = 'public.rooms'::regclass") == "t");

  // undeclared_objects = "drop": the undeclared publication and the hand-added table go, blocking until allowed.
  std::string dropping = changed_toml;
  dropping.replace(dropping.find("target = \"postgres\""), 19, "target = \"postgres\"\nundeclared_objects = \"drop\"");
  const auto dir3 = schema_folder("publications3", {{"schema.toml", dropping}, {"realtime.sql", changed_sql}});
  auto fifth = plan_for(dir3, tdb.url());
  INFO(render_text(fifth.plan));
  const auto* drop_pub = step_starting(fifth.plan, "DROP PUBLICATION \"other_feed\"");
  const auto* drop_legacy =
      step_starting(fifth.plan, "ALTER PUBLICATION \"supabase_realtime\" DROP TABLE \"public\".\"legacy\"");
  REQUIRE(drop_pub);
  REQUIRE(drop_legacy);
  CHECK(drop_pub->drops_kind == "publication");
  CHECK(drop_legacy->drops_kind == "publication table");
}

TEST_CASE("a foreign key declared NOT VALID is added NOT VALID and never validated, on adoption or from nothing") {
  const char* sql = R"sql(
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE tokens (id bigint PRIMARY KEY, owner_id bigint);
ALTER TABLE ONLY tokens ADD CONSTRAINT tokens_owner FOREIGN KEY (owner_id) REFERENCES users(id) NOT VALID;
)sql";
  const auto dir =
      schema_folder("not_valid", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"schema.sql", sql}});
  SUBCASE("adopted: an old row breaks it, and no plan validates it") {
    TestDatabase tdb;
    Db db = tdb.connect();
    db.exec(sql);
    db.exec("ALTER TABLE tokens DROP CONSTRAINT tokens_owner");
    db.exec("INSERT INTO tokens VALUES (1, 42)");
    db.exec("ALTER TABLE tokens ADD CONSTRAINT tokens_owner FOREIGN KEY (owner_id) REFERENCES users(id) NOT VALID");
    auto plan = plan_for(dir, tdb.url());
    INFO(render_text(plan.plan));
    for (const auto& s : plan.plan.steps) CHECK(s.sql.find("VALIDATE") == std::string::npos);
  }
  SUBCASE("from nothing: made NOT VALID, as declared, and converged") {
    TestDatabase tdb;
    Db db = tdb.connect();
    auto plan = plan_for(dir, tdb.url());
    INFO(render_text(plan.plan));
    apply_outcome(plan, tdb.url());
    CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'tokens_owner'") == "f");
    CHECK(plan_for(dir, tdb.url()).plan.empty());
  }
}

TEST_CASE("a table without a replica identity added to a publication of updates blocks: its UPDATEs would fail") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec("CREATE PUBLICATION supabase_realtime");
  const std::string table = "CREATE TABLE events (at timestamptz NOT NULL, body text);\n";
  const std::string publish = "ALTER PUBLICATION supabase_realtime ADD TABLE events;\n";
  const auto bare =
      schema_folder("replicated_bare", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"events.sql", table}});
  apply_schema(bare, tdb.url());
  db.exec("INSERT INTO events VALUES (now(), 'x')");

  const auto dir = schema_folder(
      "replicated", {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"events.sql", table + publish}});
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  const auto* add = step_starting(plan.plan, "ALTER PUBLICATION \"supabase_realtime\" ADD TABLE \"public\".\"events\"");
  REQUIRE(add);
  CHECK(std::find(add->hazards.begin(), add->hazards.end(), "replica-identity-missing") != add->hazards.end());
  CHECK(hazard_blocks("replica-identity-missing"));
  // What the hazard warns of, once allowed: PostgreSQL refuses the table's UPDATEs.
  apply_outcome(plan, tdb.url());
  CHECK_THROWS_WITH(db.exec("UPDATE events SET body = 'y'"),
                    doctest::Contains("does not have a replica identity and publishes updates"));

  // With REPLICA IDENTITY FULL declared, the same publication is safe: no hazard.
  const auto full = schema_folder("replicated_full",
                                  {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"},
                                   {"events.sql", table + publish + "ALTER TABLE events REPLICA IDENTITY FULL;\n"}});
  auto fixed = plan_for(full, tdb.url());
  INFO(render_text(fixed.plan));
  REQUIRE(fixed.plan.steps.size() == 1);
  CHECK(fixed.plan.hazards().count("replica-identity-missing") == 0);
  apply_outcome(fixed, tdb.url());
  db.exec("UPDATE events SET body = 'y'");
  CHECK(db.scalar("SELECT body FROM events") == "y");
}
