#include "compiler/catalog/introspect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "compiler/catalog/extension_member.hpp"
#include "compiler/catalog/fields.hpp"
#include "compiler/catalog/objects.hpp"
#include "compiler/queries_ahead.hpp"

namespace schemac {

namespace {

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "ARRAY[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quote_literal(items[i]);
  return out + "]::text[]";
}

using catalog::json_strings;
using catalog::not_extension_member;
using catalog::str;

std::string strip_not_valid(std::string def) {
  const std::string suffix = " NOT VALID";
  if (def.size() >= suffix.size() && def.compare(def.size() - suffix.size(), suffix.size(), suffix) == 0)
    def.erase(def.size() - suffix.size());
  return def;
}

std::string fk_action(const std::string& code) {
  if (code == "c") return "CASCADE";
  if (code == "r") return "RESTRICT";
  if (code == "n") return "SET NULL";
  if (code == "d") return "SET DEFAULT";
  return "";
}

std::string policy_command(const std::string& code) {
  if (code == "r") return "SELECT";
  if (code == "a") return "INSERT";
  if (code == "w") return "UPDATE";
  if (code == "d") return "DELETE";
  return "ALL";
}

}  // namespace

namespace {

// The zero-argument functions named by `owned` (VALUES rows), with who may execute them.
std::vector<Function> read_owned_functions(Db& db, const std::string& owned) {
  std::vector<Function> out;
  for (const auto& r :
       db.query(fmt::format("SELECT n.nspname, p.proname, pg_catalog.pg_get_functiondef(p.oid), "
                            "to_json(ARRAY(SELECT DISTINCT COALESCE(g.rolname::text, 'public') FROM "
                            "pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a "
                            "LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee "
                            "WHERE a.grantee <> p.proowner AND a.privilege_type = 'EXECUTE' ORDER BY 1))::text "
                            "FROM pg_catalog.pg_proc p "
                            "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                            "WHERE p.pronargs = 0 AND (n.nspname, p.proname) IN (VALUES {}) ORDER BY 1, 2",
                            owned))) {
    Function f;
    f.name = {str(r[0]), str(r[1])};
    f.definition = str(r[2]);
    for (auto& role : json_strings(r[3])) f.executors.insert(std::move(role));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

Catalog read_catalog(Db& db, const IntrospectScope& scope) {
  Catalog cat;
  db.exec("SET search_path = ''");
  const std::string schemas = text_array(scope.schemas);
  const std::string in_scope = fmt::format(
      "n.nspname = ANY({}) AND c.relkind IN ('r', 'p') "
      "AND {} "
      // schemac's own bookkeeping (deploy/history.cpp, recorded_forms.cpp) is never a user table.
      "AND NOT (n.nspname = 'schemac' AND c.relname IN ('apply_history', 'normalized_forms'))",
      schemas, not_extension_member("pg_catalog.pg_class", "c.oid"));
  const std::string from_tables = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace";

  // Queries that need nothing read before them run ahead on a second
  // connection while this one reads tables, columns and constraints: a
  // catalog read of 2,000 tables is spent in the server, which has more cores.
  const std::string indexes_sql = fmt::format(
      "SELECT n.nspname, c.relname, i.relname, pg_catalog.pg_get_indexdef(x.indexrelid), x.indisvalid, "
      "x.indisunique, am.amname, pg_catalog.pg_get_expr(x.indpred, x.indrelid), "
      "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = x.indexrelid "
      "AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')), "
      "(SELECT pi.relname FROM pg_catalog.pg_inherits ii JOIN pg_catalog.pg_class pi ON pi.oid = ii.inhparent "
      "WHERE ii.inhrelid = x.indexrelid), pg_catalog.obj_description(x.indexrelid, 'pg_class') "
      "FROM {} JOIN pg_catalog.pg_index x ON x.indrelid = c.oid "
      "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid JOIN pg_catalog.pg_am am ON am.oid = i.relam "
      "WHERE {} ORDER BY 1, 2, 3",
      from_tables, in_scope);
  const std::string triggers_sql = fmt::format(
      "SELECT n.nspname, c.relname, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid), "
      "tg.tgenabled, pg_catalog.obj_description(tg.oid, 'pg_trigger') "
      // A partition's clone of its parent's trigger is the parent's.
      "FROM {} JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = c.oid WHERE {} AND NOT "
      "tg.tgisinternal AND tg.tgparentid = 0 ORDER BY 1, 2, 3",
      from_tables, in_scope);
  const std::string policies_sql = fmt::format(
      "SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive, "
      "to_json(ARRAY(SELECT CASE WHEN o = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(o)::text END "
      "FROM unnest(p.polroles) o ORDER BY 1))::text, "
      "pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), "
      "to_json(ARRAY(SELECT a.attname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a "
      "ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_catalog.pg_policy'::regclass "
      "AND d.objid = p.oid AND d.refobjid = p.polrelid AND d.refobjsubid > 0 ORDER BY 1))::text, "
      "pg_catalog.obj_description(p.oid, 'pg_policy') "
      "FROM {} JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid WHERE {} ORDER BY 1, 2, 3",
      from_tables, in_scope);
  const std::string grants_sql = fmt::format(
      "SELECT n.nspname, c.relname, COALESCE(g.rolname, 'public'), a.privilege_type "
      "FROM {} CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee "
      "WHERE {} AND a.grantee <> c.relowner ORDER BY 1, 2, 3, 4",
      from_tables, in_scope);
  QueriesAhead ahead(db, {object_dependencies_query(), triggers_sql, policies_sql, grants_sql});

  std::map<QualifiedName, std::size_t> index_of;
  for (const auto& r : db.query(
           fmt::format("SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                       "pg_catalog.obj_description(c.oid, 'pg_class'), c.reltuples::bigint, c.relpersistence = 'u', "
                       "CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, "
                       "pn.nspname, pc.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid), c.relreplident, "
                       "(SELECT i.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i "
                       "ON i.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident) "
                       "FROM {} LEFT JOIN pg_catalog.pg_inherits ih ON c.relispartition AND ih.inhrelid = c.oid "
                       "LEFT JOIN pg_catalog.pg_class pc ON pc.oid = ih.inhparent "
                       "LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace "
                       "WHERE {} ORDER BY 1, 2",
                       from_tables, in_scope))) {
    Table t;
    t.name = {str(r[0]), str(r[1])};
    t.rls_enabled = r[2].as<bool>();
    t.rls_forced = r[3].as<bool>();
    if (!r[4].is_null()) t.comment = str(r[4]);
    t.row_estimate = r[5].as<long long>();
    t.unlogged = r[6].as<bool>();
    t.partition_by = str(r[7]);
    if (!r[8].is_null()) t.partition_of = QualifiedName{str(r[8]), str(r[9])};
    t.partition_bound = str(r[10]);
    const auto identity = str(r[11]);
    t.replica_identity = identity == "f"   ? "FULL"
                         : identity == "n" ? "NOTHING"
                         : identity == "i" ? "USING INDEX " + str(r[12])
                                           : "DEFAULT";
    index_of[t.name] = cat.tables.size();
    cat.tables.push_back(std::move(t));
  }
  auto table = [&](const pqxx::row& r) -> Table* {
    auto it = index_of.find({str(r[0]), str(r[1])});
    return it == index_of.end() ? nullptr : &cat.tables[it->second];
  };

  for (const auto& r : db.query(fmt::format(
           "SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
           "pg_catalog.pg_get_expr(d.adbin, d.adrelid), pg_catalog.col_description(c.oid, a.attnum), "
           "a.attidentity, a.attgenerated, "
           // Column privileges as "role PRIVILEGE" (the owner's left out, as for tables).
           "to_json(ARRAY(SELECT COALESCE(g.rolname::text, 'public') || ' ' || x.privilege_type "
           "FROM pg_catalog.aclexplode(a.attacl) x LEFT JOIN pg_catalog.pg_roles g ON g.oid = x.grantee "
           "WHERE x.grantee <> c.relowner ORDER BY 1))::text "
           "FROM {} JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
           "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
           "WHERE {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, a.attnum",
           from_tables, in_scope))) {
    auto* t = table(r);
    if (!t) continue;
    Column c;
    c.name = str(r[2]);
    c.type = str(r[3]);
    c.nullable = !r[4].as<bool>();
    if (str(r[8]) == "s")
      c.generated = str(r[5]);
    else if (!r[5].is_null())
      c.default_expr = str(r[5]);
    if (!r[6].is_null()) c.comment = str(r[6]);
    c.identity = str(r[7]) == "a" ? "ALWAYS" : str(r[7]) == "d" ? "BY DEFAULT" : "";
    for (const auto& item : json_strings(r[9])) {
      const auto space = item.rfind(' ');
      c.grants[item.substr(0, space)].insert(item.substr(space + 1));
    }
    t->columns.push_back(std::move(c));
  }

  const std::string key_names =
      "to_json(ARRAY(SELECT a.attname FROM unnest({0}) WITH ORDINALITY k(num, ord) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = {1} AND a.attnum = k.num ORDER BY k.ord))::text";
  for (const auto& r : db.query(fmt::format(
           "SELECT n.nspname, c.relname, con.conname, con.contype, pg_catalog.pg_get_constraintdef(con.oid), "
           "con.convalidated, {}, rn.nspname, rc.relname, {}, con.confdeltype, "
           "pg_catalog.pg_get_expr(con.conbin, con.conrelid), pg_catalog.obj_description(con.oid, 'pg_constraint'), "
           "con.confupdtype "
           "FROM {} JOIN pg_catalog.pg_constraint con ON con.conrelid = c.oid "
           "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
           "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
           // Constraints another one made (a partition's copy of its parent's, a
           // foreign key's copy per partition of the table it references), or
           // that merged with the parent's when a partition was attached, are
           // planned with the one they come from.
           "WHERE {} AND con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conislocal AND con.conparentid = 0 "
           "AND (NOT c.relispartition OR con.coninhcount = 0) ORDER BY 1, 2, 3",
           fmt::format(fmt::runtime(key_names), "con.conkey", "con.conrelid"),
           fmt::format(fmt::runtime(key_names), "con.confkey", "con.confrelid"), from_tables, in_scope))) {
    auto* t = table(r);
    if (!t) continue;
    Constraint c;
    c.name = str(r[2]);
    auto type = str(r[3]);
    c.kind = type == "p"   ? ConstraintKind::PrimaryKey
             : type == "u" ? ConstraintKind::Unique
             : type == "f" ? ConstraintKind::ForeignKey
             : type == "x" ? ConstraintKind::Exclusion
                           : ConstraintKind::Check;
    c.definition = strip_not_valid(str(r[4]));
    c.validated = r[5].as<bool>();
    c.columns = json_strings(r[6]);
    if (c.kind == ConstraintKind::ForeignKey) {
      c.ref_table = {str(r[7]), str(r[8])};
      c.ref_columns = json_strings(r[9]);
      c.on_delete = fk_action(str(r[10]));
      c.on_update = fk_action(str(r[13]));
    }
    c.expression = str(r[11]);
    if (!r[12].is_null()) c.comment = str(r[12]);
    t->constraints.push_back(std::move(c));
  }

  for (const auto& r : db.query(indexes_sql)) {
    auto* t = table(r);
    if (!t) continue;
    Index i;
    i.name = str(r[2]);
    i.definition = str(r[3]);
    i.valid = r[4].as<bool>();
    i.unique = r[5].as<bool>();
    i.method = str(r[6]);
    i.where = str(r[7]);
    i.backs_constraint = r[8].as<bool>();
    i.attached_to = str(r[9]);
    if (!r[10].is_null()) i.comment = str(r[10]);
    t->indexes.push_back(std::move(i));
  }

  for (const auto& r : db.query(triggers_sql)) {
    auto* t = table(r);
    if (!t) continue;
    Trigger tr;
    tr.name = str(r[2]);
    tr.definition = str(r[3]);
    const auto enabled = str(r[4]);
    tr.firing = enabled == "D" ? "DISABLE" : enabled == "R" ? "ENABLE REPLICA" : enabled == "A" ? "ENABLE ALWAYS" : "";
    if (!r[5].is_null()) tr.comment = str(r[5]);
    t->triggers.push_back(std::move(tr));
  }

  for (const auto& r : db.query(policies_sql)) {
    auto* t = table(r);
    if (!t) continue;
    Policy p;
    p.name = str(r[2]);
    p.command = policy_command(str(r[3]));
    p.permissive = r[4].as<bool>();
    p.roles = json_strings(r[5]);
    p.using_expr = str(r[6]);
    p.check_expr = str(r[7]);
    p.columns_used = json_strings(r[8]);
    if (!r[9].is_null()) p.comment = str(r[9]);
    t->policies.push_back(std::move(p));
  }

  for (const auto& r : db.query(grants_sql)) {
    if (auto* t = table(r)) t->grants[str(r[2])].insert(str(r[3]));
  }

  // The functions schemac owns, as VALUES rows; ('', '') names none, so the list is never empty.
  const std::string owned = name_rows(scope.functions);
  cat.functions = read_owned_functions(db, owned);
  read_objects(db, schemas, owned, cat);
  read_default_privileges(db, schemas, cat);
  read_publications(db, cat);
  // Triggers on tables outside the managed schemas that declarations name.
  if (!scope.trigger_tables.empty()) {
    const std::string tables = name_rows(scope.trigger_tables);
    for (const auto& r :
         db.query(fmt::format("SELECT n.nspname, c.relname, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid) FROM {} "
                              "JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = c.oid WHERE NOT tg.tgisinternal "
                              "AND (n.nspname::text, c.relname::text) IN (VALUES {}) ORDER BY 1, 2, 3",
                              from_tables, tables))) {
      Trigger tr;
      tr.name = str(r[2]);
      tr.definition = str(r[3]);
      cat.external_triggers[{str(r[0]), str(r[1])}].push_back(std::move(tr));
    }
  }
  // What the language cannot declare yet, so that a plan can say it leaves them alone.
  for (const auto& r : db.query(fmt::format(
           "SELECT 'range ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) "
           "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
           "WHERE t.typtype = 'r' AND n.nspname = ANY({}) AND {} ORDER BY 1",
           schemas, not_extension_member("pg_catalog.pg_type", "t.oid"))))
    cat.unmanaged.push_back(str(r[0]));

  for (const auto& r : db.query("SELECT 'user', current_user::text UNION ALL "
                                "SELECT 'role', rolname::text FROM pg_catalog.pg_roles UNION ALL "
                                "SELECT 'schema', nspname::text FROM pg_catalog.pg_namespace UNION ALL "
                                "SELECT 'extension', extname::text FROM pg_catalog.pg_extension")) {
    auto kind = str(r[0]);
    if (kind == "user") {
      cat.current_user = str(r[1]);
      continue;
    }
    (kind == "role" ? cat.roles : kind == "schema" ? cat.schemas : cat.extensions).insert(str(r[1]));
  }
  cat.index_tables();
  return cat;
}

void take_owned_functions(Db& db, const std::vector<QualifiedName>& functions, Catalog& cat) {
  db.exec("SET search_path = ''");
  const std::set<QualifiedName> owned(functions.begin(), functions.end());
  std::set<std::string> keys;  // of the routines that become schemac's
  std::erase_if(cat.objects, [&](const SchemaObject& o) {
    const bool routine =
        o.kind == ObjectKind::Function || o.kind == ObjectKind::Procedure || o.kind == ObjectKind::Aggregate;
    if (!routine || !owned.count(o.name)) return false;
    keys.insert(o.key());
    return true;
  });
  const auto unlisted = [&](std::vector<std::string>& names) {
    std::erase_if(names, [&](const std::string& n) { return keys.count(n) > 0; });
  };
  for (auto& o : cat.objects) unlisted(o.depends_on);
  for (auto& [table, names] : cat.table_dependencies) unlisted(names);
  cat.functions = read_owned_functions(db, name_rows(functions));
}

}  // namespace schemac
