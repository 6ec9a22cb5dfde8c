#pragma once
// SQL text for model objects. Identifiers go through quote_ident; user-written
// expressions are emitted inside parentheses.
#include <set>
#include <string>
#include <vector>

#include "schema/model.hpp"

namespace schemac::ddl {

std::string default_expression(const std::string& expr);
std::string column_definition(const Column& c);
std::string constraint_clause(const Constraint& c);
// CREATE TABLE with columns and every constraint except the foreign keys whose
// target is not in `ready` (those are added by ALTER TABLE after).
// A partition: CREATE TABLE ... PARTITION OF its parent, with its own constraints.
std::string create_table(const Table& t, const std::set<QualifiedName>& ready);
// CREATE TABLE ... PARTITION OF, with column options and constraints (`lines`).
std::string create_partition(const Table& t, const std::vector<std::string>& lines);
std::string attach_partition(const Table& t);
std::string add_constraint(const QualifiedName& table, const Constraint& c, bool not_valid);
std::string index_key(const std::string& key);
std::string create_index(const QualifiedName& table, const Index& i, bool concurrently,
                         const std::string& name_override = {});
std::string create_trigger(const QualifiedName& table, const Trigger& t, bool or_replace);
// ALTER TABLE ... DISABLE TRIGGER (or ENABLE, ENABLE REPLICA, ENABLE ALWAYS).
std::string trigger_firing(const QualifiedName& table, const Trigger& t);
std::string policy_roles(const std::vector<std::string>& roles);
std::string create_policy(const QualifiedName& table, const Policy& p, bool with_roles = true);
std::string comment_on_table(const Table& t);
std::string comment_on_column(const QualifiedName& table, const Column& c);
// COMMENT ON <target> IS ...: "INDEX s.i", "TRIGGER t ON s.tbl", ...; NULL removes it.
std::string comment_on(const std::string& target, const std::optional<std::string>& comment);
std::string grant(const QualifiedName& table, const std::set<std::string>& privileges, const std::string& role);
std::string revoke(const QualifiedName& table, const std::set<std::string>& privileges, const std::string& role);
// Column privileges by privilege: {"UPDATE": {"name", "avatar"}} -> "UPDATE (name, avatar)".
using ColumnPrivileges = std::map<std::string, std::vector<std::string>>;
// GRANT SELECT (a), UPDATE (a, b) ON TABLE t TO role; and the REVOKE.
std::string grant_columns(const QualifiedName& table, const ColumnPrivileges& privileges, const std::string& role);
std::string revoke_columns(const QualifiedName& table, const ColumnPrivileges& privileges, const std::string& role);
// ALTER TABLE t REPLICA IDENTITY <identity>: "DEFAULT", "FULL", "NOTHING" or "USING INDEX <name>" (unquoted).
std::string replica_identity(const QualifiedName& table, const std::string& identity);
std::string search_path(const std::vector<std::string>& schemas);
// A published table: "s"."t" ("a", "b") WHERE (filter), as ADD TABLE and CREATE PUBLICATION say it.
std::string published_table(const PublishedTable& t);
std::string create_publication(const Publication& p);
// CREATE EXTENSION IF NOT EXISTS e [WITH SCHEMA s] (schema empty: the first schema on the search path).
std::string create_extension(const std::string& name, const std::string& schema);

}  // namespace schemac::ddl
