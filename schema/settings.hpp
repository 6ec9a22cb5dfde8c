#pragma once
// The [project], [tenancy], [audit], [runtime] and [apply] settings.
#include <string>
#include <vector>

#include "schema/diagnostics.hpp"
#include "schema/ident.hpp"

namespace schemac {

struct Settings {
  std::string target = "supabase";  // or "postgres"
  int postgres = 15;
  std::vector<std::string> schemas = {"public"};
  std::vector<std::string> extensions;
  // What the plan does with a table in project.schemas that no file declares:
  // "keep" (list it as unmanaged) or "drop" (a deletes-data step).
  std::string undeclared_tables = "keep";
  // The same for types, sequences, functions, procedures, aggregates, views and
  // materialized views: "keep" (listed) or "drop" (a drops-undeclared step).
  std::string undeclared_objects = "keep";

  struct Tenancy {
    std::string column = "organization_id";
    std::string type = "uuid";
    std::string references = "organizations(id)";
    std::string on_delete = "cascade";
    std::string claim = "organization_id";
    std::vector<std::string> roles = {"authenticated"};
    SourcePos pos;  // where [tenancy] was written, for errors about it
  } tenancy;

  struct Audit {
    QualifiedName table{"", "audit_trail"};  // empty schema: the runtime schema
    bool tenant_readable = false;            // tenancy roles may read their organization's rows
    SourcePos pos;
  } audit;

  std::string runtime_schema = "public";
  std::string lock_timeout = "2s";
  int retries = 5;

  const std::string& default_schema() const { return schemas.front(); }
  // A table in a schema schemac does not manage (auth.users): foreign keys may
  // reference it; schemac never creates or changes it.
  bool outside_managed_schemas(const QualifiedName& table) const {
    for (const auto& s : schemas)
      if (s == table.schema) return false;
    return true;
  }
  QualifiedName audit_table() const {
    return {audit.table.schema.empty() ? runtime_schema : audit.table.schema, audit.table.name};
  }
};

}  // namespace schemac
