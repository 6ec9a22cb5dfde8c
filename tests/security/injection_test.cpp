// Finding 3: settings that name things are names, checked at `check` with
// their position; nothing from a declaration is pasted into SQL unquoted or
// into a dollar-quoted body it could end.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/process.hpp"
#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

CliRun check(const std::string& path) {
  CliRun r{0, {}};
  r.code = run_command(fmt::format("{} check --schema {} 2>&1", SCHEMAC_BIN, shell_quote(path)), r.out);
  return r;
}

const std::string kTable =
    "[tables.items]\ntenant_scoped = true\naudited = true\n[tables.items.columns]\n"
    "id = { type = \"uuid\", primary_key = true }\n"
    "[tables.organizations]\n[tables.organizations.columns]\nid = { type = \"uuid\", primary_key = true }\n";

}  // namespace

TEST_CASE("an identifier setting carrying SQL is refused at check, with its position, and never reaches a database") {
  TestDatabase tdb;
  Db admin = tdb.connect();
  admin.exec("CREATE TABLE public.victim (id int)");
  struct Case {
    std::string settings;
    std::string message;
  };
  for (const auto& c : {
           Case{"[tenancy]\ncolumn = \"id); DROP TABLE public.victim; --\"\n",
                ":2:1: error: tenancy.column 'id); DROP TABLE public.victim; --' is not a plain name"},
           Case{"[tenancy]\nreferences = \"organizations(id); DROP TABLE public.victim\"\n",
                ":2:14: error: tenancy.references 'organizations(id); DROP TABLE public.victim' is not of the form"},
           Case{"[tenancy]\nreferences = \"organizations(\\\"id\\\")\"\n",
                ":2:1: error: a column of tenancy.references"},
           Case{"[audit]\ntable = \"trail'; DROP TABLE public.victim; --\"\n",
                ":2:1: error: the schema of audit.table 'trail'; DROP TABLE public' is not a plain name"},
           Case{"[audit]\ntable = \"x.y$function$;DROP TABLE public.victim;$function$\"\n",
                ":2:1: error: audit.table 'y$function$;DROP TABLE public.victim;$function$' is not a plain name"},
           Case{"[runtime]\nschema = \"public\\\".x() RETURNS trigger AS $$ $$; DROP TABLE public.victim; --\"\n",
                ":2:1: error: runtime.schema"},
           Case{"[project]\nschemas = [\"public; DROP TABLE public.victim\"]\n", ":2:1: error: schema 'public; DROP"},
           Case{"[tenancy]\nroles = [\"authenticated\\\"; DROP TABLE public.victim; --\"]\n", ":2:1: error: role"},
           Case{fmt::format("[tenancy]\nroles = [\"{}\"]\n", std::string(64, 'r')),
                fmt::format(":2:1: error: role '{}' is 64 bytes long; PostgreSQL names are at most 63",
                            std::string(64, 'r'))},
       }) {
    INFO(c.settings);
    auto path = write_temp(tdb.name() + ".toml", c.settings + kTable);
    auto checked = check(path);
    CHECK(checked.code == 1);
    CHECK(checked.out.find(path + c.message) != std::string::npos);
    INFO(checked.out);
    // plan and apply stop at the same error, whatever --dev-url says.
    CHECK(run_schemac(fmt::format("plan --schema {} --dev-url {}", path, shell_quote(tdb.url())), tdb.url()).code == 1);
    CHECK(run_schemac("apply --auto-approve --schema " + path, tdb.url()).code == 1);
    CHECK(admin.scalar("SELECT count(*) FROM pg_class WHERE relname = 'victim'") == "1");
  }
}

TEST_CASE("a policy role or grants role that is not a plain name is refused at its position") {
  auto path = write_temp("bad_roles.toml",
                         "[tables.notes]\nrls = true\ngrants = { \"x\\\" WITH GRANT OPTION --\" = [\"select\"] }\n"
                         "[tables.notes.columns]\nid = \"uuid\"\n[tables.notes.policies.p]\n"
                         "to = [\"a'b\"]\nusing = \"true\"\n");
  auto checked = check(path);
  INFO(checked.out);
  CHECK(checked.code == 1);
  CHECK(checked.out.find(path + ":3:1: error: role 'x\" WITH GRANT OPTION --' is not a plain name") !=
        std::string::npos);
  CHECK(checked.out.find(path + ":7:1: error: role 'a'b' is not a plain name") != std::string::npos);
}

TEST_CASE("names that contain dollar quotes and double quotes are quoted, never able to end a body") {
  TestDatabase tdb;
  // A role created by a DO block, and a column filled by the backfill's DO
  // block: both bodies are dollar-quoted, and both names hold their tags.
  const std::string role = "r$role$" + tdb.name().substr(tdb.name().size() - 12);
  const std::string v1 = fmt::format(
      "[project]\ntarget = \"postgres\"\n[tables.\"odd\\\"table\"]\nrls = true\naudited = true\n"
      "touch_updated_at = true\n"
      "[tables.\"odd\\\"table\".columns]\nid = {{ type = \"uuid\", primary_key = true, default = "
      "\"gen_random_uuid()\" }}\n"
      "[tables.\"odd\\\"table\".policies.p]\nfor = \"select\"\nto = [\"{}\"]\nusing = \"true\"\n",
      role);
  const std::string v2 = v1 +
                         "[tables.\"odd\\\"table\".columns.\"x$backfill$ \\\"; DROP TABLE y; --\"]\n"
                         "type = \"uuid\"\ndefault = \"gen_random_uuid()\"\n";
  auto p1 = write_temp(tdb.name() + "_v1.toml", v1);
  auto p2 = write_temp(tdb.name() + "_v2.toml", v2);
  apply_schema(p1, tdb.url());
  Db admin = tdb.connect();
  CHECK(admin.scalar(fmt::format("SELECT count(*) FROM pg_roles WHERE rolname = {}", quote_literal(role))) == "1");
  admin.exec("INSERT INTO \"odd\"\"table\" SELECT FROM generate_series(1, 10)");
  auto plan = plan_for(p2, tdb.url()).plan;
  bool backfills = false;
  for (const auto& s : plan.steps) backfills |= s.sql.rfind("DO $backfill_1$", 0) == 0;
  CHECK(backfills);
  apply_schema(p2, tdb.url());
  CHECK(admin.scalar(
            "SELECT count(*) FROM \"odd\"\"table\" WHERE \"x$backfill$ \"\"; DROP TABLE y; --\" IS NOT NULL") == "10");
  CHECK(plan_for(p2, tdb.url()).plan.empty());
  admin.exec(fmt::format("DROP OWNED BY {}", quote_ident(role)));
  admin.exec(fmt::format("DROP ROLE {}", quote_ident(role)));
}
