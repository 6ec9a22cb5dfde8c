// The desired state's support objects for target = "postgres": which roles a
// plan creates. Supabase's three API roles come with declarations that are
// Supabase-shaped; a plain PostgreSQL schema (what `schemac import` writes for
// one) gets only the roles it names.
#include <doctest/doctest.h>

#include "compiler/desired.hpp"
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
