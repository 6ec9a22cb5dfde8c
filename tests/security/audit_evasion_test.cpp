// Findings 4, 5 and 7: no change escapes the audit trail, and the trail
// shows no tenant another tenant's data.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <tuple>

#include "tests/security/attacker.hpp"

using namespace schemac;
using namespace schemac::test;

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
  s.admin.exec(fmt::format("UPDATE api_keys SET updated_at = '2020-01-01' WHERE id = '{}'", key));
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
  Attacker a(s.tdb);
  a.db().exec("SELECT set_config('schemac.backfill', 'on', false)");
  a.request("authenticated", claims_for(kUserA, kOrgA),
            fmt::format("UPDATE public.api_keys SET name = 'unaudited again?' WHERE id = '{}'", key));
  CHECK(s.scalar("SELECT count(*) FROM audit_trail") == std::to_string(audited + 2));
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
