#pragma once
// Which column type changes PostgreSQL can make without rewriting the table
// (postgres-facts 1.2: binary-coercible changes only relabel the column).
#include <string>

namespace schemac {

// from/to in format_type form ("character varying(40)", "numeric(12,2)", "text").
bool type_change_rewrites(const std::string& from, const std::string& to);

}  // namespace schemac
