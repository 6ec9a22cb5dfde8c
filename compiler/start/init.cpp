#include "compiler/start/init.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "schema/language.hpp"

namespace schemac {

namespace fs = std::filesystem;

namespace {

std::string project_file(const std::string& target) {
  const bool supabase = target == "supabase";
  return fmt::format(R"toml(# The project: where the tables live, and what the four intent flags mean here.
# Reference: the README's "The language" section.
[project]
{}
schemas = ["public"]

# tenant_scoped tables get this column, a foreign key to the tenants table, an
# index leading with it, and row level security that lets a caller see only the
# rows of the organization named in its JWT.
[tenancy]
column     = "organization_id"
type       = "uuid"
references = "organizations(id)"
on_delete  = "cascade"
claim      = "{}"   # the JWT claim that holds the caller's organization
roles      = ["authenticated"]

# audited tables write every change to this table (old and new rows, who, when).
[audit]
table           = "audit_trail"
tenant_readable = true   # a tenant may read its own organization's history

# How apply takes locks on tables in service: a short lock_timeout, then retries.
[apply]
lock_timeout = "2s"
retries      = 5
)toml",
                     supabase ? "target  = \"supabase\"   # Supabase's roles and auth.jwt() are already there"
                              : "target  = \"postgres\"   # schemac creates the anon/authenticated/service_role roles "
                                "and auth.jwt()",
                     supabase ? "app_metadata.organization_id" : "organization_id");
}

constexpr const char* kOrganizations = R"toml(# The tenants: every tenant_scoped table references this one.
[tables.organizations]
audited          = true
touch_updated_at = true
grants           = { service_role = ["all"] }

[tables.organizations.columns]
id         = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
name       = { type = "text" }
created_at = { type = "timestamptz", default = "now()" }
)toml";

constexpr const char* kProjects = R"toml(# An example table with the four intent flags. Rename it, change its columns,
# then `schemac plan` shows what it takes to get there.
[tables.projects]
comment = "Projects of an organization"

# organization_id (from [tenancy]), its foreign key and index, and policies:
# as `authenticated`, a caller reads and writes only its organization's rows.
tenant_scoped = true
# deleted_at; a DELETE marks the row instead of removing it, and the policies
# hide marked rows from the API.
soft_delete = true
# Every INSERT, UPDATE and DELETE is recorded in audit_trail by a trigger
# nobody with SQL access to the API roles can switch off.
audited = true
# updated_at, set by a trigger on every UPDATE, whatever the client sends.
touch_updated_at = true
# The service role (your backend) may do everything; API roles get what the
# policies allow.
grants = { service_role = ["all"] }

[tables.projects.columns]
id         = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
name       = { type = "text" }
status     = { type = "text", default = "'active'" }
created_at = { type = "timestamptz", default = "now()" }

[tables.projects.checks]
projects_name_not_empty = "length(trim(name)) > 0"
projects_status_known   = "status IN ('active', 'archived')"

# Built CONCURRENTLY; soft_delete adds "deleted_at IS NULL" to the predicate.
[tables.projects.indexes]
idx_projects_by_org_status = { columns = ["organization_id", "status"] }
)toml";

}  // namespace

std::vector<std::string> init_project(const InitRequest& request) {
  if (request.target != "postgres" && request.target != "supabase")
    throw std::runtime_error(fmt::format("--target {}: write --target postgres or --target supabase", request.target));
  const fs::path dir(request.schema_dir);
  std::error_code ec;
  if (fs::exists(dir) && !fs::is_empty(dir, ec) && !request.force)
    throw std::runtime_error(fmt::format(
        "{} already holds files; nothing was written. Name another folder with --schema-dir, or pass --force to "
        "write the example files beside them",
        request.schema_dir));
  fs::create_directories(dir);
  // Each file points editors (taplo, Even Better TOML) at the language's JSON
  // Schema, written beside them: keys complete and typos are underlined.
  const std::string directive = "#:schema ./schemac.schema.json\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"00_project.toml", directive + project_file(request.target)},
      {"organizations.toml", directive + kOrganizations},
      {"projects.toml", directive + kProjects},
      {"schemac.schema.json", language::json_schema()}};
  std::vector<std::string> written;
  for (const auto& [name, text] : files) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write", (dir / name).string()));
    written.push_back(name);
  }
  return written;
}

}  // namespace schemac
