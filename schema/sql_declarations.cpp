// .sql declaration files -> SqlDeclarations: libpg_query finds the statements,
// each statement is measured, parsed alone and named, or refused with its position.
#include "schema/sql_declarations.hpp"

#include <fmt/format.h>
#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <span>
#include <string_view>

#include "schema/declarations.hpp"
#include "schema/parse_tree.hpp"
#include "schema/sql_shape.hpp"
#include "schema/sql_tokens.hpp"

namespace schemac {

namespace {

// The common guards "DO $$ BEGIN IF NOT EXISTS (...) THEN CREATE ROLE ..." and
// "DO $$ BEGIN EXECUTE format('GRANT admin TO %I', current_user); END $$": they
// only create roles or grant role membership, which are the cluster's and not
// the schema's. Such a block is read and skipped (the roles and memberships
// must exist before plan); any other DO block runs code and is refused.
bool sets_up_roles_only(const std::string& sql) {
  std::string t;
  for (char c : sql) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Membership grants, bare or through EXECUTE format(... current_user): role setup, taken out before the checks.
  static const std::regex membership(
      R"(execute\s+format\s*\(\s*'grant\s+[a-z_0-9"]+(\s*,\s*[a-z_0-9"]+)*\s+to\s+%i'\s*,\s*)"
      R"((current_user|session_user)\s*\)|grant\s+[a-z_0-9"]+(\s*,\s*[a-z_0-9"]+)*\s+to\s+[a-z_0-9"]+)"
      R"((\s*,\s*[a-z_0-9"]+)*(\s+with\s+(admin|inherit|set)\s+(option|true|false))?\s*;)");
  const std::string rest = std::regex_replace(t, membership, " ");
  const bool grants_membership = rest != t;
  if (!grants_membership && rest.find("create role") == std::string::npos &&
      rest.find("create user") == std::string::npos)
    return false;
  for (const char* other : {"create table", "create function", "create or replace", "create view", "create index",
                            "create type", "create schema", "insert", "update", "delete", "alter table", "drop ",
                            "execute", "perform", "grant", "truncate", "copy"})
    if (rest.find(other) != std::string::npos) return false;
  return true;
}

using Json = nlohmann::json;

// --- positions ----------------------------------------------------------------------------

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Byte offsets -> 1-based line and column, the column in characters (UTF-8
// code points) so that the caret under a rendered line stands right. Offsets
// are mostly asked for in increasing order: each line is walked once.
class Positions {
 public:
  Positions(const std::string& file, const std::string& text)
      : file_(file), text_(text), bom_(text.starts_with(kByteOrderMark)) {
    starts_.push_back(0);
    for (auto i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) starts_.push_back(i + 1);
  }

  SourcePos at(std::size_t offset) {
    offset = std::min(offset, text_.size());
    const auto line =
        static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin() - 1);
    if (line != line_ || offset < offset_) {  // another line, or back on this one: from its start
      line_ = line;
      offset_ = line == 0 && bom_ && offset >= kByteOrderMark.size() ? kByteOrderMark.size() : starts_[line];
      column_ = 1;
    }
    for (; offset_ < offset; ++offset_)
      if ((static_cast<unsigned char>(text_[offset_]) & 0xC0) != 0x80) ++column_;
    return {file_, static_cast<int>(line + 1), column_};
  }

 private:
  const std::string& file_;
  const std::string& text_;
  const bool bom_;                                     // an editor's byte order mark, which no column counts
  std::vector<std::size_t> starts_;                    // where each line starts
  std::size_t line_ = std::string::npos, offset_ = 0;  // where the last walk ended (none yet)
  int column_ = 1;
};

// PostgreSQL reports an error's cursor as a 1-based count of characters, each
// as long as its first byte says (pg_utf_mblen): the byte offset it means.
std::size_t byte_offset(const std::string& text, int cursorpos) {
  std::size_t at = 0;
  for (int chars = cursorpos - 1; chars > 0 && at < text.size(); --chars) {
    const auto lead = static_cast<unsigned char>(text[at]);
    at += (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
  }
  return std::min(at, text.size());
}

// --- reading libpg_query's JSON -----------------------------------------------------------

using parse_tree::member;
using parse_tree::text_of;

bool flag(const Json& node, const char* key) {
  const auto& v = member(node, key);
  return v.is_boolean() && v.get<bool>();
}

// {"String": {"sval": "x"}} -> "x"
std::string string_node(const Json& node) {
  return text_of(member(node, "String"), "sval");
}

// A list of String nodes, as libpg_query gives names: [schema,] name.
// Three parts (database.schema.name) keep the last two.
QualifiedName from_names(const Json& list) {
  std::vector<std::string> parts;
  if (list.is_array())
    for (const auto& part : list) parts.push_back(string_node(part));
  if (parts.empty()) return {};
  if (parts.size() == 1) return {"", parts[0]};
  return {parts[parts.size() - 2], parts.back()};
}

QualifiedName from_range_var(const Json& rv) {
  return {text_of(rv, "schemaname"), text_of(rv, "relname")};
}

// The object of COMMENT, GRANT, ALTER ... OWNER TO: a String, a List of them,
// a function with arguments, a type name or a relation.
QualifiedName object_name(const Json& object) {
  if (object.contains("String")) return {"", string_node(object)};
  if (object.contains("List")) return from_names(member(object["List"], "items"));
  if (object.contains("ObjectWithArgs")) return from_names(member(object["ObjectWithArgs"], "objname"));
  if (object.contains("TypeName")) return from_names(member(object["TypeName"], "names"));
  if (object.contains("RangeVar")) return from_range_var(object["RangeVar"]);
  return {};
}

// "OBJECT_MATVIEW" -> "materialized view", "OBJECT_FOREIGN_TABLE" -> "foreign table".
std::string object_words(std::string objtype) {
  if (objtype.starts_with("OBJECT_")) objtype = objtype.substr(7);
  if (objtype == "MATVIEW") return "materialized view";
  if (objtype == "TABCONSTRAINT" || objtype == "DOMCONSTRAINT") return "constraint";
  if (objtype == "FDW") return "foreign-data wrapper";
  if (objtype == "FOREIGN_SERVER") return "server";
  if (objtype.starts_with("TS")) objtype = "text search " + objtype.substr(2);
  for (auto& c : objtype) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return objtype;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// --- what a statement is ------------------------------------------------------------------

struct Verdict {
  std::string kind;  // empty when the statement is refused
  QualifiedName name, table;
  std::string error, help;  // why it is refused, and what to write instead
  SqlDeclaration::DefaultPrivilegeScope default_privileges{};
};

Verdict declares(std::string kind, QualifiedName name = {}, QualifiedName table = {}) {
  return {std::move(kind), std::move(name), std::move(table), {}, {}, {}};
}
Verdict refused(std::string error, std::string help) {
  return {{}, {}, {}, std::move(error), std::move(help), {}};
}

const char* const kDataHelp =
    "the .sql files say what the schema is; load rows with a seed script or your application after `schemac apply`";
const char* const kDropHelp = "remove the CREATE statement instead: schemac plans the drop";
const char* const kRenameHelp =
    "to rename a table or column in place, declare it in TOML with renamed_from = \"<old name>\"; in a .sql file, "
    "a new name in the CREATE statement declares a new object";
const char* const kClusterHelp =
    "roles, databases and tablespaces belong to the whole cluster, not to a schema: create them outside schemac "
    "(before `schemac apply`, for the roles its policies and grants name)";

bool is_comment(const SqlToken& t) {
  return t.kind == PG_QUERY__TOKEN__SQL_COMMENT || t.kind == PG_QUERY__TOKEN__C_COMMENT;
}

// The keywords a statement starts with ("VACUUM", "CREATE ROLE"), for messages
// about statements this file has no better name for.
std::string leading_keywords(const std::string& sql, std::span<const SqlToken> tokens) {
  std::string out;
  int words = 0;
  for (const auto& t : tokens) {
    if (is_comment(t)) continue;
    if (t.keyword == PG_QUERY__KEYWORD_KIND__NO_KEYWORD || words == 3) break;
    out += (words++ ? " " : "") +
           upper(sql.substr(static_cast<std::size_t>(t.start), static_cast<std::size_t>(t.end - t.start)));
  }
  return out.empty() ? "this statement" : out;
}

// A call to `function` (bare or pg_catalog.) with constant arguments only.
const Json* constant_call(const Json& target, const char* function) {
  const auto& res = member(target, "ResTarget");
  if (!res.is_object() || res.contains("name") || res.contains("indirection")) return nullptr;
  const auto& call = member(member(res, "val"), "FuncCall");
  if (!call.is_object()) return nullptr;
  for (auto it = call.begin(); it != call.end(); ++it)
    if (it.key() != "funcname" && it.key() != "args" && it.key() != "funcformat" && it.key() != "location")
      return nullptr;  // FILTER, OVER, ORDER BY, VARIADIC, ...
  const auto name = from_names(member(call, "funcname"));
  if (name.name != function || (!name.schema.empty() && name.schema != "pg_catalog")) return nullptr;
  const auto& args = member(call, "args");
  if (!args.is_array() || args.empty()) return nullptr;
  for (const auto& a : args)
    if (!a.contains("A_Const")) return nullptr;
  return &call;
}

// SELECT [pg_catalog.]f(constant, ...), ... and nothing else (no FROM, WHERE,
// set operations): whether every target calls `function`.
const Json* only_calls(const Json& select, const char* function) {
  for (auto it = select.begin(); it != select.end(); ++it)
    if (it.key() != "targetList" && it.key() != "limitOption" && it.key() != "op") return nullptr;
  if (text_of(select, "op") != "SETOP_NONE") return nullptr;
  const auto& targets = member(select, "targetList");
  if (!targets.is_array() || targets.empty()) return nullptr;
  const Json* first = nullptr;
  for (const auto& t : targets) {
    const auto* call = constant_call(t, function);
    if (!call) return nullptr;
    if (!first) first = call;
  }
  return first;
}

Verdict select_statement(const Json& select) {
  if (select.contains("intoClause"))
    return refused("SELECT INTO fills a new table with the rows of a query; that copies data",
                   "declare the table with CREATE TABLE and its columns; a table computed from a query is a CREATE "
                   "MATERIALIZED VIEW or a CREATE VIEW");
  // pg_dump writes SELECT pg_catalog.set_config('search_path', '', false);
  if (const auto* call = only_calls(select, "set_config"))
    return declares("setting", {"", text_of(member(member((*call)["args"][0], "A_Const"), "sval"), "sval")});
  if (only_calls(select, "setval"))
    return refused("setval() sets a sequence's current value, which is data, not schema",
                   "declare the sequence with CREATE SEQUENCE (START WITH for its first value); data does not belong "
                   "in a declaration file");
  return refused("a SELECT declares nothing",
                 "remove it; a query that defines something is declared as CREATE VIEW ... AS SELECT (SELECT "
                 "pg_catalog.set_config(...), as pg_dump writes it, is accepted)");
}

Verdict comment_statement(const std::string& kind, const Json& body) {
  const auto objtype = text_of(body, "objtype");
  const auto& object = member(body, "object");
  // Columns, and objects named within their table: [schema.]table.name
  if (objtype == "OBJECT_COLUMN" || objtype == "OBJECT_POLICY" || objtype == "OBJECT_TRIGGER" ||
      objtype == "OBJECT_RULE" || objtype == "OBJECT_TABCONSTRAINT") {
    auto items = member(member(object, "List"), "items");
    if (items.is_array() && items.size() >= 2) {
      const std::string last = string_node(items.back());
      items.erase(items.size() - 1);
      return declares(kind, {"", last}, from_names(items));
    }
  }
  if (objtype == "OBJECT_DOMCONSTRAINT") {  // [TypeName, String]
    const auto& items = member(member(object, "List"), "items");
    if (items.is_array() && !items.empty()) return declares(kind, {"", string_node(items.back())});
  }
  return declares(kind, object_name(object));
}

// SECURITY DEFINER among a function's options, and no SET search_path.
bool definer_without_search_path(const Json& options) {
  if (!options.is_array()) return false;
  bool definer = false, pinned = false;
  for (const auto& o : options) {
    const auto& e = member(o, "DefElem");
    const auto name = text_of(e, "defname");
    if (name == "security") definer = member(member(member(e, "arg"), "Boolean"), "boolval") == true;
    if (name == "set" && text_of(member(member(e, "arg"), "VariableSetStmt"), "name") == "search_path") pinned = true;
  }
  return definer && !pinned;
}

Verdict alter_table(const Json& body) {
  const auto table = from_range_var(member(body, "relation"));
  bool only_owner = true;
  const auto& cmds = member(body, "cmds");
  if (cmds.is_array())
    for (const auto& c : cmds) {
      const auto subtype = text_of(member(c, "AlterTableCmd"), "subtype");
      if (subtype == "AT_DropColumn")
        return refused("ALTER TABLE ... DROP COLUMN does not belong in a declaration file",
                       "remove the column from its CREATE TABLE instead: schemac plans the drop");
      if (subtype == "AT_DropConstraint")
        return refused("ALTER TABLE ... DROP CONSTRAINT does not belong in a declaration file",
                       "remove the constraint from its CREATE TABLE or ADD CONSTRAINT instead: schemac plans the drop");
      if (subtype == "AT_DetachPartition")
        return refused(
            "ALTER TABLE ... DETACH PARTITION does not belong in a declaration file",
            "declare the table without PARTITION OF (or ATTACH PARTITION) instead: schemac plans the detach");
      if (subtype != "AT_ChangeOwner") only_owner = false;
    }
  return declares(only_owner ? "owner" : "alter table", table, table);
}

// A role as a GRANT or ALTER DEFAULT PRIVILEGES names it: "public" for PUBLIC,
// "" for CURRENT_USER, CURRENT_ROLE or SESSION_USER (the user who plans).
std::string role_name(const Json& spec) {
  const auto type = text_of(spec, "roletype");
  if (type == "ROLESPEC_PUBLIC") return "public";
  if (type == "ROLESPEC_CSTRING") return text_of(spec, "rolename");
  return "";
}

Verdict default_privileges(const Json& body) {
  SqlDeclaration::DefaultPrivilegeScope scope;
  const auto& options = member(body, "options");
  if (options.is_array())
    for (const auto& o : options) {
      const auto& def = member(o, "DefElem");
      const auto& items = member(member(member(def, "arg"), "List"), "items");
      if (!items.is_array()) continue;
      for (const auto& item : items) {
        if (text_of(def, "defname") == "schemas") scope.schemas.push_back(string_node(item));
        if (text_of(def, "defname") == "roles") scope.roles.push_back(role_name(member(item, "RoleSpec")));
      }
    }
  scope.for_role = !scope.roles.empty();
  const auto& action = member(body, "action");
  const auto objtype = text_of(action, "objtype");
  scope.objects = objtype == "OBJECT_SEQUENCE"   ? "SEQUENCES"
                  : objtype == "OBJECT_FUNCTION" ? "FUNCTIONS"
                  : objtype == "OBJECT_TYPE"     ? "TYPES"
                  : objtype == "OBJECT_SCHEMA"   ? "SCHEMAS"
                                                 : "TABLES";
  const auto& grantees = member(action, "grantees");
  if (grantees.is_array())
    for (const auto& g : grantees) scope.grantees.push_back(role_name(member(g, "RoleSpec")));
  auto verdict = declares("default privileges",
                          scope.schemas.empty() ? QualifiedName{} : QualifiedName{"", scope.schemas.front()});
  verdict.default_privileges = std::move(scope);
  return verdict;
}

Verdict classify(const std::string& node, const Json& body, const std::string& sql, std::span<const SqlToken> tokens) {
  // Tables, views, types, sequences.
  if ((node == "CreateStmt" && text_of(member(body, "relation"), "relpersistence") == "t") ||
      (node == "ViewStmt" && text_of(member(body, "view"), "relpersistence") == "t") ||
      (node == "CreateSeqStmt" && text_of(member(body, "sequence"), "relpersistence") == "t"))
    return refused("a temporary object lasts only as long as the session that creates it; it declares nothing",
                   "remove TEMPORARY to declare a lasting one (UNLOGGED is kept)");
  if (node == "CreateStmt") return declares("table", from_range_var(member(body, "relation")));
  if (node == "CreateForeignTableStmt")
    return declares("foreign table", from_range_var(member(member(body, "base"), "relation")));
  if (node == "ViewStmt") return declares("view", from_range_var(member(body, "view")));
  if (node == "CreateTableAsStmt") {
    if (text_of(body, "objtype") == "OBJECT_MATVIEW")
      return declares("materialized view", from_range_var(member(member(body, "into"), "rel")));
    return refused("CREATE TABLE AS fills a new table with the rows of a query; that copies data",
                   "declare the table with CREATE TABLE and its columns; a table computed from a query is a CREATE "
                   "MATERIALIZED VIEW or a CREATE VIEW");
  }
  if (node == "CreateEnumStmt") return declares("enum", from_names(member(body, "typeName")));
  if (node == "CompositeTypeStmt") return declares("composite type", from_range_var(member(body, "typevar")));
  if (node == "CreateRangeStmt") return declares("range type", from_names(member(body, "typeName")));
  if (node == "CreateDomainStmt") return declares("domain", from_names(member(body, "domainname")));
  if (node == "DefineStmt")  // CREATE AGGREGATE, OPERATOR, TYPE (base or shell), COLLATION, TEXT SEARCH ...
    return declares(object_words(text_of(body, "kind")), from_names(member(body, "defnames")));
  if (node == "CreateSeqStmt") return declares("sequence", from_range_var(member(body, "sequence")));
  if (node == "AlterSeqStmt") return declares("alter sequence", from_range_var(member(body, "sequence")));
  // Functions, and what hangs off a table.
  if (node == "CreateFunctionStmt" && definer_without_search_path(member(body, "options")))
    return refused(kUnpinnedDefinerMessage, kUnpinnedDefinerHelp);
  if (node == "CreateFunctionStmt")
    return declares(flag(body, "is_procedure") ? "procedure" : "function", from_names(member(body, "funcname")));
  if (node == "AlterFunctionStmt")
    return declares("alter function", from_names(member(member(body, "func"), "objname")));
  if (node == "IndexStmt")
    return declares("index", {"", text_of(body, "idxname")}, from_range_var(member(body, "relation")));
  if (node == "CreateTrigStmt")
    return declares("trigger", {"", text_of(body, "trigname")}, from_range_var(member(body, "relation")));
  if (node == "CreatePolicyStmt" || node == "AlterPolicyStmt")
    return declares(node == "CreatePolicyStmt" ? "policy" : "alter policy", {"", text_of(body, "policy_name")},
                    from_range_var(member(body, "table")));
  if (node == "RuleStmt")
    return declares("rule", {"", text_of(body, "rulename")}, from_range_var(member(body, "relation")));
  if (node == "CreateStatsStmt") {
    const auto& relations = member(body, "relations");
    return declares("statistics", from_names(member(body, "defnames")),
                    relations.is_array() && !relations.empty() ? from_range_var(member(relations[0], "RangeVar"))
                                                               : QualifiedName{});
  }
  // Schemas, extensions and the objects around them.
  if (node == "CreateSchemaStmt") {
    auto name = text_of(body, "schemaname");
    if (name.empty()) name = text_of(member(body, "authrole"), "rolename");  // CREATE SCHEMA AUTHORIZATION joe
    return declares("schema", {"", name});
  }
  if (node == "CreateExtensionStmt") {
    // WITH SCHEMA s: the schema it is created in, as the extension's name's schema.
    std::string schema;
    if (const auto& options = member(body, "options"); options.is_array())
      for (const auto& o : options)
        if (text_of(member(o, "DefElem"), "defname") == "schema")
          schema = string_node(member(member(o, "DefElem"), "arg"));
    return declares("extension", {schema, text_of(body, "extname")});
  }
  if (node == "CreatePLangStmt") return declares("language", {"", text_of(body, "plname")});
  if (node == "CreatePublicationStmt") return declares("publication", {"", text_of(body, "pubname")});
  if (node == "AlterPublicationStmt") return declares("alter publication", {"", text_of(body, "pubname")});
  if (node == "CreateEventTrigStmt" || node == "AlterEventTrigStmt")
    return declares("event trigger", {"", text_of(body, "trigname")});
  if (node == "CreateCastStmt") return declares("cast");
  if (node == "CreateOpClassStmt") return declares("operator class", from_names(member(body, "opclassname")));
  if (node == "CreateOpFamilyStmt" || node == "AlterOpFamilyStmt")
    return declares("operator family", from_names(member(body, "opfamilyname")));
  if (node == "CreateConversionStmt") return declares("conversion", from_names(member(body, "conversion_name")));
  if (node == "CreateTransformStmt") return declares("transform");
  if (node == "CreateAmStmt") return declares("access method", {"", text_of(body, "amname")});
  if (node == "CreateFdwStmt" || node == "AlterFdwStmt")
    return declares("foreign-data wrapper", {"", text_of(body, "fdwname")});
  if (node == "CreateForeignServerStmt" || node == "AlterForeignServerStmt")
    return declares("server", {"", text_of(body, "servername")});
  if (node == "CreateUserMappingStmt" || node == "AlterUserMappingStmt")
    return declares("user mapping", {"", text_of(body, "servername")});
  if (node == "AlterTSConfigurationStmt")
    return declares("text search configuration", from_names(member(body, "cfgname")));
  if (node == "AlterTSDictionaryStmt") return declares("text search dictionary", from_names(member(body, "dictname")));
  // What completes a declaration: comments, privileges, owners, settings.
  if (node == "CommentStmt") return comment_statement("comment", body);
  if (node == "SecLabelStmt") return comment_statement("security label", body);
  if (node == "GrantStmt") {
    const auto& objects = member(body, "objects");
    return declares(flag(body, "is_grant") ? "grant" : "revoke",
                    objects.is_array() && !objects.empty() ? object_name(objects[0]) : QualifiedName{});
  }
  if (node == "AlterDefaultPrivilegesStmt") return default_privileges(body);
  if (node == "AlterOwnerStmt") return declares("owner", object_name(member(body, "object")));
  if (node == "AlterTableStmt") return alter_table(body);
  if (node == "AlterEnumStmt") {
    if (body.contains("oldVal"))
      return refused("ALTER TYPE ... RENAME VALUE renames; renames are not declared in SQL yet",
                     "write the new value in the CREATE TYPE ... AS ENUM statement");
    return declares("alter type", from_names(member(body, "typeName")));
  }
  if (node == "AlterTypeStmt") return declares("alter type", from_names(member(body, "typeName")));
  if (node == "AlterDomainStmt") {
    if (text_of(body, "subtype") == "X")
      return refused("ALTER DOMAIN ... DROP CONSTRAINT does not belong in a declaration file",
                     "remove the constraint from its CREATE DOMAIN or ADD CONSTRAINT instead: schemac plans the drop");
    return declares("alter domain", from_names(member(body, "typeName")));
  }
  if (node == "VariableSetStmt") return declares("setting", {"", text_of(body, "name")});
  if (node == "SelectStmt") return select_statement(body);
  if (node == "TransactionStmt") {
    const auto kind = text_of(body, "kind");
    if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START" || kind == "TRANS_STMT_COMMIT")
      return declares("transaction");
    return refused(fmt::format("{} does not belong in a declaration file", leading_keywords(sql, tokens)),
                   "BEGIN and COMMIT may stay (schemac runs the declarations in its own transaction); remove "
                   "ROLLBACK, SAVEPOINT and the like");
  }
  // Refused, with what to do instead.
  if (node == "InsertStmt" || node == "UpdateStmt" || node == "DeleteStmt" || node == "MergeStmt" ||
      node == "CopyStmt" || node == "TruncateStmt") {
    const auto verb = upper(node.substr(0, node.size() - 4));
    return refused(fmt::format("{} {}; data does not belong in a declaration file", verb,
                               node == "CopyStmt" ? "copies data" : "changes data"),
                   kDataHelp);
  }
  if (node == "DropStmt")
    return refused(
        fmt::format("DROP {} does not belong in a declaration file", upper(object_words(text_of(body, "removeType")))),
        kDropHelp);
  if (node.starts_with("Drop"))  // DROP OWNED, ROLE, DATABASE, ...
    return refused(fmt::format("{} does not belong in a declaration file", leading_keywords(sql, tokens)), kDropHelp);
  if (node == "DoStmt") {
    // The statement's own tokens: comments before it are not part of it.
    auto first = std::find_if(tokens.begin(), tokens.end(), [](const SqlToken& t) { return !is_comment(t); });
    if (first != tokens.end() &&
        sets_up_roles_only(sql.substr(static_cast<std::size_t>(first->start),
                                      static_cast<std::size_t>(tokens.back().end - first->start))))
      return declares("do");
  }
  if (node == "DoStmt")
    return refused("a DO block runs code; a declaration file only declares",
                   "write what the block would create as CREATE statements: schemac plans what is missing, so no "
                   "IF NOT EXISTS logic is needed");
  if (node == "RenameStmt") {
    // A column or attribute is renamed within its relation or type, a constraint within its table.
    const auto type = text_of(body, "renameType");
    const auto what = type == "OBJECT_COLUMN" || type == "OBJECT_ATTRIBUTE" ? text_of(body, "relationType")
                      : type == "OBJECT_TABCONSTRAINT"                      ? std::string("OBJECT_TABLE")
                                                                            : type;
    return refused(
        fmt::format("ALTER {} ... RENAME renames; renames are not declared in SQL yet", upper(object_words(what))),
        kRenameHelp);
  }
  if (node == "AlterObjectSchemaStmt")
    return refused("ALTER ... SET SCHEMA moves an object; moves are not declared in SQL yet",
                   "declare the object in its new schema, in its CREATE statement");
  if (node == "CreateRoleStmt" || node == "AlterRoleStmt" || node == "AlterRoleSetStmt" || node == "GrantRoleStmt" ||
      node == "CreatedbStmt" || node == "AlterDatabaseStmt" || node == "AlterDatabaseSetStmt" ||
      node == "CreateTableSpaceStmt" || node == "AlterSystemStmt")
    return refused(fmt::format("{} does not belong in a schema's declarations", leading_keywords(sql, tokens)),
                   kClusterHelp);
  return refused(fmt::format("{} is not a declaration", leading_keywords(sql, tokens)),
                 "a .sql schema file holds CREATE statements and the ALTER, COMMENT, GRANT and SET statements that "
                 "complete them; run this one outside schemac");
}

// The node of a statement that starts with a data verb, or null.
const char* data_statement(PgQuery__Token first) {
  switch (first) {
    case PG_QUERY__TOKEN__INSERT:
      return "InsertStmt";
    case PG_QUERY__TOKEN__UPDATE:
      return "UpdateStmt";
    case PG_QUERY__TOKEN__DELETE_P:
      return "DeleteStmt";
    case PG_QUERY__TOKEN__MERGE:
      return "MergeStmt";
    case PG_QUERY__TOKEN__COPY:
      return "CopyStmt";
    case PG_QUERY__TOKEN__TRUNCATE:
      return "TruncateStmt";
    default:
      return nullptr;
  }
}

// One statement of the file, [begin, end) as libpg_query split it (with any
// comments around it), and the file's tokens.
// set_role: the role the file's last SET ROLE set ("" after RESET ROLE), which
// an ALTER DEFAULT PRIVILEGES without FOR ROLE is about.
void statement(const std::string& text, std::size_t begin, std::size_t end, std::span<const SqlToken> all,
               Positions& where, Diagnostics& diags, std::string& set_role, std::vector<SqlDeclaration>& out) {
  auto from = std::lower_bound(all.begin(), all.end(), begin, [](const SqlToken& t, std::size_t at) {
    return static_cast<std::size_t>(t.start) < at;
  });
  auto to = std::lower_bound(from, all.end(), end,
                             [](const SqlToken& t, std::size_t at) { return static_cast<std::size_t>(t.end) <= at; });
  std::span<const SqlToken> tokens(from, to);
  auto first = std::find_if(tokens.begin(), tokens.end(), [](const SqlToken& t) { return !is_comment(t); });
  if (first == tokens.end()) return;
  auto last = std::find_if(tokens.rbegin(), tokens.rend(), [](const SqlToken& t) { return !is_comment(t); });
  const auto start = static_cast<std::size_t>(first->start);
  SqlDeclaration decl;
  decl.sql = text.substr(start, static_cast<std::size_t>(last->end) - start);
  decl.pos = where.at(start);
  // Rows are refused by their first word: a seed of 300,000 rows in one INSERT
  // would make a parse tree of a gigabyte as JSON.
  if (const char* data = data_statement(first->kind)) {
    auto verdict = classify(data, Json::object(), text, tokens);
    diags.error(decl.pos, std::move(verdict.error), std::move(verdict.help));
    return;
  }
  PgQueryParseResult parsed = pg_query_parse(decl.sql.c_str());
  Json tree;
  if (!parsed.error) tree = Json::parse(parsed.parse_tree, nullptr, false);
  pg_query_free_parse_result(parsed);
  const auto& stmts = member(tree, "stmts");
  if (!stmts.is_array() || stmts.size() != 1 || !member(stmts[0], "stmt").is_object() || stmts[0]["stmt"].empty()) {
    diags.error(decl.pos, "this is not valid SQL: the statement does not parse on its own",
                "end each statement with ';'");
    return;
  }
  decl.statement = stmts[0]["stmt"].begin().key();
  auto verdict = classify(decl.statement, stmts[0]["stmt"].begin().value(), text, tokens);
  if (!verdict.kind.empty() && verdict.name.schema.starts_with("pg_temp"))  // CREATE TABLE pg_temp.t
    verdict = refused("a temporary object lasts only as long as the session that creates it; it declares nothing",
                      "declare it in a schema of its own, not in pg_temp");
  if (verdict.kind.empty()) {
    diags.error(decl.pos, std::move(verdict.error), std::move(verdict.help));
    return;
  }
  decl.kind = std::move(verdict.kind);
  decl.name = std::move(verdict.name);
  decl.table = std::move(verdict.table);
  decl.default_privileges = std::move(verdict.default_privileges);
  const auto& body = stmts[0]["stmt"].begin().value();
  if (decl.kind == "setting" && decl.statement == "VariableSetStmt" && decl.name.name == "role") {
    const auto& args = member(body, "args");
    set_role = text_of(body, "kind") == "VAR_SET_VALUE" && args.is_array() && !args.empty()
                   ? text_of(member(member(args[0], "A_Const"), "sval"), "sval")
                   : "";
    if (set_role == "none") set_role.clear();
  }
  if (decl.kind == "default privileges" && !decl.default_privileges.for_role)
    decl.default_privileges.roles = {set_role};
  out.push_back(std::move(decl));
}

// Before any parse: libpg_query prints a statement's tree as JSON recursively,
// as deep as it nests. Measured between semicolons (a statement, or a part of
// one that holds several, as CREATE RULE ... DO (...; ...) does); whether any
// part nests too deeply.
bool too_deep_anywhere(const std::vector<SqlToken>& tokens, Positions& where, Diagnostics& diags) {
  bool found = false;
  auto piece = tokens.begin();
  while (piece != tokens.end()) {
    auto semicolon =
        std::find_if(piece, tokens.end(), [](const SqlToken& t) { return t.kind == PG_QUERY__TOKEN__ASCII_59; });
    if (auto deep = too_deep(std::vector<SqlToken>(piece, semicolon))) {
      diags.error(where.at(static_cast<std::size_t>(deep->offset)), "this statement " + deep->message, deep->help);
      found = true;
    }
    piece = semicolon == tokens.end() ? semicolon : semicolon + 1;
  }
  return found;
}

}  // namespace

std::vector<SqlDeclaration> parse_sql_declarations(const SourceFile& file, Diagnostics& diags) {
  std::vector<SqlDeclaration> out;
  Positions where(file.name, file.text);
  // PostgreSQL would read a byte order mark as part of the first word: blanked,
  // so that every offset stays the file's.
  std::string blanked;
  if (file.text.starts_with(kByteOrderMark)) blanked = std::string(kByteOrderMark.size(), ' ') + file.text.substr(3);
  const std::string& text = blanked.empty() ? file.text : blanked;
  // libpg_query reads a C string: a NUL would silently end the file there.
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    diags.error(where.at(nul), "this is not valid SQL: the file contains a NUL byte",
                "a .sql declaration file is text; save it as UTF-8 without binary content");
    return out;
  }
  // A file that does not scan (an unterminated quote or comment) is left to
  // the parser below, which fails on it, with PostgreSQL's message.
  const auto tokens = scan_sql(text).value_or(std::vector<SqlToken>{});
  if (too_deep_anywhere(tokens, where, diags)) return out;
  // The statements' bounds, from PostgreSQL's own grammar (a function body in
  // BEGIN ATOMIC ... END holds semicolons of its own). Only the raw parser
  // runs here: it prints no tree, and gives up past 10,000 levels of nesting.
  PgQuerySplitResult split = pg_query_split_with_parser(text.c_str());
  if (split.error) {
    const std::string message = split.error->message ? split.error->message : "syntax error";
    const auto at = split.error->cursorpos > 0 ? byte_offset(text, split.error->cursorpos) : 0;
    pg_query_free_split_result(split);
    std::string help =
        "schemac reads .sql files with PostgreSQL's parser: check the statement up to here, and end each statement "
        "with ';'";
    if (at < text.size() && text[at] == '\\')
      help = "psql's meta-commands (\\connect, \\set, \\restrict, ...) are not SQL: remove them from the file";
    diags.error(where.at(at), "this is not valid SQL: " + message, help);
    return out;
  }
  std::vector<std::pair<std::size_t, std::size_t>> bounds;
  for (int i = 0; i < split.n_stmts; ++i) {
    const auto begin = std::min(static_cast<std::size_t>(std::max(split.stmts[i]->stmt_location, 0)), text.size());
    const auto len = static_cast<std::size_t>(std::max(split.stmts[i]->stmt_len, 0));
    bounds.emplace_back(begin, len == 0 ? text.size() : std::min(begin + len, text.size()));  // 0: to the end
  }
  pg_query_free_split_result(split);
  if (!bounds.empty() && tokens.empty()) {  // parsed, yet did not scan: never trust that blindly
    diags.error(where.at(0), "this is not valid SQL: the file does not scan", "end each statement with ';'");
    return out;
  }
  std::string set_role;
  for (const auto& [begin, end] : bounds) statement(text, begin, end, tokens, where, diags, set_role, out);
  return out;
}

}  // namespace schemac
