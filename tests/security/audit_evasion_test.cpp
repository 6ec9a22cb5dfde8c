// Findings 4, 5 and 7: no change escapes the audit trail, and the trail
// shows no tenant another tenant's data.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <tuple>

#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

namespace {

// Sets an api_keys row's updated_at to 2020-01-01 the way schemac's own
// backfill writes (the deploy session with the flag on): touch_updated_at()
// would overwrite the value of any other UPDATE.
void backdate_updated_at(SaasUnderAttack& s, const std::string& key) {
  s.admin.exec("BEGIN");
  s.admin.exec("SET LOCAL schemac.backfill = 'on'");
  s.admin.exec(fmt::format("UPDATE api_keys SET updated_at = '2020-01-01' WHERE id = '{}'", key));
  s.admin.exec("COMMIT");
  REQUIRE(s.scalar(fmt::format("SELECT updated_at FROM api_keys WHERE id = '{}'", key)).starts_with("2020-01-01"));
}

}  // namespace

TEST_CASE("changing an audited row's primary key is refused, for tenants and service_role alike") {
  SaasUnderAttack s;
  Attacker a(s.tdb);
  const auto claims = claims_for(kUserA, kOrgA);
  const auto key = s.scalar(fmt::format("SELECT id FROM api_keys WHERE organization_id = '{}'", kOrgA));
  const auto audited = s.scalar("SELECT count(*) FROM audit_trail");
  // The statement-level trigger pairs old and new rows by key: a new key
  // would leave the key_hash change unrecorded.
  CHECK(a.refused("authenticated", claims,
                  fmt::format("UPDATE public.api_keys SET id = gen_random_uuid(), key_hash = 'stolen' WHERE id = '{}'",
                              key)) == "23000");
  CHECK(s.scalar("SELECT count(*) FROM api_keys WHERE key_hash = 'stolen'") == "0");
  Db service = s.tdb.connect();
  CHECK_THROWS_AS(as_role(service, "service_role", "{}",
                          fmt::format("UPDATE public.api_keys SET id = gen_random_uuid() WHERE id = '{}'", key)),
                  pqxx::sql_error);
  CHECK(s.scalar("SELECT count(*) FROM audit_trail") == audited);
  // The other side: an update that keeps the key (even one that names it) is recorded.
  a.request("authenticated", claims,
            fmt::format("UPDATE public.api_keys SET id = id, key_hash = 'rotated' WHERE id = '{}'", key));
  CHECK(s.scalar(fmt::format("SELECT count(*) FROM audit_trail WHERE record_id = '{}' AND action = 'UPDATE' AND "
                             "new_data ->> 'key_hash' = 'rotated' AND old_data ->> 'key_hash' = 'h-a1'",
                             key)) == "1");
}

TEST_CASE("schemac.backfill skips neither the audit trail nor updated_at for a tenant behind SET ROLE") {
  SaasUnderAttack s;
  const auto key = s.scalar(fmt::format("SELECT id FROM api_keys WHERE organization_id = '{}'", kOrgA));
  const auto backdate = [&] { backdate_updated_at(s, key); };
  backdate();
  const auto audited = std::stol(s.scalar("SELECT count(*) FROM audit_trail"));
  // A superuser session (the pattern of an API layer connected as a
  // superuser) that switches to the tenant, which then sets the flag.
  Db session = s.tdb.connect();
  session.exec("SET ROLE authenticated");
  session.exec(fmt::format("SELECT set_config('request.jwt.claims', '{}', false)", claims_for(kUserA, kOrgA)));
  session.exec("SELECT set_config('schemac.backfill', 'on', false)");
  session.exec(fmt::format("UPDATE public.api_keys SET name = 'unaudited?' WHERE id = '{}'", key));
  CHECK(s.scalar("SELECT count(*) FROM audit_trail") == std::to_string(audited + 1));
  CHECK(s.scalar(fmt::format("SELECT updated_at > '2020-01-01' FROM api_keys WHERE id = '{}'", key)) == "t");
  // The same through the authenticator (a non-superuser login), SET LOCAL ROLE as PostgREST does.
  backdate();
  Attacker a(s.tdb);
  a.db().exec("SELECT set_config('schemac.backfill', 'on', false)");
  a.request("authenticated", claims_for(kUserA, kOrgA),
            fmt::format("UPDATE public.api_keys SET name = 'unaudited again?' WHERE id = '{}'", key));
  CHECK(s.scalar("SELECT count(*) FROM audit_trail") == std::to_string(audited + 2));
  CHECK(s.scalar(fmt::format("SELECT updated_at > '2020-01-01' FROM api_keys WHERE id = '{}'", key)) == "t");
  // A soft delete: the tenant's DELETE becomes an UPDATE that soft_delete_mark()
  // runs as the table's owner, so the backfill test must look at who is
  // behind the session, not at who runs the UPDATE.
  backdate();
  session.exec(fmt::format("DELETE FROM public.api_keys WHERE id = '{}'", key));
  CHECK(s.scalar(fmt::format("SELECT deleted_at IS NOT NULL AND updated_at > '2020-01-01' FROM api_keys "
                             "WHERE id = '{}'",
                             key)) == "t");
}

TEST_CASE("a row moved to another organization shows neither organization the other's data in the audit trail") {
  SaasUnderAttack s;  // examples/saas: audit.tenant_readable = true
  const auto key = s.scalar(fmt::format("SELECT id FROM api_keys WHERE organization_id = '{}'", kOrgA));
  Db service = s.tdb.connect();
  as_role(service, "service_role", "{}",
          fmt::format("UPDATE public.api_keys SET organization_id = '{}', name = 'now globex''s', key_hash = 'h-new' "
                      "WHERE id = '{}'",
                      kOrgB, key));
  Attacker a(s.tdb);
  const std::string history = fmt::format(
      "SELECT string_agg(action || ':' || coalesce(old_data ->> 'key_hash', '-') || ':' || "
      "coalesce(new_data ->> 'key_hash', '-'), ' ' ORDER BY changed_at, action) FROM public.audit_trail "
      "WHERE record_id = '{}'",
      key);
  // The organization it left: the row's creation, then its departure with
  // what it had, and nothing of what it became.
  CHECK(a.request("authenticated", claims_for(kUserA, kOrgA), history)[0][0].as<std::string>() ==
        "INSERT:-:h-a1 DELETE:h-a1:-");
  // The organization it joined: its arrival, and nothing of what it was.
  CHECK(a.request("authenticated", claims_for(kUserB, kOrgB), history)[0][0].as<std::string>() == "INSERT:-:h-new");
  // Nowhere in what either can read is the other's version of the row.
  for (const auto& [org, user, other] : {std::tuple{kOrgA, kUserA, "h-new"}, std::tuple{kOrgB, kUserB, "h-a1"}})
    CHECK(a.request("authenticated", claims_for(user, org),
                    fmt::format("SELECT count(*) FROM public.audit_trail WHERE coalesce(old_data::text, '') || "
                                "coalesce(new_data::text, '') LIKE '%{}%'",
                                other))[0][0]
              .as<std::string>() == "0");
}

TEST_CASE("a tenant's own operators ahead of pg_catalog on its search_path neither skip nor break updated_at") {
  // touch_updated_at() runs as its caller without a pinned search_path (a
  // SET clause cost half its time per row): it must name every operator
  // with its schema, or a caller's = could flip its decisions.
  SaasUnderAttack s;
  s.admin.exec("CREATE SCHEMA tenant_tools");
  s.admin.exec("GRANT USAGE, CREATE ON SCHEMA tenant_tools TO authenticated");
  Attacker a(s.tdb);
  const auto claims = claims_for(kUserA, kOrgA);
  // An = that says any text equals 'on' and 'none' (so the backfill flag
  // reads as on and the role as none; other texts compare as usual, or the
  // tenant's own auth.jwt() would fail), and one that says no two integers or oids are equal.
  a.session("authenticated", claims,
            "CREATE FUNCTION tenant_tools.yes(text, text) RETURNS boolean LANGUAGE sql AS "
            "$$ SELECT $2 OPERATOR(pg_catalog.=) 'on' OR $2 OPERATOR(pg_catalog.=) 'none' "
            "OR $1 OPERATOR(pg_catalog.=) $2 $$; "
            "CREATE OPERATOR tenant_tools.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tenant_tools.yes); "
            "CREATE FUNCTION tenant_tools.no(int4, int4) RETURNS boolean LANGUAGE sql AS 'SELECT false'; "
            "CREATE OPERATOR tenant_tools.= (LEFTARG = int4, RIGHTARG = int4, FUNCTION = tenant_tools.no); "
            "CREATE FUNCTION tenant_tools.no(oid, oid) RETURNS boolean LANGUAGE sql AS 'SELECT false'; "
            "CREATE OPERATOR tenant_tools.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = tenant_tools.no)");
  const auto key = s.scalar(fmt::format("SELECT id FROM api_keys WHERE organization_id = '{}'", kOrgA));
  backdate_updated_at(s, key);
  // The operators are live for the tenant: its own comparison uses them.
  CHECK(a.request("authenticated", claims,
                  "SET LOCAL search_path = tenant_tools, pg_catalog, public; "
                  "SELECT 'off'::text = 'on'::text")[0][0]
            .as<std::string>() == "t");
  a.request("authenticated", claims,
            fmt::format("SET LOCAL search_path = tenant_tools, pg_catalog, public; "
                        "SET LOCAL schemac.backfill = 'on'; "
                        "UPDATE public.api_keys SET name = 'renamed' WHERE id = '{}'",
                        key));
  CHECK(s.scalar(fmt::format("SELECT name = 'renamed' AND updated_at > '2020-01-01' FROM api_keys WHERE id = '{}'",
                             key)) == "t");
}
