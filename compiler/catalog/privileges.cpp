// Reads default privileges (pg_default_acl) into the catalog model, one query:
// each row's ACL as items beyond PostgreSQL's built-in default ("+grantee
// PRIVILEGE") and taken from it ("-grantee PRIVILEGE"), so that a row that is
// absent and one that holds exactly the default compare alike.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "compiler/catalog/fields.hpp"
#include "compiler/catalog/objects.hpp"

namespace schemac {

namespace {

// The items of an ACL: "grantee PRIVILEGE[ WITH GRANT OPTION]", PUBLIC as "public".
const char* kItems =
    "SELECT COALESCE(g.rolname::text, 'public') || ' ' || a.privilege_type || "
    "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END "
    "FROM pg_catalog.aclexplode({}) a LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee";

const char* objects_word(const std::string& code) {
  if (code == "S") return "SEQUENCES";
  if (code == "f") return "FUNCTIONS";
  if (code == "T") return "TYPES";
  if (code == "n") return "SCHEMAS";
  return "TABLES";
}

}  // namespace

void read_default_privileges(Db& db, const std::string& schemas, Catalog& cat) {
  // In every schema (defaclnamespace 0) the row replaces the built-in default;
  // in one schema it adds to it.
  const std::string builtin =
      "CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault(d.defaclobjtype, d.defaclrole) "
      "END";
  const std::string items = fmt::format(
      "to_json(ARRAY(SELECT i FROM (SELECT '+' || x AS i FROM ({0} EXCEPT {1}) s(x) UNION ALL "
      "SELECT '-' || x FROM ({1} EXCEPT {0}) s(x)) u ORDER BY 1))::text",
      fmt::format(fmt::runtime(kItems), "d.defaclacl"), fmt::format(fmt::runtime(kItems), builtin));
  for (const auto& r :
       db.query(fmt::format("SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text, COALESCE(n.nspname::text, ''), "
                            "d.defaclobjtype::text, {}, pg_catalog.pg_has_role(d.defaclrole, 'MEMBER') "
                            "FROM pg_catalog.pg_default_acl d "
                            "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace "
                            "WHERE d.defaclnamespace = 0 OR n.nspname = ANY({}) ORDER BY 1, 2, 3",
                            items, schemas))) {
    DefaultPrivileges p;
    p.role = catalog::str(r[0]);
    p.schema = catalog::str(r[1]);
    p.objects = objects_word(catalog::str(r[2]));
    for (auto& item : catalog::json_strings(r[3])) p.items.insert(std::move(item));
    p.alterable = r[4].as<bool>();
    if (!p.items.empty()) cat.default_privileges.push_back(std::move(p));
  }
  std::sort(cat.default_privileges.begin(), cat.default_privileges.end(),
            [](const DefaultPrivileges& a, const DefaultPrivileges& b) {
              return std::tie(a.role, a.schema, a.objects) < std::tie(b.role, b.schema, b.objects);
            });
}

}  // namespace schemac
