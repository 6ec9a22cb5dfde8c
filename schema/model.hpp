#pragma once
// The one model both sides are read into: declarations (after flag expansion)
// and the live catalog. The differ compares like with like.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/diagnostics.hpp"
#include "schema/ident.hpp"

namespace schemac {

// Why an object exists: the declaration that produced it, and the flag if a
// flag generated it. Empty for objects read from a database.
struct Origin {
  SourcePos pos;
  // "", "tenant_scoped", "soft_delete", "audited", "touch_updated_at", "audit";
  // "undeclared" for the drop of an object no file declares (pos: its table's declaration).
  std::string flag;

  bool known() const { return !pos.file.empty(); }
  std::string describe() const;
};

// Privileges by role (PUBLIC as "public"): on a table SELECT, INSERT, UPDATE, DELETE,
// TRUNCATE, REFERENCES, TRIGGER; on a column SELECT, INSERT, UPDATE, REFERENCES.
using Grants = std::map<std::string, std::set<std::string>>;

struct Column {
  std::string name;
  std::string type;  // as written (declared) or format_type (live)
  bool nullable = false;
  std::optional<std::string> default_expr;
  std::optional<std::string> comment;
  std::string renamed_from;
  bool volatile_default = false;  // read from the scratch database: the default calls a volatile function
  Origin origin;
  std::string identity;   // "ALWAYS" or "BY DEFAULT" for an identity column, else empty
  std::string generated;  // a stored generated column's expression (GENERATED ALWAYS AS (...) STORED)
  // Column privileges (pg_attribute.attacl, owner left out). They add to the
  // table's: a role with SELECT on the table reads every column anyway.
  Grants grants;
};

enum class ConstraintKind { PrimaryKey, Unique, Check, ForeignKey, Exclusion };

struct Constraint {
  std::string name;
  ConstraintKind kind = ConstraintKind::Check;
  std::vector<std::string> columns;
  std::string expression;   // check: the boolean expression as written
  QualifiedName ref_table;  // foreign key
  std::vector<std::string> ref_columns;
  std::string on_delete;   // foreign key: "CASCADE", "SET NULL", ...; empty = NO ACTION
  std::string definition;  // pg_get_constraintdef without " NOT VALID" (read from a database)
  bool validated = true;
  Origin origin;
  std::optional<std::string> comment;  // COMMENT ON CONSTRAINT (declared in SQL, or read from a database)
  std::string on_update;               // foreign key: as on_delete, for ON UPDATE
};

struct Index {
  std::string name;
  std::vector<std::string> keys;  // columns or expressions with ASC/DESC/NULLS
  std::string where;
  bool unique = false;
  std::string method = "btree";
  std::vector<std::string> include;
  bool include_deleted = false;
  std::string definition;  // pg_get_indexdef (read from a database)
  bool valid = true;
  bool backs_constraint = false;  // a primary key or unique constraint's index
  // A partition's index made for its parent's (read from a database): the
  // parent table's index it is attached to. The parent's index steps own it.
  std::string attached_to;
  Origin origin;
  std::optional<std::string> comment;  // COMMENT ON INDEX
};

struct Trigger {
  std::string name;
  std::string timing;       // BEFORE | AFTER
  std::string events;       // "DELETE", "INSERT OR UPDATE OR DELETE", ...
  std::string level;        // ROW | STATEMENT
  std::string referencing;  // "REFERENCING NEW TABLE AS new_rows" or empty
  std::string when;
  QualifiedName function;
  std::vector<std::string> args;
  std::string definition;  // pg_get_triggerdef (read from a database)
  Origin origin;
  // When it fires (ALTER TABLE ... ENABLE/DISABLE TRIGGER): "" or "ENABLE" is
  // the default, "DISABLE", "ENABLE REPLICA", "ENABLE ALWAYS".
  std::string firing;
  std::optional<std::string> comment;  // COMMENT ON TRIGGER
};

struct Policy {
  std::string name;
  std::string command = "ALL";     // ALL | SELECT | INSERT | UPDATE | DELETE
  std::vector<std::string> roles;  // sorted; "public" for PUBLIC
  std::string using_expr;
  std::string check_expr;
  bool permissive = true;
  std::vector<std::string> columns_used;  // read from a database: columns the policy depends on
  Origin origin;
  std::optional<std::string> comment;  // COMMENT ON POLICY
};

struct Table {
  QualifiedName name;
  std::vector<Column> columns;  // in CREATE TABLE order
  std::vector<Constraint> constraints;
  std::vector<Index> indexes;
  std::vector<Trigger> triggers;
  std::vector<Policy> policies;
  bool rls_enabled = false;
  bool rls_forced = false;
  Grants grants;
  std::set<std::string> exact_grant_roles;  // roles whose grants the declaration fixes exactly
  std::optional<std::string> comment;
  std::string renamed_from;
  long long row_estimate = 0;  // pg_class.reltuples (read from a database); -1: never analyzed
  Origin origin;
  bool unlogged = false;  // CREATE UNLOGGED TABLE (declared in SQL, or read from a database)
  // Partitioning (declared in SQL, or read from a database). A partitioned
  // table's key as pg_get_partkeydef prints it, "RANGE (created_at)"; a
  // partition's parent and bound, "FOR VALUES IN ('us')" or "DEFAULT".
  std::string partition_by;
  std::optional<QualifiedName> partition_of;
  std::string partition_bound;
  // REPLICA IDENTITY: "DEFAULT", "FULL", "NOTHING" or "USING INDEX <name>" (the
  // name unquoted); read from a database always set, declared in TOML empty
  // unless the table says (then the live one is left as it is).
  std::string replica_identity;

  const Column* column(const std::string& n) const;
  Column* column(const std::string& n);
  const Constraint* constraint(const std::string& n) const;
  const Index* index(const std::string& n) const;
  const Trigger* trigger(const std::string& n) const;
  const Policy* policy(const std::string& n) const;
  const Constraint* primary_key() const;
};

// A function schemac owns (runtime or auth stand-in).
struct Function {
  QualifiedName name;
  std::string definition;  // pg_get_functiondef
  std::string create_sql;  // declared side: CREATE OR REPLACE FUNCTION ...
  // Declared side: only the owner may execute it (the runtime's trigger
  // functions). Live side: the roles other than the owner that may ("public"
  // for PUBLIC), from the function's ACL or the default one.
  bool owner_only = false;
  std::set<std::string> executors;
  Origin origin;
};

// The kinds of object PostgreSQL prints whole (types, sequences, views,
// routines): compared by their definition as PostgreSQL prints it back,
// created and dropped in the order pg_depend gives.
enum class ObjectKind { Enum, Domain, CompositeType, Sequence, Function, Procedure, Aggregate, View, MaterializedView };

// "enum", "domain", "composite type", "sequence", "function", ... as a plan says it.
const char* object_kind_name(ObjectKind kind);

struct SchemaObject {
  ObjectKind kind = ObjectKind::View;
  QualifiedName name;
  std::string arguments;   // routines: the argument types that identify it, "integer, text"
  std::string definition;  // the CREATE statement, built from the catalog (pg_get_functiondef, pg_get_viewdef, ...)
  // What decides how a change is made: routines, pg_get_function_result and
  // the argument names; views, their columns ("id integer, name text").
  std::string shape;
  // Enum labels in order; domain constraints; composite attributes and view
  // columns ("name type"); sequence clauses ("INCREMENT BY 2").
  std::vector<std::string> values;
  std::vector<std::string> options;   // domains: "DEFAULT ...", "NOT NULL"
  std::vector<std::string> indexes;   // materialized views: pg_get_indexdef of each index
  std::vector<std::string> triggers;  // views: pg_get_triggerdef of each (INSTEAD OF) trigger
  std::string owned_by;               // sequences: "schema.table.column" (OWNED BY), else empty
  std::optional<std::string> comment;
  Grants grants;                        // by role, from the ACL (PUBLIC as "public"), owner left out
  std::vector<std::string> depends_on;  // keys (see key()) of tables and objects it needs, sorted
  // Views and materialized views: "schema.table.column" of every column they read.
  std::vector<std::string> columns_read;
  Origin origin;

  // "function public.f(integer)", "view public.v": unique among objects and tables.
  std::string key() const;
  // How a statement names it: public.f(integer), public.v.
  std::string sql_name() const;
};

// ALTER DEFAULT PRIVILEGES: what one role's new objects of one kind get, in
// one schema or (schema empty) in every schema, as pg_default_acl holds it.
struct DefaultPrivileges {
  std::string role;     // whose new objects (FOR ROLE)
  std::string schema;   // IN SCHEMA; empty: every schema
  std::string objects;  // TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS
  // "+grantee PRIVILEGE" granted beyond PostgreSQL's built-in default,
  // "-grantee PRIVILEGE" revoked from it (only in every schema), with
  // " WITH GRANT OPTION" when grantable; PUBLIC is "public". Sorted.
  std::set<std::string> items;
  // Read from a database: whether who read it may alter them (is a member of
  // the role). Others (Supabase's supabase_admin's) are never dropped by omission.
  bool alterable = true;
  Origin origin;

  // "default privileges of role r in schema s on tables" ("in every schema").
  std::string describe() const;
};

// A table of a publication: its column list and row filter (PostgreSQL 15), as printed.
struct PublishedTable {
  QualifiedName table;
  std::vector<std::string> columns;  // empty: every column
  std::string where;                 // pg_get_expr of the row filter, or empty
  auto operator<=>(const PublishedTable&) const = default;
};

struct Publication {
  std::string name;
  bool all_tables = false;
  std::vector<PublishedTable> tables;  // sorted
  std::vector<std::string> schemas;    // FOR TABLES IN SCHEMA (PostgreSQL 15), sorted
  std::string options;  // "publish = 'insert, update, delete, truncate', publish_via_partition_root = false"
  bool owned = true;    // read from a database: whether who read it may drop it (a member of its owner)
  Origin origin;
};

// The key of a table in SchemaObject::depends_on.
std::string table_key(const QualifiedName& name);

struct Catalog {
  std::vector<Table> tables;          // sorted by name
  std::vector<SchemaObject> objects;  // sorted by key
  // Read from a database: table key -> keys of the objects its columns,
  // defaults, checks, triggers and policies need (an enum, a sequence, a function).
  std::map<std::string, std::vector<std::string>> table_dependencies;
  // Triggers on tables outside the managed schemas (auth.users), by table.
  std::map<QualifiedName, std::vector<Trigger>> external_triggers;
  std::vector<Function> functions;
  std::set<std::string> schemas;
  std::set<std::string> extensions;
  // Extensions declared WITH SCHEMA: name -> schema (Supabase keeps them in `extensions`).
  std::map<std::string, std::string> extension_schemas;
  std::set<std::string> roles;
  // Read from a database: objects in the managed schemas of kinds schemac does
  // not declare (views, functions, types, sequences), as "kind schema.name";
  // never touched, listed in the plan.
  std::vector<std::string> unmanaged;
  // pg_default_acl: every schema's and the managed schemas' rows, sorted by (role, schema, objects).
  std::vector<DefaultPrivileges> default_privileges;
  std::vector<Publication> publications;  // sorted by name
  std::string current_user;               // who read it (ALTER DEFAULT PRIVILEGES without FOR ROLE means this role)

  // Where each table is in `tables`, so that table() is not a scan of 2,000
  // tables for each of 2,000 lookups. Built by index_tables() when the vector is
  // complete; a stale entry (the vector changed since) is checked and then
  // searched past, so the index can only cost time, never find a wrong table.
  std::map<QualifiedName, std::size_t> table_positions;
  void index_tables();

  const Table* table(const QualifiedName& n) const;
  Table* table(const QualifiedName& n);
  const Function* function(const QualifiedName& n) const;
  const SchemaObject* object(const std::string& key) const;
};

std::string to_string(ConstraintKind kind);

// An index definition (pg_get_indexdef) without its name and table: what it
// indexes and how. Two indexes of the same shape on one table are the same index.
std::string index_shape(const std::string& definition);

}  // namespace schemac
