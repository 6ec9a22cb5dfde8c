#pragma once
// What the .sql declarations declare, read back from the scratch database:
// their tables join the declared ones (so the planner treats them like TOML
// tables), and every table and object learns the statement it came from, for
// the plan's "why" line.
#include "compiler/desired.hpp"

namespace schemac {

// Whether a GRANT, REVOKE or ALTER DEFAULT PRIVILEGES statement of the .sql
// declarations names the role: then the declarations fix its privileges exactly.
bool names_role(const Desired& desired, const std::string& role);

// Whether the declarations fix the role's privileges exactly: every role,
// except Supabase's API roles (target = "supabase") where no GRANT, REVOKE or
// ALTER DEFAULT PRIVILEGES names them, since Supabase's default privileges
// grant them every new object.
bool grants_exactly(const Desired& desired, const std::string& role);

void adopt_sql_declarations(Desired& desired, Catalog& normalized, const Catalog& live);

// SECURITY DEFINER routines the declarations made without a pinned
// search_path, whichever statements made them so (CREATE FUNCTION is refused
// as it is read; ALTER FUNCTION ... SECURITY DEFINER is caught here, from the
// routine as the scratch database has it): an error at the routine's origin.
void refuse_unpinned_definers(const Catalog& normalized, Diagnostics& diags);

}  // namespace schemac
