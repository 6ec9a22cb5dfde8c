// Reads the objects PostgreSQL prints whole (types, sequences, routines,
// views) and the pg_depend edges between them and the tables, with a fixed
// number of queries. Definitions are rebuilt from the catalog the same way on
// both sides, so a declaration and the live object compare as equal text.
#include "compiler/catalog/objects.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compiler/catalog/extension_member.hpp"
#include "compiler/catalog/fields.hpp"

namespace schemac {

namespace {

using catalog::json_strings;
using catalog::not_extension_member;
using catalog::str;

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// "WITH (security_invoker=true)" from a reloptions array, or "".
std::string with_options(const std::vector<std::string>& options) {
  return options.empty() ? std::string{} : " WITH (" + join(options, ", ") + ")";
}

// Grants of one object from its ACL (or the default one), the owner left out.
const char* kAclColumns =
    "to_json(ARRAY(SELECT COALESCE(g.rolname::text, 'public') || ' ' || a.privilege_type FROM "
    "pg_catalog.aclexplode(COALESCE({0}, pg_catalog.acldefault('{1}', {2}))) a "
    "LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee WHERE a.grantee <> {2} ORDER BY 1))::text";

std::string acl(const char* column, const char* kind, const char* owner) {
  return fmt::format(fmt::runtime(kAclColumns), column, kind, owner);
}

Grants grants_of(const pqxx::field& f) {
  Grants out;
  for (const auto& item : json_strings(f)) {
    auto space = item.rfind(' ');
    out[item.substr(0, space)].insert(item.substr(space + 1));
  }
  return out;
}

class ObjectReader {
 public:
  ObjectReader(Db& db, const std::string& schemas, const std::string& owned_functions)
      : db_(db), schemas_(schemas), owned_(owned_functions) {}

  void read(Catalog& cat) {
    tables(cat);
    enums();
    domains();
    composites();
    sequences();
    routines();
    views();
    dependencies();
    for (auto& [ref, o] : objects_) cat.objects.push_back(std::move(o));
    std::sort(cat.objects.begin(), cat.objects.end(),
              [](const SchemaObject& a, const SchemaObject& b) { return a.key() < b.key(); });
  }

 private:
  Db& db_;
  const std::string schemas_;
  const std::string owned_;
  // "c<oid>" (a relation), "t<oid>" (a type), "p<oid>" (a routine) -> the object or table key.
  std::map<std::string, std::string> keys_;
  std::map<std::string, SchemaObject> objects_;  // by "c/t/p<oid>"

  SchemaObject& add(const std::string& ref, ObjectKind kind, const pqxx::row& r) {
    SchemaObject o;
    o.kind = kind;
    o.name = {str(r[1]), str(r[2])};
    auto& slot = objects_[ref] = std::move(o);
    return slot;
  }
  void remember(const std::string& ref, SchemaObject& o) { keys_[ref] = o.key(); }

  void tables(const Catalog& cat) {
    for (const auto& r : db_.query(
             fmt::format("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                         "ON n.oid = c.relnamespace WHERE n.nspname = ANY({}) AND c.relkind IN ('r', 'p')",
                         schemas_)))
      if (cat.table({str(r[1]), str(r[2])})) keys_["c" + str(r[0])] = table_key({str(r[1]), str(r[2])});
  }

  void enums() {
    for (const auto& r : db_.query(fmt::format(
             "SELECT t.oid, n.nspname, t.typname, to_json(ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e "
             "WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text, "
             "pg_catalog.obj_description(t.oid, 'pg_type'), {} "
             "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
             "WHERE t.typtype = 'e' AND n.nspname = ANY({}) AND {}",
             acl("t.typacl", "T", "t.typowner"), schemas_, not_extension_member("pg_catalog.pg_type", "t.oid")))) {
      auto& o = add("t" + str(r[0]), ObjectKind::Enum, r);
      o.values = json_strings(r[3]);
      std::vector<std::string> labels;
      for (const auto& v : o.values) labels.push_back(quote_literal(v));
      o.definition = fmt::format("CREATE TYPE {} AS ENUM ({})", o.name.sql(), join(labels, ", "));
      if (!r[4].is_null()) o.comment = str(r[4]);
      o.grants = grants_of(r[5]);
      remember("t" + str(r[0]), o);
    }
  }

  void domains() {
    for (const auto& r : db_.query(fmt::format(
             "SELECT t.oid, n.nspname, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), "
             "t.typdefault, t.typnotnull, to_json(ARRAY(SELECT 'CONSTRAINT ' || pg_catalog.quote_ident(k.conname) "
             "|| ' ' || pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k "
             "WHERE k.contypid = t.oid ORDER BY k.conname))::text, pg_catalog.obj_description(t.oid, 'pg_type'), {}, "
             "CASE WHEN t.typcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b WHERE b.oid = "
             "t.typbasetype) THEN (SELECT pg_catalog.quote_ident(l.collname) FROM pg_catalog.pg_collation l "
             "WHERE l.oid = t.typcollation) END "
             "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
             "WHERE t.typtype = 'd' AND n.nspname = ANY({}) AND {}",
             acl("t.typacl", "T", "t.typowner"), schemas_, not_extension_member("pg_catalog.pg_type", "t.oid")))) {
      auto& o = add("t" + str(r[0]), ObjectKind::Domain, r);
      std::string def = fmt::format("CREATE DOMAIN {} AS {}", o.name.sql(), str(r[3]));
      if (!r[9].is_null()) def += " COLLATE " + str(r[9]);
      if (!r[4].is_null()) o.options.push_back("DEFAULT " + str(r[4]));
      if (r[5].as<bool>()) o.options.push_back("NOT NULL");
      for (const auto& option : o.options) def += " " + option;
      for (auto clause : json_strings(r[6])) {
        // A NOT VALID constraint compares as the valid one: validation is a step, not a difference.
        if (clause.ends_with(" NOT VALID")) clause.erase(clause.size() - 10);
        def += " " + clause;
        o.values.push_back(std::move(clause));
      }
      o.shape = str(r[3]);
      o.definition = def;
      if (!r[7].is_null()) o.comment = str(r[7]);
      o.grants = grants_of(r[8]);
      remember("t" + str(r[0]), o);
    }
  }

  void composites() {
    for (const auto& r : db_.query(fmt::format(
             "SELECT c.oid, n.nspname, c.relname, to_json(ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || "
             "pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
             "c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum))::text, "
             "pg_catalog.obj_description(t.oid, 'pg_type'), {}, t.oid "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "JOIN pg_catalog.pg_type t ON t.oid = c.reltype "
             "WHERE c.relkind = 'c' AND n.nspname = ANY({}) AND {}",
             acl("t.typacl", "T", "t.typowner"), schemas_, not_extension_member("pg_catalog.pg_type", "t.oid")))) {
      auto& o = add("c" + str(r[0]), ObjectKind::CompositeType, r);
      o.values = json_strings(r[3]);
      o.definition = fmt::format("CREATE TYPE {} AS ({})", o.name.sql(), join(o.values, ", "));
      if (!r[4].is_null()) o.comment = str(r[4]);
      o.grants = grants_of(r[5]);
      remember("c" + str(r[0]), o);
    }
  }

  void sequences() {
    for (const auto& r : db_.query(fmt::format(
             "SELECT c.oid, n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqincrement, "
             "s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle, "
             "(SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(tc.relname) || '.' || "
             "pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc ON tc.oid = "
             "d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace JOIN pg_catalog.pg_attribute a "
             "ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid = "
             "'pg_catalog.pg_class'::regclass "
             "AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'a'), "
             "pg_catalog.obj_description(c.oid, 'pg_class'), {} "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid "
             "WHERE c.relkind = 'S' AND n.nspname = ANY({}) AND {} "
             // An identity column's sequence is part of the column.
             "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass "
             "AND d.objid = c.oid AND d.deptype = 'i')",
             acl("c.relacl", "s", "c.relowner"), schemas_, not_extension_member("pg_catalog.pg_class", "c.oid")))) {
      auto& o = add("c" + str(r[0]), ObjectKind::Sequence, r);
      o.values = {"AS " + str(r[3]),
                  "INCREMENT BY " + str(r[4]),
                  "MINVALUE " + str(r[5]),
                  "MAXVALUE " + str(r[6]),
                  "START WITH " + str(r[7]),
                  "CACHE " + str(r[8]),
                  r[9].as<bool>() ? "CYCLE" : "NO CYCLE"};
      o.definition = fmt::format("CREATE SEQUENCE {} {}", o.name.sql(), join(o.values, " "));
      o.owned_by = str(r[10]);
      if (!r[11].is_null()) o.comment = str(r[11]);
      o.grants = grants_of(r[12]);
      remember("c" + str(r[0]), o);
    }
  }

  void routines() {
    for (const auto& r : db_.query(
             fmt::format("SELECT p.oid, n.nspname, p.proname, p.prokind, pg_catalog.oidvectortypes(p.proargtypes), "
                         "CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END, "
                         "pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_result(p.oid), "
                         "pg_catalog.obj_description(p.oid, 'pg_proc'), {}, "
                         // Aggregates: their definition is not printed by PostgreSQL; rebuilt from pg_aggregate.
                         "a.aggtransfn::regprocedure::text, pg_catalog.format_type(a.aggtranstype, NULL), "
                         "NULLIF(a.aggfinalfn::oid, 0)::regprocedure::text, a.agginitval, "
                         "NULLIF(a.aggcombinefn::oid, 0)::regprocedure::text, p.proparallel, a.aggkind, "
                         "pg_catalog.pg_get_function_identity_arguments(p.oid) "
                         "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                         "LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid "
                         "WHERE n.nspname = ANY({}) AND {} AND (n.nspname::text, p.proname::text) NOT IN (VALUES {})",
                         acl("p.proacl", "f", "p.proowner"), schemas_,
                         not_extension_member("pg_catalog.pg_proc", "p.oid"), owned_))) {
      const auto prokind = str(r[3]);
      const ObjectKind kind = prokind == "p"   ? ObjectKind::Procedure
                              : prokind == "a" ? ObjectKind::Aggregate
                                               : ObjectKind::Function;
      auto& o = add("p" + str(r[0]), kind, r);
      o.arguments = str(r[4]);
      o.shape = fmt::format("({}) {}", str(r[6]), str(r[7]));
      if (kind == ObjectKind::Aggregate) {
        // The transition function's own name, without its argument list.
        auto fn = [](std::string s) { return s.substr(0, s.find('(')); };
        std::string def = fmt::format("CREATE OR REPLACE AGGREGATE {}({}) (SFUNC = {}, STYPE = {}", o.name.sql(),
                                      str(r[17]), fn(str(r[10])), str(r[11]));
        if (!r[12].is_null()) def += ", FINALFUNC = " + fn(str(r[12]));
        if (!r[13].is_null()) def += ", INITCOND = " + quote_literal(str(r[13]));
        if (!r[14].is_null()) def += ", COMBINEFUNC = " + fn(str(r[14]));
        const auto parallel = str(r[15]);
        if (parallel != "u") def += parallel == "s" ? ", PARALLEL = SAFE" : ", PARALLEL = RESTRICTED";
        o.definition = def + ")";
      } else {
        o.definition = str(r[5]);
        while (!o.definition.empty() && (o.definition.back() == '\n' || o.definition.back() == ' '))
          o.definition.pop_back();
      }
      if (!r[8].is_null()) o.comment = str(r[8]);
      o.grants = grants_of(r[9]);
      remember("p" + str(r[0]), o);
    }
  }

  void views() {
    for (const auto& r : db_.query(fmt::format(
             "SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid, true), "
             "to_json(COALESCE(c.reloptions, '{{}}'))::text, to_json(ARRAY(SELECT pg_catalog.quote_ident(a.attname) "
             "|| ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
             "WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum))::text, "
             "pg_catalog.obj_description(c.oid, 'pg_class'), {}, "
             "to_json(ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid) FROM pg_catalog.pg_index x "
             "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid ORDER BY i.relname))::text, "
             "to_json(ARRAY(SELECT pg_catalog.pg_get_triggerdef(g.oid) FROM pg_catalog.pg_trigger g "
             "WHERE g.tgrelid = c.oid AND NOT g.tgisinternal ORDER BY g.tgname))::text "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY({}) AND {}",
             acl("c.relacl", "r", "c.relowner"), schemas_, not_extension_member("pg_catalog.pg_class", "c.oid")))) {
      const bool materialized = str(r[3]) == "m";
      auto& o = add("c" + str(r[0]), materialized ? ObjectKind::MaterializedView : ObjectKind::View, r);
      std::string body = str(r[4]);
      while (!body.empty() && (body.back() == ';' || body.back() == '\n' || body.back() == ' ')) body.pop_back();
      const auto options = with_options(json_strings(r[5]));
      o.definition = materialized ? fmt::format("CREATE MATERIALIZED VIEW {}{} AS\n{}", o.name.sql(), options, body)
                                  : fmt::format("CREATE OR REPLACE VIEW {}{} AS\n{}", o.name.sql(), options, body);
      o.values = json_strings(r[6]);
      o.shape = join(o.values, ", ");
      if (!r[7].is_null()) o.comment = str(r[7]);
      o.grants = grants_of(r[8]);
      o.indexes = json_strings(r[9]);
      o.triggers = json_strings(r[10]);
      remember("c" + str(r[0]), o);
    }
  }

  // Edges from pg_depend, each end mapped to the table or object it belongs
  // to: a view's rewrite rule is the view, a default or a check is its table,
  // an array type is its element type, a row type is its relation.
  void dependencies() {
    std::map<std::string, std::string> type_ref;  // "t<oid>" -> "c<relid>" or "t<element>"
    for (const auto& r :
         db_.query(fmt::format("SELECT t.oid, t.typrelid, t.typelem, t.typcategory = 'A' FROM pg_catalog.pg_type t "
                               "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY({}) "
                               "AND (t.typrelid <> 0 OR t.typcategory = 'A')",
                               schemas_))) {
      if (str(r[1]) != "0")
        type_ref["t" + str(r[0])] = "c" + str(r[1]);
      else if (r[3].as<bool>())
        type_ref["t" + str(r[0])] = "t" + str(r[2]);
    }
    auto resolve = [&](std::string ref) {
      for (int i = 0; i < 3; ++i) {  // an array of a row type: two hops
        auto it = type_ref.find(ref);
        if (it == type_ref.end()) break;
        ref = it->second;
      }
      auto k = keys_.find(ref);
      return k == keys_.end() ? std::string{} : k->second;
    };
    std::map<std::string, std::set<std::string>> edges, columns;
    for (const auto& r : db_.query(object_dependencies_query())) {
      if (r[0].is_null()) continue;
      const auto who = resolve(str(r[0]));
      const auto what = resolve(str(r[1]));
      if (who.empty() || what.empty() || who == what) continue;
      edges[who].insert(what);
      if (!r[2].is_null() && what.rfind("table ", 0) == 0) columns[who].insert(what.substr(6) + "." + str(r[2]));
    }
    for (auto& [ref, o] : objects_) {
      const auto key = o.key();
      if (auto it = edges.find(key); it != edges.end()) o.depends_on.assign(it->second.begin(), it->second.end());
      if (auto it = columns.find(key); it != columns.end()) o.columns_read.assign(it->second.begin(), it->second.end());
    }
    // Tables depend on objects too (a column of an enum type, a default that
    // calls nextval or a function): kept for ordering creates and drops.
    for (auto& [who, whats] : edges)
      if (who.rfind("table ", 0) == 0) table_edges[who].assign(whats.begin(), whats.end());
  }

 public:
  std::map<std::string, std::vector<std::string>> table_edges;
};

}  // namespace

std::string object_dependencies_query() {
  return "SELECT CASE d.classid "
         "WHEN 'pg_catalog.pg_class'::regclass THEN 'c' || COALESCE((SELECT x.indrelid FROM pg_catalog.pg_index x "
         "  WHERE x.indexrelid = d.objid), d.objid) "
         "WHEN 'pg_catalog.pg_rewrite'::regclass THEN 'c' || (SELECT w.ev_class FROM pg_catalog.pg_rewrite w "
         "  WHERE w.oid = d.objid) "
         "WHEN 'pg_catalog.pg_attrdef'::regclass THEN 'c' || (SELECT a.adrelid FROM pg_catalog.pg_attrdef a "
         "  WHERE a.oid = d.objid) "
         "WHEN 'pg_catalog.pg_trigger'::regclass THEN 'c' || (SELECT g.tgrelid FROM pg_catalog.pg_trigger g "
         "  WHERE g.oid = d.objid) "
         "WHEN 'pg_catalog.pg_policy'::regclass THEN 'c' || (SELECT p.polrelid FROM pg_catalog.pg_policy p "
         "  WHERE p.oid = d.objid) "
         "WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT CASE WHEN k.conrelid <> 0 THEN 'c' || k.conrelid "
         "  ELSE 't' || k.contypid END FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid) "
         "WHEN 'pg_catalog.pg_type'::regclass THEN 't' || d.objid "
         "WHEN 'pg_catalog.pg_proc'::regclass THEN 'p' || d.objid END, "
         "CASE d.refclassid WHEN 'pg_catalog.pg_class'::regclass THEN 'c' WHEN 'pg_catalog.pg_type'::regclass "
         "THEN 't' ELSE 'p' END || d.refobjid, "
         "CASE WHEN d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0 THEN "
         "  (SELECT a.attname::text FROM pg_catalog.pg_attribute a "
         "   WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid) END "
         "FROM pg_catalog.pg_depend d WHERE d.deptype = 'n' AND d.objid >= 16384 AND d.refobjid >= 16384 "
         "AND d.refclassid IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_type'::regclass, "
         "'pg_catalog.pg_proc'::regclass)";
}

void read_objects(Db& db, const std::string& schemas, const std::string& owned_functions, Catalog& cat) {
  ObjectReader reader(db, schemas, owned_functions);
  reader.read(cat);
  cat.table_dependencies = std::move(reader.table_edges);
}

}  // namespace schemac
