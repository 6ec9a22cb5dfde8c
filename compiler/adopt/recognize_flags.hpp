#pragma once
// Which live tables are what an intent flag generates, in schemac's own form:
// the triggers, policies, keys and indexes a flag makes, by the names, runtime
// functions and arguments schemac gives them. A database that schemac built
// imports back to its flags instead of hundreds of lines of generated objects.
//
// What this finds is a proposal. import writes the flags, plans against the
// database, and keeps a flag only where that plan is empty: a recognized
// flag never changes what the database does. Hand-written forms (a
// set_updated_at() trigger, ownership policies) are not taken for flags; the
// audit's suggestions say what a flag would change there.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/declarations.hpp"

namespace schemac {

struct FlagRecognition {
  // [tenancy], [audit] and [runtime] as the live objects say them. Only what
  // the flags found is written to schemac.toml.
  Settings settings;
  bool tenancy = false;  // a tenant_scoped table was found: [tenancy] is written
  bool audit = false;    // an audited table was found: [audit] is written
  std::map<QualifiedName, TableFlags> tables;
  // The audit table the audited flag makes, written only when it differs from
  // what the flag generates (then its declaration overrides the generated one).
  bool write_audit_table = false;
  // soft_delete's queue (in the runtime schema), which the flag makes: not
  // written while a table declares soft_delete, unless it differs.
  QualifiedName soft_delete_queue;
  bool write_soft_delete_queue = false;
  bool any_soft_delete() const {
    for (const auto& [name, f] : tables)
      if (f.soft_delete) return true;
    return false;
  }
  // Where import wrote each flagged table ("tables/api_keys.toml"), to take
  // the flags off the table a compile error points at.
  std::map<std::string, QualifiedName> table_files;

  const TableFlags* flags(const QualifiedName& table) const {
    auto it = tables.find(table);
    return it == tables.end() ? nullptr : &it->second;
  }
};

// The function a trigger runs and its arguments, from pg_get_triggerdef:
// "... EXECUTE FUNCTION public.audit_changes('id', '', 'soft_delete')";
// nullopt when the name is quoted or an argument is not a string.
struct TriggerCall {
  QualifiedName function;
  std::vector<std::string> args;
};
std::optional<TriggerCall> trigger_call(const Trigger& trigger);

// The tenancy (column, claim, type) a policy predicate says when it compares a
// column with a JWT claim, as PostgreSQL prints it, wrapped or not:
// (organization_id = ((( SELECT auth.jwt() AS jwt) -> 'app' ->> 'org'::text))::uuid).
std::optional<Settings::Tenancy> tenancy_of(const std::string& predicate);

FlagRecognition recognize_flags(const Catalog& cat, const std::string& default_schema);

// The table without what its flags generate: what its TOML declares next to
// the flags. Objects that differ from the generated ones stay declared (a
// declared object overrides the generated one of the same name).
Table without_flag_objects(const Table& t, const FlagRecognition& r);

// The flag lines of a table's TOML ("tenant_scoped    = true", ...), aligned.
std::string flag_lines(const TableFlags& f);

// The [runtime], [tenancy] and [audit] sections for schemac.toml.
std::string flag_settings_toml(const FlagRecognition& r);

}  // namespace schemac
