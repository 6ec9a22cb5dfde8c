// The desired state's support objects for target = "postgres": which roles a
// plan creates. Supabase's three API roles come with declarations that are
// Supabase-shaped; a plain PostgreSQL schema (what `schemac import` writes for
// one) gets only the roles it names.
#include "compiler/desired.hpp"

#include <doctest/doctest.h>

#include "schema/compile.hpp"
#include "schema/diagnostics.hpp"

using namespace schemac;

namespace {

std::map<std::string, std::string> roles_created(const std::string& toml) {
  Diagnostics diags;
  auto compiled = compile_schema(std::vector<SourceFile>{{"schema.toml", toml}}, diags);
  REQUIRE(compiled);
  return desired_state(*compiled).role_attributes;
}

const char* kProject = "[project]\ntarget = \"postgres\"\n\n";

}  // namespace

TEST_CASE("target postgres: a plain schema creates no roles, a Supabase-shaped one the three API roles") {
  CHECK(roles_created(std::string(kProject) + "[tables.items.columns]\nid = { type = \"int\", primary_key = true }\n")
            .empty());

  const auto reporting = roles_created(std::string(kProject) +
                                       "[tables.items]\ngrants = { reporting = [\"select\"] }\n"
                                       "[tables.items.columns]\nid = { type = \"int\", primary_key = true }\n");
  CHECK(reporting == std::map<std::string, std::string>{{"reporting", "NOLOGIN NOINHERIT"}});

  const auto api = roles_created(std::string(kProject) +
                                 "[tables.items]\ngrants = { authenticated = [\"select\"] }\n"
                                 "[tables.items.columns]\nid = { type = \"int\", primary_key = true }\n");
  CHECK(api.size() == 3);
  CHECK(api.at("service_role") == "NOLOGIN NOINHERIT BYPASSRLS");
  CHECK(api.at("anon") == "NOLOGIN NOINHERIT");
}

TEST_CASE("a TOML foreign key may reference a table a .sql file declares, naming its columns") {
  const std::string sql = "CREATE TABLE people (id int PRIMARY KEY);\n";
  auto with = [&](const std::string& references) {
    Diagnostics diags;
    auto compiled =
        compile_schema(std::vector<SourceFile>{{"people.sql", sql},
                                               {"teams.toml", std::string(kProject) +
                                                                  "[tables.teams]\nprimary_key = [\"id\"]\n"
                                                                  "[tables.teams.columns]\nid = \"int\"\n"
                                                                  "lead = \"int\"\n[tables.teams.foreign_keys]\n"
                                                                  "teams_lead_fkey = { columns = [\"lead\"], "
                                                                  "references = \"" +
                                                                  references + "\" }\n"}},
                       diags);
    return compiled ? std::string() : diags.render();
  };
  CHECK(with("people(id)").empty());
  CHECK(with("people").find("references public.people, declared in SQL, without naming its columns") !=
        std::string::npos);
  CHECK(with("persons(id)").find("which is not declared") != std::string::npos);
}
