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
// [tenancy] settings in schemac.toml, as a user adopting them would.
void adopt_suggestions(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/tables")) {
    if (entry.path().extension() != ".toml") continue;
    std::istringstream in(read_file(entry.path().string()));
    std::string out, line;
    while (std::getline(in, line)) {
      for (const char* flag : {"audited", "soft_delete", "tenant_scoped", "touch_updated_at"})
        if (line.starts_with(std::string("# ") + flag + " ")) line = std::string(flag) + " = true";
      out += line + "\n";
    }
    std::ofstream(entry.path(), std::ios::trunc) << out;
  }
  std::istringstream in(read_file(dir + "/schemac.toml"));
  std::string out, line;
  bool tenancy = false;
  while (std::getline(in, line)) {
    if (line == "# [tenancy]") tenancy = true;
    if (tenancy && line.starts_with("# "))
      line = line.substr(2, line.find("   #") == std::string::npos ? std::string::npos : line.find("   #") - 2);
    out += line + "\n";
  }
  std::ofstream(dir + "/schemac.toml", std::ios::trunc) << out;
}

TEST_CASE("import suggests the flags the audit points to; adopted, they plan online, apply and isolate tenants") {
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
