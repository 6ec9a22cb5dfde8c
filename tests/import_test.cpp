// schemac import (issue 10): the declarations it writes plan to nothing
// against the database they came from, run as a user runs the binary. The
// breadth of the round trip is measured on pgschema's suite (peer-import tests).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/process.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

std::string fresh_folder(const std::string& name) {
  const auto dir = temp_path(name);
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("import of the seed audit's database: the plan that follows is empty, and a second import asks first") {
  TestDatabase database;
  auto db = database.connect();
  load_seed_audit(db);
  const auto dir = fresh_folder("import_seed_audit");

  auto imported = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("Imported 6 tables") != std::string::npos);
  CHECK(read_file(dir + "/schemac.toml").find("target = \"supabase\"") != std::string::npos);
  // In TOML, as they are: indexes built by hand, RLS without FORCE, ownership policies, grants.
  const auto api_keys = read_file(dir + "/tables/api_keys.toml");
  CHECK(api_keys.find("idx_api_keys_active = { columns = [\"organization_id\", \"revoked\"] }") != std::string::npos);
  CHECK(api_keys.find("rls = \"enabled\"") != std::string::npos);
  CHECK(api_keys.find("[tables.api_keys.policies.\"Users can view their org's API keys\"]") != std::string::npos);

  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 0);
  CHECK(planned.out.find("No changes") != std::string::npos);

  // The folder holds declarations now: import never writes over them unasked.
  auto again = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  CHECK(again.code == 1);
  CHECK(again.out.find("already holds files") != std::string::npos);
  CHECK(run_schemac("import --force --schema-dir " + shell_quote(dir), database.url()).code == 0);
}

TEST_CASE(
    "import keeps what a plain dump loses: FK cycles, partition overrides, default privileges, extension schemas") {
  TestDatabase database;
  auto db = database.connect();
  db.exec(R"sql(
    DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schemac_import_reader') THEN
      CREATE ROLE schemac_import_reader; END IF; END $$;
    CREATE SCHEMA utils;
    CREATE EXTENSION hstore WITH SCHEMA utils;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO schemac_import_reader;
    CREATE TABLE departments (id int PRIMARY KEY, manager_id int, tags utils.hstore);
    CREATE TABLE people (id int PRIMARY KEY, department_id int REFERENCES departments,
                         status varchar(10) NOT NULL CHECK (status IN ('active', 'gone')));
    ALTER TABLE departments ADD FOREIGN KEY (manager_id) REFERENCES people ON UPDATE CASCADE;
    REVOKE SELECT ON people FROM schemac_import_reader;
    CREATE TABLE orders (id bigint NOT NULL, region text NOT NULL, priority int DEFAULT 0, notes text)
      PARTITION BY LIST (region);
    CREATE TABLE orders_us PARTITION OF orders (priority DEFAULT 10, notes NOT NULL) FOR VALUES IN ('us');
  )sql");
  const auto dir = fresh_folder("import_breadth");
  auto imported = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(read_file(dir + "/schemas.sql").find("CREATE EXTENSION IF NOT EXISTS \"hstore\" WITH SCHEMA \"utils\"") !=
        std::string::npos);
  // departments is TOML (its ON UPDATE too); people is SQL (a check PostgreSQL prints two ways).
  CHECK(read_file(dir + "/tables/departments.toml").find("on_update = \"cascade\"") != std::string::npos);
  CHECK(read_file(dir + "/tables/people.sql")
            .find("REVOKE ALL ON TABLE \"public\".\"people\" FROM "
                  "\"schemac_import_reader\"") != std::string::npos);

  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 0);

  // The reprinted check is equated to the live one only while they mean the
  // same: a check that says something else is still planned.
  const auto people = dir + "/tables/people.sql";
  auto text = read_file(people);
  const auto gone = text.find("'gone'");
  REQUIRE(gone != std::string::npos);
  text.replace(gone, 6, "'left'");
  { std::ofstream(people, std::ios::trunc) << text; }
  auto changed = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(changed.out);
  CHECK(changed.code == 2);
  CHECK(changed.out.find("'left'") != std::string::npos);
}

TEST_CASE("import --from-sql: Supabase schema files, their trigger on auth.users, and a file PostgreSQL refuses") {
  TestDatabase database;
  auto db = database.connect();
  db.exec(read_file(source_path("tests/supabase_like.sql")));
  db.exec("CREATE TABLE auth.users (id uuid PRIMARY KEY)");
  const auto profiles = write_temp("import_profiles.sql", R"sql(
    create table public.profiles (
      id uuid primary key references auth.users on delete cascade,
      username text unique check (char_length(username) >= 3),
      status varchar(10) not null default 'active' check (status in ('active', 'gone'))
    );
    alter table public.profiles enable row level security;
    create policy "read own" on public.profiles for select to authenticated using ((select auth.uid()) = id);
    create function public.handle_new_user() returns trigger language plpgsql security definer
      set search_path = '' as $$ begin insert into public.profiles (id) values (new.id); return new; end $$;
    create trigger on_auth_user_created after insert on auth.users
      for each row execute procedure public.handle_new_user();
  )sql");
  auto count_temporary = [&] {
    return db.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'schemac\\_import\\_%'");
  };
  const auto before = count_temporary();

  const auto dir = fresh_folder("import_from_sql");
  auto imported = run_schemac(
      fmt::format("import --from-sql {} --schema-dir {}", shell_quote(profiles), shell_quote(dir)), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(read_file(dir + "/triggers.sql").find("CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users") !=
        std::string::npos);
  CHECK(count_temporary() == before);  // the temporary database is gone

  // The database the files describe, built from them, plans to nothing against the import.
  db.exec(read_file(profiles));
  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 0);

  const auto broken = write_temp("import_broken.sql",
                                 "create table public.t (id int primary key);\n"
                                 "create table public.u (t_id int references public.missing);\n");
  const auto nowhere = fresh_folder("import_from_broken_sql");
  auto refused = run_schemac(
      fmt::format("import --from-sql {} --schema-dir {}", shell_quote(broken), shell_quote(nowhere)), database.url());
  INFO(refused.out);
  CHECK(refused.code == 1);
  CHECK(refused.out.find("import_broken.sql: PostgreSQL refused it") != std::string::npos);
  CHECK(refused.out.find("relation \"public.missing\" does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(nowhere));
  CHECK(count_temporary() == before);
}

// Uncomments what import suggested: the flags in each table's file and the
// [tenancy] settings in schemac.toml, as a user adopting them would. The edit is
// the script docs/adoption.md's walk-through runs as $EDITOR: one copy of it.
void adopt_suggestions(const std::string& dir) {
  std::string files;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/tables"))
    if (entry.path().extension() == ".toml") files += " " + shell_quote(entry.path().string());
  std::string out;
  REQUIRE(run_command(fmt::format("python3 {}{} {} 2>&1", shell_quote(source_path("tests/docs/adopt_suggestions.py")),
                                  files, shell_quote(dir + "/schemac.toml")),
                      out) == 0);
}

TEST_CASE("import suggests the flags the audit points to: adopted, they plan online, apply and isolate tenants") {
  TestDatabase database;
  auto db = database.connect();
  load_seed_audit(db);
  const auto dir = fresh_folder("import_flags");
  auto imported = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("suggested: public.api_keys: soft_delete = true") != std::string::npos);
  CHECK(imported.out.find("suggested: public.webhooks: tenant_scoped = true") != std::string::npos);
  // Suggested only: as written, the declarations change nothing.
  CHECK(run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url()).code == 0);

  adopt_suggestions(dir);
  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 2);
  CHECK(planned.out.find("no hazard that blocks apply") != std::string::npos);
  CHECK(planned.out.find("CREATE INDEX CONCURRENTLY \"idx_automation_rules_tenant\"") != std::string::npos);
  CHECK(planned.out.find("ALTER TABLE \"public\".\"api_keys\" FORCE ROW LEVEL SECURITY") != std::string::npos);
  CHECK(planned.out.find("create policy outbox_tenant_select") != std::string::npos);
  auto applied = run_schemac("apply --auto-approve --quiet --no-cache --schema " + shell_quote(dir), database.url());
  INFO(applied.out);
  REQUIRE(applied.code == 0);
  CHECK(run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url()).code == 0);

  // As the API calls it: one organization's member sees that organization's keys only.
  const auto org = *db.scalar("SELECT organization_id::text FROM api_keys ORDER BY created_at LIMIT 1");
  const auto theirs = *db.scalar(fmt::format("SELECT count(*) FROM api_keys WHERE organization_id = '{}'", org));
  const auto all = *db.scalar("SELECT count(*) FROM api_keys");
  REQUIRE(theirs != all);
  auto seen =
      as_role(db, "authenticated",
              fmt::format(R"({{"sub": "{}", "organization_id": "{}"}})", "00000000-0000-0000-0000-000000000001", org),
              "SELECT count(*) FROM api_keys");
  CHECK(seen[0][0].as<std::string>() == theirs);
}

TEST_CASE("import of a database schemac built declares its flags, and only where the plan stays empty") {
  TestDatabase database;
  auto db = database.connect();
  apply_schema(source_path("examples/saas/schema"), database.url());
  const auto dir = fresh_folder("import_own_flags");
  auto imported = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("declared flags: public.api_keys: tenant_scoped, soft_delete, audited, touch_updated_at") !=
        std::string::npos);
  CHECK(imported.out.find("declared flags: public.outbox: tenant_scoped, soft_delete, touch_updated_at") !=
        std::string::npos);
  // organizations' member policy compares its own key with the claim: not a tenant table.
  CHECK(imported.out.find("suggested: public.organizations: tenant_scoped") == std::string::npos);
  // The flags, not the hundreds of lines they generate: no trigger, no tenant
  // policy, no audit table, no runtime function is written out.
  const auto api_keys = read_file(dir + "/tables/api_keys.toml");
  CHECK(api_keys.find(
            "tenant_scoped    = true\nsoft_delete      = true\naudited          = true\ntouch_updated_at = true") !=
        std::string::npos);
  CHECK(api_keys.find("policies") == std::string::npos);
  CHECK(api_keys.find("deleted_at") == std::string::npos);
  CHECK(api_keys.find("organization_id = { type") == std::string::npos);
  // The key to another tenant table is declared as written, the tenancy column left to the flag.
  CHECK(read_file(dir + "/tables/automation_rules.toml")
            .find("{ columns = [\"webhook_id\"], references = \"webhooks(id)\", on_delete = \"set null\" }") !=
        std::string::npos);
  const auto settings = read_file(dir + "/schemac.toml");
  CHECK(settings.find("[tenancy]\ncolumn     = \"organization_id\"") != std::string::npos);
  CHECK(settings.find("claim      = \"organization_id\"") != std::string::npos);
  CHECK(settings.find("tenant_readable = true") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/tables/audit_trail.toml"));
  CHECK_FALSE(std::filesystem::exists(dir + "/triggers.sql"));
  CHECK_FALSE(std::filesystem::exists(dir + "/functions.sql"));
  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 0);

  // An earlier schemac's runtime function: the flags are still declared, and
  // the plan replaces the function, as any plan would after an upgrade.
  db.exec(R"sql(ALTER FUNCTION public.touch_updated_at() SET work_mem = '1MB')sql");
  const auto upgraded = fresh_folder("import_own_flags_upgraded");
  auto older = run_schemac("import --no-cache --schema-dir " + shell_quote(upgraded), database.url());
  INFO(older.out);
  REQUIRE(older.code == 0);
  CHECK(older.out.find("declared flags: public.api_keys: tenant_scoped, soft_delete, audited, touch_updated_at (the "
                       "plan against the database is empty but for the runtime functions)") != std::string::npos);
  CHECK(older.out.find("the plan replaces public.touch_updated_at() with this schemac's version") != std::string::npos);
  auto replaced = run_schemac("plan --no-cache --schema " + shell_quote(upgraded), database.url());
  CHECK(replaced.out.find("Plan: 1 step") != std::string::npos);
  CHECK(replaced.out.find("replace function public.touch_updated_at()") != std::string::npos);
  db.exec("ALTER FUNCTION public.touch_updated_at() RESET work_mem");

  // Someone edited a generated policy by hand: declaring the flag would undo
  // it, so that table's objects are declared as they are, and the plan stays empty.
  db.exec("ALTER POLICY webhooks_tenant_select ON webhooks USING (organization_id IS NOT NULL)");
  const auto edited = fresh_folder("import_own_flags_edited");
  auto again = run_schemac("import --schema-dir " + shell_quote(edited), database.url());
  INFO(again.out);
  REQUIRE(again.code == 0);
  CHECK(again.out.find("flags not declared: public.webhooks: has the objects of tenant_scoped, soft_delete, audited, "
                       "touch_updated_at, declared as they are, not as flags: the plan would") != std::string::npos);
  CHECK(again.out.find("declared flags: public.api_keys: tenant_scoped") != std::string::npos);
  CHECK(read_file(edited + "/tables/webhooks.toml").find("organization_id IS NOT NULL") != std::string::npos);
  auto replanned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(edited), database.url());
  INFO(replanned.out);
  CHECK(replanned.code == 0);
}

TEST_CASE("import suggests the flags hand-written triggers and policies carry out, and says what the plan does") {
  TestDatabase database;
  auto db = database.connect();
  db.exec(read_file(source_path("tests/supabase_like.sql")));
  db.exec(R"sql(
    CREATE TABLE orgs (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
    CREATE TABLE projects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      org_id uuid NOT NULL REFERENCES orgs ON DELETE CASCADE, name text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz, created_at timestamptz);
    CREATE TABLE history (id bigserial PRIMARY KEY, tbl text, op text, row_data jsonb);
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF TG_OP = 'INSERT' THEN NEW.created_at := now(); END IF; NEW.updated_at := now(); RETURN NEW; END $$;
    CREATE FUNCTION mark_deleted() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN UPDATE projects SET deleted_at = now() WHERE id = OLD.id; RETURN NULL; END $$;
    CREATE FUNCTION write_history() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO history (tbl, op, row_data) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(NEW)); RETURN NULL; END $$;
    CREATE TRIGGER projects_updated BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION set_updated_at();
    CREATE TRIGGER projects_soft BEFORE DELETE ON projects FOR EACH ROW EXECUTE FUNCTION mark_deleted();
    CREATE TRIGGER projects_history AFTER INSERT OR UPDATE OR DELETE ON projects
      FOR EACH ROW EXECUTE FUNCTION write_history();
    ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
    CREATE POLICY "org members" ON projects FOR ALL TO authenticated
      USING (org_id = ((auth.jwt() -> 'app_metadata' ->> 'org_id'))::uuid);
  )sql");
  const auto dir = fresh_folder("import_hand_written");
  auto imported = run_schemac("import --schema-dir " + shell_quote(dir), database.url());
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("declared flags:") == std::string::npos);
  // The function sets created_at too (on INSERT): the column named for updates is the one kept.
  CHECK(imported.out.find("touch_updated_at = \"created_at\"") == std::string::npos);
  CHECK(imported.out.find("suggested: public.projects: touch_updated_at = true (trigger projects_updated keeps "
                          "updated_at by hand (public.set_updated_at())") != std::string::npos);
  CHECK(imported.out.find("suggested: public.projects: soft_delete = true (trigger projects_soft turns DELETE into "
                          "setting deleted_at by hand") != std::string::npos);
  CHECK(imported.out.find("suggested: public.projects: audited = true (trigger projects_history writes an audit "
                          "trail by hand") != std::string::npos);
  CHECK(imported.out.find("suggested: public.projects: tenant_scoped = true (policy \"org members\" compares org_id "
                          "with the JWT claim app_metadata.org_id by hand") != std::string::npos);
  CHECK(imported.out.find("hides deleted rows in the tenant policies") != std::string::npos);
  const auto settings = read_file(dir + "/schemac.toml");
  CHECK(settings.find("# column     = \"org_id\"") != std::string::npos);
  CHECK(settings.find("# claim      = \"app_metadata.org_id\"") != std::string::npos);
  CHECK(run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url()).code == 0);

  // Adopted, the plan adds schemac's triggers and policies beside the hand-written ones.
  adopt_suggestions(dir);
  auto planned = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(planned.out);
  CHECK(planned.code == 2);
  for (const char* step : {"create trigger t_projects_touch", "create trigger t_projects_soft_delete",
                           "create trigger t_projects_audit_insert", "create policy projects_tenant_select"})
    CHECK(planned.out.find(step) != std::string::npos);
}

TEST_CASE(
    "import of a database schemac applied gives back its declarations as written, checked from the record alone") {
  TestDatabase database;
  auto db = database.connect();
  // Applied the way deploy jobs do: the reviewed plan, saved, then applied.
  const auto plan_file = temp_path(database.name() + ".plan.json");
  auto planned = run_schemac("plan --no-cache --schema " + source_path("examples/saas/schema") + " --out " + plan_file,
                             database.url());
  REQUIRE_MESSAGE(planned.code == 0, planned.out);
  auto applied = run_schemac("apply " + plan_file + " --auto-approve --quiet", database.url());
  REQUIRE_MESSAGE(applied.code == 0, applied.out);

  // A role that cannot create databases: the plan that checks the flags can
  // only be empty if it needs no scratch database, i.e. if every declaration
  // import writes is one the record knows.
  const std::string importer = "importer_" + database.name();
  db.exec(fmt::format("CREATE ROLE {} LOGIN NOCREATEDB PASSWORD 'import'", quote_ident(importer)));
  db.exec(fmt::format("GRANT USAGE ON SCHEMA schemac TO {0}; GRANT SELECT ON schemac.normalized_forms TO {0}",
                      quote_ident(importer)));
  const auto as_importer = database.url() + " user=" + importer + " password=import";
  const auto dir = fresh_folder("import_recorded_" + database.name());
  // An empty cache: what the check knows comes from the database's record.
  const auto cache = fresh_folder("import_recorded_cache_" + database.name());
  auto imported =
      run_schemac("import --cache-dir " + shell_quote(cache) + " --schema-dir " + shell_quote(dir), as_importer);
  INFO(imported.out);
  REQUIRE(imported.code == 0);
  CHECK(imported.out.find("warning") == std::string::npos);
  for (const char* table : {"api_keys", "automation_rules", "organizations", "outbox", "people", "webhooks"})
    CHECK(imported.out.find(fmt::format("declaration restored from the last apply: public.{0}: tables/{0}.toml",
                                        table)) != std::string::npos);
  CHECK(imported.out.find("declared flags: public.people: tenant_scoped, soft_delete, audited, touch_updated_at") !=
        std::string::npos);
  // As the team wrote it: its SQL, its types, its flags, its unique key (which soft_delete makes an index).
  const auto people = read_file(dir + "/tables/people.toml");
  CHECK(people.find("email      = { type = \"text\", check = \"position('@' in email) > 1\" }") != std::string::npos);
  CHECK(people.find("created_at = { type = \"timestamptz\", default = \"now()\" }") != std::string::npos);
  CHECK(people.find(
            "\ntenant_scoped    = true\nsoft_delete      = true\naudited          = true\ntouch_updated_at = true\n") !=
        std::string::npos);
  CHECK(people.find("[tables.people.unique]\npeople_organization_id_email_key = [\"organization_id\", \"email\"]") !=
        std::string::npos);
  // The stand-ins of target = "postgres" are schemac's, not Supabase's.
  CHECK(read_file(dir + "/schemac.toml").find("target = \"postgres\"") != std::string::npos);
  auto again = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(dir), database.url());
  INFO(again.out);
  CHECK(again.code == 0);

  // Changed by hand since: no longer what the recorded declaration made, so
  // written from the live table, the change included; the others as recorded.
  db.exec("COMMENT ON TABLE webhooks IS 'edited by hand'");
  const auto drifted = fresh_folder("import_recorded_drifted_" + database.name());
  auto second = run_schemac("import --schema-dir " + shell_quote(drifted), database.url());
  INFO(second.out);
  REQUIRE(second.code == 0);
  CHECK(second.out.find("declaration restored from the last apply: public.webhooks") == std::string::npos);
  CHECK(second.out.find("declaration restored from the last apply: public.people") != std::string::npos);
  CHECK(second.out.find("declared flags: public.webhooks: tenant_scoped") != std::string::npos);
  CHECK(read_file(drifted + "/tables/webhooks.toml").find("edited by hand") != std::string::npos);
  auto third = run_schemac("plan --detailed-exitcode --no-cache --schema " + shell_quote(drifted), database.url());
  INFO(third.out);
  CHECK(third.code == 0);
  db.exec(fmt::format("DROP OWNED BY {}; DROP ROLE {}", quote_ident(importer), quote_ident(importer)));
}
