// Finding 2: under RLS, the API roles hold exactly what the flags, policies
// and grants say. Supabase's default privileges (ALL, TRUNCATE and TRIGGER
// included) do not survive an apply, and a privilege a policy brought goes
// with the policy.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

std::string privileges(SaasUnderAttack& s, const std::string& table, const std::string& role) {
  return s.scalar(fmt::format(
      "SELECT coalesce(string_agg(privilege_type, ',' ORDER BY privilege_type), '') FROM "
      "information_schema.role_table_grants WHERE table_schema = 'public' AND table_name = '{}' AND grantee = '{}'",
      table, role));
}

}  // namespace

TEST_CASE("on Supabase, a tenant can neither truncate nor attach triggers to the tables schemac manages") {
  SaasUnderAttack s("supabase");
  Attacker a(s.tdb);
  const auto claims = claims_for(kUserA, kOrgA);
  // TRUNCATE would empty every tenant's rows, past RLS and the audit trail.
  for (const char* table : {"api_keys", "webhooks", "organizations", "audit_trail"}) {
    INFO(table);
    CHECK(a.refused("authenticated", claims, fmt::format("TRUNCATE public.{}", table)) == "42501");
    CHECK(a.refused("anon", "{}", fmt::format("TRUNCATE public.{}", table)) == "42501");
  }
  // TRIGGER would let a tenant hook a function of its own into everyone's writes.
  a.session("authenticated", claims,
            "CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$");
  CHECK(a.refused("authenticated", claims,
                  "CREATE TRIGGER swallow BEFORE UPDATE ON public.api_keys FOR EACH ROW EXECUTE FUNCTION "
                  "pg_temp.noop()") == "42501");
  // Exactly the four the tenant policies need: no TRUNCATE, TRIGGER or REFERENCES.
  CHECK(privileges(s, "api_keys", "authenticated") == "DELETE,INSERT,SELECT,UPDATE");
  CHECK(privileges(s, "api_keys", "anon") == "");
  CHECK(privileges(s, "organizations", "authenticated") == "SELECT,UPDATE");
  CHECK(privileges(s, "organizations", "anon") == "");
  // service_role is trusted (it bypasses RLS): where no grants key names it,
  // Supabase's privileges stay; where one does, it gets exactly that.
  CHECK(privileges(s, "organizations", "service_role") == "DELETE,INSERT,REFERENCES,SELECT,TRIGGER,TRUNCATE,UPDATE");
  CHECK(privileges(s, "api_keys", "service_role") ==
        "DELETE,INSERT,SELECT,UPDATE");  // grants = { service_role = ["all"] }
  CHECK(privileges(s, "audit_trail", "service_role") == "");
  // And a second plan has nothing left to do.
  auto schema = saas_schema_with_target("supabase", s.tdb.name() + "_again");
  CHECK(plan_for(schema, s.tdb.url()).plan.empty());
}

TEST_CASE("privileges granted outside schemac on an existing RLS table are revoked, visibly, as authz-change") {
  SaasUnderAttack s;
  s.admin.exec("GRANT ALL ON public.api_keys TO authenticated, anon");
  auto plan = plan_for(source_path("examples/saas/schema"), s.tdb.url()).plan;
  std::string revokes;
  for (const auto& step : plan.steps) {
    if (step.sql.rfind("REVOKE", 0) != 0) continue;
    revokes += step.sql + "\n";
    CHECK(std::find(step.hazards.begin(), step.hazards.end(), "authz-change") != step.hazards.end());
  }
  CHECK(revokes ==
        "REVOKE DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE \"public\".\"api_keys\" FROM "
        "\"anon\"\n"
        "REVOKE REFERENCES, TRIGGER, TRUNCATE ON TABLE \"public\".\"api_keys\" FROM \"authenticated\"\n");
  apply_schema(source_path("examples/saas/schema"), s.tdb.url());
  Attacker a(s.tdb);
  CHECK(a.refused("authenticated", claims_for(kUserA, kOrgA), "TRUNCATE public.api_keys") == "42501");
  CHECK(a.refused("anon", "{}", "SELECT * FROM public.api_keys") == "42501");
}

TEST_CASE("a privilege that a policy brought goes when the policy goes or narrows") {
  TestDatabase tdb;
  const std::string head =
      "[project]\ntarget = \"postgres\"\n[tables.notes]\nrls = true\n"
      "[tables.notes.columns]\nid = { type = \"uuid\", primary_key = true }\nbody = \"text\"\n";
  const std::string all_policy =
      "[tables.notes.policies.notes_mine]\nfor = \"all\"\nto = [\"authenticated\"]\nusing = \"true\"\n";
  const std::string update_policy =
      "[tables.notes.policies.notes_mine]\nfor = \"update\"\nto = [\"authenticated\"]\nusing = \"true\"\n";
  auto v1 = write_temp(tdb.name() + "_v1.toml", head + all_policy);
  auto v2 = write_temp(tdb.name() + "_v2.toml", head + update_policy);
  auto v3 = write_temp(tdb.name() + "_v3.toml", head);
  apply_schema(v1, tdb.url());
  Db admin = tdb.connect();
  admin.exec("INSERT INTO notes VALUES ('00000000-0000-0000-0000-000000000001', 'hello')");
  Attacker a(tdb);
  CHECK(a.request("authenticated", "{}", "SELECT * FROM public.notes").size() == 1);

  // for = "all" narrowed to "update": SELECT, INSERT and DELETE go.
  auto narrowed = plan_for(v2, tdb.url()).plan;
  CHECK_FALSE(narrowed.empty());
  apply_schema(v2, tdb.url());
  CHECK(a.refused("authenticated", "{}", "SELECT * FROM public.notes") == "42501");
  CHECK(a.refused("authenticated", "{}", "DELETE FROM public.notes") == "42501");
  CHECK(plan_for(v2, tdb.url()).plan.empty());

  // The policy removed: nothing is left for authenticated.
  apply_schema(v3, tdb.url());
  CHECK(a.refused("authenticated", "{}", "UPDATE public.notes SET body = 'x'") == "42501");
  CHECK(admin.scalar("SELECT count(*) FROM information_schema.role_table_grants WHERE table_name = 'notes' AND "
                     "grantee = 'authenticated'") == "0");
  CHECK(plan_for(v3, tdb.url()).plan.empty());
}

TEST_CASE("EXECUTE on a runtime function granted after apply is revoked by the next plan, visibly") {
  SaasUnderAttack s;
  s.admin.exec("GRANT EXECUTE ON FUNCTION public.soft_delete() TO authenticated");
  auto plan = plan_for(source_path("examples/saas/schema"), s.tdb.url()).plan;
  REQUIRE(plan.steps.size() == 1);
  CHECK(plan.steps[0].summary == "only the owner may execute public.soft_delete()");
  CHECK(plan.steps[0].sql == "REVOKE ALL ON FUNCTION \"public\".\"soft_delete\"() FROM \"authenticated\"");
  CHECK(plan.steps[0].hazards == std::vector<std::string>{"authz-change"});
  apply_schema(source_path("examples/saas/schema"), s.tdb.url());
  Attacker a(s.tdb);
  const auto claims = claims_for(kUserA, kOrgA);
  a.session("authenticated", claims, "CREATE TEMP TABLE mine (id uuid PRIMARY KEY, deleted_at timestamptz)");
  CHECK(a.refused("authenticated", claims,
                  "CREATE TRIGGER pwn BEFORE DELETE ON pg_temp.mine FOR EACH ROW EXECUTE FUNCTION "
                  "public.soft_delete('id')") == "42501");
  CHECK(plan_for(source_path("examples/saas/schema"), s.tdb.url()).plan.empty());
}
