// Finding 1: code must never run as the owner of a SECURITY DEFINER function
// through pg_temp. The attacker creates, in its own temporary schema, a
// domain named like every type the runtime functions use, each with a check
// that calls pg_temp.pwn(); pwn() tries to make authenticated BYPASSRLS and
// notes who it ran as. Then it writes to audited, soft-deleted tables the
// way an API call would. pwn() may run as the attacker (its own casts); it
// must never run as anyone else.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

// Every type name the runtime functions (and auth.uid()/auth.jwt()) use,
// spelled every way PostgreSQL knows them.
const char* kTypeNames[] = {"uuid",        "text", "int8",    "bigint",  "int4",     "integer",
                            "jsonb",       "json", "bool",    "boolean", "regclass", "oid",
                            "timestamptz", "name", "varchar", "trigger", "record",   "anyelement"};

void plant_domains(Attacker& a) {
  const auto claims = claims_for(kUserA, kOrgA);
  a.session("authenticated", claims,
            "CREATE FUNCTION pg_temp.pwn() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
            "  PERFORM pg_catalog.set_config('pwn.ran_as', pg_catalog.concat_ws(',', "
            "    NULLIF(pg_catalog.current_setting('pwn.ran_as', true), ''), current_user), false); "
            "  BEGIN ALTER ROLE authenticated BYPASSRLS; EXCEPTION WHEN insufficient_privilege THEN NULL; END; "
            "  RETURN true; END $$");
  for (const char* type : kTypeNames) {
    // Pseudo-types cannot carry a domain; the attempt is harmless.
    try {
      a.session("authenticated", claims,
                fmt::format("CREATE DOMAIN pg_temp.{0} AS pg_catalog.{0} CHECK (pg_temp.pwn())", type));
    } catch (const pqxx::sql_error&) {
    }
  }
  // Temporary tables named like the transition tables and the audit table.
  for (const char* table : {"new_rows", "old_rows", "audit_trail", "api_keys"})
    a.session("authenticated", claims,
              fmt::format("CREATE TEMP TABLE {} (id uuid, organization_id uuid, deleted_at timestamptz)", table));
}

// Who pwn() ran as, so far in the attacker's session.
std::string ran_as(Attacker& a) {
  return a.db().scalar("SELECT coalesce(current_setting('pwn.ran_as', true), '')").value_or("");
}

}  // namespace

TEST_CASE("a tenant's pg_temp types never run as the owner of audit_changes() or soft_delete()") {
  SaasUnderAttack s;
  Attacker a(s.tdb);
  plant_domains(a);
  // The planted domains are live: the attacker's own cast reaches pwn(), as the attacker.
  a.session("authenticated", claims_for(kUserA, kOrgA), "SELECT '00000000-0000-0000-0000-000000000001'::uuid");
  REQUIRE(ran_as(a) == "authenticated");

  const auto claims = claims_for(kUserA, kOrgA);
  const auto key = s.scalar(fmt::format("SELECT id FROM api_keys WHERE organization_id = '{}'", kOrgA));
  struct Attack {
    const char* what;
    std::string sql;
  };
  for (const auto& attack : {
           Attack{"insert (audit_changes on INSERT)",
                  fmt::format("INSERT INTO public.api_keys (organization_id, name, key_hash) VALUES ('{}', 'x', 'h')",
                              kOrgA)},
           Attack{"update (audit_changes on UPDATE, touch_updated_at)",
                  fmt::format("UPDATE public.api_keys SET name = 'renamed' WHERE id = '{}'", key)},
           Attack{"soft delete by UPDATE (soft_delete, audit_changes)",
                  "UPDATE public.api_keys SET deleted_at = pg_catalog.now() WHERE name = 'x'"},
           Attack{"soft delete by DELETE (soft_delete, audit_changes)",
                  fmt::format("DELETE FROM public.api_keys WHERE id = '{}'", key)},
       }) {
    INFO(attack.what);
    // Straight in the session, where the planted domains are visible.
    a.session("authenticated", claims, attack.sql);
    CHECK(s.scalar("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'authenticated'") == "f");
    CHECK(ran_as(a) == "authenticated");
  }
  // The attacks did happen (they were audited), only not as the owner.
  CHECK(s.scalar("SELECT count(*) FROM audit_trail WHERE table_name = 'api_keys' AND changed_by = '" + kUserA + "'") ==
        "4");
  CHECK(s.scalar(fmt::format("SELECT deleted_at IS NOT NULL FROM api_keys WHERE id = '{}'", key)) == "t");
}

TEST_CASE("only the owner may execute the runtime functions, and a tenant cannot attach them to a table of its own") {
  for (const std::string target : {"postgres", "supabase"}) {
    INFO("target " << target);
    SaasUnderAttack s(target);
    for (const char* fn : {"audit_changes", "soft_delete", "soft_delete_mark", "touch_updated_at", "refuse_key_change"})
      for (const char* role : {"public", "anon", "authenticated", "service_role"}) {
        INFO(fn << " by " << role);
        const std::string grantee = std::string(role) == "public" ? "0" : fmt::format("'{}'::regrole", role);
        CHECK(s.scalar(fmt::format(
                  "SELECT count(*) FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a "
                  "WHERE p.oid = 'public.{}()'::regprocedure AND a.grantee = {} AND a.privilege_type = 'EXECUTE'",
                  fn, grantee)) == "0");
      }
    Attacker a(s.tdb);
    const auto claims = claims_for(kUserA, kOrgA);
    a.session("authenticated", claims, "CREATE TEMP TABLE mine (id uuid PRIMARY KEY, deleted_at timestamptz)");
    // With EXECUTE, soft_delete('id') on a table of the attacker's would run its UPDATE as the owner.
    CHECK(a.refused("authenticated", claims,
                    "CREATE TRIGGER pwn BEFORE DELETE ON pg_temp.mine FOR EACH ROW EXECUTE FUNCTION "
                    "public.soft_delete('id')") == "42501");
    // With EXECUTE, soft_delete_mark would mark deleted whatever rows of a table the queue names.
    CHECK(a.refused("authenticated", claims,
                    "CREATE TRIGGER pwn AFTER DELETE ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION "
                    "public.soft_delete_mark('id')") == "42501");
    // The queue names the rows soft_delete_mark() marks as the owner: no API role may read or write it.
    for (const char* sql :
         {"SELECT count(*) FROM public.soft_delete_queue",
          "INSERT INTO public.soft_delete_queue VALUES (pg_backend_pid(), 'api_keys'::regclass, '{}')",
          "DELETE FROM public.soft_delete_queue"}) {
      INFO(sql);
      CHECK(a.refused("authenticated", claims, sql) == "42501");
      CHECK(a.refused("anon", "{}", sql) == "42501");
    }
    // With EXECUTE, audit_changes with arguments of its choosing would write any table as the owner.
    CHECK(a.refused("authenticated", claims,
                    "CREATE TRIGGER pwn AFTER INSERT ON pg_temp.mine REFERENCING NEW TABLE AS new_rows FOR EACH "
                    "STATEMENT EXECUTE FUNCTION public.audit_changes('id', '', '', 'public', 'organizations')") ==
          "42501");
  }
}

TEST_CASE("every runtime SECURITY DEFINER function pins search_path to pg_catalog, pg_temp") {
  SaasUnderAttack s;
  auto rows = s.admin.query(
      "SELECT p.proname, p.proconfig[1], array_length(p.proconfig, 1), p.proconfig::text FROM pg_proc p "
      "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('public', 'auth') AND p.prosecdef ORDER BY 1");
  REQUIRE(rows.size() == 3);  // audit_changes, soft_delete, soft_delete_mark
  for (const auto& r : rows) {
    INFO(r[0].c_str(), " ", r[3].c_str());
    CHECK(std::string(r[1].c_str()) == "search_path=pg_catalog, pg_temp");
    // Besides it, audit_changes and soft_delete_mark turn JIT off (the planner
    // cannot see how many rows a transition table or the queue holds), and
    // audit_changes nested loops (its kept plans serve statements of any size).
    const std::string name = r[0].c_str();
    CHECK(r[2].as<int>() == (name == "soft_delete" ? 1 : name == "audit_changes" ? 3 : 2));
  }
}
