#pragma once
// Who can do what, before and after a plan: for each table whose policies,
// grants or row level security the plan changes (or that it creates), each
// role and command (select, insert, update, delete), the rows the role reaches,
// in words: "rows of the caller's organization, not deleted", "own rows by
// user_id", "all rows", "none". What a reviewer of an authorization change
// needs, computed from the catalogs the plan was made from, not from its SQL.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/planner/plan.hpp"
#include "schema/model.hpp"

namespace schemac::review {

// declared: the desired tables (their grants and which roles they fix
// exactly); normalized: the same in PostgreSQL's printed form (the policies);
// live: the database as the plan found it. Only the (role, command) pairs
// whose access changes. A table the plan creates starts from the grants the
// schema's default privileges give it (`inherited`).
using InheritedGrants = std::function<Grants(const std::string& schema)>;
std::vector<AccessChange> access_changes(const Plan& plan, const Catalog& declared, const Catalog& normalized,
                                         const Catalog& live, const std::string& tenancy_column,
                                         const InheritedGrants& inherited);

// A policy expression in words ("rows of the caller's organization, not deleted").
std::string describe_rows(const std::string& predicate, const std::string& tenancy_column);

// "Who can do what" sections; "" when nothing changes.
std::string render_access_text(const std::vector<AccessChange>& changes);
// At most max_rows rows; the rest counted ("and 40 more rows: the text plan lists them").
std::string render_access_markdown(const std::vector<AccessChange>& changes, std::size_t max_rows = SIZE_MAX);

}  // namespace schemac::review
